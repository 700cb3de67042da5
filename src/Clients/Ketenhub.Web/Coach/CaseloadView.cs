using Ketenhub.Contracts.V1;
using Ketenhub.Web.Text;

namespace Ketenhub.Web.Coach;

/// <summary>How the pages show a caseload entry: the client in words, what needs attention first.</summary>
public static class CaseloadView
{
    /// <summary>The id part of a client's name (<c>clients/{id}</c>), for the page's address.</summary>
    public static string IdOf(string clientName) =>
        clientName.StartsWith("clients/", StringComparison.Ordinal) ? clientName["clients/".Length..] : clientName;

    /// <summary>The client's name for an id from an address, or null when the id cannot be one.</summary>
    public static string? NameOf(string? id) =>
        !string.IsNullOrEmpty(id) && id.Length <= 128 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-') ? "clients/" + id : null;

    /// <summary>How a coach recognises the client without a name: "geboren op 14 maart 2008, Zwijndrecht".</summary>
    public static string Describe(Contracts.V1.Client client)
    {
        ArgumentNullException.ThrowIfNull(client);
        return "Cliënt geboren op " + Dutch.Date(client.BirthDate) + ", " + Dutch.Municipality(client.MunicipalityCode);
    }

    /// <summary>How much needs attention: open signals and open tasks count; an urgent or crisis signal most.</summary>
    public static int Weight(CaseloadEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return entry.OpenSignals.Sum(s => s.Severity >= SignalSeverity.Urgent ? 100 : 10) + (entry.OpenTasks.Count * 5) + entry.EndingConsents.Count;
    }

    /// <summary>The entries with the most attention first, then by birth date.</summary>
    public static IReadOnlyList<CaseloadEntry> Order(IEnumerable<CaseloadEntry> entries) =>
        [.. entries
            .OrderByDescending(Weight)
            .ThenBy(e => (e.Client.BirthDate?.Year ?? 0, e.Client.BirthDate?.Month ?? 0, e.Client.BirthDate?.Day ?? 0))
            .ThenBy(e => e.Client.Name, StringComparer.Ordinal)];
}

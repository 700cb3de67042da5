namespace Ketenhub.Cli;

/// <summary>
/// Resource names. The command line takes a bare id (<c>sdd</c>) or the full name (<c>parties/sdd</c>);
/// requests always carry the full name.
/// </summary>
public static class Names
{
    public static string Party(string? idOrName) => Resource("parties", idOrName);

    public static string Client(string? idOrName) => Resource("clients", idOrName);

    public static string Consent(string? idOrName) => Resource("consents", idOrName);

    /// <summary>The full name in <paramref name="collection"/>; a value that already holds a <c>/</c> is passed on as it is, for the hub to judge.</summary>
    public static string Resource(string collection, string? idOrName)
    {
        var value = idOrName?.Trim() ?? string.Empty;
        if (value.Length == 0 || value.Contains('/', StringComparison.Ordinal))
        {
            return value;
        }

        return collection + "/" + value;
    }

    /// <summary>A party as output shows it: its id without <c>parties/</c>.</summary>
    public static string ShortParty(string? name) =>
        name is not null && name.StartsWith("parties/", StringComparison.Ordinal) ? name["parties/".Length..] : name ?? string.Empty;
}

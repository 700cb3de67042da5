using Ketenhub.Client;
using Ketenhub.Contracts.V1;
using Ketenhub.Web.Coach;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Ketenhub.Web.Pages.Coach;

/// <summary>
/// One client's page for the coach: what needs attention (acknowledge a signal, mark a task done), who is involved,
/// the consents, the open referrals and the timeline across organisations, in words and local time. Every part comes
/// from the hub under the coach's own token; a part the hub refuses says so instead of failing the page.
/// </summary>
public sealed class ClientModel(KetenhubClient hub, TimeZoneInfo zone) : PageModel
{
    public CaseloadEntry Entry { get; private set; } = new();

    public CareTeam? CareTeam { get; private set; }

    public IReadOnlyList<Consent> Consents { get; private set; } = [];

    public IReadOnlyList<Referral>? OpenReferrals { get; private set; }

    public IReadOnlyList<JourneyEvent>? Journey { get; private set; }

    public IReadOnlyDictionary<string, string> PartyNames { get; private set; } = new Dictionary<string, string>();

    public TimeZoneInfo Zone => zone;

    [TempData]
    public string? Done { get; set; }

    public string Id { get; private set; } = string.Empty;

    public async Task<IActionResult> OnGetAsync(string id, CancellationToken cancellationToken)
    {
        if (await LoadEntryAsync(id, cancellationToken).ConfigureAwait(false) is { } missing)
        {
            return missing;
        }

        var name = Entry.Client.Name;
        PartyNames = (await hub.Parties.ListAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
            .ToDictionary(p => p.Name, p => p.DisplayName, StringComparer.Ordinal);
        CareTeam = await hub.Clients.GetCareTeamAsync(name, cancellationToken: cancellationToken).ConfigureAwait(false);
        Consents = await OrNullWhenRefused(() => hub.Consents.ListAsync(name, cancellationToken: cancellationToken)).ConfigureAwait(false) ?? [];
        OpenReferrals = (await OrNullWhenRefused(() => hub.Referrals.GetPlanAsync(name, cancellationToken: cancellationToken)).ConfigureAwait(false))?.Referrals.ToList();
        Journey = await OrNullWhenRefused(async () =>
        {
            var events = new List<JourneyEvent>();
            await foreach (var item in hub.Clients.GetJourneyAsync(name, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                events.Add(item);
            }

            events.Reverse();
            return (IReadOnlyList<JourneyEvent>)events;
        }).ConfigureAwait(false);
        return Page();
    }

    public async Task<IActionResult> OnPostAcknowledgeSignalAsync(string id, string signal, CancellationToken cancellationToken)
    {
        if (await LoadEntryAsync(id, cancellationToken).ConfigureAwait(false) is { } missing)
        {
            return missing;
        }

        if (!Entry.OpenSignals.Any(s => s.Signal == signal))
        {
            return BadRequest();
        }

        await hub.Signals.AcknowledgeAsync(signal, cancellationToken: cancellationToken).ConfigureAwait(false);
        Done = "Het signaal staat nu op gezien.";
        return RedirectToPage(new { id });
    }

    public async Task<IActionResult> OnPostTaskDoneAsync(string id, string delivery, CancellationToken cancellationToken)
    {
        if (await LoadEntryAsync(id, cancellationToken).ConfigureAwait(false) is { } missing)
        {
            return missing;
        }

        if (!Entry.OpenTasks.Any(t => t.Delivery == delivery))
        {
            return BadRequest();
        }

        await hub.Deliveries.AcknowledgeAsync(delivery, cancellationToken: cancellationToken).ConfigureAwait(false);
        Done = "De taak staat nu op klaar.";
        return RedirectToPage(new { id });
    }

    public string PartyName(string name) => PartyNames.TryGetValue(name, out var display) ? display : name;

    /// <summary>The client must be on the signed-in coach's caseload; anything else is "not found".</summary>
    private async Task<IActionResult?> LoadEntryAsync(string id, CancellationToken cancellationToken)
    {
        Id = id;
        var name = CaseloadView.NameOf(id);
        if (name is null)
        {
            return NotFound();
        }

        await foreach (var entry in hub.Clients.ListCaseloadAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (entry.Client.Name == name)
            {
                Entry = entry;
                return null;
            }
        }

        return NotFound();
    }

    private static async Task<T?> OrNullWhenRefused<T>(Func<Task<T>> read)
        where T : class
    {
        try
        {
            return await read().ConfigureAwait(false);
        }
        catch (KetenhubException e) when (e.StatusCode is Grpc.Core.StatusCode.PermissionDenied or Grpc.Core.StatusCode.FailedPrecondition)
        {
            return null;
        }
    }
}

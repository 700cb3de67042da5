using Ketenhub.Client;
using Ketenhub.Contracts.V1;
using Ketenhub.Web.Coach;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Ketenhub.Web.Pages.Coach;

/// <summary>"Mijn cliënten": the signed-in coach's caseload, as the hub gives it for the coach's own token.</summary>
public sealed class CaseloadModel(KetenhubClient hub, TimeProvider time, TimeZoneInfo zone) : PageModel
{
    public IReadOnlyList<CaseloadEntry> Entries { get; private set; } = [];

    public TimeZoneInfo Zone => zone;

    public DateOnly Today => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(time.GetUtcNow(), zone).DateTime);

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var entries = new List<CaseloadEntry>();
        await foreach (var entry in hub.Clients.ListCaseloadAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            entries.Add(entry);
        }

        Entries = CaseloadView.Order(entries);
    }
}

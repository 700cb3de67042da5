using Ketenhub.Client;
using Ketenhub.Contracts.V1;
using Ketenhub.Web.Coach;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Ketenhub.Web.Pages.Coach;

/// <summary>The client's access report (AVG article 15), as the hub writes it, laid out to print and go through together.</summary>
public sealed class AccessReportModel(KetenhubClient hub, TimeZoneInfo zone) : PageModel
{
    public ClientAccessReport Report { get; private set; } = new();

    public string Id { get; private set; } = string.Empty;

    public TimeZoneInfo Zone => zone;

    public async Task<IActionResult> OnGetAsync(string id, CancellationToken cancellationToken)
    {
        Id = id;
        if (CaseloadView.NameOf(id) is not { } name)
        {
            return NotFound();
        }

        Report = await hub.Clients.GetAccessReportAsync(name, cancellationToken: cancellationToken).ConfigureAwait(false);
        return Page();
    }
}

using Ketenhub.Client;
using Ketenhub.Contracts.V1;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Ketenhub.Web.Pages.Own;

/// <summary>"Wie weet wat over mij": the client's own access report, from the hub, under the client's own token.</summary>
public sealed class IndexModel(KetenhubClient hub) : PageModel
{
    public ClientAccessReport Report { get; private set; } = new();

    public IReadOnlyDictionary<string, string> Names { get; private set; } = new Dictionary<string, string>();

    [TempData]
    public string? Done { get; set; }

    public async Task<IActionResult> OnPostCorrectionAsync(CorrectionTopic topic, CancellationToken cancellationToken)
    {
        if (!Text.Plain.CorrectionTopics.Any(t => t.Topic == topic))
        {
            return BadRequest();
        }

        var asked = await hub.Self.RequestCorrectionAsync(topic, cancellationToken: cancellationToken).ConfigureAwait(false);
        Done = asked.Count > 0
            ? "Je vraag is verstuurd. Je coach of je gemeente belt of mailt je."
            : "We konden je vraag niet doorsturen. Bel je gemeente.";
        return RedirectToPage();
    }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var response = await hub.Self.GetAccessReportAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        Report = response.Report;
        Names = response.Parties.ToDictionary(p => p.Name, p => p.DisplayName, StringComparer.Ordinal);
    }

    /// <summary>"Het kwam van Hans Petrischool." for a line with a sender; empty otherwise.</summary>
    public string From(AccessReportLine line)
    {
        ArgumentNullException.ThrowIfNull(line);
        return string.IsNullOrEmpty(line.Sender) ? string.Empty : $" Het kwam van {(Names.TryGetValue(line.Sender, out var name) ? name : "een andere organisatie")}.";
    }
}

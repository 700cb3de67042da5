using System.ComponentModel.DataAnnotations;
using Ketenhub.Client;
using Ketenhub.Contracts.V1;
using Ketenhub.Web.Coach;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Ketenhub.Web.Pages.Coach;

/// <summary>
/// The coach announces a transition for the client (more or less help, another provider, a move): first "what would
/// happen if I send this" (the hub's explanation of the draft, which stores nothing), then send it.
/// </summary>
public sealed class TransitionModel(KetenhubClient hub, TimeZoneInfo zone, TimeProvider time) : PageModel
{
    [BindProperty]
    public TransitionKind Kind { get; set; } = TransitionKind.ScaleUp;

    [BindProperty]
    public string? ToParty { get; set; }

    [BindProperty]
    [Required(ErrorMessage = "Kies de datum waarop het ingaat.")]
    public DateOnly? EffectiveDate { get; set; }

    [BindProperty]
    [RegularExpression("^[0-9]{4}$", ErrorMessage = "Een gemeentecode heeft vier cijfers.")]
    public string? NewMunicipalityCode { get; set; }

    [BindProperty]
    [StringLength(2000, ErrorMessage = "Houd het korter dan 2000 tekens.")]
    public string? HandoverSummary { get; set; }

    public string Id { get; private set; } = string.Empty;

    public string ClientName { get; private set; } = string.Empty;

    public IReadOnlyList<Party> Parties { get; private set; } = [];

    public DecisionsView? Explained { get; private set; }

    public async Task<IActionResult> OnGetAsync(string id, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(id, cancellationToken).ConfigureAwait(false))
        {
            return NotFound();
        }

        EffectiveDate ??= DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(time.GetUtcNow(), zone).DateTime).AddDays(14);
        return Page();
    }

    public async Task<IActionResult> OnPostExplainAsync(string id, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(id, cancellationToken).ConfigureAwait(false))
        {
            return NotFound();
        }

        if (!ModelState.IsValid)
        {
            return Page();
        }

        var explained = await hub.Explain.TransitionAsync(Draft(), cancellationToken: cancellationToken).ConfigureAwait(false);
        Explained = new DecisionsView(explained.Decisions, Parties.ToDictionary(p => p.Name, p => p.DisplayName, StringComparer.Ordinal), zone);
        return Page();
    }

    public async Task<IActionResult> OnPostSendAsync(string id, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(id, cancellationToken).ConfigureAwait(false))
        {
            return NotFound();
        }

        if (!ModelState.IsValid)
        {
            return Page();
        }

        var sent = await hub.Transitions.SubmitAsync(Draft(), cancellationToken: cancellationToken).ConfigureAwait(false);
        TempData["Done"] = $"De overgang is gemeld. {sent.Decisions.Count(d => d.Outcome == RecipientOutcome.Content)} organisatie(s) krijgen de inhoud.";
        return RedirectToPage("/Coach/Client", new { id });
    }

    private async Task<bool> LoadAsync(string id, CancellationToken cancellationToken)
    {
        Id = id;
        ClientName = CaseloadView.NameOf(id) ?? string.Empty;
        if (ClientName.Length == 0)
        {
            return false;
        }

        Parties = await hub.Parties.ListAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        return true;
    }

    private Transition Draft()
    {
        var date = EffectiveDate!.Value;
        return new Transition
        {
            Client = ClientName,
            Kind = Kind,
            ToParty = string.IsNullOrEmpty(ToParty) ? string.Empty : ToParty,
            EffectiveDate = new Google.Type.Date { Year = date.Year, Month = date.Month, Day = date.Day },
            NewMunicipalityCode = NewMunicipalityCode ?? string.Empty,
            HandoverSummary = HandoverSummary ?? string.Empty,
        };
    }
}

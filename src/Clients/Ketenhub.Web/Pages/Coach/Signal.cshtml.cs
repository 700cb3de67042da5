using System.ComponentModel.DataAnnotations;
using Ketenhub.Client;
using Ketenhub.Contracts.V1;
using Ketenhub.Web.Coach;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Ketenhub.Web.Pages.Coach;

/// <summary>
/// The coach reports a signal about the client: first "what would happen if I send this" (the hub's explanation of the
/// draft, which stores nothing), then send it. Both under the coach's own token.
/// </summary>
public sealed class SignalModel(KetenhubClient hub, TimeZoneInfo zone) : PageModel
{
    [BindProperty]
    public SignalKind Kind { get; set; } = SignalKind.MissedContacts;

    [BindProperty]
    public LifeDomain Domain { get; set; } = LifeDomain.Care;

    [BindProperty]
    public SignalSeverity Severity { get; set; } = SignalSeverity.Concern;

    [BindProperty]
    [Required(ErrorMessage = "Schrijf kort wat er aan de hand is.")]
    [StringLength(2000, ErrorMessage = "Houd het korter dan 2000 tekens.")]
    public string? Description { get; set; }

    public string Id { get; private set; } = string.Empty;

    public string ClientName { get; private set; } = string.Empty;

    public DecisionsView? Explained { get; private set; }

    public IActionResult OnGet(string id) => Load(id) ? Page() : NotFound();

    public async Task<IActionResult> OnPostExplainAsync(string id, CancellationToken cancellationToken)
    {
        if (!Load(id))
        {
            return NotFound();
        }

        if (!ModelState.IsValid)
        {
            return Page();
        }

        var explained = await hub.Explain.SignalAsync(Draft(), cancellationToken: cancellationToken).ConfigureAwait(false);
        Explained = new DecisionsView(explained.Decisions, await NamesAsync(cancellationToken).ConfigureAwait(false), zone);
        return Page();
    }

    public async Task<IActionResult> OnPostSendAsync(string id, CancellationToken cancellationToken)
    {
        if (!Load(id))
        {
            return NotFound();
        }

        if (!ModelState.IsValid)
        {
            return Page();
        }

        var sent = await hub.Signals.SubmitAsync(Draft(), cancellationToken: cancellationToken).ConfigureAwait(false);
        TempData["Done"] = $"Het signaal is verstuurd. {sent.Decisions.Count(d => d.Outcome == RecipientOutcome.Content)} organisatie(s) krijgen de inhoud.";
        return RedirectToPage("/Coach/Client", new { id });
    }

    private bool Load(string id)
    {
        Id = id;
        ClientName = CaseloadView.NameOf(id) ?? string.Empty;
        return ClientName.Length > 0;
    }

    private Signal Draft() => new()
    {
        Client = ClientName,
        Kind = Kind,
        LifeDomain = Domain,
        Severity = Severity,
        Description = Description ?? string.Empty,
    };

    private async Task<IReadOnlyDictionary<string, string>> NamesAsync(CancellationToken cancellationToken) =>
        (await hub.Parties.ListAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).ToDictionary(p => p.Name, p => p.DisplayName, StringComparer.Ordinal);
}

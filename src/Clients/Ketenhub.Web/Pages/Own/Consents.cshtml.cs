using Ketenhub.Client;
using Ketenhub.Contracts.V1;
using Ketenhub.Web.Text;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Ketenhub.Web.Pages.Own;

/// <summary>
/// "Wat vind ik goed": the client's own consents in plain words; stopping one (at once, as the hub does for any
/// withdrawal) and, after the 18th birthday, saying yes to a parent's consent. Every change goes to the hub under the
/// client's own token; the hub refuses a consent that is not theirs.
/// </summary>
public sealed class ConsentsModel(KetenhubClient hub) : PageModel
{
    public IReadOnlyList<Consent> Consents { get; private set; } = [];

    public IReadOnlyDictionary<string, string> Names { get; private set; } = new Dictionary<string, string>();

    [TempData]
    public string? Done { get; set; }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var response = await hub.Self.ListConsentsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        Consents = response.Consents;
        Names = response.Parties.ToDictionary(p => p.Name, p => p.DisplayName, StringComparer.Ordinal);
    }

    public async Task<IActionResult> OnPostStopAsync(string consent, CancellationToken cancellationToken)
    {
        var response = await hub.Self.WithdrawConsentAsync(consent, cancellationToken: cancellationToken).ConfigureAwait(false);
        Done = $"Gestopt. {await NameAsync(response.Consent.RecipientParty, cancellationToken).ConfigureAwait(false)} krijgt hier niets meer over.";
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostAgreeAsync(string consent, CancellationToken cancellationToken)
    {
        var response = await hub.Self.ConfirmConsentAsync(consent, cancellationToken: cancellationToken).ConfigureAwait(false);
        Done = $"Gelukt. {await NameAsync(response.Consent.RecipientParty, cancellationToken).ConfigureAwait(false)} mag dit nu omdat jij het goed vindt.";
        return RedirectToPage();
    }

    public string Who(Consent consent)
    {
        ArgumentNullException.ThrowIfNull(consent);
        return Names.TryGetValue(consent.RecipientParty, out var name) ? name : "Een organisatie";
    }

    public static string Allows(Consent consent, string who)
    {
        ArgumentNullException.ThrowIfNull(consent);
        return Plain.Consent(who, consent.Purposes);
    }

    private async Task<string> NameAsync(string party, CancellationToken cancellationToken)
    {
        var response = await hub.Self.ListConsentsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.Parties.FirstOrDefault(p => p.Name == party)?.DisplayName ?? "Die organisatie";
    }
}

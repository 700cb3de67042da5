using System.Security.Claims;
using Ketenhub.Web.Configuration;
using Ketenhub.Web.Identity;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace Ketenhub.Web.Pages.Account;

/// <summary>
/// Signing in. A coach signs in with Entra ID, a client with the citizens' provider (a DigiD broker); the development
/// sign-in (Development only, refused at start-up elsewhere) lets one pick a configured demo coach or client.
/// </summary>
public sealed class SignInModel(IOptions<WebOptions> options) : PageModel
{
    public bool Development => options.Value.SignIn == SignInMode.Development;

    public bool CitizensConfigured => options.Value.Citizens.IsConfigured;

    public IReadOnlyList<DevelopmentCoach> Coaches => [.. options.Value.Development.Coaches];

    public IReadOnlyList<DevelopmentClient> Clients => [.. options.Value.Development.Clients];

    public IReadOnlyList<DevelopmentMonitor> Monitors => [.. options.Value.Development.Monitors];

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public IActionResult OnGet() =>
        !Development && !CitizensConfigured ? ChallengeCoach() : Page();

    public IActionResult OnPostCoach() => Development ? BadRequest() : ChallengeCoach();

    public IActionResult OnPostClient() =>
        Development || !CitizensConfigured
            ? BadRequest()
            : Challenge(new AuthenticationProperties { RedirectUri = "/mij" }, ProductionHubUserTokens.CitizenScheme);

    public async Task<IActionResult> OnPostAsync(string? who)
    {
        if (!Development)
        {
            return BadRequest();
        }

        ClaimsIdentity identity;
        string target;
        if (Pick(who, "coach-", Coaches.Count) is { } coachIndex)
        {
            var coach = Coaches[coachIndex];
            identity = new ClaimsIdentity(
                [
                    new Claim(ClaimTypes.NameIdentifier, coach.CoachId),
                    new Claim(ClaimTypes.Name, coach.DisplayName),
                    new Claim(SignInClaims.Party, coach.Party),
                    new Claim(SignInClaims.Kind, SignInClaims.Coach),
                ],
                CookieAuthenticationDefaults.AuthenticationScheme);
            target = SafeReturn("/coach");
        }
        else if (Pick(who, "client-", Clients.Count) is { } clientIndex)
        {
            var client = Clients[clientIndex];
            identity = new ClaimsIdentity(
                [
                    new Claim(ClaimTypes.NameIdentifier, "client-" + clientIndex),
                    new Claim(ClaimTypes.Name, client.DisplayName),
                    new Claim(SignInClaims.Bsn, client.Bsn),
                    new Claim(SignInClaims.Kind, SignInClaims.Client),
                ],
                CookieAuthenticationDefaults.AuthenticationScheme);
            target = "/mij";
        }
        else if (Pick(who, "monitor-", Monitors.Count) is { } monitorIndex)
        {
            var monitor = Monitors[monitorIndex];
            identity = new ClaimsIdentity(
                [
                    new Claim(ClaimTypes.NameIdentifier, "monitor-" + monitorIndex),
                    new Claim(ClaimTypes.Name, monitor.DisplayName),
                    new Claim(SignInClaims.Party, monitor.Party),
                    new Claim(SignInClaims.Kind, SignInClaims.Monitor),
                ],
                CookieAuthenticationDefaults.AuthenticationScheme);
            target = "/monitor";
        }
        else
        {
            return BadRequest();
        }

        await HttpContext.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity)).ConfigureAwait(false);
        return LocalRedirect(target);
    }

    private static int? Pick(string? who, string prefix, int count) =>
        who is not null && who.StartsWith(prefix, StringComparison.Ordinal) && int.TryParse(who.AsSpan(prefix.Length), out var index) && index >= 0 && index < count
            ? index
            : null;

    private ChallengeResult ChallengeCoach() =>
        Challenge(new AuthenticationProperties { RedirectUri = SafeReturn("/coach") }, OpenIdConnectDefaults.AuthenticationScheme);

    private string SafeReturn(string fallback) => !string.IsNullOrEmpty(ReturnUrl) && Url.IsLocalUrl(ReturnUrl) ? ReturnUrl : fallback;
}

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
/// Signing in. With Entra ID the page hands over to the identity provider at once; the development sign-in (Development
/// only, refused at start-up elsewhere) lets one pick a configured demo coach.
/// </summary>
public sealed class SignInModel(IOptions<WebOptions> options) : PageModel
{
    public IReadOnlyList<DevelopmentCoach> Coaches => [.. options.Value.Development.Coaches];

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public IActionResult OnGet()
    {
        if (options.Value.SignIn != SignInMode.Development)
        {
            return Challenge(new AuthenticationProperties { RedirectUri = SafeReturn() }, OpenIdConnectDefaults.AuthenticationScheme);
        }

        return Page();
    }

    public async Task<IActionResult> OnPostAsync(int coach)
    {
        if (options.Value.SignIn != SignInMode.Development || coach < 0 || coach >= Coaches.Count)
        {
            return BadRequest();
        }

        var chosen = Coaches[coach];
        var identity = new ClaimsIdentity(
            [
                new Claim(ClaimTypes.NameIdentifier, chosen.CoachId),
                new Claim(ClaimTypes.Name, chosen.DisplayName),
                new Claim(SignInClaims.Party, chosen.Party),
            ],
            CookieAuthenticationDefaults.AuthenticationScheme);
        await HttpContext.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity)).ConfigureAwait(false);
        return LocalRedirect(SafeReturn());
    }

    private string SafeReturn() => !string.IsNullOrEmpty(ReturnUrl) && Url.IsLocalUrl(ReturnUrl) ? ReturnUrl : "/coach";
}

using Ketenhub.Web.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Ketenhub.Web.Pages;

/// <summary>The start page: a client's own page, or the coach's caseload.</summary>
public sealed class IndexModel : PageModel
{
    public IActionResult OnGet() =>
        Redirect(SignInClaims.IsClient(User) ? "/mij" : User.HasClaim(SignInClaims.Kind, SignInClaims.Coach) ? "/coach" : "/monitor");
}

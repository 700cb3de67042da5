using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Ketenhub.Web.Pages;

/// <summary>The start page is the coach's caseload.</summary>
public sealed class IndexModel : PageModel
{
    public IActionResult OnGet() => Redirect("/coach");
}

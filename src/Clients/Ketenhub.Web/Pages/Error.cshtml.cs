using Ketenhub.Client;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Ketenhub.Web.Pages;

/// <summary>What went wrong, in words; never the hub's message (it is written for programs) and never personal data.</summary>
[IgnoreAntiforgeryToken]
public sealed class ErrorModel : PageModel
{
    public string Title { get; private set; } = "Er ging iets mis";

    public string Message { get; private set; } = "Probeer het later nog eens.";

    public void OnGet(int? status) => Describe(status);

    public void OnPost(int? status) => Describe(status);

    private void Describe(int? status)
    {
        var error = HttpContext.Features.Get<IExceptionHandlerFeature>()?.Error;
        if (error is KetenhubException hub)
        {
            (Title, Message, Response.StatusCode) = hub.StatusCode switch
            {
                Grpc.Core.StatusCode.NotFound => ("Niet gevonden", "Deze cliënt of dit onderdeel bestaat niet, of je mag het niet zien.", 404),
                Grpc.Core.StatusCode.PermissionDenied => ("Dit mag je niet zien", "Je organisatie heeft hiervoor geen rol of geen toestemming.", 403),
                Grpc.Core.StatusCode.Unavailable or Grpc.Core.StatusCode.DeadlineExceeded => ("De hub is niet bereikbaar", "Probeer het over een paar minuten nog eens.", 503),
                _ => ("Er ging iets mis", "De hub kon dit niet doen. Probeer het later nog eens.", 500),
            };
            return;
        }

        if (status is 404)
        {
            (Title, Message) = ("Niet gevonden", "Deze pagina bestaat niet.");
        }
        else if (status is 403)
        {
            (Title, Message) = ("Dit mag je niet zien", "Je hebt geen toegang tot deze pagina.");
        }
    }
}

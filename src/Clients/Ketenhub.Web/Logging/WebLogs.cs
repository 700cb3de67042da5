using System.Security.Claims;
using Ketenhub.Identity;
using Ketenhub.Web.Identity;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Routing;

namespace Ketenhub.Web.Logging;

/// <summary>
/// The web app's logs, as the hub's (docs/operations.md, "Logs"): outside Development one JSON object per line with a UTC
/// timestamp and the request's scopes, unless <c>Logging:Console:FormatterName</c> names a format; each formatter setting
/// given in configuration still wins. Each request's scope adds who is signed in by kind (coach, client, monitor), the
/// coach's party, and the page's route pattern: never a name, a BSN, a client id or a query string.
/// </summary>
public static partial class WebLogs
{
    /// <summary>Makes the console speak JSON outside Development (a setting given in configuration wins).</summary>
    public static void UseJsonOutsideDevelopment(WebApplicationBuilder builder)
    {
        var console = builder.Configuration.GetSection("Logging:Console");
        if (builder.Environment.IsDevelopment() || !string.IsNullOrEmpty(console["FormatterName"]))
        {
            return;
        }

        var given = console.GetSection("FormatterOptions");
        builder.Logging.AddJsonConsole(json =>
        {
            json.IncludeScopes = given.GetValue(nameof(json.IncludeScopes), true);
            json.UseUtcTimestamp = given.GetValue(nameof(json.UseUtcTimestamp), true);
            json.TimestampFormat = given[nameof(json.TimestampFormat)] ?? "yyyy-MM-ddTHH:mm:ss.fffZ";

            // A log is no HTML page: Dutch letters and quotes stay readable instead of \u escapes.
            json.JsonWriterOptions = new System.Text.Json.JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        });
    }

    /// <summary>
    /// Opens the request's log scope, first of all middleware so that the exception handler's record of a failure is
    /// inside it too: <c>SignedIn</c> (coach, client, monitor or none), <c>Party</c> (a coach's organisation) and
    /// <c>Page</c> (the endpoint's route pattern). The values are read when a record is written, so a record written
    /// after sign-in and routing carries them.
    /// </summary>
    public static async Task ScopeAsync(HttpContext context, RequestDelegate next)
    {
        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Ketenhub.Web.Requests");
        using (logger.BeginScope(new RequestScope(context)))
        {
            await next(context).ConfigureAwait(false);
        }
    }

    /// <summary>What the request's scope says (also used by tests).</summary>
    public static IReadOnlyList<KeyValuePair<string, object?>> Describe(HttpContext context)
    {
        var user = context.User;
        var kind = user.Identity?.IsAuthenticated != true ? "none"
            : user.HasClaim(SignInClaims.Kind, SignInClaims.Monitor) ? SignInClaims.Monitor
            : SignInClaims.IsClient(user) ? SignInClaims.Client
            : SignInClaims.Coach;
        var scope = new List<KeyValuePair<string, object?>> { new("SignedIn", kind) };

        // A client's own pages name no party: the client is the person the data is about. A coach's party is the
        // development sign-in's claim, or with Entra ID the app role party.{id}.
        if (kind != SignInClaims.Client && PartyOf(user) is { Length: > 0 } party)
        {
            scope.Add(new("Party", party));
        }

        // After a failure the error page runs in the same request: the record names the page that failed.
        if ((context.Features.Get<IExceptionHandlerFeature>()?.Endpoint ?? context.GetEndpoint()) is RouteEndpoint route)
        {
            scope.Add(new("Page", "/" + (route.RoutePattern.RawText ?? string.Empty).TrimStart('/')));
        }

        return scope;
    }

    private static string? PartyOf(ClaimsPrincipal user) =>
        user.FindFirstValue(SignInClaims.Party)
        ?? user.FindAll("roles").Concat(user.FindAll(ClaimTypes.Role))
            .Select(c => c.Value)
            .FirstOrDefault(v => v.StartsWith(LocalTokens.PartyRolePrefix, StringComparison.Ordinal))?[LocalTokens.PartyRolePrefix.Length..];

    /// <summary>A request's scope, read from the request when a record is written.</summary>
    private sealed class RequestScope(HttpContext context) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public int Count => Describe(context).Count;

        public KeyValuePair<string, object?> this[int index] => Describe(context)[index];

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => Describe(context).GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => string.Join(", ", Describe(context).Select(p => p.Key + ": " + p.Value));
    }
}

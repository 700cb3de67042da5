using System.Security.Claims;
using System.Security.Cryptography;
using Ketenhub.Identity;
using Ketenhub.Web.Configuration;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Options;
using Microsoft.Identity.Web;

namespace Ketenhub.Web.Identity;

/// <summary>The signed-in person's token for the hub: the app passes it on with every call and holds no rights of its own.</summary>
public interface IHubUserTokens
{
    /// <summary>A token for the person signed in on <paramref name="context"/>, without the <c>Bearer</c> prefix.</summary>
    ValueTask<string> GetAsync(HttpContext context, CancellationToken cancellationToken);
}

/// <summary>Who is signed in, as the app's own cookie says: a coach (who works for a party) or a client (the person the data is about).</summary>
public static class SignInClaims
{
    /// <summary>The party the signed-in coach works for.</summary>
    public const string Party = "ketenhub_party";

    /// <summary>What kind of person is signed in: <see cref="Coach"/> or <see cref="Client"/>.</summary>
    public const string Kind = "ketenhub_kind";

    public const string Coach = "coach";

    public const string Client = "client";

    public const string Monitor = "monitor";

    /// <summary>The authorisation policy of the pilot monitor's page.</summary>
    public const string MonitorPolicy = "Monitor";

    /// <summary>The development sign-in's BSN of a demo client (the cookie is encrypted and signed by the app).</summary>
    public const string Bsn = "ketenhub_bsn";

    /// <summary>The authorisation policy of the coach's pages.</summary>
    public const string CoachPolicy = "Coach";

    /// <summary>The authorisation policy of the client's pages.</summary>
    public const string ClientPolicy = "Client";

    public static bool IsClient(ClaimsPrincipal user) => user.HasClaim(Kind, Client);
}

/// <summary>
/// Development only: mints the development issuer's token for whoever was picked on the sign-in page: for a coach a
/// person's token (the party, the coach's id as the person), for a client a citizen's token naming the BSN. Five minutes
/// long, signed with the development issuer's key, which the hub in Development trusts.
/// </summary>
public sealed class DevelopmentHubUserTokens : IHubUserTokens, IDisposable
{
    private readonly ECDsa _key;
    private readonly DevelopmentSignInOptions _options;
    private readonly TimeProvider _time;

    public DevelopmentHubUserTokens(IOptions<WebOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value.Development;
        _time = time;
        _key = LocalTokens.LoadOrCreateKey(_options.KeyFile ?? LocalTokens.DefaultDevelopmentKeyFile);
    }

    public ValueTask<string> GetAsync(HttpContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var now = _time.GetUtcNow();
        if (SignInClaims.IsClient(context.User))
        {
            var bsn = context.User.FindFirstValue(SignInClaims.Bsn) ?? throw new InvalidOperationException("The signed-in client has no BSN.");
            return ValueTask.FromResult(LocalTokens.MintCitizen(_key, _options.Issuer, _options.CitizenAudience, bsn, now.AddMinutes(-1), now.AddMinutes(5)));
        }

        var party = context.User.FindFirstValue(SignInClaims.Party);
        var person = context.User.FindFirstValue(ClaimTypes.NameIdentifier);
        if (string.IsNullOrEmpty(party) || string.IsNullOrEmpty(person))
        {
            throw new InvalidOperationException("Nobody is signed in on this request.");
        }

        string[] roles = context.User.HasClaim(SignInClaims.Kind, SignInClaims.Monitor) ? [SignInClaims.Monitor] : [];
        return ValueTask.FromResult(LocalTokens.Mint(_key, _options.Issuer, _options.Audience, party, person, roles, now.AddMinutes(-1), now.AddMinutes(5)));
    }

    public void Dispose() => _key.Dispose();
}

/// <summary>
/// Production: a coach's delegated access token for the hub's scope from Microsoft.Identity.Web's token cache; a client's
/// access token of the citizens' provider, kept with the sign-in.
/// </summary>
public sealed class ProductionHubUserTokens(ITokenAcquisition tokens, IOptions<WebOptions> options) : IHubUserTokens
{
    /// <summary>The authentication scheme of the citizens' provider.</summary>
    public const string CitizenScheme = "Citizens";

    public async ValueTask<string> GetAsync(HttpContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (SignInClaims.IsClient(context.User))
        {
            return await context.GetTokenAsync(CitizenScheme, "access_token").ConfigureAwait(false)
                ?? throw new InvalidOperationException("The citizens' provider gave no access token.");
        }

        // The scheme is named: the app's default scheme is its cookie, from which Microsoft.Identity.Web cannot tell the
        // Entra instance ("IDW10503"), so a coach's token must be asked of the OpenID Connect (Entra ID) scheme.
        return await tokens.GetAccessTokenForUserAsync([options.Value.HubScope!], authenticationScheme: OpenIdConnectDefaults.AuthenticationScheme, user: context.User)
            .ConfigureAwait(false);
    }
}

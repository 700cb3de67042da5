using System.Security.Claims;
using System.Security.Cryptography;
using Ketenhub.Identity;
using Ketenhub.Web.Configuration;
using Microsoft.Extensions.Options;
using Microsoft.Identity.Web;

namespace Ketenhub.Web.Identity;

/// <summary>The signed-in person's token for the hub: the app passes it on with every call and holds no rights of its own.</summary>
public interface IHubUserTokens
{
    /// <summary>A token for the person signed in on <paramref name="context"/>, without the <c>Bearer</c> prefix.</summary>
    ValueTask<string> GetAsync(HttpContext context, CancellationToken cancellationToken);
}

/// <summary>The claims the development sign-in puts in its cookie.</summary>
public static class SignInClaims
{
    /// <summary>The party the signed-in coach works for.</summary>
    public const string Party = "ketenhub_party";
}

/// <summary>
/// Development only: mints the development issuer's token for the coach picked on the sign-in page (the party from the
/// cookie, the person as the coach's id), valid for five minutes, signed with the development issuer's key, which the
/// hub in Development trusts.
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
        var party = context.User.FindFirstValue(SignInClaims.Party);
        var person = context.User.FindFirstValue(ClaimTypes.NameIdentifier);
        if (string.IsNullOrEmpty(party) || string.IsNullOrEmpty(person))
        {
            throw new InvalidOperationException("Nobody is signed in on this request.");
        }

        var now = _time.GetUtcNow();
        return ValueTask.FromResult(LocalTokens.Mint(_key, _options.Issuer, _options.Audience, party, person, [], now.AddMinutes(-1), now.AddMinutes(5)));
    }

    public void Dispose() => _key.Dispose();
}

/// <summary>With Entra ID: the signed-in person's access token for the hub's scope, from Microsoft.Identity.Web's token cache.</summary>
public sealed class EntraHubUserTokens(ITokenAcquisition tokens, IOptions<WebOptions> options) : IHubUserTokens
{
    public async ValueTask<string> GetAsync(HttpContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        return await tokens.GetAccessTokenForUserAsync([options.Value.HubScope!], user: context.User).ConfigureAwait(false);
    }
}

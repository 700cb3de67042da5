using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Claims;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Host.Transport;
using Ketenhub.Hub.Parties;
using Ketenhub.Identity;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Ketenhub.Hub.Host.Identity;

/// <summary>
/// Bearer tokens after validation: remembers each validated token (keyed by the token string, until it expires)
/// so a repeated token skips signature checking, and maps a token's claims to the <see cref="Actor"/>, once per
/// validated token. The party comes from an app role <c>party.{id}</c> or from
/// <c>Identity:Tokens:ClientParties</c> for the calling application (<c>azp</c>/<c>appid</c>); the other app roles
/// are the actor's roles; a person's (delegated) token, one with a <c>scp</c> claim, names the person by its
/// <c>oid</c> (else <c>sub</c>).
/// </summary>
public sealed class BearerTokens(IOptions<IdentityOptions> options, PartyDirectory parties, TimeProvider time, RefusalLog refusals)
{
    private readonly ConcurrentDictionary<string, Entry> _validated = new(StringComparer.Ordinal);
    private readonly ConditionalWeakTable<ClaimsPrincipal, Mapped> _actors = [];
    private readonly int _capacity = options.Value.Tokens.CacheSize;
    private readonly Dictionary<string, string> _clientParties = new(options.Value.Tokens.ClientParties, StringComparer.OrdinalIgnoreCase);

    /// <summary>How many validated tokens are remembered now.</summary>
    public int Count => _validated.Count;

    /// <summary>Adds the cache to the JWT bearer events (first in line, before Microsoft.Identity.Web's own handlers).</summary>
    public void Attach(JwtBearerOptions jwt)
    {
        jwt.Events ??= new JwtBearerEvents();
        jwt.Events.OnMessageReceived = context =>
        {
            var token = TokenOf(context.Request.Headers.Authorization.ToString());
            if (token is not null && _validated.TryGetValue(token, out var entry))
            {
                if (entry.Expires > time.GetUtcNow())
                {
                    context.Principal = entry.Principal;
                    context.Success();
                }
                else
                {
                    _validated.TryRemove(token, out _);
                }
            }

            return Task.CompletedTask;
        };
        jwt.Events.OnTokenValidated = context =>
        {
            // Runs after Microsoft.Identity.Web's claim checks; a token they failed is not remembered.
            if (context.Result is null && context.Principal is not null && context.SecurityToken is { } security)
            {
                var token = TokenOf(context.Request.Headers.Authorization.ToString());
                if (token is not null)
                {
                    Remember(token, context.Principal, security.ValidTo);
                }
            }

            return Task.CompletedTask;
        };
        jwt.Events.OnAuthenticationFailed = context =>
        {
            // The type names the check that failed (signature, lifetime, issuer, audience); never the token.
            refusals.Refused(ErrorReasons.TokenInvalid, "Bearer token (" + context.Exception.GetType().Name + ")");
            return Task.CompletedTask;
        };
    }

    /// <summary>
    /// The actor of the token in an <c>Authorization</c> header when the token was validated before, has not expired and
    /// names a party; else null. A look-up: nothing is validated.
    /// </summary>
    public Actor? Remembered(string authorization) =>
        TokenOf(authorization) is { } token && _validated.TryGetValue(token, out var entry) && entry.Expires > time.GetUtcNow()
            ? Resolve(entry.Principal, out _)
            : null;

    /// <summary>The actor a validated token names, or null with the reason it names none.</summary>
    public Actor? Resolve(ClaimsPrincipal principal, out string? problem)
    {
        var mapped = _actors.GetValue(principal, Map);
        problem = mapped.Problem;
        return mapped.Actor;
    }

    private void Remember(string token, ClaimsPrincipal principal, DateTime validTo)
    {
        if (_validated.Count >= _capacity)
        {
            var now = time.GetUtcNow();
            foreach (var (key, old) in _validated)
            {
                if (old.Expires <= now)
                {
                    _validated.TryRemove(key, out _);
                }
            }

            if (_validated.Count >= _capacity)
            {
                _validated.Clear();
            }
        }

        var expires = validTo == DateTime.MinValue ? time.GetUtcNow() : new DateTimeOffset(DateTime.SpecifyKind(validTo, DateTimeKind.Utc));
        _validated[token] = new Entry(principal, expires);
    }

    private Mapped Map(ClaimsPrincipal principal)
    {
        var candidates = new HashSet<string>(StringComparer.Ordinal);
        var roles = new List<string>();
        foreach (var claim in principal.FindAll("roles").Concat(principal.FindAll(ClaimTypes.Role)))
        {
            if (claim.Value.StartsWith(LocalTokens.PartyRolePrefix, StringComparison.Ordinal))
            {
                candidates.Add(claim.Value[LocalTokens.PartyRolePrefix.Length..]);
            }
            else if (!roles.Contains(claim.Value, StringComparer.Ordinal))
            {
                roles.Add(claim.Value);
            }
        }

        var client = principal.FindFirst("azp")?.Value ?? principal.FindFirst("appid")?.Value;
        if (client is not null && _clientParties.TryGetValue(client, out var mappedParty))
        {
            candidates.Add(mappedParty);
        }

        if (candidates.Count != 1)
        {
            return new Mapped(null, candidates.Count == 0 ? "The token names no party (an app role party.{id} or a configured client application)." : "The token names more than one party.");
        }

        var party = parties.Find(candidates.First());
        if (party is null)
        {
            return new Mapped(null, "The token names a party the hub does not know.");
        }

        string? user = null;
        if (principal.FindFirst("scp") is not null)
        {
            user = principal.FindFirst("oid")?.Value ?? principal.FindFirst("sub")?.Value;
            if (string.IsNullOrEmpty(user))
            {
                return new Mapped(null, "A person's token must name the person (oid or sub).");
            }
        }

        return new Mapped(new Actor(party, user, roles), null);
    }

    internal static string? TokenOf(string authorization) =>
        authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && authorization.Length > 7 ? authorization[7..].Trim() : null;

    private sealed record Entry(ClaimsPrincipal Principal, DateTimeOffset Expires);

    private sealed record Mapped(Actor? Actor, string? Problem);
}

/// <summary>Configures JWT bearer validation for a local signing key (development issuer or <c>Identity:Jwt</c>).</summary>
internal static class LocalValidation
{
    public static void Apply(JwtBearerOptions jwt, string issuer, string audience, SecurityKey key)
    {
        jwt.Configuration = new Microsoft.IdentityModel.Protocols.OpenIdConnect.OpenIdConnectConfiguration { Issuer = issuer };
        jwt.Configuration.SigningKeys.Add(key);
        var parameters = jwt.TokenValidationParameters;
        parameters.ValidIssuer = issuer;
        parameters.IssuerValidator = (candidate, _, _) =>
            string.Equals(candidate, issuer, StringComparison.Ordinal) ? candidate : throw new SecurityTokenInvalidIssuerException("The token's issuer is not the configured issuer.");
        parameters.ValidAudience = audience;
        parameters.IssuerSigningKeys = [key];
    }
}

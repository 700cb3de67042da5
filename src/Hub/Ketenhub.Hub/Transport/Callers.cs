using Ketenhub.Contracts;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Host.Identity;
using Ketenhub.Hub.Parties;
using Microsoft.Extensions.Options;

namespace Ketenhub.Hub.Host.Transport;

/// <summary>
/// Who is calling (docs/security.md). A call proves its party with a client certificate on the Partner endpoint
/// (mutual TLS), a bearer token (Microsoft Entra ID or a configured signing key), or both; when it presents more
/// than one identity they must name the same party, and a token, being the more specific identity, supplies the
/// person and the roles. In Development only, the <c>ketenhub-party</c> header may name the party. A call that
/// proves no known party is refused with <c>CALLER_UNKNOWN</c>; an invalid token with <c>TOKEN_INVALID</c>, never
/// falling back to a weaker identity.
/// </summary>
public sealed class Callers
{
    /// <summary>With the development header: the person acting through the party (Development only).</summary>
    public const string UserHeader = "ketenhub-user";

    /// <summary>With the development header: the roles of the call, comma-separated (Development only).</summary>
    public const string RolesHeader = "ketenhub-roles";

    private readonly PartyDirectory _parties;
    private readonly ClientCertificates _certificates;
    private readonly BearerTokens _tokens;
    private readonly Dictionary<string, Actor>? _headerActors;

    public Callers(PartyDirectory parties, ClientCertificates certificates, BearerTokens tokens, IOptions<IdentityOptions> options, IHostEnvironment environment)
    {
        _parties = parties;
        _certificates = certificates;
        _tokens = tokens;
        if (options.Value.DevelopmentHeader && environment.IsDevelopment())
        {
            _headerActors = parties.All.ToDictionary(p => p.Id, p => new Actor(p, null, []), StringComparer.Ordinal);
        }
    }

    /// <summary>Whether the development header is honoured.</summary>
    public bool HeaderEnabled => _headerActors is not null;

    /// <summary>
    /// The calling party of any HTTP request on the hub (a gRPC call or an adapter's inbound endpoint), by the same
    /// rules: client certificate, bearer token, or in Development the <c>ketenhub-party</c> header; with the person
    /// acting through it (if the identity names one) and the roles it grants. The call pipeline resolves it once per
    /// call (<see cref="CallIdentity"/>); services read it from the call (<see cref="HubCalls"/>).
    /// </summary>
    public Actor ResolveActor(HttpContext http)
    {
        Actor? actor = null;
        if (http.Connection.ClientCertificate is { } certificate)
        {
            actor = _certificates.Resolve(certificate) ?? throw Unknown("The client certificate is not mapped to a party.");
        }

        if (http.Request.Headers.Authorization.Count > 0)
        {
            if (http.User.Identity?.IsAuthenticated != true)
            {
                throw new HubException(ErrorCategory.Unauthenticated, ErrorReasons.TokenInvalid, "The bearer token is not valid: its signature, issuer, audience or lifetime does not check out.");
            }

            var fromToken = _tokens.Resolve(http.User, out var problem) ?? throw Unknown(problem ?? "The token names no party.");
            if (actor is not null && actor.Party.Id != fromToken.Party.Id)
            {
                throw Mismatch();
            }

            actor = fromToken;
        }

        if (_headerActors is not null && Header(http, DevelopmentHeaders.Party) is { } id)
        {
            if (!_headerActors.TryGetValue(id, out var named))
            {
                throw Unknown($"The '{DevelopmentHeaders.Party}' header names no known party.");
            }

            if (actor is not null && actor.Party.Id != named.Party.Id)
            {
                throw Mismatch();
            }

            actor ??= WithDevelopmentPerson(named, http);
        }

        return actor ?? throw Unknown(_headerActors is null
            ? "The call must identify its party with a client certificate or a bearer token."
            : $"The call must identify its party with a client certificate, a bearer token or (Development only) the '{DevelopmentHeaders.Party}' header.");
    }

    /// <summary>
    /// Whether the request carries an identity the hub has checked before and that names a party: a bearer token it
    /// remembers as validated, a client certificate mapped to a party, or (Development) the header naming a party. A
    /// cheap look-up, without validating anything, so a connection that floods the hub with unknown callers can be
    /// refused before any identity work while a known caller on it is not (<see cref="UnknownCallerLimiter"/>).
    /// </summary>
    public bool IsRecognised(HttpContext http)
    {
        if (http.Request.Headers.Authorization.Count > 0)
        {
            return _tokens.Remembered(http.Request.Headers.Authorization.ToString()) is not null;
        }

        if (http.Connection.ClientCertificate is { } certificate)
        {
            return _certificates.Resolve(certificate) is not null;
        }

        return _headerActors is not null && Header(http, DevelopmentHeaders.Party) is { } id && _headerActors.ContainsKey(id);
    }

    // The development identity may name a person and roles in headers, as a token's claims would.
    private static Actor WithDevelopmentPerson(Actor named, HttpContext http)
    {
        var user = Header(http, UserHeader);
        var roles = Header(http, RolesHeader);
        if (string.IsNullOrWhiteSpace(user) && string.IsNullOrWhiteSpace(roles))
        {
            return named;
        }

        return named with
        {
            UserId = string.IsNullOrWhiteSpace(user) ? null : user.Trim(),
            Roles = string.IsNullOrWhiteSpace(roles) ? [] : [.. roles.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
        };
    }

    // The header's value, or null when absent (gRPC metadata arrives as HTTP headers; the last one counts, as in gRPC metadata).
    private static string? Header(HttpContext http, string name) =>
        http.Request.Headers.TryGetValue(name, out var values) && values.Count > 0 ? values[values.Count - 1] : null;

    private static HubException Unknown(string message) => new(ErrorCategory.Unauthenticated, ErrorReasons.CallerUnknown, message);

    private static HubException Mismatch() =>
        HubException.Denied(ErrorReasons.CallerMismatch, "The call's identities (client certificate, token, header) name different parties.");
}

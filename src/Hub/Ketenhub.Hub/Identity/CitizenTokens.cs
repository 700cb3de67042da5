using System.Security.Cryptography;
using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Host.Transport;
using Ketenhub.Hub.Storage;
using Ketenhub.Identity;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.IdentityModel.Tokens;

namespace Ketenhub.Hub.Host.Identity;

/// <summary>
/// The tokens of the people the data is about (<see cref="CitizenTokenOptions"/>): an authentication scheme of their own,
/// used only by <c>SelfService</c>'s policy (<see cref="CallPipeline.CitizenCallerPolicy"/>), so a citizen's token opens
/// nothing else and no party's token opens <c>SelfService</c>. The hub maps the token's BSN to its client itself.
/// </summary>
public static class CitizenTokens
{
    /// <summary>The authentication scheme of citizens' tokens.</summary>
    public const string Scheme = "Citizen";

    /// <summary>Registers the scheme when citizens' tokens are configured, or in Development with the development issuer on.</summary>
    public static void Add(WebApplicationBuilder builder, Microsoft.AspNetCore.Authentication.AuthenticationBuilder authentication, IdentityOptions settings)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(authentication);
        ArgumentNullException.ThrowIfNull(settings);
        string issuer, audience;
        Func<SecurityKey> key;
        if (settings.Citizens.IsConfigured)
        {
            issuer = settings.Citizens.Issuer ?? string.Empty;
            audience = settings.Citizens.Audience ?? string.Empty;
            var file = settings.Citizens.SigningKeyFile ?? string.Empty;
            key = () => SigningKeys.TryLoad(file, out var loaded) is null ? SigningKeys.ToSecurityKey(loaded!) : throw new InvalidOperationException("Identity:Citizens:SigningKeyFile holds no usable key.");
        }
        else if (builder.Environment.IsDevelopment() && settings.DevelopmentIssuer.Enabled)
        {
            issuer = LocalTokens.DevelopmentIssuer;
            audience = LocalTokens.DevelopmentCitizenAudience;
            key = () => IdentitySetup.DevelopmentIssuerKey(settings);
        }
        else
        {
            // Without citizens' tokens SelfService refuses every call: its policy has no scheme to authenticate with.
            builder.Services.Configure<AuthorizationOptions>(o => o.AddPolicy(CallPipeline.CitizenCallerPolicy, p => p.AddRequirements(new CitizenCallerRequirement())));
            return;
        }

        builder.Services.Configure<AuthorizationOptions>(o => o.AddPolicy(
            CallPipeline.CitizenCallerPolicy,
            p => p.AddAuthenticationSchemes(Scheme).AddRequirements(new CitizenCallerRequirement())));
        var signingKey = new Lazy<SecurityKey>(key);
        authentication.AddJwtBearer(Scheme, jwt =>
        {
            jwt.MapInboundClaims = false;
            LocalValidation.Apply(jwt, issuer, audience, signingKey.Value);
            var parameters = jwt.TokenValidationParameters;
            IdentitySetup.RequireEveryCheck(parameters);

            // The identity says which scheme made it, so the policy's handler accepts only a citizen's token.
            parameters.AuthenticationType = Scheme;
            jwt.Events = new JwtBearerEvents
            {
                OnAuthenticationFailed = context =>
                {
                    // The type names the check that failed; never the token.
                    context.HttpContext.RequestServices.GetRequiredService<RefusalLog>()
                        .Refused(ErrorReasons.TokenInvalid, "Citizen token (" + context.Exception.GetType().Name + ")");
                    return Task.CompletedTask;
                },
            };
        });
    }
}

/// <summary>The requirement of <see cref="CallPipeline.CitizenCallerPolicy"/>: a valid citizen's token whose BSN the hub knows.</summary>
public sealed class CitizenCallerRequirement : IAuthorizationRequirement;

/// <summary>
/// Holds <see cref="CitizenCallerRequirement"/> for a principal of the citizens' scheme with a valid BSN the hub holds a
/// client for, and keeps that client on the call (<see cref="HubCall.Citizen"/>). A token without a valid BSN is
/// TOKEN_INVALID; a BSN the hub holds nothing about is CLIENT_NOT_FOUND.
/// </summary>
public sealed class CitizenCallerHandler(IHubStore store, BsnHasher hasher, Microsoft.Extensions.Options.IOptions<IdentityOptions> options, UnknownCallerLimiter unknownCallers) : AuthorizationHandler<CitizenCallerRequirement>
{
    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, CitizenCallerRequirement requirement)
    {
        if (context.Resource is not HttpContext http)
        {
            context.Fail();
            return;
        }

        var call = http.Features.Get<HubCall>() ?? new HubCall();
        http.Features.Set(call);
        var principal = context.User;
        if (principal.Identity?.IsAuthenticated != true || principal.Identity.AuthenticationType != CitizenTokens.Scheme)
        {
            // No token, or a party's valid token, proves no citizen: CALLER_UNKNOWN, as a valid token naming no known party
            // elsewhere (a known party calling the wrong service spends no allowance). Any other bearer token that did not
            // pass (forged, expired, another issuer or audience) is TOKEN_INVALID and spends the connection's allowance.
            var bearer = http.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase);
            if (!bearer || await IsPartyTokenAsync(http).ConfigureAwait(false))
            {
                call.Refused(CallIdentity.Unknown("SelfService needs a citizen's token of the configured citizens' identity provider."));
            }
            else
            {
                Refuse(http, call, new HubException(ErrorCategory.Unauthenticated, ErrorReasons.TokenInvalid, "The token is not a valid citizen's token of the configured citizens' identity provider."));
            }

            context.Fail();
            return;
        }

        var bsn = principal.FindFirst(options.Value.Citizens.BsnClaim)?.Value;
        if (!Bsn.IsValid(bsn))
        {
            Refuse(http, call, new HubException(ErrorCategory.Unauthenticated, ErrorReasons.TokenInvalid, "The citizen's token names no valid BSN."));
            context.Fail();
            return;
        }

        var hash = hasher.Hash(bsn!);
        var client = await store.ReadAsync(session => session.FindClientByBsnHash(hash), http.RequestAborted).ConfigureAwait(false);
        if (client is null)
        {
            Refuse(http, call, HubException.NotFound(ErrorReasons.ClientNotFound, "The hub holds nothing about this person."));
            context.Fail();
            return;
        }

        call.CitizenIdentified(new Citizen(client.Id));
        context.Succeed(requirement);
    }

    // A connection's refused citizens' tokens share the allowance of calls that prove no known caller: past it the answer
    // is RATE_LIMITED, and GuardConnection refuses the connection's next unrecognised calls before any token is checked.
    private void Refuse(HttpContext http, HubCall call, HubException refusal) =>
        call.Refused(unknownCallers.TryTake(http, out var retryAfter) ? refusal : UnknownCallerLimiter.RateLimited(retryAfter));

    private static async Task<bool> IsPartyTokenAsync(HttpContext http)
    {
        var schemes = http.RequestServices.GetRequiredService<IAuthenticationSchemeProvider>();
        return await schemes.GetSchemeAsync(JwtBearerDefaults.AuthenticationScheme).ConfigureAwait(false) is not null
            && (await http.AuthenticateAsync(JwtBearerDefaults.AuthenticationScheme).ConfigureAwait(false)).Succeeded;
    }
}

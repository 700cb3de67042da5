using System.Security.Cryptography;
using Ketenhub.Hub.Configuration;
using Ketenhub.Hub.Host.Transport;
using Ketenhub.Identity;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Options;
using Microsoft.Identity.Web;
using Microsoft.IdentityModel.Tokens;

namespace Ketenhub.Hub.Host.Identity;

/// <summary>Wires caller identity: options checked at start-up, bearer tokens, client certificates, and <see cref="Callers"/>.</summary>
public static class IdentitySetup
{
    private const string IdentityModelLogCategory = "Microsoft.IdentityModel";

    public static WebApplicationBuilder AddKetenhubIdentity(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;
        services.AddOptions<IdentityOptions>().BindChecked(configuration, IdentityOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<IdentityOptions>, IdentityValidation>();
        services.AddSingleton<ClientCertificates>();
        services.AddSingleton<BearerTokens>();
        services.AddSingleton<Callers>();

        // The token library logs every validation, and every failed one at Error with its details: a stream of bad
        // tokens would flood the log. The hub logs a rejected token itself, through the RefusalLog (once per interval).
        // A setting for the category (Logging:LogLevel:Microsoft.IdentityModel) still decides.
        if (configuration[$"Logging:LogLevel:{IdentityModelLogCategory}"] is null)
        {
            builder.Logging.AddFilter(IdentityModelLogCategory, LogLevel.Critical);
        }

        var settings = ReadSettings(configuration);
        var entra = EntraSettings.From(configuration);
        var development = builder.Environment.IsDevelopment();
        var authentication = services.AddAuthentication();
        if (entra.IsConfigured || settings.Jwt.IsConfigured || (development && settings.DevelopmentIssuer.Enabled))
        {
            AddBearerTokens(builder, authentication, entra, settings, development);
        }

        CitizenTokens.Add(builder, authentication, settings);
        services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationHandler, CitizenCallerHandler>();

        if (PartnerEndpoint.From(configuration).Exists)
        {
            builder.WebHost.ConfigureKestrel((context, kestrel) =>
                kestrel.Configure(context.Configuration.GetSection("Kestrel"), reloadOnChange: false)
                    .Endpoint(IdentityOptions.PartnerEndpoint, endpoint =>
                    {
                        endpoint.HttpsOptions.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
                        endpoint.HttpsOptions.CheckCertificateRevocation = false; // revocation is part of IsTrusted, per Identity:Certificates:RevocationMode
                        var certificates = kestrel.ApplicationServices.GetRequiredService<ClientCertificates>();
                        endpoint.HttpsOptions.ClientCertificateValidation = (certificate, _, _) => certificates.IsTrusted(certificate);
                    }));
        }

        return builder;
    }

    /// <summary>
    /// The identity settings as registration needs them. A value that cannot be bound (say a flag that is not true
    /// or false) leaves the defaults here: the start-up check reports it, with every other problem, before the hub
    /// serves (see <see cref="Configuration.SettingTypes"/>).
    /// </summary>
    private static IdentityOptions ReadSettings(IConfiguration configuration)
    {
        try
        {
            return configuration.GetSection(IdentityOptions.Section).Get<IdentityOptions>() ?? new IdentityOptions();
        }
        catch (InvalidOperationException)
        {
            return new IdentityOptions();
        }
    }

    private static void AddBearerTokens(WebApplicationBuilder builder, Microsoft.AspNetCore.Authentication.AuthenticationBuilder authentication, EntraSettings entra, IdentityOptions settings, bool development)
    {
        const string scheme = JwtBearerDefaults.AuthenticationScheme;
        var services = builder.Services;
        services.Configure<Microsoft.AspNetCore.Authentication.AuthenticationOptions>(o => o.DefaultScheme = scheme);

        // Registered before Microsoft.Identity.Web's own configuration, so the cache is first in the event chain and
        // a configured issuer validator and audience are kept.
        services.AddOptions<JwtBearerOptions>(scheme).Configure<BearerTokens>((jwt, cache) =>
        {
            jwt.MapInboundClaims = false;
            cache.Attach(jwt);
        });

        if (entra.IsConfigured)
        {
            var section = builder.Configuration.GetSection(EntraSettings.Section);
            authentication.AddMicrosoftIdentityWebApi(
                _ => { },
                identity =>
                {
                    section.Bind(identity);
                    identity.Instance ??= "https://login.microsoftonline.com/";
                },
                scheme);
        }
        else
        {
            string issuer, audience;
            Func<SecurityKey> key;
            if (settings.Jwt.IsConfigured)
            {
                issuer = settings.Jwt.Issuer ?? string.Empty;
                audience = settings.Jwt.Audience ?? string.Empty;
                var file = settings.Jwt.SigningKeyFile ?? string.Empty;
                key = () => SigningKeys.TryLoad(file, out var loaded) is null ? SigningKeys.ToSecurityKey(loaded!) : throw new InvalidOperationException("Identity:Jwt:SigningKeyFile holds no usable key.");
            }
            else
            {
                issuer = LocalTokens.DevelopmentIssuer;
                audience = LocalTokens.DevelopmentAudience;
                key = () => DevelopmentIssuerKey(settings);
            }

            var signingKey = new Lazy<SecurityKey>(key);
            services.AddOptions<JwtBearerOptions>(scheme).Configure(jwt => LocalValidation.Apply(jwt, issuer, audience, signingKey.Value));
            authentication.AddMicrosoftIdentityWebApi(
                _ => { },
                identity =>
                {
                    identity.Authority = issuer;
                    identity.ClientId = audience;
                },
                scheme);
        }

        // Whatever configured it, a token's issuer, audience, lifetime and signature are always checked.
        services.PostConfigure<JwtBearerOptions>(scheme, jwt => RequireEveryCheck(jwt.TokenValidationParameters));
    }

    /// <summary>Issuer, audience, lifetime (with an expiry) and signature are always checked, whatever configured the scheme.</summary>
    internal static void RequireEveryCheck(TokenValidationParameters parameters)
    {
        parameters.ValidateIssuer = true;
        parameters.ValidateAudience = true;
        parameters.ValidateLifetime = true;
        parameters.RequireExpirationTime = true;
        parameters.RequireSignedTokens = true;
        parameters.ValidateIssuerSigningKey = true;
    }

    /// <summary>The public half of the development issuer's key (created when missing), as token validation needs it.</summary>
    internal static SecurityKey DevelopmentIssuerKey(IdentityOptions settings)
    {
        var file = string.IsNullOrWhiteSpace(settings.DevelopmentIssuer.KeyFile) ? LocalTokens.DefaultDevelopmentKeyFile : settings.DevelopmentIssuer.KeyFile;
        using var pair = LocalTokens.LoadOrCreateKey(file);
#pragma warning disable CA2000 // The public key lives as long as the token validation that holds it.
        var publicOnly = ECDsa.Create(pair.ExportParameters(includePrivateParameters: false));
#pragma warning restore CA2000
        return SigningKeys.ToSecurityKey(publicOnly);
    }
}

using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Ketenhub.Hub.Parties;
using Microsoft.Extensions.Options;

namespace Ketenhub.Hub.Host.Identity;

/// <summary>
/// Checks the identity settings at start-up and fails closed: outside Development a hub without a real caller
/// identity, or with a development identity switched on, does not start; every message names the setting.
/// </summary>
internal sealed class IdentityValidation(IHostEnvironment environment, IConfiguration configuration, PartyDirectory parties) : IValidateOptions<IdentityOptions>
{
    public ValidateOptionsResult Validate(string? name, IdentityOptions options)
    {
        var errors = new List<string>();
        var development = environment.IsDevelopment();
        var entra = EntraSettings.From(configuration);
        var partner = PartnerEndpoint.From(configuration);

        if (!development && options.DevelopmentHeader)
        {
            errors.Add($"Identity:DevelopmentHeader is allowed only in Development (environment is {environment.EnvironmentName}); configure Identity:Entra, Identity:Jwt or Identity:Certificates instead.");
        }

        if (!development && options.DevelopmentIssuer.Enabled)
        {
            errors.Add($"Identity:DevelopmentIssuer:Enabled is allowed only in Development (environment is {environment.EnvironmentName}).");
        }

        if (options.Citizens.IsConfigured)
        {
            if (string.IsNullOrWhiteSpace(options.Citizens.Issuer))
            {
                errors.Add("Identity:Citizens:Issuer is missing (the exact 'iss' of citizens' tokens).");
            }

            if (string.IsNullOrWhiteSpace(options.Citizens.Audience))
            {
                errors.Add("Identity:Citizens:Audience is missing (the 'aud' of citizens' tokens).");
            }
            else if (string.Equals(options.Citizens.Audience, options.Jwt.Audience, StringComparison.Ordinal)
                || string.Equals(options.Citizens.Audience, Ketenhub.Identity.LocalTokens.DevelopmentAudience, StringComparison.Ordinal))
            {
                errors.Add("Identity:Citizens:Audience must differ from the audience of party tokens, so that no party's token passes as a citizen's.");
            }

            if (string.IsNullOrWhiteSpace(options.Citizens.SigningKeyFile))
            {
                errors.Add("Identity:Citizens:SigningKeyFile is missing (a PEM file with the provider's public key).");
            }
            else if (SigningKeys.TryLoad(options.Citizens.SigningKeyFile, out _) is { } citizenKeyProblem)
            {
                errors.Add($"Identity:Citizens:SigningKeyFile '{options.Citizens.SigningKeyFile}': {citizenKeyProblem}");
            }

            if (string.IsNullOrWhiteSpace(options.Citizens.BsnClaim))
            {
                errors.Add("Identity:Citizens:BsnClaim must name the claim that holds the BSN.");
            }
        }

        if (entra.IsConfigured)
        {
            if (string.IsNullOrWhiteSpace(entra.TenantId))
            {
                errors.Add("Identity:Entra:TenantId is missing (the Microsoft Entra tenant whose tokens the hub accepts).");
            }

            if (string.IsNullOrWhiteSpace(entra.ClientId))
            {
                errors.Add("Identity:Entra:ClientId is missing (the hub's application id in Microsoft Entra ID; tokens must be issued for it).");
            }

            if (options.Jwt.IsConfigured)
            {
                errors.Add("Identity:Entra and Identity:Jwt are both configured; use one token issuer.");
            }
        }

        if (options.Jwt.IsConfigured)
        {
            if (string.IsNullOrWhiteSpace(options.Jwt.Issuer))
            {
                errors.Add("Identity:Jwt:Issuer is missing (the exact 'iss' of accepted tokens).");
            }

            if (string.IsNullOrWhiteSpace(options.Jwt.Audience))
            {
                errors.Add("Identity:Jwt:Audience is missing (the 'aud' of accepted tokens).");
            }

            if (string.IsNullOrWhiteSpace(options.Jwt.SigningKeyFile))
            {
                errors.Add("Identity:Jwt:SigningKeyFile is missing (a PEM file with the issuer's public key).");
            }
            else if (SigningKeys.TryLoad(options.Jwt.SigningKeyFile, out _) is { } problem)
            {
                errors.Add($"Identity:Jwt:SigningKeyFile '{options.Jwt.SigningKeyFile}': {problem}");
            }
        }

        if (options.Tokens.CacheSize is < 1 or > 1_000_000)
        {
            errors.Add("Identity:Tokens:CacheSize must be between 1 and 1000000.");
        }

        foreach (var (clientId, party) in options.Tokens.ClientParties)
        {
            if (parties.Find(party) is null)
            {
                errors.Add($"Identity:Tokens:ClientParties:{clientId} names party '{party}', which is not in the parties file.");
            }
        }

        ValidateCertificates(options.Certificates, partner, errors);

        var anyIdentity = entra.IsConfigured || options.Jwt.IsConfigured || options.Certificates.IsConfigured
            || (development && (options.DevelopmentHeader || options.DevelopmentIssuer.Enabled));
        if (!anyIdentity)
        {
            errors.Add(
                "No caller identity is configured. Set Identity:Entra:TenantId and Identity:Entra:ClientId (Microsoft Entra ID tokens), "
                + "or Identity:Jwt:Issuer, Identity:Jwt:Audience and Identity:Jwt:SigningKeyFile (tokens signed with a known key), "
                + "or Identity:Certificates:TrustedCaFiles and Identity:Certificates:Parties with a Kestrel endpoint Kestrel:Endpoints:Partner (mutual TLS).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private void ValidateCertificates(CertificateOptions options, PartnerEndpoint partner, List<string> errors)
    {
        if (!options.IsConfigured && !partner.Exists)
        {
            return;
        }

        var partnerHttp = Ketenhub.Hub.Host.Inbound.PartnerHttpOptions.Read(configuration);
        var partnerHttpCertificates = partnerHttp.IsHttps && partnerHttp.ClientCertificates != Ketenhub.Hub.Host.Inbound.PartnerClientCertificates.None;
        if (!partner.Exists && !partnerHttpCertificates)
        {
            errors.Add("Identity:Certificates is configured but there is no endpoint to ask for client certificates on: Kestrel:Endpoints:Partner, or Hub:PartnerHttp with an https Url and ClientCertificates Allow or Require.");
        }
        else if (partner.Exists && !partner.IsHttps)
        {
            errors.Add("Kestrel:Endpoints:Partner:Url must be an https:// address: client certificates need TLS.");
        }

        if (options.TrustedCaFiles.Count == 0)
        {
            errors.Add("Identity:Certificates:TrustedCaFiles is missing: name the certificate authorities client certificates must chain to.");
        }

        for (var i = 0; i < options.TrustedCaFiles.Count; i++)
        {
            if (CertificateAuthorities.TryLoad(options.TrustedCaFiles[i], out _) is { } problem)
            {
                errors.Add($"Identity:Certificates:TrustedCaFiles:{i} '{options.TrustedCaFiles[i]}': {problem}");
            }
        }

        if (!Enum.IsDefined(options.RevocationMode))
        {
            errors.Add("Identity:Certificates:RevocationMode must be Online, Offline or NoCheck.");
        }

        if (options.Parties.Count == 0)
        {
            errors.Add("Identity:Certificates:Parties is missing: map each client certificate to a party by Thumbprint or Oin.");
        }

        for (var i = 0; i < options.Parties.Count; i++)
        {
            var mapping = options.Parties[i];
            var where = $"Identity:Certificates:Parties:{i}";
            if (string.IsNullOrWhiteSpace(mapping.Party) || parties.Find(mapping.Party) is null)
            {
                errors.Add($"{where}:Party must name a party in the parties file.");
            }

            var hasThumbprint = !string.IsNullOrWhiteSpace(mapping.Thumbprint);
            var hasOin = !string.IsNullOrWhiteSpace(mapping.Oin);
            if (hasThumbprint == hasOin)
            {
                errors.Add($"{where}: set either Thumbprint or Oin.");
            }
            else if (hasThumbprint && !ClientCertificates.IsThumbprint(mapping.Thumbprint!))
            {
                errors.Add($"{where}:Thumbprint must be 40 (SHA-1) or 64 (SHA-256) hexadecimal digits.");
            }
            else if (hasOin && !(mapping.Oin!.Length == 20 && mapping.Oin.All(char.IsAsciiDigit)))
            {
                errors.Add($"{where}:Oin must be an OIN of twenty digits.");
            }
        }
    }
}

/// <summary>The Microsoft Entra ID settings (section <c>Identity:Entra</c>, read by Microsoft.Identity.Web).</summary>
internal sealed record EntraSettings(string? Instance, string? TenantId, string? ClientId)
{
    public const string Section = "Identity:Entra";

    public bool IsConfigured => !string.IsNullOrWhiteSpace(TenantId) || !string.IsNullOrWhiteSpace(ClientId);

    public static EntraSettings From(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        return new EntraSettings(section["Instance"], section["TenantId"], section["ClientId"]);
    }
}

/// <summary>The Kestrel endpoint named Partner, if configured.</summary>
internal sealed record PartnerEndpoint(bool Exists, bool IsHttps)
{
    public static PartnerEndpoint From(IConfiguration configuration)
    {
        var url = configuration[$"Kestrel:Endpoints:{IdentityOptions.PartnerEndpoint}:Url"];
        return new PartnerEndpoint(!string.IsNullOrWhiteSpace(url), url?.StartsWith("https://", StringComparison.OrdinalIgnoreCase) == true);
    }
}

/// <summary>Reads token signing keys from PEM files.</summary>
internal static class SigningKeys
{
    /// <summary>The signing key as token validation needs it, with the key id the local tokens carry.</summary>
    public static Microsoft.IdentityModel.Tokens.SecurityKey ToSecurityKey(AsymmetricAlgorithm key) => key switch
    {
        ECDsa ec => new Microsoft.IdentityModel.Tokens.ECDsaSecurityKey(ec) { KeyId = Ketenhub.Identity.LocalTokens.KeyId(ec) },
        RSA rsa => new Microsoft.IdentityModel.Tokens.RsaSecurityKey(rsa) { KeyId = Ketenhub.Identity.LocalTokens.KeyId(rsa) },
        _ => throw new InvalidOperationException("Only EC and RSA signing keys are supported."),
    };

    /// <summary>Loads the public key in <paramref name="path"/>; returns a problem description, or null when it loaded.</summary>
    public static string? TryLoad(string path, out AsymmetricAlgorithm? key)
    {
        key = null;
        string pem;
        try
        {
            pem = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"cannot be read ({ex.GetType().Name}).";
        }

        foreach (var create in new Func<AsymmetricAlgorithm>[] { () => ECDsa.Create(), () => RSA.Create() })
        {
            var candidate = create();
            try
            {
                candidate.ImportFromPem(pem);
                key = candidate;
                return null;
            }
            catch (Exception ex) when (ex is ArgumentException or CryptographicException)
            {
                candidate.Dispose();
            }
        }

        return "holds no EC or RSA key in PEM form.";
    }
}

/// <summary>Reads the trusted certificate authorities.</summary>
internal static class CertificateAuthorities
{
    /// <summary>Loads the CA certificates in <paramref name="path"/> (PEM, one or more; or DER); returns a problem, or null.</summary>
    public static string? TryLoad(string path, out X509Certificate2Collection certificates)
    {
        certificates = [];
        try
        {
            var text = File.ReadAllText(path);
            if (text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
            {
                certificates.ImportFromPem(text);
            }
            else
            {
                certificates.Add(X509CertificateLoader.LoadCertificateFromFile(path));
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            return $"cannot be read as a certificate ({ex.GetType().Name}).";
        }

        if (certificates.Count == 0)
        {
            return "holds no certificate.";
        }

        foreach (var certificate in certificates)
        {
            var constraints = certificate.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault();
            if (constraints is null || !constraints.CertificateAuthority)
            {
                return $"certificate {certificate.Thumbprint} is not a certificate authority (basic constraints).";
            }
        }

        return null;
    }
}

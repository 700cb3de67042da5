using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Ketenhub.Hub.Host.Identity;
using Microsoft.Extensions.Options;

namespace Ketenhub.Hub.Host.Inbound;

/// <summary>Whether the partner HTTP endpoint asks for a client certificate (mutual TLS).</summary>
public enum PartnerClientCertificates
{
    /// <summary>No client certificate is asked for; callers prove their party with a bearer token.</summary>
    None,

    /// <summary>A client certificate is asked for and checked when sent; a caller without one may use a bearer token.</summary>
    Allow,

    /// <summary>Every connection must present a trusted client certificate.</summary>
    Require,
}

/// <summary>
/// The partners' own HTTP endpoint (section <c>Hub:PartnerHttp</c>): the FHIR and iWmo inbound endpoints listen here,
/// on HTTP/1.1 and HTTP/2, optionally with TLS and client certificates, apart from the gRPC endpoint (HTTP/2 only).
/// Routes are bound to their endpoint: FHIR and iWmo are not served on the gRPC endpoint and gRPC is not served here.
/// </summary>
public sealed class PartnerHttpOptions
{
    public const string Section = HubOptions.Section + ":PartnerHttp";

    /// <summary>
    /// The address to listen on, <c>http://</c> or <c>https://</c> with an IP address (or <c>localhost</c>, <c>*</c> for every
    /// address) and a port, for example <c>https://0.0.0.0:8443</c>. Empty: no partner endpoint; the FHIR and iWmo endpoints are
    /// then served on the hub's other endpoints (HTTP/2 only), as in-memory tests use them.
    /// </summary>
    public string? Url { get; set; }

    /// <summary>The server certificate (PKCS#12 file with its private key). Required for an https <see cref="Url"/>.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>The password of <see cref="CertificatePath"/>, if it has one.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>
    /// Client certificates (https only): checked against <c>Identity:Certificates</c> (trusted authorities, mapping to a party).
    /// <value>The default value is None.</value>
    /// </summary>
    public PartnerClientCertificates ClientCertificates { get; set; } = PartnerClientCertificates.None;

    /// <summary>Whether a partner endpoint is configured.</summary>
    public bool IsConfigured => !string.IsNullOrWhiteSpace(Url);

    /// <summary>The configured address, or null when it is not one the endpoint can listen on.</summary>
    public Uri? Address =>
        IsConfigured && Uri.TryCreate(Url!.Trim().Replace("://*:", "://0.0.0.0:", StringComparison.Ordinal).Replace("://+:", "://0.0.0.0:", StringComparison.Ordinal), UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
        && uri.AbsolutePath == "/" && !uri.IsDefaultPort && uri.Port > 0
            ? uri
            : null;

    public bool IsHttps => Address?.Scheme == Uri.UriSchemeHttps;

    /// <summary>Loads the server certificate.</summary>
    public X509Certificate2 LoadCertificate() => X509CertificateLoader.LoadPkcs12FromFile(CertificatePath!, CertificatePassword);

    /// <summary>The section as configured, or the defaults when it cannot be bound (the start-up check reports that).</summary>
    public static PartnerHttpOptions Read(IConfiguration configuration)
    {
        try
        {
            return configuration.GetSection(Section).Get<PartnerHttpOptions>() ?? new PartnerHttpOptions();
        }
        catch (InvalidOperationException)
        {
            return new PartnerHttpOptions();
        }
    }
}

/// <summary>Checks <see cref="PartnerHttpOptions"/> at start-up; every message names the setting, never a secret.</summary>
internal sealed class PartnerHttpOptionsValidator(IOptions<IdentityOptions> identity) : IValidateOptions<PartnerHttpOptions>
{
    public ValidateOptionsResult Validate(string? name, PartnerHttpOptions options)
    {
        if (!options.IsConfigured)
        {
            return ValidateOptionsResult.Success;
        }

        var errors = new List<string>();
        if (options.Address is null)
        {
            errors.Add($"{PartnerHttpOptions.Section}:Url must be an http:// or https:// address with an IP address, localhost or *, and an explicit port other than 0, and no path.");
        }
        else if (options.IsHttps)
        {
            if (string.IsNullOrWhiteSpace(options.CertificatePath))
            {
                errors.Add($"{PartnerHttpOptions.Section}:CertificatePath is missing: an https address needs a server certificate (PKCS#12 with its private key).");
            }
            else
            {
                try
                {
                    using var certificate = options.LoadCertificate();
                    if (!certificate.HasPrivateKey)
                    {
                        errors.Add($"{PartnerHttpOptions.Section}:CertificatePath holds no private key.");
                    }
                }
                catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
                {
                    errors.Add($"{PartnerHttpOptions.Section}:CertificatePath cannot be read as a PKCS#12 certificate with that password ({ex.GetType().Name}).");
                }
            }
        }
        else if (options.ClientCertificates != PartnerClientCertificates.None)
        {
            errors.Add($"{PartnerHttpOptions.Section}:ClientCertificates needs an https:// address: client certificates need TLS.");
        }

        if (!Enum.IsDefined(options.ClientCertificates))
        {
            errors.Add($"{PartnerHttpOptions.Section}:ClientCertificates must be None, Allow or Require.");
        }
        else if (options.ClientCertificates != PartnerClientCertificates.None && !identity.Value.Certificates.IsConfigured)
        {
            errors.Add($"{PartnerHttpOptions.Section}:ClientCertificates is {options.ClientCertificates}, but Identity:Certificates (trusted authorities and the mapping to parties) is not configured.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

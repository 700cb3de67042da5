using System.Security.Cryptography.X509Certificates;

namespace Ketenhub.Hub.Host.Identity;

/// <summary>
/// How callers prove who they are (section <c>Identity</c>). Outside Development at least one real identity must be
/// configured: Microsoft Entra ID tokens (<c>Identity:Entra</c>), tokens signed with a configured key
/// (<c>Identity:Jwt</c>), or client certificates on the Kestrel endpoint named <c>Partner</c>
/// (<c>Identity:Certificates</c>). See docs/security.md and docs/operations.md.
/// </summary>
public sealed class IdentityOptions
{
    public const string Section = "Identity";

    /// <summary>The Kestrel endpoint (<c>Kestrel:Endpoints:Partner</c>) that requires a client certificate.</summary>
    public const string PartnerEndpoint = "Partner";

    /// <summary>
    /// Development only: a call may name its party in the <c>ketenhub-party</c> header. The hub refuses to start
    /// with this on in any other environment. <value>The default value is false (on in appsettings.Development.json).</value>
    /// </summary>
    public bool DevelopmentHeader { get; set; }

    /// <summary>Development only: a local token issuer with a generated key (see <c>ketenhub token</c>).</summary>
    public DevelopmentIssuerOptions DevelopmentIssuer { get; set; } = new();

    /// <summary>Tokens signed with a configured key, for a self-hosted issuer, tests and benchmarks.</summary>
    public JwtOptions Jwt { get; set; } = new();

    /// <summary>How a validated token names its party.</summary>
    public TokenOptions Tokens { get; set; } = new();

    /// <summary>Client certificates (mutual TLS) on the Partner endpoint.</summary>
    public CertificateOptions Certificates { get; set; } = new();

    /// <summary>Tokens of the people the data is about, for <c>SelfService</c> (a citizens' identity provider).</summary>
    public CitizenTokenOptions Citizens { get; set; } = new();
}

/// <summary>
/// Tokens of the people the data is about (section <c>Identity:Citizens</c>): a citizens' identity provider (in the
/// Netherlands a DigiD broker) signs a token that names the person by BSN. Only <c>SelfService</c> accepts them, and it
/// accepts nothing else. In Development with the development issuer on, the development issuer's key signs them too,
/// with the audience <c>api://ketenhub-citizens-development</c>.
/// </summary>
public sealed class CitizenTokenOptions
{
    /// <summary>The exact <c>iss</c> a citizen's token must carry.</summary>
    public string? Issuer { get; set; }

    /// <summary>The <c>aud</c> a citizen's token must carry; never the audience of party tokens.</summary>
    public string? Audience { get; set; }

    /// <summary>PEM file with the provider's public signing key (EC or RSA).</summary>
    public string? SigningKeyFile { get; set; }

    /// <summary>The claim that holds the BSN. <value>The default value is <c>bsn</c>.</value></summary>
    public string BsnClaim { get; set; } = "bsn";

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Issuer) || !string.IsNullOrWhiteSpace(Audience) || !string.IsNullOrWhiteSpace(SigningKeyFile);
}

/// <summary>The development issuer (section <c>Identity:DevelopmentIssuer</c>).</summary>
public sealed class DevelopmentIssuerOptions
{
    /// <summary>Trust tokens of the development issuer. Development only. <value>The default value is false.</value></summary>
    public bool Enabled { get; set; }

    /// <summary>The issuer's private key (PEM), created when missing. <value>The default value is the user's local application data folder, <c>ketenhub/development-issuer-key.pem</c>.</value></summary>
    public string? KeyFile { get; set; }
}

/// <summary>Tokens signed with a configured key (section <c>Identity:Jwt</c>).</summary>
public sealed class JwtOptions
{
    /// <summary>The exact <c>iss</c> a token must carry.</summary>
    public string? Issuer { get; set; }

    /// <summary>The <c>aud</c> a token must carry.</summary>
    public string? Audience { get; set; }

    /// <summary>PEM file with the issuer's public key (EC or RSA; a private key file is accepted, only its public part is used).</summary>
    public string? SigningKeyFile { get; set; }

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Issuer) || !string.IsNullOrWhiteSpace(Audience) || !string.IsNullOrWhiteSpace(SigningKeyFile);
}

/// <summary>How a validated token names its party (section <c>Identity:Tokens</c>).</summary>
public sealed class TokenOptions
{
    /// <summary>
    /// Client application ids (the token's <c>azp</c> or <c>appid</c>) mapped to party ids, for partners whose
    /// application is not given a <c>party.{id}</c> app role.
    /// </summary>
    public Dictionary<string, string> ClientParties { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>How many validated tokens are remembered until they expire. <value>The default value is 10000.</value></summary>
    public int CacheSize { get; set; } = 10_000;
}

/// <summary>Client certificates (section <c>Identity:Certificates</c>).</summary>
public sealed class CertificateOptions
{
    /// <summary>PEM or DER files of the certificate authorities a client certificate must chain to (for example the PKIoverheid private services CA).</summary>
    public List<string> TrustedCaFiles { get; set; } = [];

    /// <summary>How revocation is checked: <c>Online</c>, <c>Offline</c> or <c>NoCheck</c>. <value>The default value is Online.</value></summary>
    public X509RevocationMode RevocationMode { get; set; } = X509RevocationMode.Online;

    /// <summary>Which certificate is which party: by thumbprint, or by the OIN in the subject's serialNumber.</summary>
    public List<CertificateMapping> Parties { get; set; } = [];

    public bool IsConfigured => TrustedCaFiles.Count > 0 || Parties.Count > 0;
}

/// <summary>One certificate-to-party mapping.</summary>
public sealed class CertificateMapping
{
    /// <summary>The party id.</summary>
    public string? Party { get; set; }

    /// <summary>SHA-1 (40 hex digits) or SHA-256 (64 hex digits) thumbprint of the client certificate.</summary>
    public string? Thumbprint { get; set; }

    /// <summary>The OIN (20 digits) in the certificate subject's serialNumber, as PKIoverheid certificates carry it.</summary>
    public string? Oin { get; set; }

    /// <summary>Roles the certificate grants, for example <c>admin</c>.</summary>
    public List<string> Roles { get; set; } = [];
}

using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Ketenhub.Hub.Host.Transport;
using Ketenhub.Hub.Parties;
using Microsoft.Extensions.Options;

namespace Ketenhub.Hub.Host.Identity;

/// <summary>
/// Mutual TLS: checks a client certificate against the configured certificate authorities during the TLS handshake
/// (so an untrusted certificate never gets a connection), and maps an accepted certificate to its party, by
/// thumbprint or by the OIN in the subject's serialNumber. The mapping is remembered per certificate object, which
/// Kestrel keeps for the whole connection, so a call pays a table lookup.
/// </summary>
public sealed class ClientCertificates
{
    private const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";
    private const string SerialNumberAttribute = "2.5.4.5";

    /// <summary>The cause under which the <see cref="RefusalLog"/> counts certificates refused in the TLS handshake.</summary>
    public const string UntrustedCertificate = "CERTIFICATE_NOT_TRUSTED";

    /// <summary>The cause under which the <see cref="RefusalLog"/> counts trusted certificates that no mapping names.</summary>
    public const string UnmappedCertificate = "CERTIFICATE_NOT_MAPPED";

    private readonly X509Certificate2Collection _authorities = [];
    private readonly X509RevocationMode _revocation;
    private readonly Dictionary<string, Actor> _byThumbprint = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, Actor> _byOin = new(StringComparer.Ordinal);
    private readonly ConditionalWeakTable<X509Certificate2, Actor?> _resolved = [];
    private readonly RefusalLog _refusals;
    private readonly TimeProvider _time;

    public ClientCertificates(IOptions<IdentityOptions> options, PartyDirectory parties, TimeProvider time, RefusalLog refusals)
    {
        _refusals = refusals;
        _time = time;
        var settings = options.Value.Certificates;
        _revocation = settings.RevocationMode;
        foreach (var file in settings.TrustedCaFiles)
        {
            if (CertificateAuthorities.TryLoad(file, out var loaded) is null)
            {
                _authorities.AddRange(loaded);
            }
        }

        foreach (var mapping in settings.Parties)
        {
            if (parties.Find(mapping.Party) is not { } party)
            {
                continue;
            }

            var actor = new Actor(party, null, [.. mapping.Roles]);
            if (!string.IsNullOrWhiteSpace(mapping.Thumbprint))
            {
                _byThumbprint[mapping.Thumbprint.Trim()] = actor;
            }
            else if (!string.IsNullOrWhiteSpace(mapping.Oin))
            {
                _byOin[mapping.Oin.Trim()] = actor;
            }
        }
    }

    public static bool IsThumbprint(string value) => value.Trim().Length is 40 or 64 && value.Trim().All(char.IsAsciiHexDigit);

    /// <summary>
    /// The TLS handshake's check (Kestrel's <c>ClientCertificateValidation</c>): the certificate must be valid now,
    /// allowed for client authentication, and chain to a configured authority (not the machine's trust store).
    /// </summary>
    public bool IsTrusted(X509Certificate2 certificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_authorities);
        chain.ChainPolicy.RevocationMode = _revocation;
        chain.ChainPolicy.RevocationFlag = X509RevocationFlag.ExcludeRoot;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(ClientAuthentication));
        chain.ChainPolicy.VerificationTime = _time.GetUtcNow().UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        var trusted = chain.Build(certificate);
        if (!trusted)
        {
            var problems = string.Join(", ", chain.ChainStatus.Select(s => s.Status.ToString()).Distinct());
            _refusals.Refused(UntrustedCertificate, $"TLS handshake with client certificate {certificate.Thumbprint} ({problems})", LogLevel.Warning);
        }

        return trusted;
    }

    /// <summary>The party a trusted certificate belongs to, or null when no mapping names it.</summary>
    public Actor? Resolve(X509Certificate2 certificate) =>
        _resolved.GetValue(certificate, Map);

    private Actor? Map(X509Certificate2 certificate)
    {
        if (_byThumbprint.TryGetValue(certificate.Thumbprint, out var bySha1)
            || _byThumbprint.TryGetValue(certificate.GetCertHashString(HashAlgorithmName.SHA256), out bySha1))
        {
            return bySha1;
        }

        var oin = Oin(certificate);
        if (oin is not null && _byOin.TryGetValue(oin, out var byOin))
        {
            return byOin;
        }

        _refusals.Refused(UnmappedCertificate, $"Client certificate {certificate.Thumbprint} (trusted, but mapped to no party in Identity:Certificates:Parties)", LogLevel.Warning);
        return null;
    }

    /// <summary>The subject's serialNumber attribute (OID 2.5.4.5), where PKIoverheid certificates carry the OIN.</summary>
    public static string? Oin(X509Certificate2 certificate)
    {
        foreach (var rdn in certificate.SubjectName.EnumerateRelativeDistinguishedNames())
        {
            if (!rdn.HasMultipleElements && rdn.GetSingleElementType().Value == SerialNumberAttribute)
            {
                return rdn.GetSingleElementValue();
            }
        }

        return null;
    }
}

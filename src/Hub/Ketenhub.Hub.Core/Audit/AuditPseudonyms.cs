using System.Security.Cryptography;
using System.Text;

namespace Ketenhub.Hub.Audit;

/// <summary>
/// The client as the audit trail names them: a keyed pseudonym (HMAC-SHA-256 of the hub's client id under the
/// audit key, 128 bits, <c>ap_…</c>). Without the key an audit export cannot be linked to a client, a BSN or
/// another export's client ids; with it the hub finds a client's events for a privacy officer or a report.
/// </summary>
public sealed class AuditPseudonyms
{
    private const string Label = "ketenhub audit pseudonym v1";
    private readonly byte[] _key;

    public AuditPseudonyms(byte[] key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length < 16)
        {
            throw new ArgumentException("The audit pseudonym key must be at least 16 bytes.", nameof(key));
        }

        _key = [.. key];
    }

    /// <summary>
    /// A key for the pseudonyms derived from another secret of the hub (HKDF-SHA-256 with its own label), for
    /// when no audit key is configured: the derived key reveals nothing of the secret it came from.
    /// </summary>
    public static AuditPseudonyms DerivedFrom(byte[] secret) =>
        new(HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, 32, salt: [], info: Encoding.UTF8.GetBytes(Label)));

    /// <summary>The pseudonym of the client with hub id <paramref name="clientId"/>.</summary>
    public string Of(string clientId)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        var mac = HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes("client:" + clientId));
        return "ap_" + Convert.ToHexStringLower(mac.AsSpan(0, 16));
    }
}

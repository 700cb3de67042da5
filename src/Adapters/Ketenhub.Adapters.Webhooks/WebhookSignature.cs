using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Ketenhub.Adapters.Webhooks;

/// <summary>
/// The <c>Ketenhub-Signature</c> header: <c>t=&lt;unix seconds&gt;,v1=&lt;hex&gt;[,v1=&lt;hex&gt;]</c>, where each <c>v1</c> is the
/// lower-case hex HMAC-SHA256, under one of the party's secrets, of the ASCII timestamp, a full stop and the exact body
/// bytes. Two <c>v1</c> values appear while a party rotates its secret.
/// </summary>
public static class WebhookSignature
{
    /// <summary>The header's name.</summary>
    public const string HeaderName = "Ketenhub-Signature";

    /// <summary>Builds the header value.</summary>
    /// <param name="keys">The party's keys (one, or two while rotating).</param>
    /// <param name="timestamp">When the attempt is signed.</param>
    /// <param name="body">The exact bytes sent.</param>
    /// <returns>The header value.</returns>
    public static string Create(IReadOnlyList<byte[]> keys, DateTimeOffset timestamp, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var t = timestamp.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var signed = new byte[t.Length + 1 + body.Length];
        Encoding.ASCII.GetBytes(t, signed);
        signed[t.Length] = (byte)'.';
        body.CopyTo(signed.AsSpan(t.Length + 1));

        var header = new StringBuilder("t=").Append(t);
        foreach (var key in keys)
        {
            header.Append(",v1=").Append(Convert.ToHexStringLower(HMACSHA256.HashData(key, signed)));
        }

        return header.ToString();
    }
}

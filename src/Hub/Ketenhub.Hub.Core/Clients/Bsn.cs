using System.Security.Cryptography;
using System.Text;
using Ketenhub.Hub.Common;

namespace Ketenhub.Hub.Clients;

/// <summary>The burgerservicenummer: nine digits passing the elfproef. Never logged, never in an error.</summary>
public static class Bsn
{
    /// <summary>
    /// The elfproef: 9·d1 + 8·d2 + … + 2·d8 − 1·d9 is divisible by 11 (and not all zeros).
    /// Eight-digit numbers are accepted with a leading zero, as the BRP does.
    /// </summary>
    public static bool IsValid(string? value)
    {
        if (value is null || value.Length is not (8 or 9))
        {
            return false;
        }

        var digits = value.Length == 8 ? "0" + value : value;
        var sum = 0;
        for (var i = 0; i < 9; i++)
        {
            var c = digits[i];
            if (c is < '0' or > '9')
            {
                return false;
            }

            var weight = i == 8 ? -1 : 9 - i;
            sum += weight * (c - '0');
        }

        return sum != 0 && sum % 11 == 0;
    }

    public static string Normalize(string value) => value.Length == 8 ? "0" + value : value;
}

/// <summary>
/// Keyed hash of a BSN, so a client can be found by BSN without storing the BSN in a searchable form.
/// </summary>
public sealed class BsnHasher
{
    private readonly byte[] _key;

    public BsnHasher(byte[] key)
    {
        if (key.Length < 16)
        {
            throw new ArgumentException("The BSN lookup key must be at least 16 bytes.", nameof(key));
        }

        _key = key;
    }

    public string Hash(string bsn) =>
        Convert.ToHexString(HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes(Bsn.Normalize(bsn))));

    /// <summary>
    /// The idempotency hash of a request body that holds a BSN. A plain hash of such a body could be reversed
    /// by trying every BSN, so it is keyed (with a key derived from the lookup key, never the lookup key itself).
    /// </summary>
    public string RequestBodyHash(ReadOnlySpan<byte> body)
    {
        Span<byte> bodyKey = stackalloc byte[32];
        HMACSHA256.HashData(_key, "ketenhub/request-body/v1"u8, bodyKey);
        return Convert.ToHexString(HMACSHA256.HashData(bodyKey, body));
    }
}

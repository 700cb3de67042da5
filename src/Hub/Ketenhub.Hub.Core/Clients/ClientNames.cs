using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Ketenhub.Hub.Clients;

/// <summary>
/// Each party's own name for a client. Inside the hub a client is <c>clients/cli_{32 hex}</c>; a party sees and sends
/// <c>clients/cl_{32 hex}</c>, the client id's 16 bytes encrypted with AES-256 under a key of that party's own. So the
/// same client has a different name at every party, and two parties cannot link their records by it; the hub turns a
/// party's name back into the client without storing anything, on every call.
/// <para>
/// The party keys are derived from <c>Hub:PseudonymKey</c> (HKDF-SHA-256 with a label of their own, then HMAC-SHA-256
/// of the party id): keep that key stable, or every party's names change. A name in the hub's own form
/// (<c>cli_…</c>), as partners stored them before names were per party, is still accepted.
/// </para>
/// </summary>
public sealed class ClientNames : IDisposable
{
    /// <summary>The collection of client names.</summary>
    public const string Collection = "clients";

    private const string HubPrefix = "cli_";
    private const string PartyPrefix = "cl_";
    private readonly byte[] _master;
    private readonly ConcurrentDictionary<string, PartyCipher> _ciphers = new(StringComparer.Ordinal);

    public ClientNames(byte[] pseudonymKey)
    {
        ArgumentNullException.ThrowIfNull(pseudonymKey);
        if (pseudonymKey.Length < 32)
        {
            throw new ArgumentException("The pseudonym key must be at least 32 bytes.", nameof(pseudonymKey));
        }

        _master = HKDF.DeriveKey(HashAlgorithmName.SHA256, pseudonymKey, 32, salt: [], info: Encoding.ASCII.GetBytes("ketenhub/client-names/v1"));
    }

    /// <summary>The party's name for the client with hub id <paramref name="clientId"/> (<c>cli_…</c>).</summary>
    public string For(string partyId, string clientId)
    {
        ArgumentNullException.ThrowIfNull(partyId);
        ArgumentNullException.ThrowIfNull(clientId);
        Span<byte> block = stackalloc byte[16];
        if (!TryHex(clientId, HubPrefix, block))
        {
            // Not an id the hub made (a prospective client, say): nothing to hide.
            return Collection + "/" + clientId;
        }

        Cipher(partyId).Encrypt(block);
        return Collection + "/" + PartyPrefix + Convert.ToHexStringLower(block);
    }

    /// <summary>
    /// The hub id of the client a party names <paramref name="id"/> (the part after <c>clients/</c>): its own name, or
    /// the hub's form. Anything else is returned as it is, so it is simply not found.
    /// </summary>
    public string Resolve(string partyId, string id)
    {
        ArgumentNullException.ThrowIfNull(partyId);
        ArgumentNullException.ThrowIfNull(id);
        Span<byte> block = stackalloc byte[16];
        if (!TryHex(id, PartyPrefix, block))
        {
            return id;
        }

        Cipher(partyId).Decrypt(block);
        return HubPrefix + Convert.ToHexStringLower(block);
    }

    public void Dispose()
    {
        foreach (var cipher in _ciphers.Values)
        {
            cipher.Dispose();
        }

        _ciphers.Clear();
    }

    /// <summary>Is <paramref name="name"/> a client name in a party's form (<c>clients/cl_…</c>) or the hub's (<c>clients/cli_…</c>)?</summary>
    public static bool IsClientName(string? name) =>
        name is not null && name.StartsWith(Collection + "/", StringComparison.Ordinal)
        && (IsHex(name.AsSpan(Collection.Length + 1), PartyPrefix) || IsHex(name.AsSpan(Collection.Length + 1), HubPrefix));

    private PartyCipher Cipher(string partyId) =>
        _ciphers.GetOrAdd(partyId, static (id, master) => new PartyCipher(HMACSHA256.HashData(master, Encoding.UTF8.GetBytes("party/" + id))), _master);

    private static bool IsHex(ReadOnlySpan<char> id, string prefix) =>
        id.Length == prefix.Length + 32 && id.StartsWith(prefix, StringComparison.Ordinal) && id[prefix.Length..].ContainsOnlyLowerHex();

    private static bool TryHex(string id, string prefix, Span<byte> block)
    {
        if (!IsHex(id, prefix))
        {
            return false;
        }

        for (var i = 0; i < 16; i++)
        {
            block[i] = byte.Parse(id.AsSpan(prefix.Length + (2 * i), 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        }

        return true;
    }

    /// <summary>
    /// One party's AES key, as an encryptor and a decryptor made once and reused for every block (a one-shot call makes
    /// a new cipher context each time); a lock keeps each to one thread at a time.
    /// </summary>
    private sealed class PartyCipher : IDisposable
    {
        private readonly Aes _aes;
        private readonly ICryptoTransform _encryptor;
        private readonly ICryptoTransform _decryptor;
        private readonly byte[] _in = new byte[16];
        private readonly byte[] _out = new byte[16];

        public PartyCipher(byte[] key)
        {
            _aes = Aes.Create();
            _aes.Key = key;
            _aes.Mode = CipherMode.ECB;
            _aes.Padding = PaddingMode.None;
            _encryptor = _aes.CreateEncryptor();
            _decryptor = _aes.CreateDecryptor();
        }

        public void Encrypt(Span<byte> block) => Transform(_encryptor, block);

        public void Decrypt(Span<byte> block) => Transform(_decryptor, block);

        public void Dispose()
        {
            _encryptor.Dispose();
            _decryptor.Dispose();
            _aes.Dispose();
        }

        private void Transform(ICryptoTransform transform, Span<byte> block)
        {
            lock (_in)
            {
                block.CopyTo(_in);
                transform.TransformBlock(_in, 0, 16, _out, 0);
                _out.CopyTo(block);
            }
        }
    }
}

/// <summary>Lower-case hexadecimal checks.</summary>
internal static class HexSpans
{
    public static bool ContainsOnlyLowerHex(this ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c) && c is not (>= 'a' and <= 'f'))
            {
                return false;
            }
        }

        return true;
    }
}

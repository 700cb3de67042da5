using System.Buffers.Text;
using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Text;
using Ketenhub.Hub.Common;

namespace Ketenhub.Hub.Clients;

/// <summary>
/// Keys that encrypt stored BSNs (section <c>Hub:BsnEncryption</c>). Several keys may be configured so old
/// ciphertexts stay readable while they are rewritten; only the active key encrypts.
/// </summary>
public sealed class BsnEncryptionOptions
{
    public const string Section = HubOptions.Section + ":BsnEncryption";

    /// <summary>The id of the key that encrypts new BSNs; must be one of <see cref="Keys"/>.</summary>
    [Required]
    public string ActiveKeyId { get; set; } = string.Empty;

    /// <summary>
    /// The keys by id: base64 of 32 random bytes (AES-256). Ids are 1 to 32 letters, digits, '-' or '_'.
    /// Keep every key that a stored BSN may still use until the re-encryption command has run.
    /// </summary>
    public Dictionary<string, string> Keys { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Every problem with the settings, each naming its key; empty when they are usable.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (Keys.Count == 0)
        {
            problems.Add($"{Section}:Keys must hold at least one key (base64 of 32 bytes).");
        }

        foreach (var (id, value) in Keys)
        {
            if (!BsnProtector.IsValidKeyId(id))
            {
                problems.Add($"{Section}:Keys has a key id that is not 1 to 32 letters, digits, '-' or '_'.");
            }
            else if (KeyBytes(value) is null)
            {
                problems.Add($"{Section}:Keys:{id} must be base64 of exactly 32 bytes.");
            }
        }

        if (string.IsNullOrEmpty(ActiveKeyId))
        {
            problems.Add($"{Section}:ActiveKeyId is required.");
        }
        else if (!Keys.ContainsKey(ActiveKeyId))
        {
            problems.Add($"{Section}:ActiveKeyId names no key in {Section}:Keys.");
        }

        return problems;
    }

    internal static byte[]? KeyBytes(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        var buffer = new byte[value.Length];
        return Convert.TryFromBase64String(value, buffer, out var length) && length == 32 ? buffer[..32] : null;
    }
}

/// <summary>
/// Encrypts a client's BSN for storage with AES-256-GCM. The stored form records the key id, so keys can
/// rotate: <c>v1:{keyId}:{base64url(nonce ‖ ciphertext ‖ tag)}</c>. The client id is bound in as associated
/// data, so a ciphertext copied to another client's record does not decrypt.
/// </summary>
public sealed class BsnProtector
{
    private const string Version = "v1";
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly Dictionary<string, byte[]> _keys;

    public BsnProtector(IReadOnlyDictionary<string, byte[]> keys, string activeKeyId)
    {
        if (!keys.ContainsKey(activeKeyId))
        {
            throw new ArgumentException("The active key id names no configured key.", nameof(activeKeyId));
        }

        _keys = keys.ToDictionary(k => k.Key, k => k.Value.Length == 32 ? k.Value : throw new ArgumentException("BSN encryption keys are 32 bytes.", nameof(keys)), StringComparer.Ordinal);
        ActiveKeyId = activeKeyId;
    }

    public static BsnProtector FromOptions(BsnEncryptionOptions options) =>
        new(options.Keys.ToDictionary(k => k.Key, k => BsnEncryptionOptions.KeyBytes(k.Value) ?? throw new ArgumentException("A BSN encryption key is not base64 of 32 bytes.", nameof(options)), StringComparer.Ordinal), options.ActiveKeyId);

    /// <summary>The key that encrypts.</summary>
    public string ActiveKeyId { get; }

    public static bool IsValidKeyId(string? id) =>
        !string.IsNullOrEmpty(id) && id.Length <= 32 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    /// <summary>The stored form of a (valid) BSN for the client, under the active key.</summary>
    public string Protect(string clientId, string bsn)
    {
        var plain = Encoding.ASCII.GetBytes(Bsn.Normalize(bsn));
        var sealedBytes = new byte[NonceSize + plain.Length + TagSize];
        var nonce = sealedBytes.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using (var aes = new AesGcm(_keys[ActiveKeyId], TagSize))
        {
            aes.Encrypt(nonce, plain, sealedBytes.AsSpan(NonceSize, plain.Length), sealedBytes.AsSpan(NonceSize + plain.Length), Associated(clientId, ActiveKeyId));
        }

        CryptographicOperations.ZeroMemory(plain);
        return $"{Version}:{ActiveKeyId}:{Base64Url.EncodeToString(sealedBytes)}";
    }

    /// <summary>The BSN from its stored form. Throws BSN_KEY_UNAVAILABLE when the key is not configured or the value was altered.</summary>
    public string Unprotect(string clientId, string protectedBsn)
    {
        var keyId = KeyIdOf(protectedBsn);
        if (keyId is null || !_keys.TryGetValue(keyId, out var key))
        {
            throw Unavailable();
        }

        byte[] sealedBytes;
        try
        {
            sealedBytes = Base64Url.DecodeFromChars(protectedBsn.AsSpan(Version.Length + keyId.Length + 2));
        }
        catch (FormatException)
        {
            throw Unavailable();
        }

        if (sealedBytes.Length <= NonceSize + TagSize)
        {
            throw Unavailable();
        }

        var length = sealedBytes.Length - NonceSize - TagSize;
        var plain = new byte[length];
        try
        {
            using var aes = new AesGcm(key, TagSize);
            aes.Decrypt(sealedBytes.AsSpan(0, NonceSize), sealedBytes.AsSpan(NonceSize, length), sealedBytes.AsSpan(NonceSize + length), plain, Associated(clientId, keyId));
        }
        catch (CryptographicException)
        {
            throw Unavailable();
        }

        return Encoding.ASCII.GetString(plain);
    }

    /// <summary>The id of the key a stored BSN is encrypted under, or null if the value is not in the stored form.</summary>
    public static string? KeyIdOf(string? protectedBsn)
    {
        if (protectedBsn is null || !protectedBsn.StartsWith(Version + ":", StringComparison.Ordinal))
        {
            return null;
        }

        var end = protectedBsn.IndexOf(':', Version.Length + 1);
        return end < 0 ? null : protectedBsn[(Version.Length + 1)..end];
    }

    /// <summary>Is the stored BSN under the active key?</summary>
    public bool IsCurrent(string protectedBsn) => KeyIdOf(protectedBsn) == ActiveKeyId;

    private static byte[] Associated(string clientId, string keyId) => Encoding.UTF8.GetBytes($"ketenhub/bsn/{Version}/{keyId}/{clientId}");

    private static HubException Unavailable() =>
        new(ErrorCategory.Internal, ErrorReasons.BsnKeyUnavailable, "A stored BSN could not be decrypted with the configured keys.");
}

/// <summary>
/// Per-recipient pseudonyms: a stable identifier of a client for one party, derived with HMAC-SHA-256 under a
/// secret key (<c>Hub:PseudonymKey</c>) from the client id and the party id. The same client gets a different
/// pseudonym at every party, so two parties cannot link their records by it; without the key nobody can
/// compute or reverse one.
/// </summary>
public sealed class ClientPseudonyms
{
    private readonly byte[] _key;

    public ClientPseudonyms(byte[] key)
    {
        if (key.Length < 32)
        {
            throw new ArgumentException("The pseudonym key must be at least 32 bytes.", nameof(key));
        }

        _key = key;
    }

    /// <summary>The client's pseudonym for the party: <c>psn-</c> and 32 lower-case hex digits (128 bits).</summary>
    public string For(string clientId, string partyId)
    {
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes($"ketenhub/pseudonym/v1\n{clientId.Length}:{clientId}\n{partyId}"), mac);
        return "psn-" + Convert.ToHexStringLower(mac[..16]);
    }
}

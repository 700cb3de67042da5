using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Storage;

namespace Ketenhub.Hub.Clients;

/// <summary>
/// Seals stored documents with free text about a client (a referral's reason and strengths, a transition's handover
/// summary, a signal's description, and stored answers that repeat them) with AES-256-GCM, under the keys of
/// <c>Hub:BsnEncryption</c>: the same key ring and the same rotation (<c>Ketenhub.Hub reencrypt-bsn</c> rewrites
/// both). Each key is not used as it is: the document key is derived from it with HKDF-SHA-256 and a label of its
/// own, so a BSN ciphertext and a document never share a key. Stored form:
/// <c>t1:{keyId}:{base64url(nonce ‖ ciphertext ‖ tag)}</c>, with the document's place (table and key) and the key id
/// as associated data.
/// </summary>
public sealed class FreeTextProtector : IDocumentProtector, IDisposable
{
    private const string Version = "t1";
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private static readonly byte[] Prefix = Encoding.ASCII.GetBytes(Version + ":");
    private readonly Dictionary<string, byte[]> _keys;
    private readonly byte[] _activePrefix;

    // AesGcm instances by key id, reused: making one sets up a cipher context in OpenSSL, which cost more than
    // sealing a document of a few kilobytes. An instance is used by one thread at a time (rented, then returned).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, System.Collections.Concurrent.ConcurrentBag<AesGcm>> _ciphers = new(StringComparer.Ordinal);

    public FreeTextProtector(IReadOnlyDictionary<string, byte[]> keys, string activeKeyId)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (!keys.ContainsKey(activeKeyId))
        {
            throw new ArgumentException("The active key id names no configured key.", nameof(activeKeyId));
        }

        _keys = keys.ToDictionary(
            k => k.Key,
            k => k.Value.Length == 32
                ? HKDF.DeriveKey(HashAlgorithmName.SHA256, k.Value, 32, salt: [], info: Encoding.ASCII.GetBytes("ketenhub/free-text/v1"))
                : throw new ArgumentException("Encryption keys are 32 bytes.", nameof(keys)),
            StringComparer.Ordinal);
        ActiveKeyId = activeKeyId;
        _activePrefix = Encoding.ASCII.GetBytes($"{Version}:{activeKeyId}:");
    }

    public static FreeTextProtector FromOptions(BsnEncryptionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new(options.Keys.ToDictionary(k => k.Key, k => BsnEncryptionOptions.KeyBytes(k.Value) ?? throw new ArgumentException("An encryption key is not base64 of 32 bytes.", nameof(options)), StringComparer.Ordinal), options.ActiveKeyId);
    }

    /// <summary>The key that seals.</summary>
    public string ActiveKeyId { get; }

    public string Protect(string place, ReadOnlySpan<byte> utf8Json)
    {
        ArgumentNullException.ThrowIfNull(place);
        var sealedBytes = new byte[NonceSize + utf8Json.Length + TagSize];
        var nonce = sealedBytes.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        var aes = Rent(ActiveKeyId);
        try
        {
            aes.Encrypt(nonce, utf8Json, sealedBytes.AsSpan(NonceSize, utf8Json.Length), sealedBytes.AsSpan(NonceSize + utf8Json.Length), Associated(place, ActiveKeyId));
        }
        finally
        {
            Return(ActiveKeyId, aes);
        }

        return $"{Version}:{ActiveKeyId}:{Base64Url.EncodeToString(sealedBytes)}";
    }

    public ReadOnlyMemory<byte> Unprotect(string place, ReadOnlySpan<byte> stored)
    {
        ArgumentNullException.ThrowIfNull(place);
        if (!stored.StartsWith(Prefix))
        {
            return stored.ToArray();
        }

        var rest = stored[Prefix.Length..];
        var colon = rest.IndexOf((byte)':');
        var keyId = colon < 0 ? null : Encoding.ASCII.GetString(rest[..colon]);
        if (keyId is null || !_keys.ContainsKey(keyId))
        {
            throw Unavailable();
        }

        byte[] sealedBytes;
        try
        {
            sealedBytes = Base64Url.DecodeFromUtf8(rest[(colon + 1)..]);
        }
        catch (FormatException)
        {
            throw Unavailable();
        }

        if (sealedBytes.Length < NonceSize + TagSize)
        {
            throw Unavailable();
        }

        var length = sealedBytes.Length - NonceSize - TagSize;
        var plain = new byte[length];
        var aes = Rent(keyId);
        try
        {
            aes.Decrypt(sealedBytes.AsSpan(0, NonceSize), sealedBytes.AsSpan(NonceSize, length), sealedBytes.AsSpan(NonceSize + length), plain, Associated(place, keyId));
        }
        catch (CryptographicException)
        {
            throw Unavailable();
        }
        finally
        {
            Return(keyId, aes);
        }

        return plain;
    }

    public bool IsCurrent(ReadOnlySpan<byte> stored) => stored.StartsWith(_activePrefix);

    public void Dispose()
    {
        foreach (var bag in _ciphers.Values)
        {
            while (bag.TryTake(out var aes))
            {
                aes.Dispose();
            }
        }
    }

    private AesGcm Rent(string keyId) =>
        _ciphers.GetOrAdd(keyId, static _ => []).TryTake(out var aes) ? aes : new AesGcm(_keys[keyId], TagSize);

    private void Return(string keyId, AesGcm aes) => _ciphers[keyId].Add(aes);

    private static byte[] Associated(string place, string keyId) => Encoding.UTF8.GetBytes($"ketenhub/free-text/{Version}/{keyId}/{place}");

    private static HubException Unavailable() =>
        new(ErrorCategory.Internal, ErrorReasons.BsnKeyUnavailable, "A stored document could not be decrypted with the configured keys.");
}

/// <summary>
/// A <see cref="FreeTextProtector"/> made on first use, so a store can be built before the encryption settings are
/// checked: a broken setting is then reported with every other one at start-up, not thrown by whatever first asks
/// for the store.
/// </summary>
public sealed class DeferredDocumentProtector(Func<IDocumentProtector> create) : IDocumentProtector
{
    // The protector it makes belongs to the container that gives it (a singleton there), which disposes it.
    private readonly Lazy<IDocumentProtector> _inner = new(create, LazyThreadSafetyMode.ExecutionAndPublication);

    public string Protect(string place, ReadOnlySpan<byte> utf8Json) => _inner.Value.Protect(place, utf8Json);

    public ReadOnlyMemory<byte> Unprotect(string place, ReadOnlySpan<byte> stored) => _inner.Value.Unprotect(place, stored);

    public bool IsCurrent(ReadOnlySpan<byte> stored) => _inner.Value.IsCurrent(stored);
}

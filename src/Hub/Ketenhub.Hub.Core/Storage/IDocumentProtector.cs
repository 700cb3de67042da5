namespace Ketenhub.Hub.Storage;

/// <summary>
/// Seals stored documents that carry free text about a client (referrals, transitions, signals, and the stored
/// answers of writes, which repeat them) before a store writes them, and opens them when it reads them. A store
/// binds each document to its place (table and key), so a sealed document copied to another row does not open.
/// </summary>
public interface IDocumentProtector
{
    /// <summary>The stored form of a document's UTF-8 JSON at <paramref name="place"/>, under the active key.</summary>
    string Protect(string place, ReadOnlySpan<byte> utf8Json);

    /// <summary>
    /// The UTF-8 JSON of a stored document. A document stored before sealing was switched on (plain JSON) is returned
    /// as it is. Throws when the key is not configured or the stored form was altered.
    /// </summary>
    ReadOnlyMemory<byte> Unprotect(string place, ReadOnlySpan<byte> stored);

    /// <summary>Is the stored form sealed under the active key (nothing to rewrite)? False for plain JSON.</summary>
    bool IsCurrent(ReadOnlySpan<byte> stored);
}

namespace Ketenhub.Hub.Storage.Sqlite;

/// <summary>Where and how the embedded SQLite store keeps its one database file.</summary>
public sealed record SqliteStoreOptions
{
    /// <summary>The directory that holds the database file (and its <c>-wal</c> and <c>-shm</c> files). Created if missing, for the owner only (0700).</summary>
    public string DataDirectory { get; init; } = "";

    /// <summary>The database file's name inside <see cref="DataDirectory"/>.</summary>
    public string FileName { get; init; } = "ketenhub.db";

    /// <summary>The most writes that share one transaction and one commit.</summary>
    public int MaxBatchSize { get; init; } = 256;

    /// <summary>
    /// How many clients the writer keeps in memory (client row, roles, coach assignments, consents) so a
    /// submit about a recently seen client does not read them again. 0 turns the cache off.
    /// </summary>
    public int ClientCacheCapacity { get; init; } = 50_000;

    /// <summary>
    /// Whether commits are made durable by a thread of their own (<see cref="WalSyncer"/>), so the writer goes on
    /// with the next batch while the disk syncs the last one. Callers are answered only after the sync either way.
    /// False syncs inside each commit (<c>synchronous = FULL</c>).
    /// </summary>
    public bool SyncOnSeparateThread { get; init; } = true;

    /// <summary>
    /// Seals the documents that carry free text about a client (referrals, transitions, signals, stored answers of
    /// writes) before they are written, and opens them when read. Null stores them as plain JSON (tests of the store
    /// itself); the hub always sets it.
    /// </summary>
    public IDocumentProtector? DocumentProtector { get; init; }

    /// <summary>How the syncer syncs the WAL file; tests replace it to hold or fail a sync.</summary>
    internal Action<FileStream> SyncWal { get; init; } = static wal => wal.Flush(flushToDisk: true);

    /// <summary>The full path of the database file.</summary>
    public string DatabasePath => Path.Combine(DataDirectory, FileName);

    /// <summary>Throws <see cref="ArgumentException"/> when a setting is unusable.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(DataDirectory))
        {
            throw new ArgumentException("The SQLite store needs a data directory.", nameof(DataDirectory));
        }

        if (string.IsNullOrWhiteSpace(FileName) || FileName.IndexOfAny(['/', '\\']) >= 0 || FileName.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
        {
            throw new ArgumentException("The SQLite store's file name must be a plain file name.", nameof(FileName));
        }

        if (MaxBatchSize < 1)
        {
            throw new ArgumentException("The SQLite store's maximum batch size must be at least 1.", nameof(MaxBatchSize));
        }

        if (ClientCacheCapacity < 0)
        {
            throw new ArgumentException("The SQLite store's client cache capacity cannot be negative.", nameof(ClientCacheCapacity));
        }
    }
}

namespace Ketenhub.Hub.Storage.Sqlite;

/// <summary>
/// Copies committed pages from the WAL into the database file on its own thread and connection, so the writer
/// only appends to the WAL and syncs it. The writer's connection has automatic checkpoints off.
/// <para>
/// A checkpoint that runs beside the writer can never catch up with a WAL that keeps growing, and SQLite only
/// starts the WAL over when a new write finds all of it copied. So once the WAL passes
/// <see cref="RestartFrames"/>, the writer checkpoints the (by then small) rest itself between two batches.
/// </para>
/// </summary>
internal sealed class Checkpointer : IDisposable
{
    /// <summary>The WAL size, in frames (pages), after which the writer checkpoints itself: about 64 MB at 4 KB pages.</summary>
    public const int RestartFrames = 16_384;

    private const int PassiveMode = 0; // SQLITE_CHECKPOINT_PASSIVE: never waits for readers or the writer.
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(50);

    private readonly ConnectionContext _db;
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _committed = new(false);
    private readonly ManualResetEventSlim _stopping = new(false);
    private int _walFrames;

    public Checkpointer(string path)
    {
        _db = ConnectionContext.Open(path, ConnectionRole.Checkpointer);
        _thread = new Thread(Loop)
        {
            IsBackground = true,
            Name = "Hub store checkpointer",
        };
        _thread.Start();
    }

    /// <summary>The writer committed: there is something to copy.</summary>
    public void Committed() => _committed.Set();

    /// <summary>Whether the WAL has grown so large that the writer should checkpoint it itself.</summary>
    public bool WalTooLarge => Volatile.Read(ref _walFrames) >= RestartFrames;

    /// <summary>Checkpoints on the writer's connection, between batches (see <see cref="WalTooLarge"/>).</summary>
    public void CheckpointOn(ConnectionContext writer)
    {
        if (TryCheckpoint(writer, out var frames, out var copied) && copied == frames)
        {
            Volatile.Write(ref _walFrames, 0);
        }
    }

    public void Dispose()
    {
        _stopping.Set();
        _committed.Set();
        _thread.Join();
        _db.Dispose();
        _committed.Dispose();
        _stopping.Dispose();
    }

    private void Loop()
    {
        while (true)
        {
            _committed.Wait();
            if (_stopping.IsSet)
            {
                return;
            }

            _committed.Reset();
            if (TryCheckpoint(_db, out var frames, out _))
            {
                Volatile.Write(ref _walFrames, frames);
            }

            // Copy in batches rather than after every commit (a page written many times in between is copied
            // once), but small ones: a checkpoint ends by syncing the database file, and while that sync
            // writes out what the checkpoint copied, the syncer's WAL syncs (and so every commit) queue behind
            // it on the disk. With 250 ms between checkpoints, each copied several MB at 2,000 messages/s and
            // every other one stalled all submits for 10-30 ms (the delivery p99's main cause); with 50 ms the
            // stalls mostly went and closed-loop throughput did not change (docs/performance-history.md, fifth round).
            if (_stopping.Wait(Pause))
            {
                return;
            }
        }
    }

    /// <summary>A passive checkpoint: copies what it can without waiting. False when it could not run (busy, I/O error).</summary>
    private static bool TryCheckpoint(ConnectionContext db, out int frames, out int copied) =>
        SQLitePCL.raw.sqlite3_wal_checkpoint_v2(db.Connection.Handle, "main", PassiveMode, out frames, out copied) == 0;
}

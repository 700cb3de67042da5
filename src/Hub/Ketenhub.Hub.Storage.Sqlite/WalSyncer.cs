namespace Ketenhub.Hub.Storage.Sqlite;

/// <summary>
/// Makes the writer's commits durable on a thread of its own, so the writer never waits for the disk: it
/// commits into the WAL (with <c>synchronous = NORMAL</c>, which does not sync at commit), hands the commit's
/// callers to this syncer and goes on. The syncer syncs the WAL file once for every commit handed over since
/// its previous sync (group sync) and only then answers those callers. While a sync runs, the writer keeps
/// adding what comes in to one open transaction, which it commits when the syncer says it is idle.
/// <para>
/// Why this is as durable as syncing in the commit: a sync covers every byte written to the file before it,
/// so a caller hears back only after all of its transaction's WAL frames are on disk. A crash before the
/// sync can lose only transactions nobody was told about; SQLite's recovery stops at the first frame that
/// does not check out, so later frames never damage earlier ones. The WAL file is kept open by the store's
/// connections for as long as the store is open, so it is the same file throughout; its directory entry
/// was made durable by a full-sync commit when the store opened.
/// </para>
/// <para>
/// Readers can see a commit before it is durable; <see cref="WaitDurableAsync"/> lets a read wait until
/// everything it may have seen is durable, so nothing leaves the hub that a power loss could take back.
/// A failed sync breaks the store for good (the kernel may have dropped the pages): every waiting and later
/// caller gets STORAGE_UNAVAILABLE until the hub restarts and recovers from the WAL.
/// </para>
/// </summary>
internal sealed class WalSyncer : IDisposable
{
    private readonly FileStream _wal;
    private readonly Action<FileStream> _sync;
    private readonly Action _idle;
    private readonly Thread _thread;
    private readonly Lock _gate = new();
    private readonly ManualResetEventSlim _pending = new(false, spinCount: 1);
    private List<(long Commit, WriteItem[] Items)> _queue = [];
    private List<(long Commit, WriteItem[] Items)> _spare = [];
    private TaskCompletionSource _nextSync = NewSignal();
    private long _durable;
    private int _outstanding;
    private bool _stopping;
    private volatile bool _failed;

    /// <param name="databasePath">The database file; its WAL is synced.</param>
    /// <param name="sync">Syncs the WAL file (an fsync; tests inject failures).</param>
    /// <param name="idle">Called on this thread whenever the syncer has synced everything handed to it.</param>
    public WalSyncer(string databasePath, Action<FileStream> sync, Action idle)
    {
        _sync = sync;
        _idle = idle;
        // Write access only so the file can be synced; nothing is ever written through this handle.
        _wal = new FileStream(databasePath + "-wal", FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
        _thread = new Thread(Loop)
        {
            IsBackground = true,
            Name = "Hub store syncer",
        };
        _thread.Start();
    }

    /// <summary>True after a sync failed: nothing written since can be promised durable.</summary>
    public bool Failed => _failed;

    /// <summary>
    /// True when every commit handed over is synced and answered: a commit now is synced at once, while one made
    /// during a sync waits for that sync to end anyway (so the writer may as well keep adding to it).
    /// </summary>
    public bool Idle => Volatile.Read(ref _outstanding) == 0;

    /// <summary>The number of the last commit known to be durable.</summary>
    public long Durable => Volatile.Read(ref _durable);

    /// <summary>Hands over the callers of commit <paramref name="commit"/>; they are answered once it is durable.</summary>
    public void Committed(long commit, WriteItem[] items)
    {
        Interlocked.Increment(ref _outstanding);
        lock (_gate)
        {
            _queue.Add((commit, items));
        }

        _pending.Set();
    }

    /// <summary>Completes when commit <paramref name="commit"/> (and every earlier one) is durable; faults if a sync failed.</summary>
    public async ValueTask WaitDurableAsync(long commit)
    {
        while (true)
        {
            var next = Volatile.Read(ref _nextSync).Task;
            if (_failed)
            {
                throw StoreErrors.Unavailable();
            }

            if (Volatile.Read(ref _durable) >= commit)
            {
                return;
            }

            await next.ConfigureAwait(false);
        }
    }

    /// <summary>Syncs and answers whatever was handed over, then stops.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _stopping = true;
        }

        _pending.Set();
        _thread.Join();
        _wal.Dispose();

        // The store stops its writer before it disposes the syncer, so nothing hands over a commit (and sets the
        // event) any more.
        _pending.Dispose();
    }

    private void Loop()
    {
        while (true)
        {
            List<(long Commit, WriteItem[] Items)>? work = null;
            bool stopping;
            lock (_gate)
            {
                stopping = _stopping;
                _pending.Reset();
                if (_queue.Count > 0)
                {
                    // Swap the lists: callers go on adding to the empty one while this one is synced.
                    work = _queue;
                    _queue = _spare;
                    _spare = work;
                }
            }

            if (work is not null)
            {
                Sync(work);
                work.Clear();
            }
            else if (stopping)
            {
                return;
            }
            else
            {
                _pending.Wait();
            }
        }
    }

    private void Sync(List<(long Commit, WriteItem[] Items)> work)
    {
        if (!_failed)
        {
            try
            {
                _sync(_wal);
                Volatile.Write(ref _durable, work[^1].Commit);
            }
#pragma warning disable CA1031 // Whatever the sync threw, the commit is not known durable: the store fails closed, the thread lives on.
            catch (Exception)
#pragma warning restore CA1031
            {
                _failed = true;
            }
        }

        foreach (var (_, items) in work)
        {
            foreach (var item in items)
            {
                if (_failed)
                {
                    item.Fail(StoreErrors.Unavailable());
                }

                item.Complete();
            }
        }

        Interlocked.Exchange(ref _nextSync, NewSignal()).TrySetResult();
        if (Interlocked.Add(ref _outstanding, -work.Count) == 0)
        {
            _idle();
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

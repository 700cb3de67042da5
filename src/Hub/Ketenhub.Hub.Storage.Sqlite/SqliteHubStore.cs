using System.Collections.Concurrent;
using System.Threading.Channels;
using Ketenhub.Hub.Common;
using Microsoft.Data.Sqlite;

namespace Ketenhub.Hub.Storage.Sqlite;

/// <summary>
/// The hub's embedded store: one SQLite file in WAL mode with <c>synchronous=FULL</c>.
/// <para>
/// Writes are queued to one writer thread that owns the only write connection. It takes whatever is queued
/// (up to <see cref="SqliteStoreOptions.MaxBatchSize"/>), runs each write in its own savepoint inside one
/// transaction (replayable writes share one, see <c>RunInGroup</c>) and commits once (group commit); callers
/// hear back only after that commit is durable. A write that throws is rolled back and fails alone.
/// </para>
/// <para>
/// Reads run on the thread pool on a small pool of read-only connections, each inside a transaction so
/// every query of one read sees the same snapshot.
/// </para>
/// <para>
/// Work must be synchronous and must not wait for the store (a write waiting for another write deadlocks
/// the writer). The writer keeps what it read about recently seen clients (<see cref="ClientCache"/>); any
/// write of a client's data drops that client's entry and any rollback clears it, so a rolled-back write
/// leaves nothing behind.
/// </para>
/// </summary>
public sealed class SqliteHubStore : IHubStore, IAsyncDisposable
{
    private readonly SqliteStoreOptions _options;
    private readonly string _path;
    private readonly Channel<WriteItem> _queue;
    // Wakes the writer when something is queued. Barely spins: on a busy machine a spinning writer takes CPU
    // from the requests it is waiting for.
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2213:Disposable fields should be disposed", Justification =
        "A write racing with DisposeAsync may still set it after the dispose. It never allocates a wait handle (only Wait and Set are used), so there is nothing to release.")]
    private readonly ManualResetEventSlim _queued = new(false, spinCount: 1);
    private readonly TaskCompletionSource _writerStopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentBag<ConnectionContext> _readers = [];
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2213:Disposable fields should be disposed", Justification =
        "Late readers still pass through it after DisposeAsync to find the store closed: disposed, it would strand the ones still waiting. Its wait handle is never asked for.")]
    private readonly SemaphoreSlim _readerSlots;
    private readonly int _maxReaders;
    private readonly Thread _writerThread;
    private readonly Checkpointer _checkpointer;
    private readonly ClientCache? _clientCache;
    private readonly WalSyncer? _syncer;
    private ConnectionContext? _writer;

    // The items run in the writer's open transaction, not committed yet (only the writer thread touches it).
    private readonly List<WriteItem> _open = [];

    // Where in _open the open group of replayable items starts, which share the savepoint "replayable"; -1: none.
    private int _groupStart = -1;
    private long _replays;

    // 1 while the writer waits, with a transaction open, for the syncer to finish its sync (see WriterLoop).
    private int _holding;

    // The number of the last commit the writer started (set before its COMMIT, so every commit a reader can
    // see has a number at most this).
    private long _commitStarted;
    private long _itemsStarted;
    private int _disposed;

    // Measures commits for the metrics; times stored come from the callers.
    private readonly TimeProvider _time;

    /// <summary>Opens (or creates) the database, brings its schema up to date and starts the writer.</summary>
    /// <param name="options">Where the database lives and how large a commit group may be.</param>
    /// <param name="timeProvider">The clock for bookkeeping times (when a migration was applied); the system clock when null.</param>
    public SqliteHubStore(SqliteStoreOptions options, TimeProvider? timeProvider = null)
    {
        _time = timeProvider ?? TimeProvider.System;
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;

        PrivateFiles.CreateFolder(options.DataDirectory);
        _path = Path.GetFullPath(options.DatabasePath);
        PrivateFiles.CreateDatabaseFile(_path);

        _writer = ConnectionContext.Open(_path, ConnectionRole.Writer);
        try
        {
            Schema.Migrate(_writer.Connection, timeProvider ?? TimeProvider.System, options.DocumentProtector);
            if (options.SyncOnSeparateThread)
            {
                // One commit with a full sync first: it makes the WAL file's directory entry durable, which the
                // syncer's own syncs of the file's contents do not.
                _writer.Execute("PRAGMA user_version = " + ((NextUserVersion(_writer) + 1) % int.MaxValue).ToString(System.Globalization.CultureInfo.InvariantCulture) + ";");
                _writer.Execute("PRAGMA synchronous = NORMAL;");
                _syncer = new WalSyncer(_path, options.SyncWal, WakeHoldingWriter);
            }
        }
        catch
        {
            _writer.Dispose();
            throw;
        }

        try
        {
            _checkpointer = new Checkpointer(_path);
        }
        catch
        {
            _syncer?.Dispose();
            _writer.Dispose();
            throw;
        }

        _clientCache = options.ClientCacheCapacity > 0 ? new ClientCache(options.ClientCacheCapacity) : null;
        _maxReaders = Math.Max(2, Environment.ProcessorCount * 2);
        _readerSlots = new SemaphoreSlim(_maxReaders, _maxReaders);
        _queue = Channel.CreateUnbounded<WriteItem>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });

        _writerThread = new Thread(WriterLoop)
        {
            IsBackground = true,
            Name = "Hub store writer",
        };
        _writerThread.Start();
    }

    /// <summary>How many transactions the writer has committed (for tests of group commit).</summary>
    internal long CommitCount => Volatile.Read(ref _commitStarted);

    /// <summary>How many write items the writer has started (for tests of group commit).</summary>
    internal long ItemsStarted => Volatile.Read(ref _itemsStarted);

    /// <summary>How many times the writer rolled back a group of replayable items to run them again (for tests).</summary>
    internal long Replays => Volatile.Read(ref _replays);

    /// <summary>The full path of the database file.</summary>
    public string DatabasePath => _path;

    /// <inheritdoc />
    public async Task<DocumentResealing> ResealDocumentsAsync(CancellationToken cancellationToken = default)
    {
        const int PageSize = 200;
        if (_options.DocumentProtector is null)
        {
            throw new InvalidOperationException("The store seals no documents: set SqliteStoreOptions.DocumentProtector.");
        }

        var examined = 0;
        var rewritten = 0;
        foreach (var table in new[] { "referrals", "transitions", "signals", "requests" })
        {
            var after = 0L;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var (last, count, changed) = await WriteAsync(session => ((SqliteHubSession)session).ResealPage(table, after, PageSize), cancellationToken).ConfigureAwait(false);
                examined += count;
                rewritten += changed;
                if (last is null || count < PageSize)
                {
                    break;
                }

                after = last.Value;
            }
        }

        return new DocumentResealing(examined, rewritten);
    }

    /// <inheritdoc />
    /// <remarks>
    /// A TRUNCATE checkpoint on a connection of its own: it waits (the connection's busy timeout) for the writer's open
    /// transaction and for readers of older snapshots, copies every committed page into the file, where SQLite's
    /// <c>secure_delete</c> has already zeroed what was deleted, and truncates the WAL, which held the pages' earlier
    /// versions. Tried a few times while the store is busy.
    /// </remarks>
    public async Task<bool> ScrubAsync(CancellationToken cancellationToken = default)
    {
        const int TruncateMode = 3; // SQLITE_CHECKPOINT_TRUNCATE
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var done = await Task.Run(
                () =>
                {
                    using var connection = ConnectionContext.Open(_path, ConnectionRole.Checkpointer);
                    return SQLitePCL.raw.sqlite3_wal_checkpoint_v2(connection.Connection.Handle, "main", TruncateMode, out _, out _) == 0;
                },
                cancellationToken).ConfigureAwait(false);
            if (done)
            {
                return true;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), _time, cancellationToken).ConfigureAwait(false);
        }

        return false;
    }

    public Task<T> WriteAsync<T>(Func<IHubSession, T> work, CancellationToken cancellationToken = default) =>
        Enqueue(work, replayable: false, cancellationToken);

    /// <inheritdoc />
    public Task<T> WriteReplayableAsync<T>(Func<IHubSession, T> work, CancellationToken cancellationToken = default) =>
        Enqueue(work, replayable: true, cancellationToken);

    private Task<T> Enqueue<T>(Func<IHubSession, T> work, bool replayable, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (Thread.CurrentThread == _writerThread)
        {
            // Work runs on the writer; a write that waited for another write would stop the writer for good.
            throw new InvalidOperationException("A write cannot start another write; do both in one write.");
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<T>(cancellationToken);
        }

        if (_syncer is { Failed: true })
        {
            return Task.FromException<T>(StoreErrors.Unavailable());
        }

        var item = new WriteItem<T>(work, cancellationToken, replayable);
        if (!_queue.Writer.TryWrite(item))
        {
            item.Complete();
            return Task.FromException<T>(new ObjectDisposedException(nameof(SqliteHubStore)));
        }

        _queued.Set();
        return item.Task;
    }

    /// <inheritdoc />
    public async Task<T> ReadAsync<T>(Func<IHubSession, T> work, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

        await _readerSlots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            cancellationToken.ThrowIfCancellationRequested();

            // The read runs on the caller's thread: it is short work on pages that are almost always cached, and
            // handing it to another pool thread cost a wake-up and a queue on every read.
            var result = Read(work);
            var seen = Volatile.Read(ref _commitStarted);
            if (_syncer is not null)
            {
                // The snapshot may hold commits whose sync is still running: answer only once they are durable.
                await _syncer.WaitDurableAsync(seen).ConfigureAwait(false);
            }

            return result;
        }
        finally
        {
            _readerSlots.Release();
        }
    }

    /// <summary>Finishes every queued write, then closes the database.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            await _writerStopped.Task.ConfigureAwait(false);
            return;
        }

        _queue.Writer.TryComplete();
        _queued.Set();
        await _writerStopped.Task.ConfigureAwait(false);

        // Every committed batch is handed over by now: sync it and answer its callers.
        _syncer?.Dispose();

        // Wait for running reads, close their connections, then let any late reader in to see the store is closed.
        for (var i = 0; i < _maxReaders; i++)
        {
            await _readerSlots.WaitAsync().ConfigureAwait(false);
        }

        while (_readers.TryTake(out var reader))
        {
            reader.Dispose();
        }

        _readerSlots.Release(_maxReaders);

        // The writer's connection closes last: closing the last connection checkpoints the WAL and removes it.
        _checkpointer.Dispose();
        _writer?.Dispose();
        _writer = null;

        // _queued is left to the collector: a write racing with this dispose may still set it.
    }

    // ----- Reads

    private T Read<T>(Func<IHubSession, T> work)
    {
        if (!_readers.TryTake(out var context))
        {
            context = StoreErrors.Translate(() => ConnectionContext.Open(_path, ConnectionRole.Reader));
        }

        var healthy = false;
        try
        {
            StoreErrors.Translate(() => context.Execute("BEGIN DEFERRED;"));
            var session = new SqliteHubSession(context, readOnly: true, protector: _options.DocumentProtector);
            T result;
            try
            {
                result = work(session);
            }
            catch (Exception error)
            {
                session.Close();
                healthy = TryExecute(context, "ROLLBACK;");
                if (StoreErrors.IsUnavailable(error))
                {
                    throw StoreErrors.Unavailable();
                }

                throw;
            }

            session.Close();
            StoreErrors.Translate(() => context.Execute("COMMIT;"));
            healthy = true;
            return result;
        }
        finally
        {
            if (healthy)
            {
                _readers.Add(context);
            }
            else
            {
                context.Dispose();
            }
        }
    }

    // ----- The writer

    /// <remarks>
    /// Group commit follows the disk: items run as they come, each in its own savepoint of the writer's open
    /// transaction (or in a replayable group's), and the transaction commits when the syncer is idle (its sync starts at once). While a sync
    /// runs, whatever comes in joins the open transaction instead of a commit of its own: it could not be synced
    /// before that sync ends anyway, and one commit writes each page it touches once, where many small ones write
    /// the same pages (the tails of the tables and indexes every write appends to) again and again.
    /// </remarks>
    private void WriterLoop()
    {
        var reader = _queue.Reader;
        var batch = new List<WriteItem>(Math.Min(_options.MaxBatchSize, 1024));
        try
        {
            while (true)
            {
                while (_open.Count + batch.Count < _options.MaxBatchSize && reader.TryRead(out var next))
                {
                    batch.Add(next);
                }

                var ran = batch.Count > 0;
                if (ran)
                {
                    RunItems(batch);
                    batch.Clear();
                }

                if (_open.Count > 0 && CommitDue())
                {
                    Commit();
                    continue;
                }

                if (ran)
                {
                    continue;
                }

                if (_open.Count == 0 && reader.Completion.IsCompleted)
                {
                    break;
                }

                // Reset before looking again: a write queued (or a sync ended) after the reset sets the event once more.
                _queued.Wait();
                _queued.Reset();
                Volatile.Write(ref _holding, 0);
            }
        }
        finally
        {
            // Only reached when the queue is closed, or after a fault in the loop itself: answer whatever is left.
            _queue.Writer.TryComplete();
            if (_open.Count > 0)
            {
                Abandon();
            }

            while (reader.TryRead(out var left))
            {
                batch.Add(left);
            }

            FailAll(batch);
            foreach (var item in batch)
            {
                item.Complete();
            }

            _writerStopped.TrySetResult();
        }
    }

    /// <summary>
    /// Whether the open transaction commits now: when nothing syncs it (no syncer), the syncer is idle, it holds
    /// as many items as a commit may, or the store is closing. Otherwise the writer holds it open until the syncer's
    /// idle call wakes it.
    /// </summary>
    private bool CommitDue()
    {
        if (_syncer is null || _open.Count >= _options.MaxBatchSize || Volatile.Read(ref _disposed) != 0)
        {
            return true;
        }

        // Announce the hold before looking: the syncer, going idle, looks at it after its own update, so one of
        // the two sees the other.
        Interlocked.Exchange(ref _holding, 1);
        if (_syncer.Idle)
        {
            Volatile.Write(ref _holding, 0);
            return true;
        }

        return false;
    }

    /// <summary>Called by the syncer when it has synced everything: wakes a writer that holds a transaction for it.</summary>
    private void WakeHoldingWriter()
    {
        if (Volatile.Read(ref _holding) != 0)
        {
            _queued.Set();
        }
    }

    /// <summary>Runs the items in the writer's open transaction (beginning one when none is open), each in its own savepoint or a replayable group's.</summary>
    private void RunItems(List<WriteItem> batch)
    {
        var first = _open.Count;
        _open.AddRange(batch);
        try
        {
            _writer ??= OpenWriter();
            var db = _writer;
            if (first == 0)
            {
                db.Execute("BEGIN IMMEDIATE;");
            }

            for (var i = first; i < _open.Count; i++)
            {
                var item = _open[i];
                if (!item.TryStart())
                {
                    continue; // cancelled while queued
                }

                Volatile.Write(ref _itemsStarted, _itemsStarted + 1);
                if (!(item.Replayable ? RunInGroup(db, i) : EndGroup(db) && RunInSavepoint(db, item)))
                {
                    // The transaction itself is gone (an I/O error rolled it back): nothing of it is stored.
                    Abandon();
                    return;
                }
            }
        }
#pragma warning disable CA1031 // The writer must answer every caller whatever happens; the callers get STORAGE_UNAVAILABLE.
        catch (Exception)
#pragma warning restore CA1031
        {
            Abandon();
        }
    }

    /// <summary>
    /// Commits the open transaction, then answers its callers, or (with the syncer) hands them to the syncer,
    /// which answers them once the commit is durable.
    /// </summary>
    private void Commit()
    {
        var committed = false;
        try
        {
            var commit = _commitStarted + 1;
            Volatile.Write(ref _commitStarted, commit);
            _groupStart = -1; // COMMIT releases the group's savepoint with the rest
            var started = _time.GetTimestamp();
            using (Common.HubTraces.StartCommit("sqlite", _open.Where(item => item.IsStarted).Select(item => item.Caller), _open.Count))
            {
                _writer!.Execute("COMMIT;");
            }

            committed = true;
            Common.HubMetrics.Commit("sqlite", _time.GetElapsedTime(started), _open.Count);
            _syncer?.Committed(commit, [.. _open]);
        }
#pragma warning disable CA1031 // The writer must answer every caller whatever happens; the callers get STORAGE_UNAVAILABLE.
        catch (Exception)
#pragma warning restore CA1031
        {
            committed = false;
        }

        if (!committed)
        {
            Abandon();
            return;
        }

        if (_syncer is null)
        {
            foreach (var item in _open)
            {
                item.Complete();
            }
        }

        _open.Clear();

        // After the callers have their answers (or the syncer has them): let the checkpointer copy the new pages,
        // or (rarely) do it here.
        if (_writer is { } writer)
        {
            _checkpointer.Committed();
            if (_checkpointer.WalTooLarge)
            {
                _checkpointer.CheckpointOn(writer);
            }
        }
    }

    /// <summary>Nothing of the open transaction is stored: rolls it back (or drops the connection) and fails its callers.</summary>
    private void Abandon()
    {
        _groupStart = -1;
        _clientCache?.Clear();
        FailAll(_open);
        RecoverWriter();
        foreach (var item in _open)
        {
            item.Complete();
        }

        _open.Clear();
    }

    /// <summary>Opens the writer's connection, with commits that do not sync when the syncer does that.</summary>
    private ConnectionContext OpenWriter()
    {
        var writer = StoreErrors.Translate(() => ConnectionContext.Open(_path, ConnectionRole.Writer));
        if (_syncer is not null)
        {
            writer.Execute("PRAGMA synchronous = NORMAL;");
        }

        return writer;
    }

    private static long NextUserVersion(ConnectionContext db)
    {
        using var rows = db.Query("PRAGMA user_version;");
        return rows.Next() ? rows.Int64(0) : 0;
    }

    /// <summary>After a failed transaction: roll back what is left of it, or drop a connection that cannot; the next write reopens it.</summary>
    private void RecoverWriter()
    {
        if (_writer is null || !_writer.InTransaction)
        {
            return;
        }

        if (TryExecute(_writer, "ROLLBACK;") && !_writer.InTransaction)
        {
            return;
        }

        _writer.Dispose();
        _writer = null;
    }

    /// <remarks>
    /// Replayable items (<see cref="IHubStore.WriteReplayableAsync{T}"/>) that follow each other share one savepoint
    /// instead of one each: a savepoint copies every page an item changes before it changes it, and the items of
    /// a commit mostly change the same pages (the tails of the tables and indexes they append to), so one copy
    /// per group instead of per item is most of a savepoint's cost saved. An item that fails before it writes
    /// needs nothing undone. One that fails after it wrote rolls the group back to its start; the items before it
    /// in the group then run again, in order, and the failed one is left out. Only the items' last runs count.
    /// False when the enclosing transaction can no longer be trusted.
    /// </remarks>
    private bool RunInGroup(ConnectionContext db, int index)
    {
        if (_groupStart < 0)
        {
            db.Execute("SAVEPOINT replayable;");
            _groupStart = index;
        }

        switch (RunBare(db, _open[index]))
        {
            case Outcome.Done:
            case Outcome.FailedClean:
                return true;
            case Outcome.FailedDirty:
                return Replay(db, index);
            default:
                return false;
        }
    }

    /// <summary>Rolls the group back to its start and runs its items before <paramref name="end"/> that have not failed again.</summary>
    private bool Replay(ConnectionContext db, int end)
    {
        while (true)
        {
            _clientCache?.Clear();
            Interlocked.Increment(ref _replays);
            if (!TryExecute(db, "ROLLBACK TO replayable;"))
            {
                return false;
            }

            var again = false;
            for (var i = _groupStart; i < end && !again; i++)
            {
                var item = _open[i];
                if (!item.IsStarted || item.Error is not null)
                {
                    continue; // cancelled while queued, or failed on its own: not part of the transaction
                }

                switch (RunBare(db, item))
                {
                    case Outcome.Done:
                    case Outcome.FailedClean:
                        break;
                    case Outcome.FailedDirty:
                        again = true; // it failed this time, after writing: undo the group once more without it
                        break;
                    default:
                        return false;
                }
            }

            if (!again)
            {
                return true;
            }
        }
    }

    /// <summary>Closes the open group of replayable items: what they did stays in the transaction.</summary>
    private bool EndGroup(ConnectionContext db)
    {
        if (_groupStart < 0)
        {
            return true;
        }

        _groupStart = -1;
        return TryExecute(db, "RELEASE replayable;");
    }

    private enum Outcome { Done, FailedClean, FailedDirty, Broken }

    /// <summary>Runs one item of a group, without a savepoint of its own.</summary>
    private Outcome RunBare(ConnectionContext db, WriteItem item)
    {
        var session = new SqliteHubSession(db, readOnly: false, _clientCache, _options.DocumentProtector);
        try
        {
            item.Run(session);
            session.Close();
            return Outcome.Done;
        }
#pragma warning disable CA1031 // The item's exception belongs to its caller.
        catch (Exception error)
#pragma warning restore CA1031
        {
            session.Close();
            item.Fail(StoreErrors.IsUnavailable(error) ? StoreErrors.Unavailable() : error);
            if (!db.InTransaction)
            {
                return Outcome.Broken; // SQLite rolled the whole transaction back (an I/O error)
            }

            return session.Wrote ? Outcome.FailedDirty : Outcome.FailedClean;
        }
    }

    /// <summary>Runs one item in a savepoint. False when the enclosing transaction can no longer be trusted.</summary>
    private bool RunInSavepoint(ConnectionContext db, WriteItem item)
    {
        db.Execute("SAVEPOINT item;");
        var session = new SqliteHubSession(db, readOnly: false, _clientCache, _options.DocumentProtector);
        try
        {
            item.Run(session);
            session.Close();
            db.Execute("RELEASE item;");
            return true;
        }
#pragma warning disable CA1031 // The item's exception belongs to its caller.
        catch (Exception error)
#pragma warning restore CA1031
        {
            session.Close();
            _clientCache?.Clear();
            item.Fail(StoreErrors.IsUnavailable(error) ? StoreErrors.Unavailable() : error);
            return TryExecute(db, "ROLLBACK TO item;") && TryExecute(db, "RELEASE item;");
        }
    }

    /// <summary>
    /// Nothing of the items was committed: fails every item that did not fail on its own, including those
    /// that never ran (unless they were cancelled while queued).
    /// </summary>
    private static void FailAll(List<WriteItem> batch)
    {
        foreach (var item in batch)
        {
            item.TryStart();
            item.Fail(StoreErrors.Unavailable());
        }
    }

    private static bool TryExecute(ConnectionContext db, string sql)
    {
        try
        {
            db.Execute(sql);
            return true;
        }
        catch (SqliteException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}

using System.Collections.Concurrent;
using System.Threading.Channels;
using Ketenhub.Hub.Storage;

namespace Ketenhub.Testing.InMemory;

/// <summary>How an <see cref="InMemoryHubStore"/> commits.</summary>
public sealed class InMemoryStoreOptions
{
    /// <summary>At most this many queued writes share one commit. <value>The default value is 256.</value></summary>
    public int MaxBatchSize { get; init; } = 256;

    /// <summary>
    /// Runs every replayable write twice: the first run is undone and the work runs again, and only the second run
    /// counts, as <see cref="IHubStore.WriteReplayableAsync{T}"/> allows a store to do. Work that is not really
    /// replayable (it changes something outside the session, or keeps state from its first run) then shows it in a
    /// test. <value>The default value is false.</value>
    /// </summary>
    public bool ReplayReplayableWrites { get; init; }
}

/// <summary>
/// <see cref="IHubStore"/> in memory, for tests of the domain without a host or a disk: the storage contract of
/// docs/architecture.md ("The store's contract", checked by <c>HubStoreContractTests</c> against this store and the
/// SQLite one) without durability.
/// <para>
/// Writes are queued to the store's one writer, which takes what is queued (up to
/// <see cref="InMemoryStoreOptions.MaxBatchSize"/>), runs each write on its own copy of the data (its "savepoint"),
/// and publishes the group's result at once (group commit): a caller hears back only after its group is published.
/// A write that throws leaves nothing and fails alone. A write started from inside a write is refused. A write
/// cancelled while queued does not run. Replayable writes may be run twice (see
/// <see cref="InMemoryStoreOptions.ReplayReplayableWrites"/>).
/// </para>
/// <para>
/// A read runs on the caller's thread on the data as last published: one consistent snapshot, whatever commits
/// meanwhile; writes through it throw. The audit chain is append-only: a record goes only at the head's sequence
/// plus one, and nothing changes or removes one.
/// </para>
/// <para>
/// "Reopening" (<see cref="InMemoryHubStore(string, InMemoryStoreOptions?)"/>): the data of stores opened on a
/// directory lives in a registry shared by the test process, keyed by the directory's full path, and the
/// directory itself is never touched. A store opened later on the same directory sees everything committed
/// before, as a SQLite store on the same files would; stores open on it at once share the data and commit one
/// after the other. <see cref="Forget"/> drops a directory's data. <see cref="InMemoryHubStore()"/> gives a store
/// whose data nobody else sees.
/// </para>
/// <para>
/// Not supported: sealing documents (<see cref="IDocumentProtector"/>); <see cref="ResealDocumentsAsync"/> throws as
/// the SQLite store does without a protector. Queries scan the data instead of using indexes: fine for tests.
/// </para>
/// </summary>
public sealed class InMemoryHubStore : IHubStore, IAsyncDisposable
{
    private static readonly ConcurrentDictionary<string, Database> Registry = new(StringComparer.Ordinal);

    // Whether a writer runs write work on this thread right now (a write started from inside it would wait for itself).
    [ThreadStatic]
    private static bool t_writing;

    private readonly Database _database;
    private readonly InMemoryStoreOptions _options;
    private readonly Channel<WriteItem> _queue = Channel.CreateUnbounded<WriteItem>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;
    private long _commits;
    private long _replays;
    private int _disposed;

    /// <summary>A store of its own, empty, that no other store sees.</summary>
    public InMemoryHubStore()
        : this(new Database(), null)
    {
    }

    /// <summary>A store on the data kept for <paramref name="directory"/> in this process (empty the first time).</summary>
    public InMemoryHubStore(string directory, InMemoryStoreOptions? options = null)
        : this(Registry.GetOrAdd(Key(directory), static _ => new Database()), options)
    {
    }

    /// <summary>A store of its own with the given options.</summary>
    public InMemoryHubStore(InMemoryStoreOptions options)
        : this(new Database(), options)
    {
    }

    private InMemoryHubStore(Database database, InMemoryStoreOptions? options)
    {
        _options = options ?? new InMemoryStoreOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxBatchSize, 1);
        _database = database;
        _writer = Task.Run(WriterLoopAsync);
    }

    /// <summary>Drops the data kept for <paramref name="directory"/>; a store opened on it afterwards starts empty.</summary>
    public static void Forget(string directory) => Registry.TryRemove(Key(directory), out _);

    /// <summary>How many groups of writes this store has committed.</summary>
    public long CommitCount => Interlocked.Read(ref _commits);

    /// <summary>How many times this store undid a replayable write's run to run it again.</summary>
    public long Replays => Interlocked.Read(ref _replays);

    public Task<T> WriteAsync<T>(Func<IHubSession, T> work, CancellationToken cancellationToken = default) =>
        Enqueue(work, replayable: false, cancellationToken);

    public Task<T> WriteReplayableAsync<T>(Func<IHubSession, T> work, CancellationToken cancellationToken = default) =>
        Enqueue(work, replayable: true, cancellationToken);

    public Task<T> ReadAsync<T>(Func<IHubSession, T> work, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (Volatile.Read(ref _disposed) != 0)
        {
            return Task.FromException<T>(new ObjectDisposedException(nameof(InMemoryHubStore)));
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<T>(cancellationToken);
        }

        var session = new InMemoryHubSession(_database.Committed, readOnly: true);
        try
        {
            return Task.FromResult(work(session));
        }
        catch (Exception error)
        {
            return Task.FromException<T>(error);
        }
        finally
        {
            session.Close();
        }
    }

    public Task<DocumentResealing> ResealDocumentsAsync(CancellationToken cancellationToken = default) =>
        Task.FromException<DocumentResealing>(new InvalidOperationException("The in-memory store seals no documents."));

    /// <summary>Commits every queued write, then closes the store. The data stays for stores opened later on the same directory.</summary>
    public async ValueTask DisposeAsync()
    {
        Interlocked.Exchange(ref _disposed, 1);
        _queue.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
    }

    private Task<T> Enqueue<T>(Func<IHubSession, T> work, bool replayable, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (t_writing)
        {
            return Task.FromException<T>(new InvalidOperationException("A write cannot start another write; do both in one write."));
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<T>(cancellationToken);
        }

        var item = new WriteItem<T>(work, replayable, cancellationToken);
        if (!_queue.Writer.TryWrite(item))
        {
            return Task.FromException<T>(new ObjectDisposedException(nameof(InMemoryHubStore)));
        }

        return item.Task;
    }

    private async Task WriterLoopAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<WriteItem>();
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < _options.MaxBatchSize && reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            Commit(batch);
            batch.Clear();
        }
    }

    /// <summary>Runs the group's writes one after the other, each on the data the one before left, then publishes the data once.</summary>
    private void Commit(List<WriteItem> batch)
    {
        lock (_database.WriteLock)
        {
            var state = _database.Committed;
            t_writing = true;
            try
            {
                foreach (var item in batch)
                {
                    if (!item.TryStart())
                    {
                        continue; // cancelled while queued
                    }

                    if (item.Replayable && _options.ReplayReplayableWrites)
                    {
                        if (Run(item, state) is null)
                        {
                            continue; // failed on its first run: left out, like any failed write
                        }

                        // The first run succeeded: it is undone (its state dropped) and the work runs again; only
                        // the second run counts.
                        Interlocked.Increment(ref _replays);
                    }

                    state = Run(item, state) ?? state;
                }
            }
            finally
            {
                t_writing = false;
            }

            _database.Committed = state;
            Interlocked.Increment(ref _commits);
        }

        foreach (var item in batch)
        {
            item.Complete();
        }
    }

    /// <summary>Runs one write on <paramref name="state"/>: the state with its writes, or null when it failed (it then leaves nothing).</summary>
    private static StoreState? Run(WriteItem item, StoreState state)
    {
        var session = new InMemoryHubSession(state, readOnly: false);
        try
        {
            item.Run(session);
            item.Fail(null);
            return session.State;
        }
        catch (Exception error)
        {
            item.Fail(error);
            return null;
        }
        finally
        {
            session.Close();
        }
    }

    private static string Key(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        return Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
    }

    /// <summary>The data of one "database": what the last commit published, and the lock its writers take turns on.</summary>
    private sealed class Database
    {
        private StoreState _committed = StoreState.Empty;

        public object WriteLock { get; } = new();

        public StoreState Committed
        {
            get => Volatile.Read(ref _committed);
            set => Volatile.Write(ref _committed, value);
        }
    }

    /// <summary>One queued write. It starts at most once, and only if it was not cancelled while queued.</summary>
    private abstract class WriteItem(bool replayable)
    {
        private const int Queued = 0;
        private const int Started = 1;
        private const int Cancelled = 2;

        private int _state;

        public bool Replayable { get; } = replayable;

        /// <summary>The failure of the work's last run; null when it succeeded.</summary>
        protected Exception? Error { get; private set; }

        public bool TryStart() => Interlocked.CompareExchange(ref _state, Started, Queued) == Queued;

        /// <summary>Whether the writer claimed the item (so it is answered by <see cref="Complete"/>, not by its cancellation).</summary>
        protected bool IsStarted => Volatile.Read(ref _state) == Started;

        public abstract void Run(IHubSession session);

        /// <summary>Records the outcome of the last run (null: it succeeded).</summary>
        public void Fail(Exception? error) => Error = error;

        /// <summary>Answers the caller of a claimed item, after the commit; for any item, releases the cancellation registration.</summary>
        public abstract void Complete();

        protected bool TryCancel() => Interlocked.CompareExchange(ref _state, Cancelled, Queued) == Queued;
    }

    private sealed class WriteItem<T> : WriteItem
    {
        private readonly Func<IHubSession, T> _work;
        private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly CancellationToken _cancellationToken;
        private readonly CancellationTokenRegistration _registration;
        private T? _result;

        public WriteItem(Func<IHubSession, T> work, bool replayable, CancellationToken cancellationToken)
            : base(replayable)
        {
            _work = work;
            _cancellationToken = cancellationToken;
            if (cancellationToken.CanBeCanceled)
            {
                _registration = cancellationToken.UnsafeRegister(static state => ((WriteItem<T>)state!).OnCancelled(), this);
            }
        }

        public Task<T> Task => _completion.Task;

        public override void Run(IHubSession session) => _result = _work(session);

        public override void Complete()
        {
            _registration.Dispose();
            if (!IsStarted)
            {
                return;
            }

            switch (Error)
            {
                case null:
                    _completion.TrySetResult(_result!);
                    break;
                case OperationCanceledException cancelled:
                    _completion.TrySetCanceled(cancelled.CancellationToken);
                    break;
                default:
                    _completion.TrySetException(Error);
                    break;
            }
        }

        private void OnCancelled()
        {
            if (TryCancel())
            {
                _completion.TrySetCanceled(_cancellationToken);
            }
        }
    }
}

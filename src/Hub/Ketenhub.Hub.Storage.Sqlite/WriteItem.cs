namespace Ketenhub.Hub.Storage.Sqlite;

/// <summary>
/// One queued write. It starts at most once, and only if it was not cancelled while queued; once started,
/// cancellation no longer applies (its outcome is decided by the commit).
/// </summary>
internal abstract class WriteItem(bool replayable)
{
    private const int Queued = 0;
    private const int Started = 1;
    private const int Cancelled = 2;

    private int _state;

    /// <summary>The trace of the call that queued the write (none outside a traced call), for the commit span's links.</summary>
    public System.Diagnostics.ActivityContext Caller { get; } = System.Diagnostics.Activity.Current?.Context ?? default;

    /// <summary>The failure to report instead of a result; null while the item succeeds.</summary>
    public Exception? Error { get; private set; }

    /// <summary>Claims the item for the writer, right before it runs; false when it was cancelled while queued.</summary>
    public bool TryStart() => Interlocked.CompareExchange(ref _state, Started, Queued) == Queued;

    /// <summary>Whether the writer claimed the item (so it is answered by <see cref="Complete"/>, not by its cancellation).</summary>
    public bool IsStarted => Volatile.Read(ref _state) == Started;

    /// <summary>
    /// The work may run again (<see cref="IHubStore.WriteReplayableAsync{T}"/>): it needs no savepoint of its own,
    /// since the writer can undo a failure next to it by rolling back and running it once more.
    /// </summary>
    public bool Replayable { get; } = replayable;

    /// <summary>Runs the caller's work and keeps its result for <see cref="Complete"/> (the last run's, if it runs again).</summary>
    public abstract void Run(SqliteHubSession session);

    /// <summary>Marks the item failed; the first failure wins.</summary>
    public void Fail(Exception error) => Error ??= error;

    /// <summary>
    /// Hands the result (or <see cref="Error"/>) to the caller of a claimed item; called after the commit (or
    /// its failure). For an item never claimed it only releases the cancellation registration.
    /// </summary>
    public abstract void Complete();

    protected bool TryCancel() => Interlocked.CompareExchange(ref _state, Cancelled, Queued) == Queued;
}

internal sealed class WriteItem<T> : WriteItem
{
    private readonly Func<IHubSession, T> _work;
    private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationToken _cancellationToken;
    private readonly CancellationTokenRegistration _registration;
    private T? _result;

    public WriteItem(Func<IHubSession, T> work, CancellationToken cancellationToken, bool replayable = false)
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

    public override void Run(SqliteHubSession session) => _result = _work(session);

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

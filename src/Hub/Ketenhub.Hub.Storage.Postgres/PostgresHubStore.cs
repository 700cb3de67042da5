using System.Data;
using System.Threading.Channels;
using Npgsql;

namespace Ketenhub.Hub.Storage.Postgres;

/// <summary>
/// The hub's store on a PostgreSQL database, which several hub instances may share.
/// <para>
/// Writes are queued to one writer thread per instance. It takes whatever is queued (up to
/// <see cref="PostgresStoreOptions.MaxBatchSize"/>), opens one transaction, takes the database-wide write lock (a
/// transaction advisory lock, <see cref="Schema.WriteLock"/>), runs each write in its own savepoint and commits once
/// (group commit); callers hear back only after the commit. A write that throws is rolled back to its savepoint and
/// fails alone.
/// </para>
/// <para>
/// The write lock serialises the writes of every instance on the database, as the contract asks ("serialised with
/// every other write"): the audit chain has one head and one writer at a time; a request id is looked up and saved
/// by one write at a time, so a repeat sent to another instance finds the first answer; a delivery is claimed by one
/// write at a time; and sequences (deliveries, journey) are given in commit order, so a stream that resumes after a
/// sequence misses nothing committed later. Almost every write appends to the audit chain, so a finer lock would not
/// let more of them run at once.
/// </para>
/// <para>
/// Reads take a pooled connection and run in a REPEATABLE READ transaction: one snapshot for the whole read.
/// The store keeps no cache of clients: another instance may change them at any time.
/// </para>
/// </summary>
public sealed class PostgresHubStore : IHubStore, IAsyncDisposable
{
    private readonly PostgresStoreOptions _options;
    private readonly NpgsqlDataSource _dataSource;
    private readonly Channel<WriteItem> _queue;
    private readonly Thread _writerThread;
    private readonly TaskCompletionSource _writerStopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private NpgsqlConnection? _writer;
    private long _commits;
    private int _disposed;

    // Measures commits for the metrics; times stored come from the callers.
    private readonly TimeProvider _time;

    /// <summary>Connects, brings the schema up to date (one instance at a time) and starts the writer.</summary>
    /// <param name="options">The connection string and how large a commit group may be.</param>
    /// <param name="timeProvider">The clock for bookkeeping times (when a migration was applied); the system clock when null.</param>
    public PostgresHubStore(PostgresStoreOptions options, TimeProvider? timeProvider = null)
    {
        _time = timeProvider ?? TimeProvider.System;
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _dataSource = NpgsqlDataSource.Create(WithPreparedStatements(options.ConnectionString));
        try
        {
            using var connection = OpenConnection();
            Schema.Migrate(connection, timeProvider ?? TimeProvider.System, options.DocumentProtector);
        }
        catch (Exception error) when (StoreErrors.IsUnavailable(error))
        {
            _dataSource.Dispose();
            throw StoreErrors.Unavailable();
        }
        catch
        {
            _dataSource.Dispose();
            throw;
        }

        _queue = Channel.CreateUnbounded<WriteItem>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });
        _writerThread = new Thread(WriterLoop) { IsBackground = true, Name = "Hub store writer (PostgreSQL)" };
        _writerThread.Start();
    }

    /// <summary>
    /// The store runs the same few dozen statements over and over, each a round trip on the writer's one connection:
    /// without preparation PostgreSQL parses and plans every one of them anew. Unless the connection string asks for
    /// something else (a Max Auto Prepare above 0), Npgsql prepares a statement on a connection from its second use
    /// and keeps up to <see cref="AutoPreparedStatements"/> of them per connection.
    /// </summary>
    internal static string WithPreparedStatements(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (builder.MaxAutoPrepare == 0)
        {
            builder.MaxAutoPrepare = AutoPreparedStatements;
            builder.AutoPrepareMinUsages = 2;
        }

        return builder.ConnectionString;
    }

    /// <summary>More than the store's distinct statements (about 60), so none is pushed out by another.</summary>
    internal const int AutoPreparedStatements = 128;

    /// <summary>How many transactions the writer has committed (for tests of group commit).</summary>
    internal long CommitCount => Volatile.Read(ref _commits);

    /// <summary>The data source the store connects through (tests use it to look at the database).</summary>
    internal NpgsqlDataSource DataSource => _dataSource;

    public Task<T> WriteAsync<T>(Func<IHubSession, T> work, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (Thread.CurrentThread == _writerThread)
        {
            throw new InvalidOperationException("A write cannot start another write; do both in one write.");
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<T>(cancellationToken);
        }

        var item = new WriteItem<T>(work, cancellationToken);
        if (!_queue.Writer.TryWrite(item))
        {
            item.Complete();
            return Task.FromException<T>(new ObjectDisposedException(nameof(PostgresHubStore)));
        }

        return item.Task;
    }

    /// <inheritdoc />
    public async Task<T> ReadAsync<T>(Func<IHubSession, T> work, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        NpgsqlConnection connection;
        try
        {
            connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (error is not OperationCanceledException && StoreErrors.IsUnavailable(error))
        {
            throw StoreErrors.Unavailable();
        }

        await using (connection.ConfigureAwait(false))
        {
            cancellationToken.ThrowIfCancellationRequested();
            NpgsqlTransaction transaction;
            try
            {
                transaction = connection.BeginTransaction(IsolationLevel.RepeatableRead);
            }
            catch (Exception error) when (StoreErrors.IsUnavailable(error))
            {
                throw StoreErrors.Unavailable();
            }

            using (transaction)
            {
                var session = new PostgresHubSession(connection, transaction, readOnly: true, _options.DocumentProtector);
                T result;
                try
                {
                    result = work(session);
                }
                catch (Exception error)
                {
                    throw StoreErrors.Translate(error);
                }
                finally
                {
                    session.Close();
                }

                try
                {
                    // Nothing was written: ending the transaction either way only ends the snapshot.
                    await transaction.RollbackAsync(CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception error) when (StoreErrors.IsUnavailable(error))
                {
                    // The read's answer is whole; the broken connection is not returned to the pool in a usable state.
                }

                return result;
            }
        }
    }

    /// <inheritdoc />
    public async Task<DocumentResealing> ResealDocumentsAsync(CancellationToken cancellationToken = default)
    {
        const int PageSize = 200;
        if (_options.DocumentProtector is null)
        {
            throw new InvalidOperationException("The store seals no documents: set PostgresStoreOptions.DocumentProtector.");
        }

        var examined = 0;
        var rewritten = 0;
        foreach (var table in new[] { "referrals", "transitions", "signals", "requests" })
        {
            var after = 0L;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var (last, count, changed) = await WriteAsync(session => ((PostgresHubSession)session).ResealPage(table, after, PageSize), cancellationToken).ConfigureAwait(false);
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

    /// <summary>Finishes every queued write, then closes the connections.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _queue.Writer.TryComplete();
        }

        await _writerStopped.Task.ConfigureAwait(false);
        await _dataSource.DisposeAsync().ConfigureAwait(false);
    }

    // ----- The writer

    private NpgsqlConnection OpenConnection() => _dataSource.OpenConnection();

    private void WriterLoop()
    {
        var reader = _queue.Reader;
        var batch = new List<WriteItem>();
        try
        {
            while (true)
            {
                if (!reader.TryRead(out var first))
                {
                    // Blocks this thread, which does nothing else, until a write is queued or the store closes.
                    if (!reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
                    {
                        break;
                    }

                    continue;
                }

                batch.Add(first);
                while (batch.Count < _options.MaxBatchSize && reader.TryRead(out var next))
                {
                    batch.Add(next);
                }

                RunBatch(batch);
                foreach (var item in batch)
                {
                    item.Complete();
                }

                batch.Clear();
            }
        }
        finally
        {
            while (reader.TryRead(out var left))
            {
                batch.Add(left);
            }

            foreach (var item in batch)
            {
                // Claimed here so that Complete answers it (an item never started would wait for ever).
                if (item.TryStart())
                {
                    item.Fail(new ObjectDisposedException(nameof(PostgresHubStore)));
                }

                item.Complete();
            }

            _writer?.Dispose();
            _writer = null;
            _writerStopped.TrySetResult();
        }
    }

    /// <summary>
    /// Runs the batch in one transaction under the write lock, each item in its own savepoint, and commits. The
    /// statements go through a <see cref="WritePipeline"/>: the lock and each savepoint go to the server with the next
    /// statements that have to be sent; an item's statements whose answers it does not need go together, before its
    /// next read, or with the next item's first round trip.
    /// </summary>
    private void RunBatch(List<WriteItem> batch)
    {
        var started = new List<WriteItem>(batch.Count);
        try
        {
            _writer ??= OpenConnection();
            using var transaction = _writer.BeginTransaction(IsolationLevel.ReadCommitted);
            var pipeline = new WritePipeline(_writer, transaction);
            pipeline.Lock(Schema.WriteLock);
            foreach (var item in batch)
            {
                if (!item.TryStart())
                {
                    continue; // cancelled while queued
                }

                started.Add(item);
                pipeline.BeginWrite(item);
                var session = new PostgresHubSession(_writer, transaction, readOnly: false, _options.DocumentProtector, pipeline);
                try
                {
                    item.Run(session);
                    session.Close();

                    // The item's last statements wait for the next item's first round trip (or the commit); a failure
                    // there is still the item's own (see WritePipeline).
                    session.FinishWrite();
                }
                catch (Exception error)
                {
                    session.Close();
                    if (error is NpgsqlException and not PostgresException)
                    {
                        // The connection itself failed (or a statement of the writer's own): the transaction is gone.
                        throw;
                    }

                    item.Fail(StoreErrors.Translate(error));
                    pipeline.FailWrite();
                }
            }

            // What is left: the last item's statements, a failed item's roll back, the lock if no item sent anything.
            pipeline.Flush();
            var committing = _time.GetTimestamp();
            using (Common.HubTraces.StartCommit("postgres", started.Select(item => item.Caller), started.Count))
            {
                transaction.Commit();
            }

            Common.HubMetrics.Commit("postgres", _time.GetElapsedTime(committing), started.Count);
            Interlocked.Increment(ref _commits);
        }
#pragma warning disable CA1031 // The writer must answer every caller whatever happens; they get STORAGE_UNAVAILABLE.
        catch (Exception)
#pragma warning restore CA1031
        {
            // Nothing of the batch is stored (or, if the commit's answer was lost, it cannot be known): every item
            // fails, those that had not started yet too (the transaction failed before them: the write lock, say), and
            // the connection is dropped so the next batch starts on a fresh one.
            foreach (var item in batch)
            {
                if (item.TryStart() || started.Contains(item))
                {
                    item.Fail(StoreErrors.Unavailable());
                }
            }

            _writer?.Dispose();
            _writer = null;
        }
    }
}

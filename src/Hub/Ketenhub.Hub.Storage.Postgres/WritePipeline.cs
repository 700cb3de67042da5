using Ketenhub.Hub.Storage;
using Npgsql;

namespace Ketenhub.Hub.Storage.Postgres;

/// <summary>
/// The statements of one write transaction on the writer's connection, sent in as few round trips as the work allows.
/// <para>
/// Statements whose answer the work does not need (inserts, and updates whose row count is checked here) wait in a
/// queue and go to the server with the next statement whose answer is needed (a read, an insert that returns its
/// sequence, a delete whose count is returned), as one <see cref="NpgsqlBatch"/>, or at the end of the write
/// (<see cref="Flush"/>). The writer's own statements (the write lock, a write's savepoint and its release or roll
/// back) wait at the head of the queue as its <em>prefix</em> and go with the next write's first round trip.
/// </para>
/// <para>
/// Every queued statement but the prefix belongs to the write that runs: the writer flushes at the end of each write,
/// before it queues that write's release, so an error the server reports in a batch (a constraint, say) is the running
/// write's error, as it was when each statement was sent on its own, and the write's savepoint undoes it. An error in
/// the prefix is the writer's and fails the whole group. A queued update that changed no row fails the write with the
/// same <see cref="InvalidOperationException"/> as before, when its batch has been sent.
/// </para>
/// </summary>
internal sealed class WritePipeline
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;
    private readonly List<Statement> _queued = [];
    private int _prefix;

    internal WritePipeline(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        _connection = connection;
        _transaction = transaction;
    }

    /// <summary>
    /// The head of the audit chain as this transaction's committed-so-far writes left it, when known (the writer holds
    /// the write lock, so no one else appends until the commit); null when it must be read.
    /// </summary>
    internal AuditHeadState? KnownAuditHead { get; set; }

    /// <summary>How many round trips this transaction has made (for tests).</summary>
    internal int RoundTrips { get; private set; }

    /// <summary>Queues one of the writer's own statements; it goes first in the next round trip.</summary>
    internal void Prefix(string sql, params object?[] args)
    {
        if (_queued.Count > _prefix)
        {
            throw new InvalidOperationException("The writer's statements go before a write's own, never among them.");
        }

        _queued.Add(new Statement(sql, args, null) { ReturnsRows = sql.StartsWith("SELECT", StringComparison.Ordinal) });
        _prefix++;
    }

    /// <summary>Queues a statement of the running write, to be sent with its next round trip; one that returns no rows.</summary>
    internal void Enqueue(string sql, object?[] args, Func<int, Exception?>? check) => _queued.Add(new Statement(sql, args, check));

    /// <summary>Drops the running write's queued statements (it failed before they were sent); the prefix stays.</summary>
    internal void DiscardWrite() => _queued.RemoveRange(_prefix, _queued.Count - _prefix);

    /// <summary>Whether the running write has statements queued.</summary>
    internal bool HasWriteStatements => _queued.Count > _prefix;

    /// <summary>Sends whatever is queued, in one round trip.</summary>
    internal void Flush()
    {
        if (_queued.Count > 0)
        {
            Send([], (batch, check) =>
            {
                batch.ExecuteNonQuery();
                check();
                return 0;
            });
        }
    }

    /// <summary>Sends what is queued and <paramref name="sql"/> in one round trip; returns the rows it affected.</summary>
    internal int Execute(string sql, object?[] args) =>
        Send([new Statement(sql, args, null)], (batch, check) =>
        {
            batch.ExecuteNonQuery();
            check();
            return batch.BatchCommands[^1].RecordsAffected;
        });

    /// <summary>
    /// Sends what is queued and the queries in one round trip, and hands <paramref name="read"/> a reader on the first
    /// query's rows (the others follow with <see cref="NpgsqlDataReader.NextResult()"/>).
    /// </summary>
    internal T Query<T>(IReadOnlyList<(string Sql, object?[] Args)> queries, Func<NpgsqlDataReader, T> read)
    {
        var rowsBefore = _queued.Count(s => s.ReturnsRows);
        return Send([.. queries.Select(q => new Statement(q.Sql, q.Args, null))], (batch, check) =>
        {
            using var reader = batch.ExecuteReader();

            // Past the rows of the queued statements that return some (the lock's), to the first query's rows: every
            // queued statement before it has completed.
            for (var i = 0; i < rowsBefore; i++)
            {
                reader.NextResult();
            }

            check();
            return read(reader);
        });
    }

    private T Send<T>(Statement[] more, Func<NpgsqlBatch, Action, T> send)
    {
        var statements = _queued.Count == 0 ? [.. more] : _queued.Concat(more).ToList();
        var prefix = _prefix;
        _queued.Clear();
        _prefix = 0;
        using var batch = new NpgsqlBatch(_connection, _transaction);
        foreach (var statement in statements)
        {
            var command = new NpgsqlBatchCommand(statement.Sql);
            foreach (var arg in statement.Args)
            {
                command.Parameters.Add(arg is NpgsqlParameter parameter ? parameter : new NpgsqlParameter { Value = arg ?? DBNull.Value });
            }

            batch.BatchCommands.Add(command);
        }

        void Check()
        {
            for (var i = prefix; i < statements.Count; i++)
            {
                if (statements[i].Check is { } check && check(batch.BatchCommands[i].RecordsAffected) is { } refused)
                {
                    throw refused;
                }
            }
        }

        RoundTrips++;
        try
        {
            return send(batch, Check);
        }
        catch (PostgresException error) when (error.BatchCommand is { } failed && batch.BatchCommands.IndexOf(failed) is var at && at >= 0 && at < prefix)
        {
            // The writer's own statement failed, not the write's: the group cannot go on.
            throw new NpgsqlException("The writer's statement failed.", error);
        }
    }

    private sealed record Statement(string Sql, object?[] Args, Func<int, Exception?>? Check)
    {
        public bool ReturnsRows { get; init; }
    }
}

/// <summary>What a write knows of the audit chain's head: nothing yet (ask the server), or the head itself.</summary>
internal sealed record AuditHeadState(AuditHead? Head);

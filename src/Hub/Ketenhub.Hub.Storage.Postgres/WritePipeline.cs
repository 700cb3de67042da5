using Ketenhub.Hub.Storage;
using Npgsql;

namespace Ketenhub.Hub.Storage.Postgres;

/// <summary>
/// The statements of one write transaction on the writer's connection, sent in as few round trips as the writes allow.
/// <para>
/// Statements whose answer a write does not need (inserts, and updates whose row count is checked here) wait in a
/// queue and go to the server with the next statement whose answer is needed (a read, an insert that returns its
/// sequence, a delete whose count is returned), as one <see cref="NpgsqlBatch"/>. The writer's own statements (the
/// write lock, each write's savepoint) wait in the queue too. What a write has queued when its work returns waits for
/// the next write's first round trip, or for the commit; a write whose last statements still wait when the next one
/// ends is sent then, so at most one write's statements are outstanding beside the running one's.
/// </para>
/// <para>
/// Each write runs in a savepoint of its own, never released before the commit: two names taken in turn, so the
/// waiting write and the running one have different names and either can be rolled back alone. When the server
/// refuses a statement (a constraint, say), or a checked update changed no row, the write it belongs to fails: if it is
/// the waiting write, it is rolled back to its savepoint and the running write's statements of that round trip are
/// sent again; if it is the running one, its work gets the error, as when each statement was sent on its own. An error
/// in a statement of the writer's own fails the whole group.
/// </para>
/// </summary>
internal sealed class WritePipeline
{
    private const int Writer = -1;

    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;
    private readonly List<Statement> _queued = [];

    // The running write's ordinal and item (none between writes), and the write before it whose last statements wait in
    // the queue, with what it left the audit head at.
    private int _ordinal = -1;
    private WriteItem? _running;
    private Waiting? _waiting;

    internal WritePipeline(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        _connection = connection;
        _transaction = transaction;
    }

    /// <summary>
    /// The head of the audit chain as the confirmed writes of this transaction left it, when known (the writer holds the
    /// write lock, so no one else appends until the commit); null when it must be read.
    /// </summary>
    internal AuditHeadState? KnownAuditHead { get; set; }

    /// <summary>Queues the write lock, the transaction's first statement.</summary>
    internal void Lock(long key) => _queued.Add(new Statement("SELECT pg_advisory_xact_lock($1);", [key], null, Writer) { ReturnsRows = true });

    /// <summary>Starts a write: queues its savepoint.</summary>
    internal void BeginWrite(WriteItem item)
    {
        _ordinal++;
        _running = item;
        _queued.Add(new Statement("SAVEPOINT " + SavepointOf(_ordinal) + ";", [], null, Writer));
    }

    /// <summary>
    /// The running write's work returned. Its queued statements wait for the next round trip; those of the write before
    /// it, if they still wait, are sent now with them.
    /// </summary>
    internal void EndWrite(bool touchedAuditHead, AuditHeadState? auditHead)
    {
        if (_waiting is not null)
        {
            Flush();
        }

        if (_queued.Any(s => s.Owner == _ordinal))
        {
            _waiting = new Waiting(_ordinal, _running!, touchedAuditHead, auditHead);
        }
        else if (touchedAuditHead)
        {
            KnownAuditHead = auditHead;
        }

        _running = null;
    }

    /// <summary>
    /// The running write failed: its unsent statements are dropped and it is rolled back to its savepoint (with the next
    /// round trip). The waiting write before it, if any, is settled now.
    /// </summary>
    internal void FailWrite()
    {
        var ordinal = _ordinal;
        _queued.RemoveAll(s => s.Owner == ordinal);
        _queued.Add(new Statement("ROLLBACK TO SAVEPOINT " + SavepointOf(ordinal) + ";", [], null, Writer));
        _running = null;
        if (_waiting is not null)
        {
            Flush();
        }
    }

    /// <summary>
    /// The audit head as every write before the running one left it. If the waiting write appended to the chain, its
    /// statements are sent first: whether they hold decides the head.
    /// </summary>
    internal AuditHeadState? CurrentAuditHead()
    {
        if (_waiting is { TouchedAuditHead: true })
        {
            Flush();
        }

        return KnownAuditHead;
    }

    /// <summary>Queues a statement of the running write (one that returns no rows), to be sent with its next round trip.</summary>
    internal void Enqueue(string sql, object?[] args, Func<int, Exception?>? check) => _queued.Add(new Statement(sql, args, check, _ordinal));

    /// <summary>Sends whatever is queued, in one round trip.</summary>
    internal void Flush()
    {
        if (_queued.Count > 0)
        {
            Send((batch, check, _) =>
            {
                batch.ExecuteNonQuery();
                check();
                return 0;
            });
        }
    }

    /// <summary>Sends what is queued and <paramref name="sql"/> in one round trip; returns the rows it affected.</summary>
    internal int Execute(string sql, object?[] args)
    {
        _queued.Add(new Statement(sql, args, null, _ordinal) { IsTarget = true });
        return Send((batch, check, _) =>
        {
            batch.ExecuteNonQuery();
            return check() ? batch.BatchCommands[^1].RecordsAffected : 0;
        });
    }

    /// <summary>
    /// Sends what is queued and the queries in one round trip, and hands <paramref name="read"/> a reader on the first
    /// query's rows (the others follow with <see cref="NpgsqlDataReader.NextResult()"/>).
    /// </summary>
    internal T Query<T>(IReadOnlyList<(string Sql, object?[] Args)> queries, Func<NpgsqlDataReader, T> read)
    {
        foreach (var (sql, args) in queries)
        {
            _queued.Add(new Statement(sql, args, null, _ordinal) { IsTarget = true, ReturnsRows = true });
        }

        return Send((batch, check, rowsBefore) =>
        {
            using var reader = batch.ExecuteReader();

            // Past the rows of the queued statements that return some (the lock's), to the first query's rows: every
            // statement before it has completed.
            for (var i = 0; i < rowsBefore; i++)
            {
                reader.NextResult();
            }

            return check() ? read(reader) : default!;
        });
    }

    private T Send<T>(Func<NpgsqlBatch, Func<bool>, int, T> send)
    {
        while (true)
        {
            var statements = _queued.ToList();
            _queued.Clear();
            var rowsBefore = statements.TakeWhile(s => !s.IsTarget).Count(s => s.ReturnsRows);
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

            // The first statement whose check fails among the first `count`, or none.
            (int At, Exception Error)? Refused(int count)
            {
                for (var i = 0; i < count; i++)
                {
                    if (statements[i].Check is { } check && check(batch.BatchCommands[i].RecordsAffected) is { } refused)
                    {
                        return (i, refused);
                    }
                }

                return null;
            }

            // Once every statement has completed: false if a check failed (the send then stops and answers nothing).
            (int At, Exception Error)? refusal = null;
            bool Check()
            {
                refusal = Refused(statements.Count);
                if (refusal is null)
                {
                    Confirm();
                }

                return refusal is null;
            }

            int at;
            Exception error;
            try
            {
                var result = send(batch, Check, rowsBefore);
                if (refusal is null)
                {
                    return result;
                }

                (at, error) = refusal.Value;
            }
            catch (PostgresException failed) when (FailedAt(batch, failed) is { } index)
            {
                // The statements before the failed one completed: the first of them whose check fails came first.
                (at, error) = Refused(index) ?? (index, failed);
            }
            catch (PostgresException failed) when (_waiting is not null)
            {
                // Not known which statement failed, so not whose write it was: the group cannot go on.
                throw new NpgsqlException("A batch of the writer failed.", failed);
            }

            var owner = statements[at].Owner;
            if (owner == Writer)
            {
                // The writer's own statement failed, not a write's: the group cannot go on.
                throw new NpgsqlException("The writer's statement failed.", error);
            }

            if (_waiting is { } waiting && owner == waiting.Ordinal)
            {
                // The waiting write fails alone: back to its savepoint (which undoes whatever of the running write's
                // followed), then the running write's statements go again.
                _waiting = null;
                waiting.Item.Fail(StoreErrors.Translate(error));
                var last = statements.FindLastIndex(s => s.Owner == owner);
                _queued.Add(new Statement("ROLLBACK TO SAVEPOINT " + SavepointOf(owner) + ";", [], null, Writer));
                _queued.AddRange(statements.Skip(last + 1));
                continue;
            }

            // The running write's statement: every statement before it held, so the waiting write stands.
            Confirm();
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
        }
    }

    /// <summary>
    /// Which statement of the batch the server refused: the one the exception names, else the first that did not
    /// complete (the server skips the rest of a batch after an error); null when that cannot be told.
    /// </summary>
    private static int? FailedAt(NpgsqlBatch batch, PostgresException failed)
    {
        if (failed.BatchCommand is { } command && batch.BatchCommands.IndexOf(command) is var named and >= 0)
        {
            return named;
        }

        for (var i = 0; i < batch.BatchCommands.Count; i++)
        {
            if (batch.BatchCommands[i].StatementType == StatementType.Unknown)
            {
                return i;
            }
        }

        return null;
    }

    private void Confirm()
    {
        if (_waiting is { } waiting)
        {
            _waiting = null;
            if (waiting.TouchedAuditHead)
            {
                KnownAuditHead = waiting.AuditHead;
            }
        }
    }

    // Two names in turn: a write's savepoint is never named as the one before it.
    private static string SavepointOf(int ordinal) => ordinal % 2 == 0 ? "write_a" : "write_b";

    private sealed record Statement(string Sql, object?[] Args, Func<int, Exception?>? Check, int Owner)
    {
        public bool ReturnsRows { get; init; }

        /// <summary>A statement whose answer is awaited (a query, or a write whose count is returned), not a queued one.</summary>
        public bool IsTarget { get; init; }
    }

    private sealed record Waiting(int Ordinal, WriteItem Item, bool TouchedAuditHead, AuditHeadState? AuditHead);
}

/// <summary>What a write knows of the audit chain's head: nothing yet (ask the server), or the head itself.</summary>
internal sealed record AuditHeadState(AuditHead? Head);

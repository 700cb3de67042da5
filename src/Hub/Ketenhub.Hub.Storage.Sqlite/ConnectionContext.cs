using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Ketenhub.Hub.Storage.Sqlite;

/// <summary>
/// One open connection and its prepared statements, cached by SQL text. Used by one thread at a time: the
/// writer's context by the writer loop, a reader's context by the read that took it from the pool.
/// <para>
/// Statements run through SQLitePCL's raw API (the layer under <see cref="SqliteCommand"/>) on the provider's
/// connection handle: no reader or parameter objects per call, and JSON bodies go between SQLite and
/// System.Text.Json as UTF-8 without becoming .NET strings. In isolation that measured roughly a third less
/// time per statement than a reused, prepared <see cref="SqliteCommand"/>. Errors still surface as
/// <see cref="SqliteException"/>.
/// </para>
/// </summary>
internal sealed class ConnectionContext : IDisposable
{
    private const uint PreparePersistent = 0x01; // SQLITE_PREPARE_PERSISTENT: the statement is kept and reused.

    private readonly Dictionary<string, sqlite3_stmt> _statements = new(StringComparer.Ordinal);
    private readonly ArrayBufferWriter<byte> _jsonBuffer = new(4096);
    private byte[] _textBuffer = new byte[1024];
    private readonly Utf8JsonWriter _jsonWriter;
    private readonly JsonMarker _jsonMarker = new();

    private ConnectionContext(SqliteConnection connection)
    {
        Connection = connection;
        _jsonWriter = new Utf8JsonWriter(_jsonBuffer);
    }

    public SqliteConnection Connection { get; }

    /// <summary>Opens a connection to <paramref name="path"/> and applies the per-connection settings.</summary>
    public static ConnectionContext Open(string path, ConnectionRole role)
    {
        var writer = role == ConnectionRole.Writer;
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = role switch
            {
                ConnectionRole.Writer => SqliteOpenMode.ReadWriteCreate,
                ConnectionRole.Checkpointer => SqliteOpenMode.ReadWrite,
                _ => SqliteOpenMode.ReadOnly,
            },
            // The store keeps its own connections; the provider's pool would keep the file open after dispose.
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString();

        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            var context = new ConnectionContext(connection);

            // First, so that every statement below (switching to WAL included) waits for a lock another connection
            // holds for a moment, such as a store that is closing or a reader of the file, instead of failing.
            raw.sqlite3_busy_timeout(context.Db, 5000);
            if (writer)
            {
                string mode;
                using (var rows = context.Query("PRAGMA journal_mode = WAL;"))
                {
                    mode = rows.Next() ? rows.Text(0) : "";
                }

                if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
                {
                    throw new InvalidOperationException("The SQLite store could not switch its database to WAL mode.");
                }

                context.Execute("PRAGMA temp_store = MEMORY;");

                // Limits the WAL file kept on disk after it starts over.
                context.Execute("PRAGMA journal_size_limit = 67108864;");

                // What the hub deletes or overwrites (retention, erasure, every update of a row) is overwritten with zeros in
                // the file, not left in free space where a copy of the file would still hold it (docs/privacy.md).
                context.Execute("PRAGMA secure_delete = ON;");
            }

            if (role != ConnectionRole.Reader)
            {
                // FULL: the WAL is synced at every commit, so a committed write survives a power loss.
                context.Execute("PRAGMA synchronous = FULL;");

                // Checkpoints run on the checkpointer's thread (see Checkpointer), not inside the writer's commits.
                context.Execute("PRAGMA wal_autocheckpoint = 0;");
            }

            context.Execute("PRAGMA foreign_keys = ON;");
            context.Execute("PRAGMA cache_size = -16384;");
            return context;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Whether a transaction is open on the connection (SQLite may end one by itself after an I/O error).</summary>
    public bool InTransaction => raw.sqlite3_get_autocommit(Db) == 0;

    /// <summary>The rowid (for deliveries and journey: the sequence) of the last row this connection inserted.</summary>
    public long LastInsertRowId => raw.sqlite3_last_insert_rowid(Db);

    private sqlite3 Db => Connection.Handle ?? throw new InvalidOperationException("The connection is closed.");

    /// <summary>
    /// Serialises <paramref name="value"/> as UTF-8 JSON into this connection's buffer and returns a marker that
    /// binds it as text. Valid until the next call; one JSON value per statement.
    /// </summary>
    public object Json<T>(T value, JsonTypeInfo<T> type)
    {
        _jsonBuffer.ResetWrittenCount();
        _jsonWriter.Reset(_jsonBuffer);
        JsonSerializer.Serialize(_jsonWriter, value, type);
        _jsonWriter.Flush();
        return _jsonMarker;
    }

    /// <summary>
    /// <see cref="Json{T}"/>, sealed by <paramref name="protector"/> for <paramref name="place"/> when one is given: the
    /// value to bind for a document with free text about a client.
    /// </summary>
    public object SealedJson<T>(T value, JsonTypeInfo<T> type, IDocumentProtector? protector, string place)
    {
        var marker = Json(value, type);
        return protector is null ? marker : protector.Protect(place, _jsonBuffer.WrittenSpan);
    }

    /// <summary>Runs a statement that returns no rows (or whose rows are not needed); returns the rows it changed.</summary>
    public int Execute(string sql, params ReadOnlySpan<object?> args)
    {
        var statement = Bind(sql, args);
        try
        {
            int rc;
            while ((rc = raw.sqlite3_step(statement)) == raw.SQLITE_ROW)
            {
            }

            if (rc != raw.SQLITE_DONE)
            {
                SqliteException.ThrowExceptionForRC(rc, Db);
            }

            return raw.sqlite3_changes(Db);
        }
        finally
        {
            raw.sqlite3_reset(statement);
        }
    }

    /// <summary>Runs a query; read its rows with <see cref="Rows.Next"/> and dispose it before the next statement.</summary>
    public Rows Query(string sql, params ReadOnlySpan<object?> args) => new(this, Bind(sql, args));

    /// <summary>The first row's first column, a JSON body, deserialised; null when there is no row.</summary>
    public T? QueryOne<T>(JsonTypeInfo<T> type, string sql, params ReadOnlySpan<object?> args)
        where T : class
    {
        using var rows = Query(sql, args);
        return rows.Next() ? rows.Json(0, type) : null;
    }

    /// <summary>Every row's first column, a JSON body, deserialised.</summary>
    public List<T> QueryList<T>(JsonTypeInfo<T> type, string sql, params ReadOnlySpan<object?> args)
    {
        using var rows = Query(sql, args);
        var list = new List<T>();
        while (rows.Next())
        {
            list.Add(rows.Json(0, type));
        }

        return list;
    }

    /// <summary>Rows of (sequence, JSON body); <paramref name="withSequence"/> puts the column's sequence into the body.</summary>
    public List<T> QuerySequenced<T>(JsonTypeInfo<T> type, Func<T, long, T> withSequence, string sql, params ReadOnlySpan<object?> args)
    {
        using var rows = Query(sql, args);
        var list = new List<T>();
        while (rows.Next())
        {
            list.Add(withSequence(rows.Json(1, type), rows.Int64(0)));
        }

        return list;
    }

    public void Dispose()
    {
        foreach (var statement in _statements.Values)
        {
            statement.Dispose();
        }

        _statements.Clear();
        _jsonWriter.Dispose();
        Connection.Dispose();
    }

    /// <summary>The cached prepared statement for <paramref name="sql"/> with <paramref name="args"/> bound in order (named parameters are numbered by first appearance).</summary>
    private sqlite3_stmt Bind(string sql, ReadOnlySpan<object?> args)
    {
        if (!_statements.TryGetValue(sql, out var statement))
        {
            statement = Prepare(sql);
            _statements.Add(sql, statement);
        }

        var count = raw.sqlite3_bind_parameter_count(statement);
        if (count != args.Length)
        {
            throw new InvalidOperationException($"The statement has {count} parameters but {args.Length} values were given.");
        }

        for (var i = 0; i < args.Length; i++)
        {
            var index = i + 1;
            var rc = args[i] switch
            {
                null => raw.sqlite3_bind_null(statement, index),
                string text => BindText(statement, index, text),
                long number => raw.sqlite3_bind_int64(statement, index, number),
                int number => raw.sqlite3_bind_int64(statement, index, number),
                JsonMarker => raw.sqlite3_bind_text(statement, index, _jsonBuffer.WrittenSpan),
                var other => throw new ArgumentException($"A value of type {other.GetType().Name} cannot be bound.", nameof(args)),
            };
            if (rc != raw.SQLITE_OK)
            {
                raw.sqlite3_reset(statement);
                SqliteException.ThrowExceptionForRC(rc, Db);
            }
        }

        return statement;
    }

    /// <summary>
    /// Binds text through this connection's scratch buffer instead of a new UTF-8 array per value (SQLite copies
    /// the bytes at once, as it does for the JSON buffer). The empty string keeps the string overload: an empty
    /// span would reach SQLite as a null pointer, which binds NULL.
    /// </summary>
    private int BindText(sqlite3_stmt statement, int index, string text)
    {
        if (text.Length == 0)
        {
            return raw.sqlite3_bind_text(statement, index, text);
        }

        var max = Encoding.UTF8.GetMaxByteCount(text.Length);
        if (_textBuffer.Length < max)
        {
            _textBuffer = new byte[Math.Max(max, _textBuffer.Length * 2)];
        }

        var count = Encoding.UTF8.GetBytes(text, _textBuffer);
        return raw.sqlite3_bind_text(statement, index, _textBuffer.AsSpan(0, count));
    }

    private sqlite3_stmt Prepare(string sql)
    {
        var rc = raw.sqlite3_prepare_v3(Db, sql, PreparePersistent, out sqlite3_stmt? statement, out string? tail);
        if (rc != raw.SQLITE_OK || statement is null)
        {
            statement?.Dispose();
            SqliteException.ThrowExceptionForRC(rc, Db);
            throw new InvalidOperationException("SQLite prepared no statement.");
        }

        if (!string.IsNullOrWhiteSpace(tail))
        {
            statement.Dispose();
            throw new InvalidOperationException("A cached statement must be a single SQL statement.");
        }

        return statement;
    }

    /// <summary>The rows of one query. Column values are valid only until the next <see cref="Next"/>.</summary>
    public ref struct Rows
    {
        private readonly ConnectionContext _context;
        private readonly sqlite3_stmt _statement;

        internal Rows(ConnectionContext context, sqlite3_stmt statement)
        {
            _context = context;
            _statement = statement;
        }

        public readonly bool Next()
        {
            var rc = raw.sqlite3_step(_statement);
            if (rc == raw.SQLITE_ROW)
            {
                return true;
            }

            if (rc != raw.SQLITE_DONE)
            {
                SqliteException.ThrowExceptionForRC(rc, _context.Db);
            }

            return false;
        }

        public readonly long Int64(int column) => raw.sqlite3_column_int64(_statement, column);

        public readonly bool IsNull(int column) => raw.sqlite3_column_type(_statement, column) == raw.SQLITE_NULL;

        public readonly string Text(int column) => raw.sqlite3_column_text(_statement, column).utf8_to_string();

        /// <summary>A JSON text column, deserialised straight from SQLite's UTF-8 bytes.</summary>
        public readonly T Json<T>(int column, JsonTypeInfo<T> type) =>
            JsonSerializer.Deserialize(raw.sqlite3_column_blob(_statement, column), type)
            ?? throw new InvalidOperationException("A stored entity body is empty.");

        /// <summary>A column's bytes, copied.</summary>
        public readonly byte[] Bytes(int column) => raw.sqlite3_column_blob(_statement, column).ToArray();

        /// <summary>A sealed JSON document column (see <see cref="SealedJson{T}"/>), opened and deserialised.</summary>
        public readonly T OpenedJson<T>(int column, JsonTypeInfo<T> type, IDocumentProtector? protector, string place)
        {
            if (protector is null)
            {
                return Json(column, type);
            }

            var plain = protector.Unprotect(place, raw.sqlite3_column_blob(_statement, column));
            return JsonSerializer.Deserialize(plain.Span, type) ?? throw new InvalidOperationException("A stored entity body is empty.");
        }

        /// <summary>A sealed text column, opened.</summary>
        public readonly string OpenedText(int column, IDocumentProtector? protector, string place) =>
            protector is null ? Text(column) : System.Text.Encoding.UTF8.GetString(protector.Unprotect(place, raw.sqlite3_column_blob(_statement, column)).Span);

        public readonly void Dispose() => raw.sqlite3_reset(_statement);
    }

    /// <summary>Stands for the JSON last written by <see cref="Json{T}"/> among a statement's values.</summary>
    private sealed class JsonMarker;
}

/// <summary>What a connection is for.</summary>
internal enum ConnectionRole
{
    /// <summary>The one connection that writes (and creates the file).</summary>
    Writer,

    /// <summary>A pooled read-only connection.</summary>
    Reader,

    /// <summary>The connection that copies the WAL into the database file.</summary>
    Checkpointer,
}

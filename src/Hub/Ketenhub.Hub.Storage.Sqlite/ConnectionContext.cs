using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;

namespace Ketenhub.Hub.Storage.Sqlite;

/// <summary>
/// One open connection and its prepared commands, cached by SQL text. Used by one thread at a time: the
/// writer's context by the writer loop, a reader's context by the read that took it from the pool.
/// </summary>
internal sealed partial class ConnectionContext : IDisposable
{
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);

    private ConnectionContext(SqliteConnection connection) => Connection = connection;

    public SqliteConnection Connection { get; }

    /// <summary>Opens a connection to <paramref name="path"/> and applies the per-connection settings.</summary>
    public static ConnectionContext Open(string path, bool writer)
    {
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = writer ? SqliteOpenMode.ReadWriteCreate : SqliteOpenMode.ReadOnly,
            // The store keeps its own connections; the provider's pool would keep the file open after dispose.
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString();

        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            var context = new ConnectionContext(connection);
            if (writer)
            {
                var mode = context.Scalar("PRAGMA journal_mode = WAL;") as string;
                if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
                {
                    throw new InvalidOperationException("The SQLite store could not switch its database to WAL mode.");
                }

                // FULL: the WAL is synced at every commit, so a committed write survives a power loss.
                context.Execute("PRAGMA synchronous = FULL;");
                context.Execute("PRAGMA temp_store = MEMORY;");
            }

            context.Execute("PRAGMA foreign_keys = ON;");
            context.Execute("PRAGMA busy_timeout = 5000;");
            context.Execute("PRAGMA cache_size = -16384;");
            return context;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>The cached command for <paramref name="sql"/>, with <paramref name="args"/> bound to its parameters in order of first appearance.</summary>
    public SqliteCommand Command(string sql, params ReadOnlySpan<object?> args)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = Create(sql);
            _commands.Add(sql, command);
        }

        var parameters = command.Parameters;
        if (parameters.Count != args.Length)
        {
            throw new InvalidOperationException($"The statement has {parameters.Count} parameters but {args.Length} values were given.");
        }

        for (var i = 0; i < args.Length; i++)
        {
            parameters[i].Value = args[i] ?? DBNull.Value;
        }

        return command;
    }

    /// <summary>Whether a transaction is open on the connection (SQLite may end one by itself after an I/O error).</summary>
    public bool InTransaction => SQLitePCL.raw.sqlite3_get_autocommit(Connection.Handle) == 0;

    /// <summary>The rowid (for deliveries and journey: the sequence) of the last row this connection inserted.</summary>
    public long LastInsertRowId => SQLitePCL.raw.sqlite3_last_insert_rowid(Connection.Handle);

    public int Execute(string sql, params ReadOnlySpan<object?> args) => Command(sql, args).ExecuteNonQuery();

    public object? Scalar(string sql, params ReadOnlySpan<object?> args) => Command(sql, args).ExecuteScalar();

    /// <summary>The first row's first column, a JSON body, deserialised; null when there is no row.</summary>
    public T? QueryOne<T>(JsonTypeInfo<T> type, string sql, params ReadOnlySpan<object?> args)
        where T : class
    {
        using var reader = Command(sql, args).ExecuteReader();
        return reader.Read() ? Deserialize(reader.GetString(0), type) : null;
    }

    /// <summary>Every row's first column, a JSON body, deserialised.</summary>
    public List<T> QueryList<T>(JsonTypeInfo<T> type, string sql, params ReadOnlySpan<object?> args)
    {
        using var reader = Command(sql, args).ExecuteReader();
        var list = new List<T>();
        while (reader.Read())
        {
            list.Add(Deserialize(reader.GetString(0), type));
        }

        return list;
    }

    /// <summary>Rows of (sequence, JSON body); <paramref name="withSequence"/> puts the column's sequence into the body.</summary>
    public List<T> QuerySequenced<T>(JsonTypeInfo<T> type, Func<T, long, T> withSequence, string sql, params ReadOnlySpan<object?> args)
    {
        using var reader = Command(sql, args).ExecuteReader();
        var list = new List<T>();
        while (reader.Read())
        {
            list.Add(withSequence(Deserialize(reader.GetString(1), type), reader.GetInt64(0)));
        }

        return list;
    }

    public static T Deserialize<T>(string json, JsonTypeInfo<T> type) =>
        JsonSerializer.Deserialize(json, type) ?? throw new InvalidOperationException("A stored entity body is empty.");

    public void Dispose()
    {
        foreach (var command in _commands.Values)
        {
            command.Dispose();
        }

        _commands.Clear();
        Connection.Dispose();
    }

    private SqliteCommand Create(string sql)
    {
        var command = Connection.CreateCommand();
        command.CommandText = sql;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match match in ParameterName().Matches(sql))
        {
            if (seen.Add(match.Value))
            {
                command.Parameters.Add(new SqliteParameter { ParameterName = match.Value });
            }
        }

        command.Prepare();
        return command;
    }

    [GeneratedRegex(@"\$[A-Za-z_][A-Za-z0-9_]*", RegexOptions.CultureInvariant)]
    private static partial Regex ParameterName();
}

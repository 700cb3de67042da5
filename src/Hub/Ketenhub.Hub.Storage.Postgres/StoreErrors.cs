using Ketenhub.Hub.Common;
using Npgsql;

namespace Ketenhub.Hub.Storage.Postgres;

/// <summary>How storage failures reach callers: never with SQL, parameters or row data in the message.</summary>
internal static class StoreErrors
{
    public static HubException Unavailable() =>
        new(ErrorCategory.Unavailable, ErrorReasons.StorageUnavailable, "The store could not complete the operation.");

    /// <summary>
    /// Errors that mean the server or the connection, not the request, is at fault: a broken or refused connection,
    /// classes 08 (connection), 53 (resources), 57 (operator intervention: shutdown, cancel) and 58 (system error),
    /// and serialization failures or deadlocks (40001, 40P01).
    /// </summary>
    public static bool IsUnavailable(Exception error) => error switch
    {
        PostgresException postgres => postgres.SqlState.StartsWith("08", StringComparison.Ordinal)
            || postgres.SqlState.StartsWith("53", StringComparison.Ordinal)
            || postgres.SqlState.StartsWith("57", StringComparison.Ordinal)
            || postgres.SqlState.StartsWith("58", StringComparison.Ordinal)
            || postgres.SqlState is "40001" or "40P01" or "25P02",
        NpgsqlException => true,
        TimeoutException => true,
        System.Net.Sockets.SocketException => true,
        _ => false,
    };

    /// <summary>
    /// The exception a caller gets for <paramref name="error"/>: STORAGE_UNAVAILABLE for the server's faults; for a
    /// statement the server refused (a constraint, say), an <see cref="InvalidOperationException"/> naming only the
    /// SQLSTATE, since the server's own message and detail may quote the row; anything else as it is.
    /// </summary>
    public static Exception Translate(Exception error) => error switch
    {
        _ when IsUnavailable(error) => Unavailable(),
        PostgresException postgres => new InvalidOperationException($"The store refused the statement (SQLSTATE {postgres.SqlState})."),
        _ => error,
    };
}

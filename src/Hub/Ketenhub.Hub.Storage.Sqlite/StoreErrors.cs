using Ketenhub.Hub.Common;
using Microsoft.Data.Sqlite;

namespace Ketenhub.Hub.Storage.Sqlite;

/// <summary>How storage failures reach callers: as STORAGE_UNAVAILABLE, never with SQL or data in the message.</summary>
internal static class StoreErrors
{
    public static HubException Unavailable() =>
        new(ErrorCategory.Unavailable, ErrorReasons.StorageUnavailable, "The store could not complete the operation.");

    /// <summary>SQLite errors that mean the storage, not the request, is at fault (primary result codes).</summary>
    public static bool IsUnavailable(Exception error) =>
        error is SqliteException sqlite && (sqlite.SqliteErrorCode & 0xFF) is
            5 /* BUSY */ or 6 /* LOCKED */ or 7 /* NOMEM */ or 8 /* READONLY */ or 10 /* IOERR */ or 11 /* CORRUPT */
            or 13 /* FULL */ or 14 /* CANTOPEN */ or 15 /* PROTOCOL */ or 26 /* NOTADB */;

    public static T Translate<T>(Func<T> action)
    {
        try
        {
            return action();
        }
        catch (SqliteException error) when (IsUnavailable(error))
        {
            throw Unavailable();
        }
    }
}

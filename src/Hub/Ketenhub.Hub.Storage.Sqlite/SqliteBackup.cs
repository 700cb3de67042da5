using Microsoft.Data.Sqlite;

namespace Ketenhub.Hub.Storage.Sqlite;

/// <summary>What an online backup wrote: its pages, and the audit trail's head in it (to check a restore against).</summary>
public sealed record SqliteBackupResult(long Pages, long AuditEvents, AuditHead? AuditHead);

/// <summary>
/// An online backup of the hub's SQLite database with SQLite's backup API, safe while the hub runs: it reads one
/// consistent snapshot (a read transaction on the WAL database, which the hub's writer does not block) and copies it
/// page by page into a new file, readable by the owner only. The copy is checked (<c>PRAGMA integrity_check</c>)
/// before it is reported. Restoring is putting the file in place as <c>ketenhub.db</c> in an empty data folder.
/// </summary>
public static class SqliteBackup
{
    /// <summary>Backs <paramref name="databasePath"/> up into <paramref name="targetPath"/>, which must not exist.</summary>
    /// <exception cref="IOException">The target exists, or the copy fails its integrity check (the copy is removed).</exception>
    public static SqliteBackupResult Run(string databasePath, string targetPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(databasePath);
        ArgumentException.ThrowIfNullOrEmpty(targetPath);
        if (File.Exists(targetPath))
        {
            throw new IOException("The backup file exists already; a backup never overwrites one.");
        }

        var folder = Path.GetDirectoryName(Path.GetFullPath(targetPath));
        if (!string.IsNullOrEmpty(folder))
        {
            PrivateFiles.CreateFolder(folder);
        }

        PrivateFiles.CreateDatabaseFile(targetPath);
        try
        {
            using (var source = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString()))
            using (var target = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = targetPath, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString()))
            {
                source.Open();
                target.Open();
                source.BackupDatabase(target);
            }

            using var check = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = targetPath, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString());
            check.Open();

            // The copy is one file: no WAL beside it.
            Scalar(check, "PRAGMA journal_mode = DELETE;");
            var integrity = Scalar(check, "PRAGMA integrity_check;") as string;
            if (integrity != "ok")
            {
                throw new IOException("The backup copy failed its integrity check.");
            }

            var pages = Convert.ToInt64(Scalar(check, "PRAGMA page_count;"), System.Globalization.CultureInfo.InvariantCulture);
            var events = Convert.ToInt64(Scalar(check, "SELECT count(*) FROM audit_events;"), System.Globalization.CultureInfo.InvariantCulture);
            AuditHead? head = null;
            using (var command = check.CreateCommand())
            {
                command.CommandText = "SELECT sequence, hash FROM audit_events ORDER BY sequence DESC LIMIT 1;";
                using var reader = command.ExecuteReader();
                if (reader.Read())
                {
                    head = new AuditHead(reader.GetInt64(0), reader.GetString(1));
                }
            }

            return new SqliteBackupResult(pages, events, head);
        }
        catch
        {
            SqliteConnection.ClearAllPools();
            File.Delete(targetPath);
            throw;
        }
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}

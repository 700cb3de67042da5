using Ketenhub.Hub.Configuration;
using Ketenhub.Hub.Storage.Sqlite;

namespace Ketenhub.Hub.Host.Storage;

/// <summary>
/// <c>Ketenhub.Hub backup --to &lt;file&gt;</c>: an online backup of the hub's SQLite database (the same settings as the
/// hub, so <c>--Storage:DataDirectory &lt;folder&gt;</c> points it elsewhere), safe while the hub runs
/// (<see cref="SqliteBackup"/>). Prints the backup's size and its audit head (keep it with the backup: a restore is
/// checked against it with <c>audit verify --expect-head</c>). The keys are not in the backup: see docs/operations.md,
/// "Backups". Exit code 0 when written, 1 when not (no database, a target that exists, a PostgreSQL store).
/// </summary>
public static class BackupCommand
{
    public const int Done = 0;
    public const int NotDone = 1;

    public static async Task<int> RunAsync(string[] args, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var builder = WebApplication.CreateBuilder(HubEnvironment.Options(args));
        StorageOptions storage;
        try
        {
            storage = builder.Configuration.GetSection(StorageOptions.Section).Get<StorageOptions>() ?? new StorageOptions();
        }
        catch (InvalidOperationException)
        {
            foreach (var problem in SettingTypes.Problems(builder.Configuration, StorageOptions.Section, typeof(StorageOptions)))
            {
                await output.WriteLineAsync(problem).ConfigureAwait(false);
            }

            return NotDone;
        }

        if (storage.IsPostgres)
        {
            await output.WriteLineAsync("The hub keeps its data in PostgreSQL: back it up with pg_dump or a base backup, as docs/operations.md says in \"Backups\", \"PostgreSQL\".").ConfigureAwait(false);
            return NotDone;
        }

        var target = builder.Configuration["to"];
        if (string.IsNullOrWhiteSpace(target))
        {
            await output.WriteLineAsync("backup needs --to <file>: the new file to write the backup to.").ConfigureAwait(false);
            return NotDone;
        }

        var database = new SqliteStoreOptions { DataDirectory = Path.GetFullPath(storage.DataDirectory) }.DatabasePath;
        if (!File.Exists(database))
        {
            await output.WriteLineAsync($"There is no hub database at {database}.").ConfigureAwait(false);
            return NotDone;
        }

        try
        {
            var result = SqliteBackup.Run(database, Path.GetFullPath(target));
            await output.WriteLineAsync($"Backed up {result.Pages} pages with {result.AuditEvents} audit events to {Path.GetFullPath(target)}.").ConfigureAwait(false);
            if (result.AuditHead is { } head)
            {
                await output.WriteLineAsync($"Audit head of the backup: {head.Sequence}:{head.Hash} (check a restore with audit verify --expect-head {head.Sequence}:{head.Hash}).").ConfigureAwait(false);
            }

            return Done;
        }
        catch (IOException ex)
        {
            await output.WriteLineAsync("The backup was not written: " + ex.Message).ConfigureAwait(false);
            return NotDone;
        }
    }
}

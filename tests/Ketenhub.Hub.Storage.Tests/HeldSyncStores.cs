using Ketenhub.Hub.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Ketenhub.Hub.Storage.Tests;

/// <summary>
/// Stores in a temporary folder whose WAL sync a test can hold (<see cref="Gate"/>): while it is held, the writes
/// that come in all join the writer's one open transaction. Removes the folder when disposed.
/// </summary>
internal sealed class HeldSyncStores : IDisposable
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "ketenhub-held-sync-tests", Guid.NewGuid().ToString("N"));

    /// <summary>Open: syncs run; reset: every sync waits until it is set again.</summary>
    public ManualResetEventSlim Gate { get; } = new(true);

    /// <param name="beforeFlush">Runs in each sync once the gate lets it through (throw to fail the sync).</param>
    /// <param name="afterFlush">Runs after each sync that flushed the WAL to disk.</param>
    public SqliteHubStore Open(Action? beforeFlush = null, Action? afterFlush = null) => new(new SqliteStoreOptions
    {
        DataDirectory = _directory,
        SyncWal = wal =>
        {
            Gate.Wait();
            beforeFlush?.Invoke();
            wal.Flush(flushToDisk: true);
            afterFlush?.Invoke();
        },
    });

    /// <summary>The ids of the clients committed to the file (read on a connection of its own), in order.</summary>
    public static List<string> ClientIds(string path)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id FROM clients ORDER BY id;";
        using var reader = command.ExecuteReader();
        var ids = new List<string>();
        while (reader.Read())
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    public static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The condition did not come true in time.");
            await Task.Delay(10);
        }
    }

    public void Dispose()
    {
        Gate.Set();
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }

        Gate.Dispose();
    }
}

using System.Collections.Concurrent;
using Ketenhub.Hub.Storage.Postgres;
using Ketenhub.Testing.Postgres;
using Npgsql;
using static Ketenhub.Hub.Storage.Tests.TestData;

namespace Ketenhub.Hub.Storage.Tests;

/// <summary>
/// The storage contract against the PostgreSQL store, on the test process's throwaway cluster
/// (<see cref="PostgresCluster.Shared"/>): each test gets a database of its own, and every store opened on the test's
/// directory connects to that database, so "reopen and see what was committed" holds as it does for SQLite. Without
/// the PostgreSQL binaries these tests fail; CI installs them.
/// </summary>
public sealed class PostgresHubStoreContractTests : HubStoreContractTests
{
    private readonly ConcurrentDictionary<string, string> _databases = new(StringComparer.Ordinal);

    protected override IHubStore CreateStore(string directory) =>
        new PostgresHubStore(new PostgresStoreOptions { ConnectionString = DatabaseFor(directory) });

    /// <summary>The connection string of the database that stands for <paramref name="directory"/>, made on first use.</summary>
    internal string DatabaseFor(string directory) =>
        _databases.GetOrAdd(directory, _ => PostgresCluster.Shared.CreateDatabaseAsync().GetAwaiter().GetResult());

    [Fact]
    public async Task AuditEvents_GoOnlyUpToTheRecordedStart_AndTheStartOnlyMovesForward_InTheDatabaseItself()
    {
        var store = Open();
        var records = await AppendAuditAsync(store, (T0, "ap_one"), (T0.AddMinutes(1), "ap_one"), (T0.AddMinutes(2), null));
        await using var connection = new NpgsqlConnection(DatabaseFor(DataDirectory));
        await connection.OpenAsync();
        async Task ExecuteAsync(string sql)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        }

        await ExecuteAsync($"INSERT INTO audit_start (id, sequence, hash) VALUES (1, 1, '{records[0].Hash}');");
        foreach (var (sql, refusal) in new[]
        {
            ("DELETE FROM audit_events WHERE sequence = 2;", "only events up to the recorded start"),
            ("UPDATE audit_events SET client_pseudonym = 'ap_x' WHERE sequence = 1;", "append-only"),
            ("TRUNCATE audit_events;", "append-only"),
            ("UPDATE audit_start SET sequence = 0;", "only moves forward"),
            ($"UPDATE audit_start SET sequence = 2, hash = '{records[0].Hash}';", "only moves forward"),
            ("DELETE FROM audit_start;", "never removed"),
        })
        {
            var error = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(sql));
            Assert.Contains(refusal, error.MessageText, StringComparison.Ordinal);
        }

        await ExecuteAsync("DELETE FROM audit_events WHERE sequence = 1;");
        Assert.Equal([2L, 3L], (await store.ReadAsync(s => s.ListAuditRecords(new AuditQuery()))).Select(r => r.Sequence));
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        foreach (var connectionString in _databases.Values)
        {
            await PostgresCluster.Shared.DropDatabaseAsync(connectionString);
        }
    }
}

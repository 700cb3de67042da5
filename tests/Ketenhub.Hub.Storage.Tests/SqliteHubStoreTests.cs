using Ketenhub.Hub.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using static Ketenhub.Hub.Storage.Tests.TestData;

namespace Ketenhub.Hub.Storage.Tests;

/// <summary>The storage contract against the embedded SQLite store, plus what is particular to SQLite.</summary>
public sealed class SqliteHubStoreTests : HubStoreContractTests
{
    protected override IHubStore CreateStore(string directory) =>
        new SqliteHubStore(new SqliteStoreOptions { DataDirectory = directory });

    [Fact]
    public async Task ReopeningTheStore_AppliesEachMigrationOnce()
    {
        await using (var first = new SqliteHubStore(new SqliteStoreOptions { DataDirectory = DataDirectory }))
        {
            await first.WriteAsync(s => { s.InsertClient(Client()); return 0; });
        }

        await using (new SqliteHubStore(new SqliteStoreOptions { DataDirectory = DataDirectory }))
        {
        }

        await using var third = new SqliteHubStore(new SqliteStoreOptions { DataDirectory = DataDirectory });
        var versions = Query(third.DatabasePath, "SELECT version FROM schema_migrations ORDER BY version;");
        Assert.Equal([1L, 2L, 3L, 4L, 5L, 6L], versions);
        Assert.Equal(1L, Query(third.DatabasePath, "SELECT COUNT(*) FROM clients;").Single());
    }

    [Fact]
    public async Task ADatabaseOfVersion3_GetsItsPartyMessagesIndexFilledFromTheSealedDocuments()
    {
        using var protector = new Ketenhub.Hub.Clients.FreeTextProtector(new Dictionary<string, byte[]> { ["k1"] = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32) }, "k1");
        var referral = Referral("cli_a");
        var signal = Signal("cli_a");
        string path;
        await using (var store = new SqliteHubStore(new SqliteStoreOptions { DataDirectory = DataDirectory, DocumentProtector = protector }))
        {
            path = store.DatabasePath;
            await store.WriteAsync(s =>
            {
                s.InsertReferral(referral);
                s.InsertSignal(signal);
                s.InsertDelivery(NewDelivery("cli_a", "coach-org", messageId: signal.Id));
                return 0;
            });
        }

        // Back to version 3: the index and its migration's record gone, the documents sealed as before.
        Execute(path, BackToVersion4Sqlite + "DROP TABLE party_messages; DELETE FROM schema_migrations WHERE version = 4;");

        await using var reopened = new SqliteHubStore(new SqliteStoreOptions { DataDirectory = DataDirectory, DocumentProtector = protector });
        var listed = await reopened.ReadAsync(s => new[]
        {
            s.ListPartyMessages(new PartyMessageQuery("school-1", Ketenhub.Hub.Common.MessageType.Referral)),
            s.ListPartyMessages(new PartyMessageQuery("provider-1", Ketenhub.Hub.Common.MessageType.Referral)),
            s.ListPartyMessages(new PartyMessageQuery("social-1", Ketenhub.Hub.Common.MessageType.Signal)),
            s.ListPartyMessages(new PartyMessageQuery("coach-org", Ketenhub.Hub.Common.MessageType.Signal)),
        });

        Assert.Equal([referral.Id], listed[0].Select(p => p.MessageId));
        Assert.Equal([referral.Id], listed[1].Select(p => p.MessageId));
        Assert.Equal([signal.Id], listed[2].Select(p => p.MessageId));
        Assert.Equal([new MessagePosition(signal.CreateTime, signal.Id)], listed[3]);
        Assert.Equal([1L, 2L, 3L, 4L, 5L, 6L], Query(path, "SELECT version FROM schema_migrations ORDER BY version;"));
    }

    [Fact]
    public async Task ADatabaseOfVersion4_GetsItsRetentionColumnsFilledFromTheDocuments()
    {
        var signal = Signal("cli_a");
        var ackedAt = T0.AddHours(2);
        string path;
        await using (var store = new SqliteHubStore(new SqliteStoreOptions { DataDirectory = DataDirectory }))
        {
            path = store.DatabasePath;
            await store.WriteAsync(s =>
            {
                s.InsertSignal(signal);
                s.InsertDelivery(NewDelivery("cli_a", messageId: signal.Id) with { Status = Ketenhub.Hub.Common.DeliveryStatus.Acknowledged, UpdateTime = ackedAt });
                s.InsertDelivery(NewDelivery("cli_a", messageId: null) with { PayloadKind = Ketenhub.Hub.Common.PayloadKind.Task, PayloadJson = "{}", Status = Ketenhub.Hub.Common.DeliveryStatus.Acknowledged, UpdateTime = ackedAt });
                s.InsertDelivery(NewDelivery("cli_a", messageId: null) with { PayloadKind = Ketenhub.Hub.Common.PayloadKind.Task, PayloadJson = "{}" });
                s.AppendJourneyEvent(Journey("cli_a") with { Time = T0.AddDays(1) });
                return 0;
            });
        }

        Execute(path, BackToVersion4Sqlite);

        await using var reopened = new SqliteHubStore(new SqliteStoreOptions { DataDirectory = DataDirectory });
        var (before, atEnd, payloads, payloadsBefore) = await reopened.ReadAsync(s => (
            s.ListMessagesContentEnded(ackedAt.AddTicks(-10_000), 10),
            s.ListMessagesContentEnded(ackedAt.AddTicks(10_000), 10),
            s.ListDeliveriesContentEnded(ackedAt.AddTicks(10_000), 10),
            s.ListDeliveriesContentEnded(ackedAt.AddTicks(-10_000), 10)));
        Assert.Empty(before);
        Assert.Equal([signal.Id], atEnd.Select(k => k.Id));
        Assert.Single(payloads);
        Assert.Empty(payloadsBefore);
        Assert.Equal(0, await reopened.WriteAsync(s => s.DeleteJourneyEventsBefore(T0.AddHours(23), 10)));
        Assert.Equal(1, await reopened.WriteAsync(s => s.DeleteJourneyEventsBefore(T0.AddHours(25), 10)));
        Assert.Equal([1L, 2L, 3L, 4L, 5L, 6L], Query(path, "SELECT version FROM schema_migrations ORDER BY version;"));
    }

    [Fact]
    public async Task NewStore_CreatesItsDirectoryAndUsesWal()
    {
        var nested = Path.Combine(DataDirectory, "a", "b");

        await using var store = new SqliteHubStore(new SqliteStoreOptions { DataDirectory = nested, FileName = "hub.sqlite" });
        await store.WriteAsync(s => s.InsertDelivery(NewDelivery("cli_a")));

        Assert.Equal(Path.Combine(Path.GetFullPath(nested), "hub.sqlite"), store.DatabasePath);
        Assert.True(File.Exists(store.DatabasePath));
        Assert.Equal(["wal"], Query(store.DatabasePath, "PRAGMA journal_mode;"));
    }

    [Fact]
    public async Task NewStore_CreatesItsFolderAndFiles_ReadableByTheOwnerOnly()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var nested = Path.Combine(DataDirectory, "private");
        const UnixFileMode ownerFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

        await using var store = new SqliteHubStore(new SqliteStoreOptions { DataDirectory = nested });
        await store.WriteAsync(s => { s.InsertClient(Client()); return 0; });

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(nested));
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            Assert.True(File.Exists(store.DatabasePath + suffix), suffix);
            Assert.Equal(ownerFile, File.GetUnixFileMode(store.DatabasePath + suffix));
        }
    }

    [Fact]
    public void Options_WithoutDirectory_AreRejected()
    {
        Assert.Throws<ArgumentException>(() => new SqliteHubStore(new SqliteStoreOptions { DataDirectory = " " }));
        Assert.Throws<ArgumentException>(() => new SqliteHubStore(new SqliteStoreOptions { DataDirectory = DataDirectory, MaxBatchSize = 0 }));
        Assert.Throws<ArgumentException>(() => new SqliteHubStore(new SqliteStoreOptions { DataDirectory = DataDirectory, FileName = "../x.db" }));
        Assert.False(Directory.Exists(DataDirectory));
    }

    [Fact]
    public async Task DatabaseFromANewerBuild_IsRefused()
    {
        string path;
        await using (var store = new SqliteHubStore(new SqliteStoreOptions { DataDirectory = DataDirectory }))
        {
            path = store.DatabasePath;
        }

        Query(path, "INSERT INTO schema_migrations (version, applied_time) VALUES (99, '2030-01-01T00:00:00Z');");

        Assert.Throws<InvalidOperationException>(() => new SqliteHubStore(new SqliteStoreOptions { DataDirectory = DataDirectory }));
    }

    [Fact]
    public async Task WriteAfterDispose_FailsWithObjectDisposed()
    {
        var store = new SqliteHubStore(new SqliteStoreOptions { DataDirectory = DataDirectory });
        await store.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.WriteAsync(s => 0));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.ReadAsync(s => 0));
        await store.DisposeAsync();
    }

    [Fact]
    public async Task WriteStartedFromInsideAWrite_IsRefused()
    {
        await using var store = new SqliteHubStore(new SqliteStoreOptions { DataDirectory = DataDirectory });
        var client = Client();

        await Assert.ThrowsAsync<InvalidOperationException>(() => store.WriteAsync(s =>
        {
            s.InsertClient(client);
            return store.WriteAsync(inner => 0).GetAwaiter().GetResult();
        }));

        Assert.Null(await store.ReadAsync(s => s.FindClient(client.Id)));
        Assert.Equal(1, await store.WriteAsync(s => 1));
    }

    [Fact]
    public async Task SmallBatchSize_StillCommitsEveryWrite()
    {
        await using var store = new SqliteHubStore(new SqliteStoreOptions { DataDirectory = DataDirectory, MaxBatchSize = 1 });

        var written = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => store.WriteAsync(s => s.InsertDelivery(NewDelivery("cli_a")))));

        Assert.Equal(50, written.Select(d => d.Sequence).Distinct().Count());
        Assert.Equal(50, (await store.ReadAsync(s => s.ListDeliveries(new DeliveryQuery(Limit: 100)))).Count);
    }

    [Fact]
    public async Task ListDeliveriesStatements_NeverScanTheWholeTable()
    {
        string path;
        await using (var store = new SqliteHubStore(new SqliteStoreOptions { DataDirectory = DataDirectory }))
        {
            path = store.DatabasePath;
        }

        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        foreach (var sql in SqliteHubSession.ListDeliveriesSql)
        {
            using var command = connection.CreateCommand();
            command.CommandText = "EXPLAIN QUERY PLAN " + sql;
            foreach (var name in new[] { "$recipient", "$status", "$client_id", "$after", "$limit" }.Where(sql.Contains))
            {
                command.Parameters.AddWithValue(name, 1);
            }

            using var reader = command.ExecuteReader();
            var plan = new List<string>();
            while (reader.Read())
            {
                plan.Add(reader.GetString(3));
            }

            Assert.DoesNotContain(plan, step => step.StartsWith("SCAN deliveries", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task DisposedStore_LeavesNoWalBehind()
    {
        var store = new SqliteHubStore(new SqliteStoreOptions { DataDirectory = DataDirectory });
        await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => store.WriteAsync(s => s.InsertDelivery(NewDelivery("cli_a")))));
        await store.ReadAsync(s => s.ListDeliveries(new DeliveryQuery()));

        await store.DisposeAsync();

        Assert.False(File.Exists(store.DatabasePath + "-wal"));
        Assert.Equal(200L, Query(store.DatabasePath, "SELECT COUNT(*) FROM deliveries;").Single());
    }

    [Fact]
    public async Task AuditEvents_AreAppendOnly_InTheDatabaseItself()
    {
        await using var store = new SqliteHubStore(new SqliteStoreOptions { DataDirectory = DataDirectory });
        await AppendAuditAsync(store, (T0, "ap_one"), (T0.AddMinutes(1), "ap_one"));

        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = store.DatabasePath, Pooling = false }.ToString());
        connection.Open();
        foreach (var sql in new[] { "UPDATE audit_events SET client_pseudonym = 'ap_x' WHERE sequence = 1;", "DELETE FROM audit_events WHERE sequence = 2;" })
        {
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            var error = Assert.Throws<SqliteException>(() => command.ExecuteNonQuery());
            Assert.Contains("append-only", error.Message, StringComparison.Ordinal);
        }

        Assert.Equal(2L, Query(store.DatabasePath, "SELECT COUNT(*) FROM audit_events;").Single());
    }

    [Fact]
    public async Task AuditEvents_GoOnlyUpToTheRecordedStart_AndTheStartOnlyMovesForward_InTheDatabaseItself()
    {
        await using var store = new SqliteHubStore(new SqliteStoreOptions { DataDirectory = DataDirectory });
        var records = await AppendAuditAsync(store, (T0, "ap_one"), (T0.AddMinutes(1), "ap_one"), (T0.AddMinutes(2), null));
        Execute(store.DatabasePath, $"INSERT INTO audit_start (id, sequence, hash) VALUES (1, 1, '{records[0].Hash}');");

        foreach (var (sql, refusal) in new[]
        {
            ("DELETE FROM audit_events WHERE sequence = 2;", "only events up to the recorded start"),
            ("UPDATE audit_events SET client_pseudonym = 'ap_x' WHERE sequence = 1;", "append-only"),
            ("UPDATE audit_start SET sequence = 0;", "only moves forward"),
            ($"UPDATE audit_start SET sequence = 2, hash = '{records[0].Hash}';", "only moves forward"),
            ($"INSERT OR REPLACE INTO audit_start (id, sequence, hash) VALUES (1, 1, '{records[0].Hash}');", "only moves forward"),
            ("DELETE FROM audit_start;", "never removed"),
        })
        {
            var error = Assert.Throws<SqliteException>(() => Execute(store.DatabasePath, sql));
            Assert.Contains(refusal, error.Message, StringComparison.Ordinal);
        }

        Execute(store.DatabasePath, "DELETE FROM audit_events WHERE sequence = 1;");
        Assert.Equal([2L, 3L], Query(store.DatabasePath, "SELECT sequence FROM audit_events ORDER BY sequence;").Cast<long>());
    }

    private static void Execute(string path, string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static List<object?> Query(string path, string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var values = new List<object?>();
        while (reader.Read())
        {
            values.Add(reader.GetValue(0));
        }

        return values;
    }
}

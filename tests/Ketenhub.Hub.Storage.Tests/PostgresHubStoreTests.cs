using System.Security.Cryptography;
using System.Text;
using Ketenhub.Hub.Audit;
using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Parties;
using Ketenhub.Hub.Storage.Postgres;
using Ketenhub.Testing.Postgres;
using Npgsql;
using static Ketenhub.Hub.Storage.Tests.TestData;

namespace Ketenhub.Hub.Storage.Tests;

/// <summary>
/// What is particular to the PostgreSQL store: migrations applied once, by one instance at a time; several instances
/// (stores) on one database keeping one audit chain, one answer per request id and one claim per delivery; documents
/// sealed as the SQLite store seals them; settings checked before connecting.
/// </summary>
public sealed class PostgresHubStoreTests : IAsyncLifetime
{
    private static readonly Party Caller = new("school-a", PartyKind.School, "Test College", DeliveryChannel.Stream, []);
    private readonly List<PostgresHubStore> _stores = [];
    private string _database = "";

    public async Task InitializeAsync() => _database = await PostgresCluster.Shared.CreateDatabaseAsync();

    public async Task DisposeAsync()
    {
        foreach (var store in _stores)
        {
            await store.DisposeAsync();
        }

        await PostgresCluster.Shared.DropDatabaseAsync(_database);
    }

    private PostgresHubStore Open(IDocumentProtector? protector = null)
    {
        var store = new PostgresHubStore(new PostgresStoreOptions { ConnectionString = _database, DocumentProtector = protector });
        lock (_stores)
        {
            _stores.Add(store);
        }

        return store;
    }

    private async Task<List<T>> QueryAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(_database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var rows = await command.ExecuteReaderAsync();
        var list = new List<T>();
        while (await rows.ReadAsync())
        {
            list.Add(rows.GetFieldValue<T>(0));
        }

        return list;
    }

    /// <summary>
    /// A write's client look-up takes a delivery sequence ahead for the write's next delivery insert. The sequences a
    /// write gives still rise in the order it gives them (a requeue before the insert takes a later one, and the insert
    /// then asks for its own), and each delivery is stored with the sequence its write was given.
    /// </summary>
    [Fact]
    public async Task DeliverySequencesTakenAhead_RiseInTheOrderTheyAreGiven()
    {
        var store = Open();
        var client = Client("cli_seq");
        var seeded = await store.WriteAsync(s =>
        {
            s.InsertClient(client);
            return s.InsertDelivery(NewDelivery(client.Id));
        });

        var writes = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => store.WriteAsync(s =>
        {
            Assert.NotNull(s.FindClient(client.Id));
            var given = new List<long>();
            if (i % 3 == 0)
            {
                given.Add(s.RequeueDelivery(seeded).Sequence);
            }

            var inserted = new[] { s.InsertDelivery(NewDelivery(client.Id)), s.InsertDelivery(NewDelivery(client.Id)) };
            given.AddRange(inserted.Select(d => d.Sequence));
            return (given, inserted);
        })));

        Assert.All(writes, w => Assert.True(w.given.Zip(w.given.Skip(1)).All(p => p.Second > p.First)));
        var inserted = writes.SelectMany(w => w.inserted).ToList();
        Assert.Equal(inserted.Count, inserted.Select(d => d.Sequence).Distinct().Count());
        var stored = await store.ReadAsync(s => inserted.Select(d => s.FindDelivery(d.Id)?.Sequence).ToList());
        Assert.Equal(inserted.Select(d => (long?)d.Sequence), stored);
    }

    /// <summary>
    /// A write's last statements go to the server with the next write's first round trip (or the commit). A statement
    /// refused there (a duplicate key, an update of a row that is not stored) fails its own write alone, whether it
    /// shows in the next write's round trip, after the roll back of a write that failed by itself, or at the commit;
    /// the writes around it, and the audit chain, are as if each statement had gone on its own.
    /// </summary>
    [Fact]
    public async Task RefusedStatementsInAGroup_FailOnlyTheirOwnWrites()
    {
        var store = Open();
        var taken = Client("cli_taken");
        await store.WriteAsync(s => { s.InsertClient(taken); return 0; });
        using var gate = new ManualResetEventSlim();
        var blocker = store.WriteAsync(s => { s.AppendJourneyEvent(Journey("cli_gate")); return gate.Wait(TimeSpan.FromSeconds(30)); });
        const int Count = 30;
        var writes = Enumerable.Range(0, Count).Select(i => store.WriteAsync(s =>
        {
            var id = $"cli_{i:D2}";
            if (i != 21)
            {
                Assert.Null(s.FindClient(id)); // a read first, as a command's idempotency look-up
            }

            s.InsertClient(i is 11 or 21 ? taken : Client(id));
            if (i is 7 or Count - 1)
            {
                s.UpdateClient(Client("cli_missing"));
            }

            s.AppendJourneyEvent(Journey(id));
            if (i == 20)
            {
                throw new InvalidTimeZoneException("synthetic failure");
            }

            var record = AuditChain.Next(s.GetAuditHead(), new AuditEvent
            {
                Id = "aud_" + i.ToString("D2", System.Globalization.CultureInfo.InvariantCulture),
                Time = T0.AddSeconds(i),
                EventType = "CreateSignal",
                Action = AuditAction.Create,
                ActorParty = "sdd",
                Outcome = AuditOutcome.Success,
            });
            s.AppendAuditRecord(record);
            return record;
        })).ToList();
        gate.Set();
        Assert.True(await blocker);

        int[] refused = [7, 11, 21, Count - 1];
        foreach (var i in refused)
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => writes[i]);
        }

        await Assert.ThrowsAsync<InvalidTimeZoneException>(() => writes[20]);
        var kept = new List<AuditRecord>();
        for (var i = 0; i < Count; i++)
        {
            if (i != 20 && !refused.Contains(i))
            {
                kept.Add(await writes[i]);
            }
        }

        var (trail, clients) = await store.ReadAsync(s => (
            s.ListAuditRecords(new AuditQuery(Limit: 100)),
            Enumerable.Range(0, Count).Where(i => s.FindClient($"cli_{i:D2}") is not null).ToList()));
        Assert.Equal(kept, trail);
        Assert.Equal(Enumerable.Range(1, kept.Count).Select(n => (long)n), trail.Select(r => r.Sequence));
        Assert.True(trail.Zip(trail.Skip(1)).All(p => p.Second.PreviousHash == p.First.Hash));
        Assert.Equal(Enumerable.Range(0, Count).Where(i => i is not (7 or 11 or 20 or 21 or Count - 1)), clients);
    }

    [Fact]
    public async Task InstancesStartingAtOnce_ApplyEachMigrationOnce()
    {
        var stores = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => Open())));
        await stores[0].WriteAsync(s => { s.InsertClient(Client()); return 0; });
        Open();

        Assert.Equal([1, 2, 3, 4, 5, 6], await QueryAsync<int>("SELECT version FROM schema_migrations ORDER BY version;"));
        Assert.Equal([1L], await QueryAsync<long>("SELECT COUNT(*) FROM clients;"));
    }

    [Fact]
    public async Task ADatabaseOfVersion3_GetsItsPartyMessagesIndexFilledFromTheSealedDocuments()
    {
        using var protector = new FreeTextProtector(new Dictionary<string, byte[]> { ["k1"] = RandomNumberGenerator.GetBytes(32) }, "k1");
        var referral = Referral("cli_a");
        var signal = Signal("cli_a");
        var first = Open(protector);
        await first.WriteAsync(s =>
        {
            s.InsertReferral(referral);
            s.InsertSignal(signal);
            s.InsertDelivery(NewDelivery("cli_a", "coach-org", messageId: signal.Id));
            return 0;
        });

        // Back to version 3: the index and its migration's record gone, the documents sealed as before.
        await using (var connection = new NpgsqlConnection(_database))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(BackToVersion4Postgres + "DROP TABLE party_messages; DELETE FROM schema_migrations WHERE version = 4;", connection);
            await command.ExecuteNonQueryAsync();
        }

        var reopened = Open(protector);
        var listed = await reopened.ReadAsync(s => new[]
        {
            s.ListPartyMessages(new PartyMessageQuery("school-1", MessageType.Referral)),
            s.ListPartyMessages(new PartyMessageQuery("provider-1", MessageType.Referral)),
            s.ListPartyMessages(new PartyMessageQuery("social-1", MessageType.Signal)),
            s.ListPartyMessages(new PartyMessageQuery("coach-org", MessageType.Signal)),
        });

        Assert.Equal([referral.Id], listed[0].Select(p => p.MessageId));
        Assert.Equal([referral.Id], listed[1].Select(p => p.MessageId));
        Assert.Equal([signal.Id], listed[2].Select(p => p.MessageId));
        Assert.Equal([new MessagePosition(signal.CreateTime, signal.Id)], listed[3]);
        Assert.Equal([1, 2, 3, 4, 5, 6], await QueryAsync<int>("SELECT version FROM schema_migrations ORDER BY version;"));
    }

    [Fact]
    public async Task ADatabaseOfVersion4_GetsItsRetentionColumnsFilledFromTheDocuments()
    {
        var signal = Signal("cli_a");
        var ackedAt = T0.AddHours(2);
        var first = Open();
        await first.WriteAsync(s =>
        {
            s.InsertSignal(signal);
            s.InsertDelivery(NewDelivery("cli_a", messageId: signal.Id) with { Status = DeliveryStatus.Acknowledged, UpdateTime = ackedAt });
            s.InsertDelivery(NewDelivery("cli_a", messageId: null) with { PayloadKind = PayloadKind.Task, PayloadJson = "{}", Status = DeliveryStatus.Acknowledged, UpdateTime = ackedAt });
            s.InsertDelivery(NewDelivery("cli_a", messageId: null) with { PayloadKind = PayloadKind.Task, PayloadJson = "{}" });
            s.AppendJourneyEvent(Journey("cli_a") with { Time = T0.AddDays(1) });
            return 0;
        });

        await using (var connection = new NpgsqlConnection(_database))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(BackToVersion4Postgres, connection);
            await command.ExecuteNonQueryAsync();
        }

        var reopened = Open();
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
        Assert.Equal([1, 2, 3, 4, 5, 6], await QueryAsync<int>("SELECT version FROM schema_migrations ORDER BY version;"));
    }

    [Fact]
    public async Task ADatabaseOfANewerSchema_IsRefused()
    {
        Open();
        await using (var connection = new NpgsqlConnection(_database))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("INSERT INTO schema_migrations (version, applied_time) VALUES (999, now());", connection);
            await command.ExecuteNonQueryAsync();
        }

        var refused = Assert.Throws<InvalidOperationException>(() => Open());
        Assert.Contains("999", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SeveralInstances_KeepOneVerifiableAuditChain()
    {
        var stores = new[] { Open(), Open(), Open() };
        var audits = stores.Select(s => new AuditTrail(s, new AuditPseudonyms(new byte[32]), TimeProvider.System)).ToArray();

        await Task.WhenAll(Enumerable.Range(0, 90).Select(i => Task.Run(() =>
        {
            var key = RequestKey.Create($"req-{i}", "hash");
            return audits[i % 3].CommandAsync(audits[i % 3].Note(Caller, "AssignCoach", AuditAction.Update, key), key, (_, _) => i, CancellationToken.None);
        })));

        var all = await stores[1].ReadAsync(s => s.ListAuditRecords(new AuditQuery(Limit: 1000)));
        Assert.Equal(Enumerable.Range(1, 90).Select(i => (long)i), all.Select(r => r.Sequence));
        Assert.True(AuditVerifier.Verify((after, limit) => all.Where(r => r.Sequence > after).Take(limit).ToList()).Intact);
    }

    [Fact]
    public async Task ARequestSentToTwoInstancesAtOnce_RunsOnce_AndBothGetTheFirstAnswer()
    {
        var stores = new[] { Open(), Open() };
        var audits = stores.Select(s => new AuditTrail(s, new AuditPseudonyms(new byte[32]), TimeProvider.System)).ToArray();
        var runs = 0;
        var key = RequestKey.Create("req-same", "hash-1");

        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => Task.Run(() =>
            audits[i % 2].CommandAsync(audits[i % 2].Note(Caller, "CreateSignal", AuditAction.Create, key), key, (_, _) => Interlocked.Increment(ref runs) * 100 + i, CancellationToken.None))));

        Assert.Equal(1, runs);
        Assert.Single(answers.Distinct());
        Assert.Equal([1L], await QueryAsync<long>("SELECT COUNT(*) FROM requests;"));
    }

    [Fact]
    public async Task ADeliveryClaimedFromTwoInstancesAtOnce_GoesToOneStream()
    {
        var stores = new[] { Open(), Open() };
        var delivery = await stores[0].WriteAsync(s => s.InsertDelivery(NewDelivery("cli_a")));

        // Each stream claims as DeliveryQueue does: in a write, only what is still pending and unclaimed.
        var claims = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => Task.Run(() => stores[i % 2].WriteAsync(s =>
        {
            var current = s.FindDelivery(delivery.Id)!;
            if (current.ClaimedFor is not null)
            {
                return false;
            }

            s.UpdateDelivery(current with { ClaimedFor = $"stream-{i}", AttemptCount = current.AttemptCount + 1 });
            return true;
        }))));

        Assert.Equal(1, claims.Count(c => c));
        var stored = await stores[1].ReadAsync(s => s.FindDelivery(delivery.Id));
        Assert.Equal(1, stored!.AttemptCount);
    }

    [Fact]
    public async Task SequencesFromSeveralInstances_FollowCommitOrder()
    {
        var stores = new[] { Open(), Open() };
        var inserted = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => Task.Run(() => stores[i % 2].WriteAsync(s => s.InsertDelivery(NewDelivery("cli_a"))))));

        var listed = await stores[0].ReadAsync(s => s.ListDeliveries(new DeliveryQuery(Limit: 1000)));
        Assert.Equal(inserted.Select(d => d.Sequence).Order(), listed.Select(d => d.Sequence));
        Assert.Equal(60, listed.Select(d => d.Sequence).Distinct().Count());
    }

    [Fact]
    public async Task FreeText_IsSealedAtRest_AsTheSqliteStoreSealsIt_AndResealingMovesItToTheNewKey()
    {
        var oldKey = RandomNumberGenerator.GetBytes(32);
        var newKey = RandomNumberGenerator.GetBytes(32);
        using var before = new FreeTextProtector(new Dictionary<string, byte[]> { ["old"] = oldKey }, "old");
        var store = Open(before);
        var signal = Signal("cli_a") with { Description = "Marker description" };
        await store.WriteAsync(s =>
        {
            s.InsertSignal(signal);
            s.SaveRequest("sdd", "CreateSignal", "req-1", new StoredRequest("h", """{"description":"Marker description"}"""), T0);
            return 0;
        });

        var stored = await QueryAsync<string>("SELECT json FROM signals UNION ALL SELECT result_json FROM requests;");
        Assert.All(stored, text =>
        {
            Assert.StartsWith("t1:old:", text, StringComparison.Ordinal);
            Assert.DoesNotContain("Marker", text, StringComparison.Ordinal);
        });

        // The same place as the SQLite store binds it to: table/id.
        Assert.Contains("Marker description", Encoding.UTF8.GetString(before.Unprotect("signals/" + signal.Id, Encoding.UTF8.GetBytes(stored[0])).Span), StringComparison.Ordinal);
        Assert.Equal("Marker description", (await store.ReadAsync(s => s.FindSignal(signal.Id)))!.Description);

        await store.DisposeAsync();
        using var after = new FreeTextProtector(new Dictionary<string, byte[]> { ["old"] = oldKey, ["new"] = newKey }, "new");
        var rotated = Open(after);
        var resealing = await rotated.ResealDocumentsAsync();

        Assert.Equal(new DocumentResealing(2, 2), resealing);
        Assert.All(await QueryAsync<string>("SELECT json FROM signals UNION ALL SELECT result_json FROM requests;"), text => Assert.StartsWith("t1:new:", text, StringComparison.Ordinal));
        Assert.Equal(
            new StoredRequest("h", """{"description":"Marker description"}"""),
            await rotated.ReadAsync(s => s.FindRequest("sdd", "CreateSignal", "req-1")));
        Assert.Equal(new DocumentResealing(2, 0), await rotated.ResealDocumentsAsync());
    }

    [Fact]
    public async Task TheAuditTrail_RefusesChangeAndRemoval_InTheDatabaseItself()
    {
        var store = Open();
        await store.WriteAsync(s =>
        {
            s.AppendAuditRecord(AuditChain.Next(null, new AuditEvent
            {
                Id = "aud_1",
                Time = T0,
                EventType = "CreateSignal",
                Action = AuditAction.Create,
                ActorParty = "sdd",
                Outcome = AuditOutcome.Success,
            }));
            return 0;
        });

        await using var connection = new NpgsqlConnection(_database);
        await connection.OpenAsync();
        foreach (var sql in new[] { "UPDATE audit_events SET body = 'x';", "DELETE FROM audit_events;", "TRUNCATE audit_events;" })
        {
            await using var command = new NpgsqlCommand(sql, connection);
            await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());
        }

        Assert.Equal([1L], await QueryAsync<long>("SELECT COUNT(*) FROM audit_events;"));
    }

    [Fact]
    public void Options_AreCheckedBeforeConnecting_WithoutQuotingTheConnectionString()
    {
        Assert.Throws<ArgumentException>(() => new PostgresStoreOptions().Validate());
        Assert.Throws<ArgumentException>(() => new PostgresStoreOptions { ConnectionString = "Host=localhost", MaxBatchSize = 0 }.Validate());
        var unreadable = Assert.Throws<ArgumentException>(() => new PostgresStoreOptions { ConnectionString = "Host=localhost;Password=secret-value;Bogus Key=1" }.Validate());
        Assert.DoesNotContain("secret-value", unreadable.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AServerThatCannotBeReached_IsStorageUnavailable()
    {
        var builder = new NpgsqlConnectionStringBuilder(_database) { Port = 1, Timeout = 2 };
        var error = await Assert.ThrowsAsync<HubException>(() => Task.Run(() => new PostgresHubStore(new PostgresStoreOptions { ConnectionString = builder.ConnectionString })));
        Assert.Equal(ErrorReasons.StorageUnavailable, error.Reason);
    }
}

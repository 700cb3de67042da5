using Ketenhub.Hub.Common;
using Ketenhub.Hub.Storage.Sqlite;
using static Ketenhub.Hub.Storage.Tests.TestData;

namespace Ketenhub.Hub.Storage.Tests;

/// <summary>
/// The storage contract with the writer's client cache off and the sync inside each commit, so the plain
/// paths stay correct too.
/// </summary>
public sealed class SqliteHubStorePlainTests : HubStoreContractTests
{
    protected override IHubStore CreateStore(string directory) =>
        new SqliteHubStore(new SqliteStoreOptions { DataDirectory = directory, ClientCacheCapacity = 0, SyncOnSeparateThread = false });
}

/// <summary>
/// The writer remembers what it read about a client; these tests prove it never answers with something a
/// later write changed or a rollback undid.
/// </summary>
public sealed class SqliteClientCacheTests : HubStoreContractTests
{
    protected override IHubStore CreateStore(string directory) =>
        new SqliteHubStore(new SqliteStoreOptions { DataDirectory = directory, ClientCacheCapacity = 2 });

    [Fact]
    public async Task AWriteSeesItsOwnChangesAndThoseOfEarlierWrites()
    {
        var store = Open();
        var client = Client();
        await store.WriteAsync(s => { s.InsertClient(client); return 0; });

        var counts = await store.WriteAsync(s =>
        {
            var before = (s.GetRoles(client.Id).Count, s.GetConsents(client.Id).Count, s.GetCoachAssignments(client.Id).Count);
            s.InsertRole(Role(client.Id));
            s.InsertConsent(NewConsent(client.Id));
            s.InsertCoachAssignment(CoachAssignment(client.Id));
            var after = (s.GetRoles(client.Id).Count, s.GetConsents(client.Id).Count, s.GetCoachAssignments(client.Id).Count);
            return (before, after);
        });
        Assert.Equal((0, 0, 0), counts.before);
        Assert.Equal((1, 1, 1), counts.after);

        var consent = await store.WriteAsync(s => s.GetConsents(client.Id).Single());
        await store.WriteAsync(s => { s.UpdateConsent(consent with { WithdrawTime = T0 }); return 0; });
        Assert.Equal(T0, await store.WriteAsync(s => s.GetConsents(client.Id).Single().WithdrawTime));

        await store.WriteAsync(s => { s.UpdateClient(s.FindClient(client.Id)! with { ComingOfAgeHandled = true }); return 0; });
        Assert.True(await store.WriteAsync(s => s.FindClient(client.Id)!.ComingOfAgeHandled));
    }

    [Fact]
    public async Task AWriteThatFails_LeavesNothingOfItsReadsBehind()
    {
        var store = Open();
        var client = Client();
        await store.WriteAsync(s => { s.InsertClient(client); s.InsertConsent(NewConsent(client.Id)); return 0; });

        await Assert.ThrowsAsync<HubException>(() => store.WriteAsync<int>(s =>
        {
            s.InsertConsent(NewConsent(client.Id));
            s.InsertRole(Role(client.Id));
            s.UpdateClient(client with { ComingOfAgeHandled = true });

            // Read back, so the undone rows would be remembered if a rollback did not clear them.
            Assert.Equal(2, s.GetConsents(client.Id).Count);
            Assert.Single(s.GetRoles(client.Id));
            Assert.True(s.FindClient(client.Id)!.ComingOfAgeHandled);
            throw HubException.Invalid(ErrorReasons.InvalidRequest, "x", "fails on purpose");
        }));

        var seen = await store.WriteAsync(s => (s.GetConsents(client.Id).Count, s.GetRoles(client.Id).Count, s.FindClient(client.Id)!.ComingOfAgeHandled));
        Assert.Equal((1, 0, false), seen);
    }

    [Fact]
    public async Task WritesQueuedTogether_FailingOneDoesNotLeakIntoTheOthers()
    {
        var store = Open();
        var client = Client();
        await store.WriteAsync(s => { s.InsertClient(client); return 0; });

        // Many writes queued at once share batches; every other one inserts a role and then fails.
        var writes = Enumerable.Range(0, 40).Select(i => store.WriteAsync(s =>
        {
            s.InsertRole(Role(client.Id, partyId: $"party-{i}"));
            var seen = s.GetRoles(client.Id).Count;
            if (i % 2 == 1)
            {
                throw HubException.Invalid(ErrorReasons.InvalidRequest, "x", "fails on purpose");
            }

            return seen;
        })).ToList();
        foreach (var (write, i) in writes.Select((w, i) => (w, i)))
        {
            if (i % 2 == 1)
            {
                await Assert.ThrowsAsync<HubException>(() => write);
            }
            else
            {
                // Each successful write sees exactly the successful writes before it and itself.
                Assert.Equal((i / 2) + 1, await write);
            }
        }

        Assert.Equal(20, await store.WriteAsync(s => s.GetRoles(client.Id).Count));
        Assert.Equal(20, await store.ReadAsync(s => s.GetRoles(client.Id).Count));
    }

    [Fact]
    public async Task MoreClientsThanTheCapacity_AreStillReadCorrectly()
    {
        var store = Open();
        var clients = Enumerable.Range(0, 5).Select(_ => Client()).ToList();
        await store.WriteAsync(s =>
        {
            foreach (var c in clients)
            {
                s.InsertClient(c);
                s.InsertConsent(NewConsent(c.Id));
            }

            return 0;
        });

        for (var round = 0; round < 3; round++)
        {
            foreach (var c in clients)
            {
                Assert.Equal(c.Id, await store.WriteAsync(s => s.GetConsents(c.Id).Single().ClientId));
            }
        }
    }
}

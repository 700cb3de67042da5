using Ketenhub.Testing.InMemory;
using static Ketenhub.Hub.Storage.Tests.TestData;

namespace Ketenhub.Hub.Storage.Tests;

/// <summary>
/// The storage contract against the in-memory store the domain's tests use, plus what is particular to it: the data
/// of a "directory" lives in the process (so reopening sees what was committed), and replayable writes can be run twice.
/// </summary>
public sealed class InMemoryHubStoreContractTests : HubStoreContractTests
{
    protected override IHubStore CreateStore(string directory) => new InMemoryHubStore(directory);

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        InMemoryHubStore.Forget(DataDirectory);
    }

    [Fact]
    public async Task TheStore_TouchesNoFiles()
    {
        await using var store = new InMemoryHubStore(DataDirectory);
        await store.WriteAsync(s => s.InsertDelivery(NewDelivery("cli_a")));

        Assert.False(Directory.Exists(DataDirectory));
    }

    [Fact]
    public async Task AStoreOfItsOwn_SharesNothing_AndAForgottenDirectoryStartsEmpty()
    {
        var client = Client();
        await using (var onDirectory = new InMemoryHubStore(DataDirectory))
        {
            await onDirectory.WriteAsync(s => { s.InsertClient(client); return 0; });
        }

        await using var own = new InMemoryHubStore();
        Assert.Null(await own.ReadAsync(s => s.FindClient(client.Id)));

        InMemoryHubStore.Forget(DataDirectory);
        await using var reopened = new InMemoryHubStore(DataDirectory);
        Assert.Null(await reopened.ReadAsync(s => s.FindClient(client.Id)));
    }

    [Fact]
    public async Task TwoStoresOpenOnOneDirectory_SeeEachOthersCommits()
    {
        await using var first = new InMemoryHubStore(DataDirectory);
        await using var second = new InMemoryHubStore(DataDirectory);

        var a = await first.WriteAsync(s => s.InsertDelivery(NewDelivery("cli_a")));
        var b = await second.WriteAsync(s => s.InsertDelivery(NewDelivery("cli_a")));

        Assert.Equal(a.Sequence + 1, b.Sequence);
        Assert.Equal([a.Id, b.Id], (await first.ReadAsync(s => s.ListDeliveries(new DeliveryQuery()))).Select(d => d.Id));
    }

    [Fact]
    public async Task WriteStartedFromInsideAWrite_IsRefused()
    {
        await using var store = new InMemoryHubStore();
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
    public async Task WithReplays_AReplayableWriteRunsTwice_AndOnlyItsSecondRunCounts()
    {
        await using var store = new InMemoryHubStore(new InMemoryStoreOptions { ReplayReplayableWrites = true });
        var runs = 0;

        var result = await store.WriteReplayableAsync(s =>
        {
            runs++;
            s.AppendJourneyEvent(Journey("cli_a"));
            return runs;
        });
        var ordinary = await store.WriteAsync(s => { runs++; return runs; });

        Assert.Equal(2, result);
        Assert.Equal(3, ordinary);
        Assert.Equal(1, store.Replays);
        Assert.Single(await store.ReadAsync(s => s.GetJourney("cli_a", 0, 10)));
    }

    [Fact]
    public async Task WithReplays_AReplayableWriteThatFailsOnItsFirstRun_FailsOnce_AndLeavesNothing()
    {
        await using var store = new InMemoryHubStore(new InMemoryStoreOptions { ReplayReplayableWrites = true });
        var runs = 0;

        await Assert.ThrowsAsync<InvalidTimeZoneException>(() => store.WriteReplayableAsync<int>(s =>
        {
            runs++;
            s.InsertClient(Client("cli_failed"));
            throw new InvalidTimeZoneException("synthetic");
        }));

        Assert.Equal(1, runs);
        Assert.Equal(0, store.Replays);
        Assert.Null(await store.ReadAsync(s => s.FindClient("cli_failed")));
    }

    [Fact]
    public async Task AuditRecord_LeavingAGap_IsRefused()
    {
        await using var store = new InMemoryHubStore();
        await AppendAuditAsync(store, (T0, "ap_one"));

        await Assert.ThrowsAsync<InvalidOperationException>(() => store.WriteAsync(s =>
        {
            s.AppendAuditRecord(AuditAfter(new AuditHead(5, "x"), T0.AddMinutes(1)));
            return 0;
        }));

        Assert.Equal([1L], (await store.ReadAsync(s => s.ListAuditRecords(new AuditQuery()))).Select(r => r.Sequence));
    }

    [Fact]
    public async Task WritesAfterDispose_FailWithObjectDisposed()
    {
        var store = new InMemoryHubStore();
        await store.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.WriteAsync(s => 0));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.ReadAsync(s => 0));
        await store.DisposeAsync();
    }
}

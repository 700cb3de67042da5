using Ketenhub.Hub.Common;
using Ketenhub.Hub.Storage.Sqlite;
using static Ketenhub.Hub.Storage.Tests.HeldSyncStores;
using static Ketenhub.Hub.Storage.Tests.TestData;

namespace Ketenhub.Hub.Storage.Tests;

/// <summary>
/// The syncer answers a write only after its commit is synced, and lets a read return only what is durable.
/// These tests hold or fail the sync itself.
/// </summary>
public sealed class SqliteWalSyncerTests : IAsyncDisposable
{
    private readonly HeldSyncStores _stores = new();
    private int _syncs;
    private bool _failNext;

    private SqliteHubStore Open() => _stores.Open(
        beforeFlush: () =>
        {
            if (_failNext)
            {
                throw new IOException("sync failed on purpose");
            }
        },
        afterFlush: () => Interlocked.Increment(ref _syncs));

    [Fact]
    public async Task AWrite_IsAnsweredOnlyAfterItsCommitIsSynced_AndAReadThatSeesItWaitsToo()
    {
        await using var store = Open();
        var client = Client();
        _stores.Gate.Reset();
        var syncsBefore = Volatile.Read(ref _syncs);

        var write = store.WriteAsync(s => { s.InsertClient(client); return 0; });

        // The commit is in the WAL (another connection sees it) while the caller has no answer yet.
        await WaitUntilAsync(() => CountClients(store.DatabasePath) == 1);
        var read = store.ReadAsync(s => s.FindClient(client.Id));
        await Task.Delay(200);
        Assert.False(write.IsCompleted);
        Assert.False(read.IsCompleted);

        _stores.Gate.Set();
        await write.WaitAsync(Wait);
        Assert.Equal(client.Id, (await read.WaitAsync(Wait))!.Id);
        Assert.True(Volatile.Read(ref _syncs) > syncsBefore);
    }

    [Fact]
    public async Task AFailedSync_FailsItsWrites_AndTheStoreStaysUnavailable()
    {
        await using var store = Open();
        await store.WriteAsync(s => { s.InsertClient(Client()); return 0; });

        _failNext = true;
        var failed = await Assert.ThrowsAsync<HubException>(() => store.WriteAsync(s => { s.InsertClient(Client()); return 0; }));
        Assert.Equal(ErrorReasons.StorageUnavailable, failed.Reason);

        // Nothing written after a failed sync can be promised durable: later writes and reads fail too.
        _failNext = false;
        var later = await Assert.ThrowsAsync<HubException>(() => store.WriteAsync(s => 0));
        Assert.Equal(ErrorReasons.StorageUnavailable, later.Reason);
        var read = await Assert.ThrowsAsync<HubException>(() => store.ReadAsync(s => s.FindClient("cli_x")));
        Assert.Equal(ErrorReasons.StorageUnavailable, read.Reason);
    }

    [Fact]
    public async Task WritesThatComeWhileASyncRuns_JoinOneOpenTransaction_CommittedAndSyncedOnceItEnds()
    {
        await using var store = Open();
        await store.WriteAsync(s => 0);
        _stores.Gate.Reset();
        var first = store.WriteAsync(s => { s.InsertClient(Client()); return 0; });
        await WaitUntilAsync(() => CountClients(store.DatabasePath) == 1);
        var (commits, started, syncs) = (store.CommitCount, store.ItemsStarted, Volatile.Read(ref _syncs));

        var writes = Enumerable.Range(0, 200).Select(_ => store.WriteAsync(s => { s.InsertClient(Client()); return 0; })).ToList();
        await WaitUntilAsync(() => store.ItemsStarted == started + 200);

        // All 200 have run, in the writer's open transaction: nothing of them is committed while the sync runs.
        Assert.Equal(1, CountClients(store.DatabasePath));
        Assert.Equal(commits, store.CommitCount);
        Assert.DoesNotContain(writes, w => w.IsCompleted);
        Assert.False(first.IsCompleted);

        _stores.Gate.Set();
        await first.WaitAsync(Wait);
        await Task.WhenAll(writes).WaitAsync(Wait);

        // The sync that was held, then one commit for the 200 and one sync for it.
        Assert.Equal(201, CountClients(store.DatabasePath));
        Assert.Equal(commits + 1, store.CommitCount);
        Assert.Equal(syncs + 2, Volatile.Read(ref _syncs));
    }

    [Fact]
    public async Task AWriteThatFails_InTheOpenTransaction_FailsAlone_AndTheOthersCommitWithIt()
    {
        await using var store = Open();
        await store.WriteAsync(s => 0);
        _stores.Gate.Reset();
        var first = store.WriteAsync(s => { s.InsertClient(Client()); return 0; });
        await WaitUntilAsync(() => CountClients(store.DatabasePath) == 1);
        var started = store.ItemsStarted;

        var before = store.WriteAsync(s => { s.InsertClient(Client()); return 0; });
        var failing = store.WriteAsync<int>(s =>
        {
            s.InsertClient(Client());
            throw new InvalidOperationException("this write fails on purpose");
        });
        var after = store.WriteAsync(s => { s.InsertClient(Client()); return 0; });
        await WaitUntilAsync(() => store.ItemsStarted == started + 3);
        _stores.Gate.Set();

        await Task.WhenAll(first, before, after).WaitAsync(Wait);
        await Assert.ThrowsAsync<InvalidOperationException>(() => failing.WaitAsync(Wait));
        Assert.Equal(3, CountClients(store.DatabasePath));
    }

    [Fact]
    public async Task AWrite_WhenTheSyncerIsIdle_IsCommittedAtOnce_NotHeldForMore()
    {
        await using var store = Open();
        await store.WriteAsync(s => 0);
        var commits = store.CommitCount;

        for (var i = 0; i < 5; i++)
        {
            await store.WriteAsync(s => { s.InsertClient(Client()); return 0; }).WaitAsync(Wait);
        }

        Assert.Equal(commits + 5, store.CommitCount);
        Assert.Equal(5, CountClients(store.DatabasePath));
    }

    public ValueTask DisposeAsync()
    {
        _stores.Dispose();
        return ValueTask.CompletedTask;
    }

    private static int CountClients(string path) => ClientIds(path).Count;
}

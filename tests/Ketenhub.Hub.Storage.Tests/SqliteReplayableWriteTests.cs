using System.Text.Json;
using Ketenhub.Hub.Audit;
using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Storage.Sqlite;
using static Ketenhub.Hub.Storage.Tests.HeldSyncStores;
using static Ketenhub.Hub.Storage.Tests.TestData;

namespace Ketenhub.Hub.Storage.Tests;

/// <summary>
/// Replayable writes share one savepoint in the writer's open transaction instead of one each. A failure among
/// them is undone by rolling the group back and running the ones before it again: the failed write leaves
/// nothing, every other write is committed exactly once, with the result of its last run. The sync is held so
/// that all writes of a test run in one open transaction.
/// </summary>
public sealed class SqliteReplayableWriteTests : IAsyncDisposable
{
    private readonly HeldSyncStores _stores = new();

    private SqliteHubStore Open() => _stores.Open();

    [Fact]
    public async Task AReplayableWriteThatFailsAfterWriting_LeavesNothing_AndTheWritesBeforeItRunAgainAndCommitOnce()
    {
        await using var store = Open();
        var held = await HoldAsync(store);
        var started = store.ItemsStarted;
        var runs = new int[3];
        var ids = new[] { "cli_a", "cli_b", "cli_c" };

        var a = store.WriteReplayableAsync(s => { runs[0]++; s.InsertClient(Client(ids[0])); return runs[0]; });
        var b = store.WriteReplayableAsync<int>(s =>
        {
            runs[1]++;
            s.InsertClient(Client(ids[1]));
            throw new InvalidOperationException("this write fails on purpose, after writing");
        });
        var c = store.WriteReplayableAsync(s => { runs[2]++; s.InsertClient(Client(ids[2])); return runs[2]; });
        await WaitUntilAsync(() => store.ItemsStarted == started + 3);
        _stores.Gate.Set();

        await held.WaitAsync(Wait);
        await Assert.ThrowsAsync<InvalidOperationException>(() => b.WaitAsync(Wait));

        // a ran twice (once before b failed, once after the rollback) and answers with its second run; c once.
        Assert.Equal(2, await a.WaitAsync(Wait));
        Assert.Equal(1, await c.WaitAsync(Wait));
        Assert.Equal([2, 1, 1], runs);
        Assert.Equal(1, store.Replays);
        Assert.Equal(["cli_a", "cli_c", "cli_held"], ClientIds(store.DatabasePath));
    }

    [Fact]
    public async Task AReplayableWriteThatFailsBeforeWriting_NeedsNothingUndone()
    {
        await using var store = Open();
        var held = await HoldAsync(store);
        var started = store.ItemsStarted;
        var runs = 0;

        var a = store.WriteReplayableAsync(s => { runs++; s.InsertClient(Client("cli_a")); return 0; });
        var b = store.WriteReplayableAsync<int>(s => s.FindClient("cli_missing") is null
            ? throw new KeyNotFoundException("refused before any write")
            : 0);
        var c = store.WriteReplayableAsync(s => { s.InsertClient(Client("cli_c")); return 0; });
        await WaitUntilAsync(() => store.ItemsStarted == started + 3);
        _stores.Gate.Set();

        await Task.WhenAll(held, a, c).WaitAsync(Wait);
        await Assert.ThrowsAsync<KeyNotFoundException>(() => b.WaitAsync(Wait));
        Assert.Equal(1, runs);
        Assert.Equal(0, store.Replays);
        Assert.Equal(["cli_a", "cli_c", "cli_held"], ClientIds(store.DatabasePath));
    }

    [Fact]
    public async Task AnOrdinaryWrite_EndsTheGroup_SoAFailureAfterItRunsNothingBeforeItAgain()
    {
        await using var store = Open();
        var held = await HoldAsync(store);
        var started = store.ItemsStarted;
        var runs = new int[3];

        var a = store.WriteReplayableAsync(s => { runs[0]++; s.InsertClient(Client("cli_a")); return 0; });
        var ordinary = store.WriteAsync(s => { runs[1]++; s.InsertClient(Client("cli_ordinary")); return 0; });
        var ordinaryFailing = store.WriteAsync<int>(s =>
        {
            s.InsertClient(Client("cli_ordinary_failed"));
            throw new InvalidOperationException("an ordinary write fails in its own savepoint");
        });
        var c = store.WriteReplayableAsync(s => { runs[2]++; s.InsertClient(Client("cli_c")); return 0; });
        var d = store.WriteReplayableAsync<int>(s =>
        {
            s.InsertClient(Client("cli_d"));
            throw new InvalidOperationException("fails after writing");
        });
        await WaitUntilAsync(() => store.ItemsStarted == started + 5);
        _stores.Gate.Set();

        await Task.WhenAll(held, a, ordinary, c).WaitAsync(Wait);
        await Assert.ThrowsAsync<InvalidOperationException>(() => ordinaryFailing.WaitAsync(Wait));
        await Assert.ThrowsAsync<InvalidOperationException>(() => d.WaitAsync(Wait));

        // Only c, in the group d failed in, ran again; a and the ordinary write were before that group began.
        Assert.Equal([1, 1, 2], runs);
        Assert.Equal(["cli_a", "cli_c", "cli_held", "cli_ordinary"], ClientIds(store.DatabasePath));
    }

    [Fact]
    public async Task AWriteThatFailsWhenRunAgain_IsLeftOutToo_AndTheRestStillCommit()
    {
        await using var store = Open();
        var held = await HoldAsync(store);
        var started = store.ItemsStarted;
        var runs = new int[3];

        var a = store.WriteReplayableAsync(s => { runs[0]++; s.InsertClient(Client("cli_a")); return 0; });
        var flaky = store.WriteReplayableAsync(s =>
        {
            runs[1]++;
            s.InsertClient(Client("cli_flaky"));
            return runs[1] == 1 ? 0 : throw new InvalidOperationException("fails on its second run, after writing");
        });
        var b = store.WriteReplayableAsync<int>(s =>
        {
            runs[2]++;
            s.InsertClient(Client("cli_b"));
            throw new InvalidOperationException("fails after writing");
        });
        await WaitUntilAsync(() => store.ItemsStarted == started + 3);
        _stores.Gate.Set();

        await Task.WhenAll(held, a).WaitAsync(Wait);
        var flakyError = await Assert.ThrowsAsync<InvalidOperationException>(() => flaky.WaitAsync(Wait));
        Assert.Contains("second run", flakyError.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidOperationException>(() => b.WaitAsync(Wait));

        // b failed: rollback, a and flaky again (flaky fails): rollback, a once more.
        Assert.Equal([3, 2, 1], runs);
        Assert.Equal(2, store.Replays);
        Assert.Equal(["cli_a", "cli_held"], ClientIds(store.DatabasePath));
    }

    [Fact]
    public async Task AnAuditedReplayableWrite_RunAgain_RecordsOnlyWhatItsLastRunNoted()
    {
        await using var store = Open();
        var time = TimeProvider.System;
        var audit = new AuditTrail(store, new AuditPseudonyms(new byte[32]), time);
        var held = await HoldAsync(store);
        var started = store.ItemsStarted;
        var runs = 0;

        var note = audit.HubNote("ReplayTest", AuditAction.Create);
        var audited = audit.WriteReplayableAsync(
            note,
            s =>
            {
                runs++;
                s.InsertClient(Client("cli_run" + runs));
                note.Resource("signals/sig_run" + runs);
                return runs;
            },
            CancellationToken.None);
        var failing = store.WriteReplayableAsync<int>(s =>
        {
            s.InsertClient(Client("cli_failing"));
            throw new InvalidOperationException("fails after writing");
        });
        await WaitUntilAsync(() => store.ItemsStarted == started + 2);
        _stores.Gate.Set();

        await held.WaitAsync(Wait);
        Assert.Equal(2, await audited.WaitAsync(Wait));
        await Assert.ThrowsAsync<InvalidOperationException>(() => failing.WaitAsync(Wait));
        Assert.Equal(["signals/sig_run2"], note.Resources);
        Assert.Equal(["cli_held", "cli_run2"], ClientIds(store.DatabasePath));

        var events = await store.ReadAsync(s => s.ListAuditRecords(new AuditQuery(Limit: 10)));
        var recorded = Assert.Single(events);
        using var body = JsonDocument.Parse(recorded.Body);
        var resources = body.RootElement.GetProperty("resources").EnumerateArray().Select(r => r.GetString()).ToList();
        Assert.Equal(["signals/sig_run2"], resources);
    }

    public ValueTask DisposeAsync()
    {
        _stores.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Starts a write whose sync is held, so the writes that follow all join one open transaction.</summary>
    private async Task<Task> HoldAsync(SqliteHubStore store)
    {
        await store.WriteAsync(s => 0);
        _stores.Gate.Reset();
        var first = store.WriteAsync(s => { s.InsertClient(Client("cli_held")); return 0; });
        await WaitUntilAsync(() => ClientIds(store.DatabasePath).Count == 1);
        return first;
    }
}

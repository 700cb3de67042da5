using Ketenhub.Hub.Audit;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Parties;

namespace Ketenhub.Hub.Storage.Tests;

/// <summary>
/// <see cref="AuditTrail.CommandAsync{T}"/> and <see cref="AuditTrail.ReplayableCommandAsync{T}"/>: a command is kept
/// under its caller, the note's event type and the request id, runs once per request, and appends the call's audit
/// event in the same write.
/// </summary>
public sealed class AuditedCommandTests : IAsyncDisposable
{
    private static readonly Party Caller = new("school-a", PartyKind.School, "Test College", DeliveryChannel.Stream, []);

    private readonly HeldSyncStores _stores = new();

    [Fact]
    public async Task ACommand_IsKeptUnderItsCallerAndEventType_AndARepeatGetsTheFirstAnswer()
    {
        await using var store = _stores.Open();
        var audit = new AuditTrail(store, new AuditPseudonyms(new byte[32]), TimeProvider.System);
        var key = RequestKey.Create("req-1", "hash-1");
        var runs = 0;
        var seen = new List<DateTimeOffset>();
        Task<int> Assign() => audit.CommandAsync(
            audit.Note(Caller, "AssignCoach", AuditAction.Update, key),
            key,
            (session, now) =>
            {
                seen.Add(now);
                return ++runs;
            },
            CancellationToken.None);

        Assert.Equal(1, await Assign());
        Assert.Equal(1, await Assign());
        Assert.Equal(1, runs);

        var stored = await store.ReadAsync(s => s.FindRequest(Caller.Id, "AssignCoach", "req-1"));
        Assert.NotNull(stored);
        Assert.Equal("hash-1", stored.BodyHash);
        Assert.Equal("1", stored.ResultJson);
        Assert.NotEqual(default, Assert.Single(seen));

        // The same request id with another body is refused; under another operation it is another request.
        var other = RequestKey.Create("req-1", "hash-2");
        var error = await Assert.ThrowsAsync<HubException>(() => audit.ReplayableCommandAsync(
            audit.Note(Caller, "AssignCoach", AuditAction.Update, other), other, (session, now) => ++runs, CancellationToken.None));
        Assert.Equal(ErrorReasons.RequestIdReused, error.Reason);
        Assert.Equal(2, await audit.ReplayableCommandAsync(
            audit.Note(Caller, "CorrectClientFacts", AuditAction.Update, other), other, (session, now) => ++runs, CancellationToken.None));
        Assert.NotNull(await store.ReadAsync(s => s.FindRequest(Caller.Id, "CorrectClientFacts", "req-1")));

        // One event per answered call, the repeat included; the invalid request is rolled back with its event.
        var events = await store.ReadAsync(s => s.ListAuditRecords(new AuditQuery(Limit: 10)));
        Assert.Equal(3, events.Count);
    }

    public ValueTask DisposeAsync()
    {
        _stores.Dispose();
        return ValueTask.CompletedTask;
    }
}

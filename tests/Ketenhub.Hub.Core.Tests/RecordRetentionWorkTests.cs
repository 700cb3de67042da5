using Ketenhub.Hub.Audit;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Messages;
using Ketenhub.Hub.Retention;
using Ketenhub.Hub.Storage;
using Ketenhub.Testing.InMemory;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Ketenhub.Hub.Core.Tests;

/// <summary>
/// The terms of the records (<c>Hub:Retention:MessageRecords</c>, <c>AuditEvents</c>; docs/privacy.md): a message's
/// record and its deliveries go a term after every delivery ended, but never an open referral, a transition in effect or
/// named by a kept referral, nor anything about a client under a legal hold; the audit trail loses its oldest events only
/// up to an event a signed checkpoint vouches for, never its last event, never from a held client's first event on.
/// </summary>
public sealed class RecordRetentionWorkTests
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly AuditPseudonyms Pseudonyms = new(new byte[32]);
    private readonly FakeTimeProvider _clock = new(T0) { AutoAdvanceAmount = TimeSpan.Zero };

    private static RetentionOptions Options() => new()
    {
        MessageContent = TimeSpan.FromDays(1),
        IdempotencyRecords = TimeSpan.FromHours(1),
        MessageRecords = TimeSpan.FromDays(10),
        AuditEvents = TimeSpan.FromDays(30),
        LegalHolds = ["cli_held"],
    };

    private RetentionWork Work(IHubStore store, IAuditCheckpointSource? checkpoints = null) =>
        new(store, Microsoft.Extensions.Options.Options.Create(Options()), _clock, NullLogger<RetentionWork>.Instance, null, checkpoints, Pseudonyms);

    [Fact]
    public async Task MessageRecords_GoATermAfterTheirDeliveriesEnded_ButNotOpenReferrals_TransitionsInEffect_OrHeldClients()
    {
        await using var store = new InMemoryHubStore();
        var signal = Signal("sig_1", "cli_1");
        var held = Signal("sig_held", "cli_held");
        var open = Referral("ref_open", "cli_1", PerformerStatus.Started);
        var closed = Referral("ref_closed", "cli_1", PerformerStatus.Ended);
        var named = Transition("trn_named", "cli_1", DateOnly.FromDateTime(T0.UtcDateTime), [open.Id]);
        var done = Transition("trn_done", "cli_1", DateOnly.FromDateTime(T0.UtcDateTime), [closed.Id]);
        var future = Transition("trn_future", "cli_1", new DateOnly(2026, 6, 1), []);
        var (task, heldTask) = await store.WriteAsync(s =>
        {
            s.InsertSignal(signal);
            s.InsertSignal(held);
            s.InsertReferral(open);
            s.InsertReferral(closed);
            s.InsertTransition(named);
            s.InsertTransition(done);
            s.InsertTransition(future);
            foreach (var (id, client, kind) in new[] { (signal.Id, "cli_1", PayloadKind.Signal), (held.Id, "cli_held", PayloadKind.Signal), (open.Id, "cli_1", PayloadKind.Referral), (closed.Id, "cli_1", PayloadKind.Referral) })
            {
                s.InsertDelivery(Delivery(client, id, kind));
            }

            return (s.InsertDelivery(Delivery("cli_1", null, PayloadKind.Task)), s.InsertDelivery(Delivery("cli_held", null, PayloadKind.Task)));
        });

        // Within the term only the content goes.
        _clock.Advance(TimeSpan.FromDays(10));
        using var work = Work(store);
        var first = await work.RunOnceAsync(CancellationToken.None);
        Assert.Equal(7, first.MessageContents);
        Assert.Equal((0, 0), (first.MessageRecords, first.DeliveryRecords));

        _clock.Advance(TimeSpan.FromDays(1));
        var second = await work.RunOnceAsync(CancellationToken.None);
        var left = await store.ReadAsync(s => (
            Signals: new[] { signal.Id, held.Id }.Where(id => s.FindSignal(id) is not null).ToList(),
            Referrals: new[] { open.Id, closed.Id }.Where(id => s.FindReferral(id) is not null).ToList(),
            Transitions: new[] { named.Id, done.Id, future.Id }.Where(id => s.FindTransition(id) is not null).ToList(),
            Deliveries: s.ListDeliveries(new DeliveryQuery(Limit: 100)).Select(d => d.MessageId ?? d.Id).ToList()));
        Assert.Equal([held.Id], left.Signals);
        Assert.Equal([open.Id], left.Referrals);
        Assert.Equal([named.Id, future.Id], left.Transitions);
        Assert.Equal([held.Id, open.Id, heldTask.Id], left.Deliveries);
        Assert.Equal((3, 1), (second.MessageRecords, second.DeliveryRecords));
        _ = task;

        // Once the referral is no longer open it goes, and the transition that named it follows in the same run.
        await store.WriteAsync(s => { s.UpdateReferral(s.FindReferral(open.Id)! with { Performers = [new PerformerState("provider-1", PerformerStatus.Ended, null, T0)] }); return 0; });
        Assert.Equal(2, (await work.RunOnceAsync(CancellationToken.None)).MessageRecords);
        Assert.Null(await store.ReadAsync(s => s.FindTransition(named.Id)));
    }

    [Fact]
    public async Task TheAuditTrail_IsCutBackToTheNewestOldEnoughCheckpoint_BeforeAHeldClientsFirstEvent_AndStillVerifies()
    {
        await using var store = new InMemoryHubStore();
        var chain = await AppendAsync(store, 12, heldAt: 8);
        using var key = AuditCheckpointKey.Generate();
        var source = new Checkpoints(key, chain, 3, 6, 9, 12);
        using var work = Work(store, source);

        // Nothing is old enough yet.
        _clock.Advance(TimeSpan.FromDays(29));
        Assert.Equal(0, (await work.RunOnceAsync(CancellationToken.None)).AuditEvents);

        // Every event is past the term: the trail is cut back to checkpoint 6, the newest before the held client's event 8.
        _clock.Advance(TimeSpan.FromDays(2));
        Assert.Equal(6, (await work.RunOnceAsync(CancellationToken.None)).AuditEvents);
        var (start, records) = await store.ReadAsync(s => (s.GetAuditStart(), s.ListAuditRecords(new AuditQuery(Limit: 100))));
        Assert.Equal(new AuditStart(6, chain[5].Hash), start);
        Assert.Equal(7, records[0].Sequence);
        var verified = AuditCheckpointCheck.Verify((after, limit) => [.. records.Where(r => r.Sequence > after).Take(limit)], source.Read(), start: start);
        Assert.True(verified.Intact, verified.Describe());

        // Without the hold it goes on to checkpoint 9, never to the last event (12) although a checkpoint names it.
        var options = Options();
        options.LegalHolds = [];
        using var free = new RetentionWork(store, Microsoft.Extensions.Options.Options.Create(options), _clock, NullLogger<RetentionWork>.Instance, null, source, Pseudonyms);
        Assert.Equal(3, (await free.RunOnceAsync(CancellationToken.None)).AuditEvents);
        Assert.Equal(new AuditStart(9, chain[8].Hash), await store.ReadAsync(s => s.GetAuditStart()));
    }

    [Fact]
    public async Task WithoutCheckpoints_TheTrailIsCutBackToTheLastOldEnoughEvent_ButNeverItsLast()
    {
        await using var store = new InMemoryHubStore();
        var chain = await AppendAsync(store, 5, heldAt: null);
        using var work = Work(store);
        _clock.Advance(TimeSpan.FromDays(31));
        Assert.Equal(4, (await work.RunOnceAsync(CancellationToken.None)).AuditEvents);
        Assert.Equal(new AuditStart(4, chain[3].Hash), await store.ReadAsync(s => s.GetAuditStart()));
        Assert.Equal([5L], (await store.ReadAsync(s => s.ListAuditRecords(new AuditQuery()))).Select(r => r.Sequence));
    }

    private async Task<List<AuditRecord>> AppendAsync(IHubStore store, int count, int? heldAt)
    {
        var records = new List<AuditRecord>();
        for (var i = 1; i <= count; i++)
        {
            var client = i == heldAt ? Pseudonyms.Of("cli_held") : Pseudonyms.Of("cli_1");
            records.Add(await store.WriteAsync(s =>
            {
                var record = AuditChain.Next(s.GetAuditHead(), new AuditEvent { Id = "aud_" + i, Time = T0.AddMinutes(i), EventType = "GetSignal", Action = AuditAction.Read, ActorParty = "sdd", Client = client, Outcome = AuditOutcome.Success });
                s.AppendAuditRecord(record);
                return record;
            }));
        }

        return records;
    }

    private sealed class Checkpoints(AuditCheckpointKey key, IReadOnlyList<AuditRecord> chain, params int[] sequences) : IAuditCheckpointSource
    {
        public AuditCheckpointReading? Read() =>
            new("checkpoints", [.. sequences.Select(s => key.Open(key.Sign(new AuditCheckpoint(s, chain[s - 1].Hash, T0.AddHours(1))), out _, out _)!)], []);
    }

    private static SignalRecord Signal(string id, string client) =>
        new(id, client, "sdd", SignalKind.PaymentArrears, LifeDomain.Finances, SignalSeverity.Concern, "Text about the client", T0);

    private static ReferralRecord Referral(string id, string client, PerformerStatus status) =>
        new(id, client, "school-1", ServiceKind.IndividualGuidance, "Reason", [LifeDomain.Education], ReferralUrgency.Urgent, "Strengths", [new PerformerState("provider-1", status, null, T0)], null, T0, null);

    private static TransitionRecord Transition(string id, string client, DateOnly effective, IReadOnlyList<string> referrals) =>
        new(id, client, "school-1", TransitionKind.SchoolLeaver18, "school-1", "provider-1", effective, "Handover", null, referrals, T0);

    private static DeliveryRecord Delivery(string client, string? messageId, PayloadKind kind) => new()
    {
        Id = "dlv_" + Guid.NewGuid().ToString("N")[..12],
        Recipient = "provider-1",
        ClientId = client,
        Sender = "sdd",
        PayloadKind = kind,
        MessageId = messageId,
        Status = DeliveryStatus.Acknowledged,
        Decision = new Decision("provider-1", RecipientOutcome.Content, ["R1"], Purpose.SignalFollowUp, [DataCategory.Finances], "con_1", null, "CONSENT_ACTIVE", "Consent covers it."),
        CreateTime = T0,
        UpdateTime = T0.AddHours(1),
        AckTime = T0.AddHours(1),
    };
}

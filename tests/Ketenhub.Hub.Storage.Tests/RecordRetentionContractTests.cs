using Ketenhub.Hub.Audit;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Messages;
using Ketenhub.Hub.Retention;
using static Ketenhub.Hub.Storage.Tests.TestData;

namespace Ketenhub.Hub.Storage.Tests;

/// <summary>The store's part in the terms of the records and the audit trail (docs/privacy.md), the same on every store.</summary>
public abstract partial class HubStoreContractTests
{
    [Fact]
    public async Task MessageRecordsEnded_AreErasedMessagesWhoseDeliveriesAllEnded_InPositionOrder()
    {
        var store = Open();
        var erased = T0.AddMinutes(30);
        var acked = Signal("cli_a") with { ContentEraseTime = erased };
        var stillHolding = Signal("cli_a") with { CreateTime = T0.AddMinutes(1) };
        var pending = Signal("cli_a") with { CreateTime = T0.AddMinutes(2), ContentEraseTime = erased };
        var waiting = Signal("cli_a") with { CreateTime = T0.AddMinutes(3), ContentEraseTime = erased };
        var referral = Referral("cli_b") with { CreateTime = T0.AddMinutes(4), ContentEraseTime = erased };
        var transition = Transition("cli_b") with { CreateTime = T0.AddMinutes(5), ContentEraseTime = erased };
        var endedLate = Signal("cli_b") with { CreateTime = T0.AddMinutes(6), ContentEraseTime = erased };
        await store.WriteAsync(s =>
        {
            foreach (var signal in new[] { acked, stillHolding, pending, waiting, endedLate })
            {
                s.InsertSignal(signal);
            }

            s.InsertReferral(referral);
            s.InsertTransition(transition);
            s.InsertDelivery(Ended(NewDelivery("cli_a", messageId: acked.Id), T0.AddHours(1)));
            s.InsertDelivery(Ended(NewDelivery("cli_a", recipient: "provider-2", messageId: acked.Id, ackDeadline: T0.AddHours(1), signalAckTime: T0.AddMinutes(50)), T0.AddHours(1)));
            s.InsertDelivery(Ended(NewDelivery("cli_a", messageId: stillHolding.Id), T0.AddHours(1)));
            s.InsertDelivery(NewDelivery("cli_a", messageId: pending.Id));

            // Acknowledged as a delivery, but the signal still waits for a person's acknowledgement: it may escalate.
            s.InsertDelivery(Ended(NewDelivery("cli_a", messageId: waiting.Id, ackDeadline: T0.AddHours(2)), T0.AddHours(1)));
            s.InsertDelivery(Ended(NewDelivery("cli_b", messageId: referral.Id) with { PayloadKind = PayloadKind.Referral }, T0.AddHours(2), DeliveryStatus.SetAside));
            s.InsertDelivery(Ended(NewDelivery("cli_b", messageId: endedLate.Id), T0.AddHours(5)));
            return 0;
        });

        var cut = T0.AddHours(3);
        var due = await store.ReadAsync(s => s.ListMessageRecordsEnded(cut, null, 10));
        Assert.Equal(
            [(MessageType.Signal, acked.Id, "cli_a"), (MessageType.Referral, referral.Id, "cli_b"), (MessageType.Transition, transition.Id, "cli_b")],
            due.Select(m => (m.Key.Type, m.Key.Id, m.ClientId)));
        Assert.Equal([acked.CreateTime, referral.CreateTime, transition.CreateTime], due.Select(m => m.CreateTime));

        // In pages, after a position.
        var page = await store.ReadAsync(s => s.ListMessageRecordsEnded(cut, due[0].Position, 1));
        Assert.Equal([referral.Id], page.Select(m => m.Key.Id));

        // The signal goes with its deliveries and its rows in the party index; the others stay.
        Assert.NotEmpty(await store.ReadAsync(s => s.ListPartyMessages(new PartyMessageQuery("provider-2", MessageType.Signal))));
        Assert.True(await store.WriteAsync(s => s.DeleteMessageRecord(acked.Key())) > 0);
        var after = await store.ReadAsync(s => (
            s.FindSignal(acked.Id),
            s.GetDeliveriesForMessage(acked.Id),
            s.ListPartyMessages(new PartyMessageQuery("provider-2", MessageType.Signal)),
            s.ListPartyMessages(new PartyMessageQuery("provider-1", MessageType.Signal)).Select(p => p.MessageId).ToList(),
            s.ListPartyMessages(new PartyMessageQuery(acked.Sender, MessageType.Signal)).Select(p => p.MessageId).ToList(),
            s.ListMessageRecordsEnded(cut, null, 10)));
        Assert.Null(after.Item1);
        Assert.Empty(after.Item2);
        Assert.Empty(after.Item3);
        Assert.DoesNotContain(acked.Id, after.Item4);
        Assert.DoesNotContain(acked.Id, after.Item5);
        Assert.Contains(pending.Id, after.Item5);
        Assert.Equal([referral.Id, transition.Id], after.Item6.Select(m => m.Key.Id));
        Assert.Equal(0, await store.WriteAsync(s => s.DeleteMessageRecord(acked.Key())));
        Assert.NotNull(await store.ReadAsync(s => s.FindSignal(pending.Id)));
    }

    [Fact]
    public async Task DeliveriesWithoutAMessage_GoOnceEndedByTheCutOff_ExceptThoseOfKeptClients()
    {
        var store = Open();
        var (early, kept, open, late, ofMessage) = await store.WriteAsync(s => (
            s.InsertDelivery(Ended(NewDelivery("cli_a", messageId: null) with { PayloadKind = PayloadKind.Task }, T0.AddHours(1))),
            s.InsertDelivery(Ended(NewDelivery("cli_b", messageId: null) with { PayloadKind = PayloadKind.Task }, T0.AddHours(1))),
            s.InsertDelivery(NewDelivery("cli_a", messageId: null) with { PayloadKind = PayloadKind.Task }),
            s.InsertDelivery(Ended(NewDelivery("cli_a", messageId: null) with { PayloadKind = PayloadKind.Task }, T0.AddHours(5))),
            s.InsertDelivery(Ended(NewDelivery("cli_a"), T0.AddHours(1)))));

        Assert.Equal(1, await store.WriteAsync(s => s.DeleteDeliveriesEnded(T0.AddHours(3), ["cli_b"], 10)));
        var left = await store.ReadAsync(s => new[] { early, kept, open, late, ofMessage }.Select(d => s.FindDelivery(d.Id) is not null).ToList());
        Assert.Equal([false, true, true, true, true], left);
        Assert.Equal(2, await store.WriteAsync(s => s.DeleteDeliveriesEnded(T0.AddHours(6), [], 10)));
    }

    [Fact]
    public async Task TheAuditTrail_LosesEventsOnlyFromItsStart_UpToARecordedStart_ThatOnlyMovesForward()
    {
        var store = Open();
        var records = await AppendAuditAsync(store, (T0, "ap_one"), (T0.AddMinutes(1), null), (T0.AddMinutes(2), "ap_two"), (T0.AddMinutes(3), "ap_one"), (T0.AddMinutes(4), null));
        Assert.Null(await store.ReadAsync(s => s.GetAuditStart()));

        // Without a start nothing can go.
        Assert.Equal(0, await store.WriteAsync(s => s.DeleteAuditRecordsToStart(10)));

        // A start must name a stored event with its own hash.
        await Assert.ThrowsAnyAsync<Exception>(() => store.WriteAsync(s => { s.SetAuditStart(new AuditStart(2, records[2].Hash)); return 0; }));
        await Assert.ThrowsAnyAsync<Exception>(() => store.WriteAsync(s => { s.SetAuditStart(new AuditStart(9, records[4].Hash)); return 0; }));
        Assert.Null(await store.ReadAsync(s => s.GetAuditStart()));

        await store.WriteAsync(s => { s.SetAuditStart(new AuditStart(2, records[1].Hash)); return 0; });
        Assert.Equal(new AuditStart(2, records[1].Hash), await store.ReadAsync(s => s.GetAuditStart()));
        Assert.Equal(1, await store.WriteAsync(s => s.DeleteAuditRecordsToStart(1)));
        Assert.Equal(1, await store.WriteAsync(s => s.DeleteAuditRecordsToStart(10)));
        Assert.Equal(0, await store.WriteAsync(s => s.DeleteAuditRecordsToStart(10)));

        var (left, start) = await store.ReadAsync(s => (s.ListAuditRecords(new AuditQuery()), s.GetAuditStart()));
        Assert.Equal([3L, 4L, 5L], left.Select(r => r.Sequence));
        IReadOnlyList<AuditRecord> Pages(long after, int limit) => [.. left.Where(r => r.Sequence > after).Take(limit)];
        Assert.True(AuditVerifier.Verify(Pages, start: start).Intact);
        Assert.Equal(AuditProblem.Missing, AuditVerifier.Verify(Pages).Problem);

        // The start never moves back, and a removed event cannot be named again.
        await Assert.ThrowsAnyAsync<Exception>(() => store.WriteAsync(s => { s.SetAuditStart(new AuditStart(1, records[0].Hash)); return 0; }));
        Assert.Equal(new AuditStart(2, records[1].Hash), await store.ReadAsync(s => s.GetAuditStart()));

        // It moves forward, and the chain grows on from its head as before.
        await store.WriteAsync(s => { s.SetAuditStart(new AuditStart(4, records[3].Hash)); return 0; });
        var next = await AppendAuditAsync(store, (T0.AddMinutes(5), null));
        Assert.Equal(6, next[0].Sequence);
        Assert.Equal(2, await store.WriteAsync(s => s.DeleteAuditRecordsToStart(10)));
        Assert.Equal([5L, 6L], (await store.ReadAsync(s => s.ListAuditRecords(new AuditQuery()))).Select(r => r.Sequence));
    }
}

/// <summary>Keys of stored messages, for the tests.</summary>
internal static class MessageKeys
{
    public static MessageKey Key(this SignalRecord signal) => new(MessageType.Signal, signal.Id);
}

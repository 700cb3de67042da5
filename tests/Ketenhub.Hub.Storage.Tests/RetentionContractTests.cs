using Ketenhub.Hub.Audit;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Journeys;
using Ketenhub.Hub.Messages;
using Ketenhub.Hub.Parties;
using Ketenhub.Hub.Retention;
using static Ketenhub.Hub.Storage.Tests.TestData;

namespace Ketenhub.Hub.Storage.Tests;

/// <summary>The store's part in retention and erasure (docs/privacy.md), the same on every store.</summary>
public abstract partial class HubStoreContractTests
{
    [Fact]
    public async Task MessagesWhoseContentEnded_AreThoseWhoseDeliveriesAllEndedByTheCutOff_OldestFirst()
    {
        var store = Open();
        var acked = Signal("cli_a");
        var stillPending = Signal("cli_a");
        var endedLate = Signal("cli_a");
        var noDeliveries = Signal("cli_b") with { CreateTime = T0.AddMinutes(-5) };
        var setAside = Referral("cli_a") with { CreateTime = T0.AddMinutes(1) };
        var transition = Transition("cli_b") with { CreateTime = T0.AddMinutes(2) };
        var createdLate = Signal("cli_b") with { CreateTime = T0.AddHours(4) };
        await store.WriteAsync(s =>
        {
            foreach (var signal in new[] { acked, stillPending, endedLate, noDeliveries, createdLate })
            {
                s.InsertSignal(signal);
            }

            s.InsertReferral(setAside);
            s.InsertTransition(transition);
            s.InsertDelivery(Ended(NewDelivery("cli_a", messageId: acked.Id), T0.AddHours(1)));
            s.InsertDelivery(Ended(NewDelivery("cli_a", recipient: "provider-2", messageId: acked.Id), T0.AddHours(2)));
            s.InsertDelivery(NewDelivery("cli_a", messageId: stillPending.Id));
            s.InsertDelivery(Ended(NewDelivery("cli_a", messageId: stillPending.Id), T0.AddHours(1)));
            s.InsertDelivery(Ended(NewDelivery("cli_a", messageId: endedLate.Id), T0.AddHours(5)));
            s.InsertDelivery(Ended(NewDelivery("cli_a", messageId: setAside.Id) with { PayloadKind = PayloadKind.Referral }, T0.AddHours(2), DeliveryStatus.SetAside));
            s.InsertDelivery(Ended(NewDelivery("cli_b", messageId: transition.Id) with { PayloadKind = PayloadKind.Transition }, T0.AddHours(1), DeliveryStatus.Withheld));
            return 0;
        });

        var cut = T0.AddHours(3);
        var due = await store.ReadAsync(s => s.ListMessagesContentEnded(cut, 10));
        Assert.Equal(
            [(MessageType.Signal, noDeliveries.Id), (MessageType.Signal, acked.Id), (MessageType.Referral, setAside.Id), (MessageType.Transition, transition.Id)],
            due.Select(k => (k.Type, k.Id)));
        Assert.Equal(2, (await store.ReadAsync(s => s.ListMessagesContentEnded(cut, 2))).Count);

        // Erased content is not listed again, and reads back erased; the rest of the record stays.
        var erasedAt = T0.AddHours(3);
        await store.WriteAsync(s =>
        {
            s.UpdateSignal(MessageContent.Erase(acked, erasedAt));
            s.UpdateReferral(MessageContent.Erase(setAside, erasedAt));
            s.UpdateTransition(MessageContent.Erase(transition, erasedAt));
            return 0;
        });
        var after = await store.ReadAsync(s => (s.ListMessagesContentEnded(cut, 10), s.FindSignal(acked.Id), s.FindReferral(setAside.Id), s.GetTransitionsForClient("cli_b")));
        Assert.Equal([noDeliveries.Id], after.Item1.Select(k => k.Id));
        AssertSame(acked with { Description = string.Empty, ContentEraseTime = erasedAt }, after.Item2);
        AssertSame(setAside with { Reason = string.Empty, Strengths = string.Empty, ContentEraseTime = erasedAt }, after.Item3);
        AssertSame(transition with { HandoverSummary = string.Empty, ContentEraseTime = erasedAt }, Assert.Single(after.Item4));
    }

    [Fact]
    public async Task DeliveriesWhoseContentEnded_HoldAPayload_AndKeepTheTimeTheyFirstEnded()
    {
        var store = Open();
        const string Payload = """{"messageType":"Signal","contactParty":"social-1","domain":"Housing","severity":"Urgent"}""";
        var (early, pending, noPayload, late) = await store.WriteAsync(s => (
            s.InsertDelivery(Ended(NewDelivery("cli_a", messageId: null) with { PayloadKind = PayloadKind.ThinNotice, PayloadJson = Payload }, T0.AddHours(1))),
            s.InsertDelivery(NewDelivery("cli_a", messageId: null) with { PayloadKind = PayloadKind.ThinNotice, PayloadJson = Payload }),
            s.InsertDelivery(Ended(NewDelivery("cli_a"), T0.AddHours(1))),
            s.InsertDelivery(NewDelivery("cli_b", messageId: null) with { PayloadKind = PayloadKind.Task, PayloadJson = "{}" })));

        // Ended later, by an update (the usual way): indexed at its update time.
        await store.WriteAsync(s => { s.UpdateDelivery(Ended(late, T0.AddHours(5))); return 0; });

        // A later update of an ended delivery (an escalation flag) keeps the time it ended.
        await store.WriteAsync(s => { s.UpdateDelivery(early with { Escalated = true, UpdateTime = T0.AddHours(10) }); return 0; });

        var cut = T0.AddHours(3);
        Assert.Equal([early.Id], (await store.ReadAsync(s => s.ListDeliveriesContentEnded(cut, 10))).Select(d => d.Id));
        Assert.Equal([early.Id, late.Id], (await store.ReadAsync(s => s.ListDeliveriesContentEnded(T0.AddHours(6), 10))).Select(d => d.Id));

        var erased = MessageContent.Erase(early with { Escalated = true, UpdateTime = T0.AddHours(10) }, T0.AddHours(11));
        await store.WriteAsync(s => { s.UpdateDelivery(erased); return 0; });
        var (listed, found) = await store.ReadAsync(s => (s.ListDeliveriesContentEnded(T0.AddHours(6), 10), s.FindDelivery(early.Id)));
        Assert.Equal([late.Id], listed.Select(d => d.Id));
        AssertSame(erased with { Sequence = early.Sequence }, found);

        // A delivery that is open again (requeued) is not ended.
        await store.WriteAsync(s => s.RequeueDelivery(late with { Status = DeliveryStatus.Pending, UpdateTime = T0.AddHours(7) }));
        Assert.Empty(await store.ReadAsync(s => s.ListDeliveriesContentEnded(T0.AddDays(1), 10)));
        _ = (pending, noPayload);
    }

    [Fact]
    public async Task RequestsSavedBefore_AreRemovedOldestFirst_UpToTheLimit()
    {
        var store = Open();
        await store.WriteAsync(s =>
        {
            s.SaveRequest("school-1", "SubmitSignal", "req-1", new StoredRequest("h", "{}"), T0);
            s.SaveRequest("school-1", "SubmitSignal", "req-2", new StoredRequest("h", "{}") { ClientId = "cli_a" }, T0.AddHours(1));
            s.SaveRequest("school-1", "SubmitSignal", "req-3", new StoredRequest("h", "{}"), T0.AddHours(2));
            return 0;
        });

        Assert.Equal(1, await store.WriteAsync(s => s.DeleteRequestsBefore(T0.AddHours(90), 1)));
        Assert.Equal(1, await store.WriteAsync(s => s.DeleteRequestsBefore(T0.AddMinutes(90), 10)));
        var left = await store.ReadAsync(s => (s.FindRequest("school-1", "SubmitSignal", "req-1"), s.FindRequest("school-1", "SubmitSignal", "req-2"), s.FindRequest("school-1", "SubmitSignal", "req-3")));
        Assert.Null(left.Item1);
        Assert.Null(left.Item2);
        Assert.NotNull(left.Item3);
    }

    [Fact]
    public async Task JourneyEventsBefore_AreRemoved_WhateverTheirClient()
    {
        var store = Open();
        await store.WriteAsync(s =>
        {
            s.AppendJourneyEvent(Journey("cli_a") with { Time = T0 });
            s.AppendJourneyEvent(Journey("cli_b") with { Time = T0.AddDays(1) });
            s.AppendJourneyEvent(Journey("cli_a") with { Time = T0.AddDays(3) });
            return 0;
        });

        Assert.Equal(2, await store.WriteAsync(s => s.DeleteJourneyEventsBefore(T0.AddDays(2), 10)));
        var (a, b) = await store.ReadAsync(s => (s.GetJourney("cli_a", 0, 10), s.GetJourney("cli_b", 0, 10)));
        Assert.Equal([T0.AddDays(3)], a.Select(e => e.Time));
        Assert.Empty(b);
    }

    [Fact]
    public async Task DeleteClientRelations_RemovesThatClientsRolesCoachConsentsJourneyAndRequests_Only()
    {
        var store = Open();
        await store.WriteAsync(s =>
        {
            foreach (var client in new[] { "cli_a", "cli_b" })
            {
                s.InsertClient(Client(client));
                s.InsertRole(Role(client));
                s.InsertCoachAssignment(CoachAssignment(client));
                s.InsertConsent(NewConsent(client));
                s.AppendJourneyEvent(Journey(client));
                s.SaveRequest("school-1", "RegisterClient", "req-" + client, new StoredRequest("h", "{}") { ClientId = client }, T0);
            }

            s.SaveRequest("school-1", "ListParties", "req-none", new StoredRequest("h", "{}"), T0);
            return 0;
        });

        Assert.Equal(5, await store.WriteAsync(s => s.DeleteClientRelations("cli_a")));

        var gone = await store.ReadAsync(s => (s.GetRoles("cli_a"), s.GetCoachAssignments("cli_a"), s.GetConsents("cli_a"), s.GetJourney("cli_a", 0, 10), s.FindRequest("school-1", "RegisterClient", "req-cli_a")));
        Assert.Empty(gone.Item1);
        Assert.Empty(gone.Item2);
        Assert.Empty(gone.Item3);
        Assert.Empty(gone.Item4);
        Assert.Null(gone.Item5);
        var kept = await store.ReadAsync(s => (s.GetRoles("cli_b"), s.GetCoachAssignments("cli_b"), s.GetConsents("cli_b"), s.GetJourney("cli_b", 0, 10), s.FindRequest("school-1", "RegisterClient", "req-cli_b"), s.FindRequest("school-1", "ListParties", "req-none"), s.FindClient("cli_a")));
        Assert.Single(kept.Item1);
        Assert.Single(kept.Item2);
        Assert.Single(kept.Item3);
        Assert.Single(kept.Item4);
        Assert.NotNull(kept.Item5);
        Assert.NotNull(kept.Item6);
        Assert.NotNull(kept.Item7);
    }

    [Fact]
    public async Task ErasingAClient_LeavesATombstone_ErasesItsContent_KeepsOthers_AndTheAuditChainVerifies()
    {
        var store = Open();
        var audit = new AuditTrail(store, new AuditPseudonyms(new byte[32]), TimeProvider.System);
        var erasure = new ClientErasure(store, audit, Microsoft.Extensions.Options.Options.Create(new RetentionOptions()), TimeProvider.System);
        var (erased, other) = (Client("cli_erase"), Client("cli_other"));
        var signal = Signal(erased.Id);
        var otherSignal = Signal(other.Id);
        var referral = Referral(erased.Id) with { Performers = [new PerformerState("provider-1", PerformerStatus.Ended, "01", T0)] };
        await store.WriteAsync(s =>
        {
            foreach (var client in new[] { erased, other })
            {
                s.InsertClient(client);
                s.InsertRole(Role(client.Id));
                s.InsertConsent(NewConsent(client.Id));
                s.AppendJourneyEvent(Journey(client.Id));
            }

            s.InsertSignal(signal);
            s.InsertSignal(otherSignal);
            s.InsertReferral(referral);
            s.InsertTransition(Transition(erased.Id));
            s.InsertDelivery(Ended(NewDelivery(erased.Id, messageId: signal.Id), T0.AddHours(1)));
            s.InsertDelivery(Ended(NewDelivery(erased.Id, messageId: null) with { PayloadKind = PayloadKind.ThinNotice, PayloadJson = """{"domain":"Housing"}""" }, T0.AddHours(1)));
            s.InsertDelivery(Ended(NewDelivery(other.Id, messageId: otherSignal.Id), T0.AddHours(1)));
            return 0;
        });
        await audit.RecordAsync([audit.HubNote("SubmitSignal", AuditAction.Create).About(erased.Id)], CancellationToken.None);

        // An open referral keeps the data: refused, nothing changed, the refusal audited.
        var open = Referral(erased.Id);
        await store.WriteAsync(s => { s.InsertReferral(open); s.InsertCoachAssignment(CoachAssignment(erased.Id)); return 0; });
        var refused = await Assert.ThrowsAsync<HubException>(() => erasure.EraseAsOperatorAsync("po-1", "clients/" + erased.Id, ErasureGround.DataSubjectRequest, CancellationToken.None));
        Assert.Equal(ErrorReasons.LegalRetentionApplies, refused.Reason);
        Assert.Equal(("OPEN_REFERRAL", open.Name), (refused.Metadata["retention"], refused.Metadata["resource"]));
        AssertSame(erased, await store.ReadAsync(s => s.FindClient(erased.Id)));

        await store.WriteAsync(s => { s.UpdateReferral(open with { Performers = [new PerformerState("provider-1", PerformerStatus.Declined, "02", T0)] }); return 0; });
        var result = await erasure.EraseAsOperatorAsync("po-1", "clients/" + erased.Id, ErasureGround.DataSubjectRequest, CancellationToken.None);
        Assert.False(result.AlreadyErased);
        Assert.Equal(4, result.Messages);
        Assert.Equal(1, result.DeliveryPayloads);

        var after = await store.ReadAsync(s => new
        {
            Client = s.FindClient(erased.Id),
            ByHash = s.FindClientByBsnHash(erased.BsnHash),
            Signal = s.FindSignal(signal.Id),
            Referral = s.FindReferral(referral.Id),
            Transition = Assert.Single(s.GetTransitionsForClient(erased.Id)),
            Deliveries = s.ListDeliveries(new DeliveryQuery(ClientId: erased.Id)),
            Related = (s.GetRoles(erased.Id).Count, s.GetConsents(erased.Id).Count, s.GetCoachAssignments(erased.Id).Count, s.GetJourney(erased.Id, 0, 10).Count),
            Other = (s.FindClient(other.Id), s.FindSignal(otherSignal.Id), s.GetRoles(other.Id).Count, s.GetJourney(other.Id, 0, 10).Count),
            Audit = s.ListAuditRecords(new AuditQuery(Limit: 100)),
        });
        Assert.NotNull(after.Client);
        Assert.NotNull(after.Client.EraseTime);
        Assert.Equal(string.Empty, after.Client.ProtectedBsn);
        Assert.Equal(DateOnly.MinValue, after.Client.BirthDate);
        Assert.Null(after.ByHash);
        Assert.Equal(string.Empty, after.Signal!.Description);
        Assert.Equal((string.Empty, string.Empty), (after.Referral!.Reason, after.Referral.Strengths));
        Assert.Equal(string.Empty, after.Transition.HandoverSummary);
        Assert.All(after.Deliveries, d => Assert.Null(d.PayloadJson));
        Assert.Equal((0, 0, 0, 0), after.Related);
        AssertSame(other, after.Other.Item1);
        AssertSame(otherSignal, after.Other.Item2);
        Assert.Equal((1, 1), (after.Other.Item3, after.Other.Item4));

        // Audited: the refusal and the erasure, with the officer, the ground and the client's pseudonym only.
        var events = after.Audit.Select(r => AuditChain.Open(r).Event).Where(e => e.EventType == ClientErasure.EventType).ToList();
        Assert.Equal([AuditOutcome.Refused, AuditOutcome.Success], events.Select(e => e.Outcome));
        Assert.Equal(ErrorReasons.LegalRetentionApplies, events[0].Reason);
        Assert.Equal(AuditAction.Delete, events[1].Action);
        Assert.Equal("po-1", events[1].ActorUser);
        Assert.Contains(new AuditCheck(AuditCheckKind.LegalBasis, "ERASURE:DATA_SUBJECT_REQUEST"), events[1].Checks);
        Assert.Equal(audit.PseudonymOf(erased.Id), events[1].Client);
        Assert.True((await audit.VerifyAsync(CancellationToken.None)).Intact);

        // Erasing again changes nothing.
        Assert.True((await erasure.EraseAsOperatorAsync("po-1", erased.Id, ErasureGround.DataSubjectRequest, CancellationToken.None)).AlreadyErased);
    }

    private static DeliveryRecord Ended(DeliveryRecord delivery, DateTimeOffset at, DeliveryStatus status = DeliveryStatus.Acknowledged) =>
        delivery with { Status = status, UpdateTime = at, AckTime = status == DeliveryStatus.Acknowledged ? at : null };
}

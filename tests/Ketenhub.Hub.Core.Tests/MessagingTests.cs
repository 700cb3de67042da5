using Ketenhub.Hub.Audit;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Messages;
using Ketenhub.Hub.Storage;
using static Ketenhub.Hub.Core.Tests.CoreServices;

namespace Ketenhub.Hub.Core.Tests;

/// <summary>
/// Referrals and signals through <c>Messaging</c>, composed as the host composes it, on the in-memory store and a
/// fake clock (<see cref="CoreServices"/>): what is stored, who gets what, and why.
/// </summary>
public sealed class MessagingTests : IAsyncLifetime
{
    private readonly CoreServices _hub = Create();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    [Fact]
    public async Task ReferralBySchool_WithConsent_IsDeliveredToThePerformer_WithItsDecisionRecorded()
    {
        var client = await _hub.RegisterClientAsync();
        var consent = await _hub.GrantAsync("school-a", client, "zorg-a", Purpose.IncomeAndParticipation, DebtReferralCategories);
        _hub.Clock.Advance(TimeSpan.FromMinutes(5));

        var result = await _hub.ReferDebtCounsellingAsync("school-a", client, "zorg-a");

        var decision = Assert.Single(result.Decisions);
        Assert.Equal("zorg-a", decision.Recipient);
        Assert.Equal(RecipientOutcome.Content, decision.Outcome);
        Assert.Equal(DecisionReasons.ConsentActive, decision.Reason);
        Assert.Equal(consent.Consent.Consent.Id, decision.ConsentId);
        Assert.Equal(["debt-referral-to-performers"], decision.RuleIds);
        Assert.Equal(Purpose.IncomeAndParticipation, decision.Purpose);

        var stored = await _hub.DeliveryAsync(decision.DeliveryId!);
        Assert.Equal(DeliveryStatus.Pending, stored.Status);
        Assert.Equal(PayloadKind.Referral, stored.PayloadKind);
        Assert.Equal(result.Referral.Id, stored.MessageId);
        Assert.Equal(Start.AddMinutes(5), stored.CreateTime);
        Assert.Equal(decision.ConsentId, stored.Decision.ConsentId);
        Assert.Equal(DecisionReasons.ConsentActive, stored.StatusReason);

        var sent = Assert.Single(await _hub.ClaimAsync("zorg-a"));
        Assert.Equal(decision.DeliveryId, sent.Delivery.Id);
        var referral = Assert.IsType<ReferralRecord>(sent.Payload);
        Assert.Equal("Synthetic reason", referral.Reason);
        Assert.Equal("school-a", referral.Requester);
        Assert.Equal(PerformerStatus.Requested, Assert.Single(referral.Performers).Status);
    }

    [Fact]
    public async Task ReferralWithoutConsent_IsWithheldWithTheCodedReason_AndNothingReachesThePerformer()
    {
        var client = await _hub.RegisterClientAsync();

        var result = await _hub.ReferDebtCounsellingAsync("school-a", client, "zorg-a");

        var decision = Assert.Single(result.Decisions);
        Assert.Equal(RecipientOutcome.Blocked, decision.Outcome);
        Assert.Equal(DecisionReasons.NoConsent, decision.Reason);
        Assert.Null(decision.ConsentId);
        var stored = Assert.Single(await _hub.DeliveriesOfAsync(result.Referral.Id));
        Assert.Equal(DeliveryStatus.Withheld, stored.Status);
        Assert.Equal(DecisionReasons.NoConsent, stored.StatusReason);
        Assert.Empty(await _hub.ClaimAsync("zorg-a"));

        // The referral itself is stored: the requester can still follow it, and the journey shows it.
        var referral = await _hub.Store.ReadAsync(s => s.FindReferral(result.Referral.Id));
        Assert.Equal("zorg-a", Assert.Single(referral!.Performers).PartyId);
    }

    [Fact]
    public async Task ConsentForAnotherPurpose_DoesNotCoverTheReferral()
    {
        var client = await _hub.RegisterClientAsync();
        await _hub.GrantAsync("school-a", client, "zorg-a", Purpose.Coaching, DebtReferralCategories);

        var result = await _hub.ReferDebtCounsellingAsync("school-a", client, "zorg-a");

        Assert.Equal(DecisionReasons.NoConsent, Assert.Single(result.Decisions).Reason);
    }

    [Fact]
    public async Task ReferralToTwoPerformers_ConsentForOne_DeliversToThatOneOnly()
    {
        var client = await _hub.RegisterClientAsync();
        await _hub.GrantAsync("school-a", client, "zorg-b", Purpose.IncomeAndParticipation, DebtReferralCategories);

        var result = await _hub.ReferDebtCounsellingAsync("school-a", client, "zorg-a", "zorg-b");

        var outcomes = result.Decisions.ToDictionary(d => d.Recipient, d => d.Outcome);
        Assert.Equal(RecipientOutcome.Blocked, outcomes["zorg-a"]);
        Assert.Equal(RecipientOutcome.Content, outcomes["zorg-b"]);
        Assert.Empty(await _hub.ClaimAsync("zorg-a"));
        Assert.Equal(result.Referral.Id, Assert.Single(await _hub.ClaimAsync("zorg-b")).Delivery.MessageId);
    }

    [Fact]
    public async Task ReferralThatWaitsForConsent_IsReleasedByTheGrant_AtTheEndOfTheQueue()
    {
        var client = await _hub.RegisterClientAsync();
        var waiting = await _hub.Messaging.CreateReferralAsync(
            _hub.Party("school-a"),
            new ReferralDraft(client, ServiceKind.IndividualGuidance, "Synthetic reason", [LifeDomain.Work], ReferralUrgency.Routine, null, ["parties/zorg-a"]),
            _hub.NewKey(),
            CancellationToken.None);
        var decision = Assert.Single(waiting.Decisions);
        Assert.Equal(RecipientOutcome.AwaitingConsent, decision.Outcome);
        Assert.Equal(Start.AddDays(30), decision.AwaitUntil);
        var before = await _hub.DeliveryAsync(decision.DeliveryId!);
        Assert.Equal(DeliveryStatus.AwaitingConsent, before.Status);
        Assert.Empty(await _hub.ClaimAsync("zorg-a"));

        _hub.Clock.Advance(TimeSpan.FromDays(2));
        var granted = await _hub.GrantAsync("school-a", client, "zorg-a", Purpose.CareDelivery, DataCategory.SupportPlan, DataCategory.ContactDetails, DataCategory.Work);

        Assert.Equal(1, granted.Released);
        var after = await _hub.DeliveryAsync(before.Id);
        Assert.Equal(DeliveryStatus.Pending, after.Status);
        Assert.True(after.Sequence > before.Sequence);
        Assert.Equal(before.Id, Assert.Single(await _hub.ClaimAsync("zorg-a", afterSequence: before.Sequence)).Delivery.Id);
    }

    [Fact]
    public async Task RepeatedSubmit_WithTheSameRequest_GetsTheFirstAnswer_AndAnotherBodyIsRefused()
    {
        var client = await _hub.RegisterClientAsync();
        var key = _hub.NewKey();
        var draft = DebtReferral(client, "zorg-a");

        var first = await _hub.Messaging.CreateReferralAsync(_hub.Party("school-a"), draft, key, CancellationToken.None);
        var again = await _hub.Messaging.CreateReferralAsync(_hub.Party("school-a"), draft, key, CancellationToken.None);
        var other = await Assert.ThrowsAsync<HubException>(() =>
            _hub.Messaging.CreateReferralAsync(_hub.Party("school-a"), draft, key with { BodyHash = "another-body" }, CancellationToken.None));

        Assert.Equal(first.Referral.Id, again.Referral.Id);
        Assert.Equal(first.Decisions.Select(d => d.DeliveryId), again.Decisions.Select(d => d.DeliveryId));
        Assert.Equal(ErrorReasons.RequestIdReused, other.Reason);
        Assert.Single(await _hub.Store.ReadAsync(s => s.GetReferralsForClient(first.Referral.ClientId)));
        Assert.Single(await _hub.DeliveriesOfAsync(first.Referral.Id));
    }

    [Fact]
    public async Task ReferralForAnUnknownClient_IsNotFound_AndStoresNothing()
    {
        var refused = await Assert.ThrowsAsync<HubException>(() => _hub.ReferDebtCounsellingAsync("school-a", "clients/cli_unknown", "zorg-a"));

        Assert.Equal(ErrorCategory.NotFound, refused.Category);
        Assert.Equal(ErrorReasons.ClientNotFound, refused.Reason);
        Assert.Empty(await _hub.Store.ReadAsync(s => s.ListDeliveries(new DeliveryQuery())));
    }

    [Fact]
    public async Task ReferralToAnUnknownPerformer_IsInvalid_NamingTheField()
    {
        var client = await _hub.RegisterClientAsync();

        var refused = await Assert.ThrowsAsync<HubException>(() => _hub.ReferDebtCounsellingAsync("school-a", client, "nobody"));

        Assert.Equal(ErrorCategory.InvalidArgument, refused.Category);
        Assert.Equal(ErrorReasons.UnknownParty, refused.Reason);
        Assert.Equal("referral.performers[0].party", Assert.Single(refused.Violations).Field);
    }

    [Fact]
    public async Task SignalWithoutConsent_GoesAsAThinNotice_ThatSaysNothingOfItsContent()
    {
        var client = await _hub.RegisterClientAsync();

        var result = await _hub.Messaging.CreateSignalAsync(
            _hub.Party("school-a"),
            new SignalDraft(client, SignalKind.RentArrears, LifeDomain.Housing, SignalSeverity.Urgent, "Synthetic description"),
            _hub.NewKey(),
            CancellationToken.None);

        var decision = Assert.Single(result.Decisions);
        Assert.Equal(RecipientOutcome.ThinNotice, decision.Outcome);
        var sent = Assert.Single(await _hub.ClaimAsync("zorg-a"));
        Assert.Equal(PayloadKind.ThinNotice, sent.Delivery.PayloadKind);
        var notice = Assert.IsType<ThinNoticePayload>(sent.Payload);
        Assert.Equal(new ThinNoticePayload(MessageType.Signal, "school-a", LifeDomain.Housing, SignalSeverity.Urgent), notice);
        Assert.DoesNotContain("Synthetic description", sent.Delivery.PayloadJson!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignalWithConsent_CarriesItsContent_AndItsAcknowledgementIsRecorded()
    {
        var client = await _hub.RegisterClientAsync();
        await _hub.GrantAsync("school-a", client, "zorg-a", Purpose.SignalFollowUp, DataCategory.Housing);
        var result = await _hub.Messaging.CreateSignalAsync(
            _hub.Party("school-a"),
            new SignalDraft(client, SignalKind.RentArrears, LifeDomain.Housing, SignalSeverity.Urgent, "Synthetic description"),
            _hub.NewKey(),
            CancellationToken.None);
        var sent = Assert.Single(await _hub.ClaimAsync("zorg-a"));
        Assert.Equal("Synthetic description", Assert.IsType<SignalRecord>(sent.Payload).Description);

        _hub.Clock.Advance(TimeSpan.FromHours(1));
        var acknowledged = await _hub.Messaging.AcknowledgeSignalAsync(_hub.Party("zorg-a"), result.Signal.Name, _hub.NewKey(), CancellationToken.None);

        Assert.Equal(Start.AddHours(1), acknowledged);
        Assert.Equal(Start.AddHours(1), (await _hub.DeliveryAsync(sent.Delivery.Id)).SignalAckTime);
        var refused = await Assert.ThrowsAsync<HubException>(() =>
            _hub.Messaging.AcknowledgeSignalAsync(_hub.Party("zorg-b"), result.Signal.Name, _hub.NewKey(), CancellationToken.None));
        Assert.Equal(ErrorReasons.SignalNotFound, refused.Reason); // no part in the signal: it does not exist for zorg-b
    }

    [Fact]
    public async Task PerformerAccepts_TheRequesterHearsOfIt_AndAnotherPartyCannotTakeTheStep()
    {
        var client = await _hub.RegisterClientAsync();
        await _hub.GrantAsync("school-a", client, "zorg-a", Purpose.IncomeAndParticipation, DebtReferralCategories);
        var referral = (await _hub.ReferDebtCounsellingAsync("school-a", client, "zorg-a")).Referral;

        var stranger = await Assert.ThrowsAsync<HubException>(() =>
            _hub.Messaging.StepAsync(_hub.Party("zorg-b"), referral.Name, ReferralStep.Accept, null, null, _hub.NewKey(), CancellationToken.None));
        var accepted = await _hub.Messaging.StepAsync(_hub.Party("zorg-a"), referral.Name, ReferralStep.Accept, null, null, _hub.NewKey(), CancellationToken.None);
        var again = await Assert.ThrowsAsync<HubException>(() =>
            _hub.Messaging.StepAsync(_hub.Party("zorg-a"), referral.Name, ReferralStep.Accept, null, null, _hub.NewKey(), CancellationToken.None));

        Assert.Equal(ErrorReasons.ReferralNotFound, stranger.Reason); // no part in the referral: it does not exist for zorg-b
        var requester = await Assert.ThrowsAsync<HubException>(() =>
            _hub.Messaging.StepAsync(_hub.Party("school-a"), referral.Name, ReferralStep.Start, null, null, _hub.NewKey(), CancellationToken.None));
        Assert.Equal(ErrorReasons.NotAPerformer, requester.Reason); // its requester knows it, and is no performer
        Assert.Equal(ErrorReasons.IllegalReferralStep, again.Reason);
        Assert.Equal(PerformerStatus.Accepted, Assert.Single(accepted.Referral.Performers).Status);
        Assert.Equal(["school-a"], accepted.Wake);
        var update = Assert.Single(await _hub.ClaimAsync("school-a"));
        Assert.Equal(PayloadKind.ReferralUpdate, update.Delivery.PayloadKind);
        Assert.Equal(new ReferralUpdatePayload(referral.Id, "zorg-a", PerformerStatus.Accepted, null, ServiceKind.DebtCounselling), update.Payload);
    }

    [Fact]
    public async Task EverySubmit_IsInTheAuditTrailOnce_EvenWhenItsWriteRanTwice_AndTheChainStaysIntact()
    {
        var client = await _hub.RegisterClientAsync();
        await _hub.GrantAsync("school-a", client, "zorg-a", Purpose.IncomeAndParticipation, DebtReferralCategories);
        await _hub.ReferDebtCounsellingAsync("school-a", client, "zorg-a");
        await _hub.ReferDebtCounsellingAsync("school-a", client, "zorg-b");

        var records = await _hub.Store.ReadAsync(s => s.ListAuditRecords(new AuditQuery(Limit: 1000)));
        var verification = await _hub.Audit.VerifyAsync(CancellationToken.None);

        // The store ran each replayable command twice (CoreServices); only the last run's event is kept.
        Assert.True(_hub.Store.Replays >= 2);
        Assert.Equal(2, records.Count(r => r.Body.Contains("\"CreateReferral\"", StringComparison.Ordinal)));
        Assert.True(verification.Intact);
        Assert.Equal(records.Count, verification.Checked);
        Assert.Equal(records[^1].Sequence, verification.Head!.Sequence);
    }
}

using Ketenhub.Hub.Common;
using Ketenhub.Hub.Consent;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Journeys;
using Ketenhub.Hub.Routing;
using static Ketenhub.Hub.Core.Tests.RouterTests;
using static Ketenhub.Hub.Core.Tests.TestData;

namespace Ketenhub.Hub.Core.Tests;

public class DeliveryDecisionsTests
{
    private static readonly DateTimeOffset Later = Now.AddDays(2);

    private static Router SignalRouter(string extra = "") => MakeRouter(Rules(Rule("r1", "", ToParty("zorg-a", extra: extra))));

    private static ConsentRecord SignalConsent(string id, DateTimeOffset? withdrawn = null) =>
        NewConsent(id, party: "zorg-a", purposes: [Purpose.SignalFollowUp], categories: [DataCategory.Housing], withdrawn: withdrawn);

    private static DeliveryRecord Delivery(Decision decision, DeliveryStatus status, PayloadKind kind = PayloadKind.Signal) => new()
    {
        Id = "dlv_1",
        Recipient = decision.Recipient,
        ClientId = "cli_test1",
        Sender = "school-a",
        PayloadKind = kind,
        MessageId = "sig_1",
        Status = status,
        Decision = decision,
        StatusReason = decision.Reason,
        AwaitUntil = decision.AwaitUntil,
        CreateTime = Now,
        UpdateTime = Now,
    };

    private static Decision Routed(Router router, params ConsentRecord[] consents) =>
        Assert.Single(router.Route(EvictionSignal, Context(consents: consents), Now).Decisions);

    [Fact]
    public void PendingContent_ConsentWithdrawn_IsWithheldAndKeepsTheConsent()
    {
        var router = SignalRouter();
        var delivery = Delivery(Routed(router, SignalConsent("con_1")), DeliveryStatus.Pending);
        Assert.Equal("con_1", delivery.Decision.ConsentId);

        var change = DeliveryDecisions.Reconsider(router, AllParties(), delivery, Context(consents: [SignalConsent("con_1", withdrawn: Now.AddDays(1))]), Later);

        Assert.NotNull(change);
        Assert.Equal(DeliveryStatus.Withheld, change.Status);
        Assert.Equal("con_1", change.Decision.ConsentId);
        Assert.Equal(RecipientOutcome.Blocked, change.Decision.Outcome);
        Assert.Equal(DecisionReasons.ConsentWithdrawn, change.Decision.Reason);
        Assert.Equal(DecisionReasons.ConsentWithdrawn, change.StatusReason);
        Assert.Null(change.AwaitUntil);
        Assert.Equal(Later, change.UpdateTime);
        Assert.Equal(delivery.Id, change.Id);
        Assert.Equal(delivery.CreateTime, change.CreateTime);
    }

    [Fact]
    public void AwaitingDelivery_ConsentGranted_BecomesPending()
    {
        var router = SignalRouter(""", "awaitConsent": "P30D" """);
        var delivery = Delivery(Routed(router), DeliveryStatus.AwaitingConsent);
        Assert.Equal(Now.AddDays(30), delivery.AwaitUntil);

        var change = DeliveryDecisions.Reconsider(router, AllParties(), delivery, Context(consents: [SignalConsent("con_new")]), Later);

        Assert.NotNull(change);
        Assert.Equal(DeliveryStatus.Pending, change.Status);
        Assert.Equal(RecipientOutcome.Content, change.Decision.Outcome);
        Assert.Equal("con_new", change.Decision.ConsentId);
        Assert.Equal(DecisionReasons.ConsentActive, change.StatusReason);
        Assert.Null(change.AwaitUntil);
        Assert.Equal(Later, change.UpdateTime);
    }

    [Fact]
    public void AwaitingDelivery_StillNoConsent_IsUnchanged()
    {
        var router = SignalRouter(""", "awaitConsent": "P30D" """);
        var delivery = Delivery(Routed(router), DeliveryStatus.AwaitingConsent);

        Assert.Null(DeliveryDecisions.Reconsider(router, AllParties(), delivery, Context(), Later));
    }

    [Fact]
    public void PendingContent_ConsentStillActive_IsUnchanged()
    {
        var router = SignalRouter();
        var delivery = Delivery(Routed(router, SignalConsent("con_1")), DeliveryStatus.Pending);

        Assert.Null(DeliveryDecisions.Reconsider(router, AllParties(), delivery, Context(consents: [SignalConsent("con_1")]), Later));
    }

    [Fact]
    public void PendingContent_ConsentExpired_AwaitsConsent()
    {
        var router = SignalRouter();
        var consent = SignalConsent("con_1") with { End = Now.AddDays(1) };
        var delivery = Delivery(Routed(router, consent), DeliveryStatus.Pending);

        var change = DeliveryDecisions.Reconsider(router, AllParties(), delivery, Context(consents: [consent]), Later);

        Assert.NotNull(change);
        Assert.Equal(DeliveryStatus.AwaitingConsent, change.Status);
        Assert.Equal(Later + new ConsentOptions().DefaultAwaitConsent, change.AwaitUntil);
        Assert.Null(change.Decision.ConsentId);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ThinNoticeDelivery_IsNeverChanged(bool withdrawn)
    {
        var router = SignalRouter(""", "thinNotice": true """);
        var decision = Routed(router);
        Assert.Equal(RecipientOutcome.ThinNotice, decision.Outcome);
        var delivery = Delivery(decision, DeliveryStatus.Pending, PayloadKind.ThinNotice);
        var consent = withdrawn ? SignalConsent("con_1", withdrawn: Now.AddDays(1)) : SignalConsent("con_1");

        Assert.False(DeliveryDecisions.DependsOnConsent(delivery));
        Assert.Null(DeliveryDecisions.Reconsider(router, AllParties(), delivery, Context(consents: [consent]), Later));
    }

    [Fact]
    public void TaskDelivery_IsNeverChanged()
    {
        var router = SignalRouter();
        var decision = CoachChanges.HubTask("coach-org", "test task");
        var delivery = Delivery(decision, DeliveryStatus.Pending, PayloadKind.Task);

        Assert.False(DeliveryDecisions.DependsOnConsent(delivery));
        Assert.Null(DeliveryDecisions.Reconsider(router, AllParties(), delivery, Context(), Later));

        // A hub task is recognised by its reason too, whatever it carries.
        Assert.False(DeliveryDecisions.DependsOnConsent(delivery with { PayloadKind = PayloadKind.Transition }));
    }

    [Fact]
    public void LegalBasisDelivery_IsNeverChanged()
    {
        var router = SignalRouter(""", "legalBasis": "Wet meldcode" """);
        var decision = Routed(router);
        Assert.Equal("r1", decision.LegalBasisRuleId);
        var delivery = Delivery(decision, DeliveryStatus.Pending);

        Assert.False(DeliveryDecisions.DependsOnConsent(delivery));
        Assert.Null(DeliveryDecisions.Reconsider(router, AllParties(), delivery, Context(consents: [SignalConsent("con_1", withdrawn: Now)]), Later));
    }

    [Theory]
    [InlineData(DeliveryStatus.Acknowledged)]
    [InlineData(DeliveryStatus.Withheld)]
    [InlineData(DeliveryStatus.SetAside)]
    [InlineData(DeliveryStatus.Expired)]
    public void ClosedOrSetAsideDelivery_IsNeverChanged(DeliveryStatus status)
    {
        var router = SignalRouter();
        var delivery = Delivery(Routed(router, SignalConsent("con_1")), status);

        Assert.Null(DeliveryDecisions.Reconsider(router, AllParties(), delivery, Context(consents: [SignalConsent("con_1", withdrawn: Now)]), Later));
    }

    [Theory]
    [InlineData(PayloadKind.Referral)]
    [InlineData(PayloadKind.Transition)]
    [InlineData(PayloadKind.Signal)]
    [InlineData(PayloadKind.ReferralUpdate)]
    public void MessageDelivery_DependsOnConsent(PayloadKind kind)
    {
        var delivery = Delivery(Routed(SignalRouter(), SignalConsent("con_1")), DeliveryStatus.Pending, kind);

        Assert.True(DeliveryDecisions.DependsOnConsent(delivery));
    }

    [Fact]
    public void RecipientNoLongerConfigured_IsUnchanged()
    {
        var router = SignalRouter();
        var delivery = Delivery(Routed(router, SignalConsent("con_1")), DeliveryStatus.Pending) with { Recipient = "gone" };

        Assert.Null(DeliveryDecisions.Reconsider(router, AllParties(), delivery, Context(consents: [SignalConsent("con_1", withdrawn: Now)]), Later));
    }

    [Fact]
    public void ThinNoticeDecision_CarriedAsReferralUpdate_IsNeverChanged()
    {
        var router = MakeRouter(Rules(Rule("updates", """ "messageTypes": ["REFERRAL_UPDATE"] """, """{ "target": "REQUESTER", "purpose": "CARE_DELIVERY", "thinNotice": true }""")));
        var update = new RoutingFacts(MessageType.ReferralUpdate, "zorg-a", [DataCategory.SupportPlan], Service: ServiceKind.DebtCounselling, Requester: "wijkteam-noord");
        var decision = Assert.Single(router.Route(update, Context(), Now).Decisions);
        Assert.Equal(RecipientOutcome.ThinNotice, decision.Outcome);

        // This is how Messaging.StepReferralAsync stores every routed decision of a referral update.
        var delivery = Delivery(decision, DeliveryStatus.Pending, PayloadKind.ReferralUpdate);

        Assert.Null(DeliveryDecisions.Reconsider(router, AllParties(), delivery, Context(), Later));
    }
}

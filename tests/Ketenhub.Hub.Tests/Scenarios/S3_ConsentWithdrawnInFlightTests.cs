using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using Ketenhub.HubTests.Integration;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Scenarios;

/// <summary>S3 — Consent withdrawn while messages are in flight.</summary>
public sealed class S3_ConsentWithdrawnInFlightTests : IDisposable
{
    private readonly HubFactory _hub = new(new DateTimeOffset(2026, 4, 1, 9, 0, 0, TimeSpan.Zero));

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task Withdraw_PendingTransitions_AreWithheldAndNewOnesBlocked()
    {
        var brug = _hub.As("dagbesteding-de-brug");
        var sdd = _hub.As("sdd");

        // Priya attends dagbesteding at De Brug (a current provider, on SDD's referral) and consents to it receiving
        // transitions. SDD, the social service of Papendrecht, registers her and records the consent.
        var client = await sdd.RegisterAsync("987654329", Date(1999, 6, 30), "0590");
        var referral = await sdd.Referrals.CreateReferralAsync(new CreateReferralRequest
        {
            RequestId = NewRequestId(),
            Referral = new Referral { Client = client.Name, Service = ServiceKind.DayActivities, Reason = "Structure in the week", Performers = { new ReferralPerformer { Party = "parties/dagbesteding-de-brug" } } },
        });
        await brug.Referrals.AcceptReferralAsync(new AcceptReferralRequest { RequestId = NewRequestId(), Name = referral.Referral.Name });
        await brug.Referrals.StartReferralAsync(new StartReferralRequest { RequestId = NewRequestId(), Name = referral.Referral.Name, StartDate = Date(2026, 4, 1) });
        var consent = await sdd.GrantAsync(client.Name, GrantorRole.Client, "dagbesteding-de-brug", [Purpose.Transition], [DataCategory.SupportPlan, DataCategory.ContactDetails]);
        var before = await brug.DrainAsync(acknowledge: true);
        Assert.Single(before, d => d.Referral?.Name == referral.Referral.Name);

        // The provider's stream is disconnected; two transitions are accepted for it.
        var first = await SendTransitionAsync(sdd, client.Name, TransitionKind.ScaleUp);
        var second = await SendTransitionAsync(sdd, client.Name, TransitionKind.ScaleDown);
        foreach (var response in new[] { first, second })
        {
            var decision = Assert.Single(response.Decisions, d => d.Recipient == "parties/dagbesteding-de-brug");
            Assert.Equal(RecipientOutcome.Content, decision.Outcome);
            Assert.Equal(consent.Name, decision.Consent);
        }

        // Priya withdraws consent for De Brug.
        var withdrawn = await sdd.Consents.WithdrawConsentAsync(new WithdrawConsentRequest { RequestId = NewRequestId(), Name = consent.Name });
        Assert.Equal(2, withdrawn.WithheldDeliveries);
        Assert.Equal(ConsentState.Withdrawn, withdrawn.Consent.State);

        // The provider reconnects: it receives neither transition.
        var after = await brug.DrainAsync();
        Assert.DoesNotContain(after, d => d.PayloadCase == Delivery.PayloadOneofCase.Transition);

        // The trail shows both as withheld, with the withdrawal as the reason.
        var withheld = await brug.Deliveries.ListDeliveriesAsync(new ListDeliveriesRequest { Status = DeliveryStatus.Withheld });
        Assert.Equal(2, withheld.Deliveries.Count);
        Assert.All(withheld.Deliveries, d =>
        {
            Assert.Equal("CONSENT_WITHDRAWN", d.Decision.Reason);
            Assert.Equal(consent.Name, d.Decision.Consent);
        });
        Assert.Equal(
            new[] { first.Decisions.Single(d => d.Recipient == "parties/dagbesteding-de-brug").Delivery, second.Decisions.Single(d => d.Recipient == "parties/dagbesteding-de-brug").Delivery }.Order(),
            withheld.Deliveries.Select(d => d.Name).Order());

        // A new transition is refused for that recipient at routing time, and the sender is told.
        var third = await SendTransitionAsync(sdd, client.Name, TransitionKind.Relocation);
        var blocked = Assert.Single(third.Decisions, d => d.Recipient == "parties/dagbesteding-de-brug");
        Assert.Equal(RecipientOutcome.Blocked, blocked.Outcome);
        Assert.Equal("CONSENT_WITHDRAWN", blocked.Reason);
        Assert.Contains("withdrawn", blocked.Explanation, StringComparison.Ordinal);
        Assert.Empty(await brug.DrainAsync());
        Assert.Empty(await Kit.DeliveriesAsync(brug, DeliveryStatus.Pending, client.Name));

        // And the provider cannot read the transitions it never received.
        var error = await Errors.Of(() => brug.Transitions.GetTransitionAsync(new GetTransitionRequest { Name = first.Transition.Name }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, error.Code);
    }

    private static async Task<CreateTransitionResponse> SendTransitionAsync(PartyClient sender, string client, TransitionKind kind) =>
        await sender.Transitions.CreateTransitionAsync(new CreateTransitionRequest
        {
            RequestId = NewRequestId(),
            Transition = new Transition { Client = client, Kind = kind, EffectiveDate = Date(2026, 5, 1), HandoverSummary = "Handover notes.", NewMunicipalityCode = kind == TransitionKind.Relocation ? "0505" : string.Empty },
        });
}

using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Scenarios;

/// <summary>S2 — Debt signal, scale up with the same coach, scale down.</summary>
public sealed class S2_DebtSignalScaleUpScaleDownTests : IDisposable
{
    private readonly HubFactory _hub = new(new DateTimeOffset(2026, 2, 2, 9, 0, 0, TimeSpan.Zero));

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task DebtSignal_ReachesCoach_ScaleUpKeepsCoach_ReportShowsTimes()
    {
        var sdd = _hub.As("sdd");
        var waakvlam = _hub.As("waakvlam-zorg");
        var plus = _hub.As("begeleiding-plus");

        // Mohamed gets waakvlam support from coach Lisa; consent covers SDD, waakvlam-zorg and begeleiding-plus
        // for signals in the domain financiën.
        var client = await waakvlam.RegisterAsync("123456782", Date(1994, 11, 2), "0505");
        await waakvlam.AssignCoachAsync(client.Name, "lisa", "Lisa");
        foreach (var party in new[] { "sdd", "waakvlam-zorg", "begeleiding-plus" })
        {
            await waakvlam.GrantAsync(client.Name, GrantorRole.Client, party, [Purpose.SignalFollowUp], [DataCategory.Finances]);
        }

        using var lisaStream = waakvlam.Tail();

        // 1. SDD raises "payment arrears", financiën, urgent.
        var raised = await sdd.Signals.CreateSignalAsync(new CreateSignalRequest
        {
            RequestId = NewRequestId(),
            Signal = new Signal { Client = client.Name, Kind = SignalKind.PaymentArrears, LifeDomain = LifeDomain.Finances, Severity = SignalSeverity.Urgent, Description = "Three months of arrears on health insurance." },
        });
        var toCoach = Assert.Single(raised.Decisions, d => d.Recipient == "parties/waakvlam-zorg");
        Assert.Equal(RecipientOutcome.Content, toCoach.Outcome);

        // 2. Lisa receives it over her organisation's stream and acknowledges.
        var delivery = await lisaStream.NextAsync();
        Assert.Equal(raised.Signal.Name, delivery.Signal.Name);
        Assert.Equal("lisa", delivery.Coach.CoachId);
        await waakvlam.AcknowledgeAsync(delivery);
        _hub.Clock.Advance(TimeSpan.FromHours(2));
        await waakvlam.Signals.AcknowledgeSignalAsync(new AcknowledgeSignalRequest { RequestId = NewRequestId(), Name = raised.Signal.Name });

        // 3. Scale-up: individuele begeleiding by begeleiding-plus, same coach.
        _hub.Clock.Advance(TimeSpan.FromDays(1));
        using var plusStream = plus.Tail();
        var scaleUp = await waakvlam.Transitions.CreateTransitionAsync(new CreateTransitionRequest
        {
            RequestId = NewRequestId(),
            Transition = new Transition
            {
                Client = client.Name,
                Kind = TransitionKind.ScaleUp,
                FromParty = "parties/waakvlam-zorg",
                ToParty = "parties/begeleiding-plus",
                EffectiveDate = Date(2026, 2, 10),
                HandoverSummary = "Needs help with administration; good at keeping appointments.",
                Referrals = { new Referral { Service = ServiceKind.IndividualGuidance, Reason = "Debts growing", LifeDomains = { LifeDomain.Finances }, Performers = { new ReferralPerformer { Party = "parties/begeleiding-plus" } } } },
            },
        });
        Assert.Equal("lisa", scaleUp.Transition.Coach.CoachId);
        var referralName = Assert.Single(scaleUp.ReferralDecisions).Referral;

        var referralDelivery = await NextOfKind(plusStream, Delivery.PayloadOneofCase.Referral);
        Assert.Equal(referralName, referralDelivery.Referral.Name);
        Assert.Equal("lisa", referralDelivery.Referral.Coach.CoachId);
        Assert.Equal("Lisa", referralDelivery.Coach.DisplayName);

        await plus.Referrals.AcceptReferralAsync(new AcceptReferralRequest { RequestId = NewRequestId(), Name = referralName });
        _hub.Clock.Advance(TimeSpan.FromDays(7));
        await plus.Referrals.StartReferralAsync(new StartReferralRequest { RequestId = NewRequestId(), Name = referralName, StartDate = Date(2026, 2, 10) });

        // 4. Four months later: scale down, Lisa stays, begeleiding-plus ends care.
        _hub.Clock.Advance(TimeSpan.FromDays(120));
        var scaleDown = await waakvlam.Transitions.CreateTransitionAsync(new CreateTransitionRequest
        {
            RequestId = NewRequestId(),
            Transition = new Transition { Client = client.Name, Kind = TransitionKind.ScaleDown, FromParty = "parties/begeleiding-plus", ToParty = "parties/waakvlam-zorg", EffectiveDate = Date(2026, 6, 15) },
        });
        Assert.Equal("lisa", scaleDown.Transition.Coach.CoachId);
        var ended = await plus.Referrals.EndReferralAsync(new EndReferralRequest { RequestId = NewRequestId(), Name = referralName, EndDate = Date(2026, 6, 15), ReasonCode = "01" });
        Assert.Equal(PerformerStatus.Ended, ended.Referral.Performers[0].Status);

        // 5. The report: signal → acknowledgement, signal → start of heavier support, and the coach never changed.
        var report = await waakvlam.Clients.GetClientReportAsync(new GetClientReportRequest { Client = client.Name });
        var signal = Assert.Single(report.Signals);
        Assert.Equal(TimeSpan.FromHours(2), signal.TimeToAcknowledgement.ToTimeSpan());
        var referral = Assert.Single(report.Referrals);
        Assert.NotNull(referral.TimeFromSignalToStart);
        Assert.True(referral.TimeFromSignalToStart.ToTimeSpan() > TimeSpan.Zero);
        Assert.Equal(0, report.CoachChanges);
        Assert.Equal("lisa", Assert.Single(report.Coaches).CoachId);
    }

    private static async Task<Delivery> NextOfKind(DeliveryTail tail, Delivery.PayloadOneofCase kind)
    {
        while (true)
        {
            var delivery = await tail.NextAsync();
            if (delivery.PayloadCase == kind)
            {
                return delivery;
            }
        }
    }
}

using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using Ketenhub.HubTests.Integration;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Scenarios;

/// <summary>S5 — Provider change.</summary>
public sealed class S5_ProviderChangeTests : IDisposable
{
    private readonly HubFactory _hub = new(new DateTimeOffset(2026, 2, 2, 9, 0, 0, TimeSpan.Zero));

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task ProviderChange_OldProviderLosesAccessAfterEffectiveDate_NewProviderGetsHandoverAndCoach()
    {
        var waakvlam = _hub.As("waakvlam-zorg");
        var brug = _hub.As("dagbesteding-de-brug");
        var hoeve = _hub.As("zorgboerderij-de-hoeve");
        var sdd = _hub.As("sdd");

        // Fatima attends dagbesteding at De Brug; her coach works at waakvlam-zorg.
        var client = await waakvlam.RegisterAsync("246813507", Date(1990, 9, 9), "0531");
        await waakvlam.AssignCoachAsync(client.Name, "noor", "Noor");
        var referral = await waakvlam.Referrals.CreateReferralAsync(new CreateReferralRequest
        {
            RequestId = NewRequestId(),
            Referral = new Referral { Client = client.Name, Service = ServiceKind.DayActivities, Performers = { new ReferralPerformer { Party = "parties/dagbesteding-de-brug" } } },
        });
        await brug.Referrals.AcceptReferralAsync(new AcceptReferralRequest { RequestId = NewRequestId(), Name = referral.Referral.Name });
        await brug.Referrals.StartReferralAsync(new StartReferralRequest { RequestId = NewRequestId(), Name = referral.Referral.Name, StartDate = Date(2026, 2, 2) });
        foreach (var provider in new[] { "dagbesteding-de-brug", "zorgboerderij-de-hoeve" })
        {
            await waakvlam.GrantAsync(client.Name, GrantorRole.Client, provider, [Purpose.Transition, Purpose.SignalFollowUp, Purpose.Coaching], [DataCategory.SupportPlan, DataCategory.ContactDetails, DataCategory.Work]);
        }

        await brug.DrainAsync(acknowledge: true);

        // While De Brug is her provider it may read her journey.
        Assert.NotEmpty((await brug.Clients.ListJourneyEventsAsync(new ListJourneyEventsRequest { Client = client.Name })).Events);

        // She switches to De Hoeve, effective 2026-03-01.
        const string summary = "Likes working outdoors with animals; needs a fixed morning routine.";
        var change = await waakvlam.Transitions.CreateTransitionAsync(new CreateTransitionRequest
        {
            RequestId = NewRequestId(),
            Transition = new Transition
            {
                Client = client.Name,
                Kind = TransitionKind.ProviderChange,
                FromParty = "parties/dagbesteding-de-brug",
                ToParty = "parties/zorgboerderij-de-hoeve",
                EffectiveDate = Date(2026, 3, 1),
                HandoverSummary = summary,
            },
        });
        Assert.Equal("noor", change.Transition.Coach.CoachId);

        // The new provider receives the handover summary and the coach's contact.
        var handover = Assert.Single(await hoeve.DrainAsync(acknowledge: true), d => d.PayloadCase == Delivery.PayloadOneofCase.Transition);
        Assert.Equal(summary, handover.Transition.HandoverSummary);
        Assert.Equal("noor", handover.Coach.CoachId);
        Assert.Equal("Noor", handover.Coach.DisplayName);
        Assert.Equal("parties/waakvlam-zorg", handover.Coach.Party);

        // The old provider, still current until the effective date, is told of the change itself.
        Assert.Single(await brug.DrainAsync(acknowledge: true), d => d.Transition?.Name == change.Transition.Name);

        // After the effective date the old provider receives nothing new and can no longer read her journey.
        _hub.Clock.Advance(TimeSpan.FromDays(30));
        var signal = await sdd.Signals.CreateSignalAsync(new CreateSignalRequest
        {
            RequestId = NewRequestId(),
            Signal = new Signal { Client = client.Name, Kind = SignalKind.MissedContacts, LifeDomain = LifeDomain.Work, Severity = SignalSeverity.Concern, Description = "Did not show up twice." },
        });
        Assert.DoesNotContain(signal.Decisions, d => d.Recipient == "parties/dagbesteding-de-brug");
        Assert.Contains(signal.Decisions, d => d.Recipient == "parties/zorgboerderij-de-hoeve" && d.Outcome == RecipientOutcome.Content);
        Assert.Empty(await brug.DrainAsync());
        Assert.All(await Kit.DeliveriesAsync(brug, client: client.Name), d => Assert.Equal(DeliveryStatus.Acknowledged, d.Status));
        await Errors.Expect(StatusCode.PermissionDenied, "NO_ROLE_FOR_CLIENT",
            () => brug.Clients.ListJourneyEventsAsync(new ListJourneyEventsRequest { Client = client.Name }).ResponseAsync);

        // The new provider is now part of the care team and may read the journey; the coach stayed.
        var team = await hoeve.Clients.GetCareTeamAsync(new GetCareTeamRequest { Client = client.Name });
        Assert.Contains("parties/zorgboerderij-de-hoeve", team.CareTeam.Parties);
        Assert.DoesNotContain("parties/dagbesteding-de-brug", team.CareTeam.Parties);
        Assert.Equal("noor", team.CareTeam.Coach.CoachId);
        var journey = await hoeve.Clients.ListJourneyEventsAsync(new ListJourneyEventsRequest { Client = client.Name });
        Assert.Contains(journey.Events, e => e.Type == JourneyEventType.RoleEnded && e.Party == "parties/dagbesteding-de-brug");
    }
}

using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using Ketenhub.HubTests.Integration;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Scenarios;

/// <summary>S1 — Sanne turns 18.</summary>
public sealed class S1_SanneTurns18Tests : IDisposable
{
    private readonly HubFactory _hub = new(new DateTimeOffset(2025, 9, 1, 9, 0, 0, TimeSpan.Zero));

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task SchoolLeaverTurning18_CoachStaysAndConsentFollowsTheClient()
    {
        var school = _hub.As("hans-petrischool");
        var waakvlam = _hub.As("waakvlam-zorg");
        var sdd = _hub.As("sdd");

        // 2025: Sanne is a student at the Hans Petrischool; the school records that her mother has parental authority,
        // her mother consents to waakvlam-zorg sharing her support plan and contact details for coaching; the school
        // names Ahmed of waakvlam-zorg as her coach.
        var client = await school.RegisterAsync("111222333", Date(2008, 3, 14), "0642", "parties/hans-petrischool");
        Assert.Equal("parties/hans-petrischool", client.School);
        await school.Clients.CreateRepresentativeAsync(new CreateRepresentativeRequest
        {
            RequestId = NewRequestId(),
            Representative = new Representative { Client = client.Name, Kind = RepresentationKind.ParentalAuthority, DisplayName = "Mw. De Jong", StartDate = Date(2008, 3, 14) },
        });
        var mothersConsent = await school.GrantAsync(client.Name, GrantorRole.Parent, "waakvlam-zorg", [Purpose.Coaching], [DataCategory.SupportPlan, DataCategory.ContactDetails]);
        await waakvlam.AssignCoachAsync(client.Name, "ahmed", "Ahmed", by: "hans-petrischool");
        await waakvlam.DrainAsync(acknowledge: true);

        // 1. 2026-01-10: the school announces "school leaver turning 18", effective 2026-07-01, with a handover
        // summary and a referral for participatie/werk at SDD.
        _hub.Clock.Advance(new DateTimeOffset(2026, 1, 10, 9, 0, 0, TimeSpan.Zero) - _hub.Clock.GetUtcNow());
        var transition = new Transition
        {
            Client = client.Name,
            Kind = TransitionKind.SchoolLeaver18,
            FromParty = "parties/hans-petrischool",
            ToParty = "parties/sdd",
            EffectiveDate = Date(2026, 7, 1),
            HandoverSummary = "Sanne works precisely and likes structure; she needs help with letters and money.",
            Referrals = { new Referral { Service = ServiceKind.ParticipationWork, Reason = "Work after school", LifeDomains = { LifeDomain.Work }, Performers = { new ReferralPerformer { Party = "parties/sdd" } } } },
        };

        // 2. Before Sanne's own consent SDD gets nothing, and explain says why.
        var explained = await school.Explain.ExplainMessageAsync(new ExplainMessageRequest { Transition = transition });
        Assert.Contains(explained.MatchedRules, r => r.RuleId == "school-leaver-to-social-service");
        var sddExplained = Assert.Single(explained.Decisions, d => d.Recipient == "parties/sdd");
        Assert.Equal(RecipientOutcome.AwaitingConsent, sddExplained.Outcome);
        Assert.Equal("NO_CONSENT", sddExplained.Reason);
        Assert.Contains("parties/sdd", sddExplained.Explanation, StringComparison.Ordinal);
        Assert.Contains("TRANSITION", sddExplained.Explanation, StringComparison.Ordinal);
        var referralExplained = Assert.Single(explained.ReferralDecisions);
        Assert.Equal(RecipientOutcome.AwaitingConsent, Assert.Single(referralExplained.Decisions, d => d.Recipient == "parties/sdd").Outcome);

        using var ahmedStream = waakvlam.Tail();
        var sent = await school.Transitions.CreateTransitionAsync(new CreateTransitionRequest { RequestId = NewRequestId(), Transition = transition });
        Assert.Equal(RecipientOutcome.AwaitingConsent, Assert.Single(sent.Decisions, d => d.Recipient == "parties/sdd").Outcome);
        var toAhmed = Assert.Single(sent.Decisions, d => d.Recipient == "parties/waakvlam-zorg");
        Assert.Equal(RecipientOutcome.Content, toAhmed.Outcome);
        Assert.Equal(mothersConsent.Name, toAhmed.Consent);
        Assert.Contains("coach-continuity", toAhmed.RuleIds);
        var referralDecisions = Assert.Single(sent.ReferralDecisions);
        Assert.Equal(RecipientOutcome.AwaitingConsent, Assert.Single(referralDecisions.Decisions, d => d.Recipient == "parties/sdd").Outcome);

        var ahmedGot = await ahmedStream.NextAsync();
        Assert.Equal(sent.Transition.Name, ahmedGot.Transition.Name);
        await waakvlam.AcknowledgeAsync(ahmedGot);

        // Ahmed's organisation disconnects: an open stream of its own would share its deliveries with the drains below.
        ahmedStream.Dispose();
        Assert.Empty(await sdd.DrainAsync());
        var sddRecorded = await Kit.DeliveriesAsync(sdd, client: client.Name);
        Assert.Equal(2, sddRecorded.Count);
        Assert.All(sddRecorded, d => Assert.Equal((DeliveryStatus.AwaitingConsent, 0), (d.Status, d.AttemptCount)));

        // 2026-01-12: Sanne's own consent covers SDD: what waited for it is released.
        _hub.Clock.Advance(TimeSpan.FromDays(2));
        var sannesConsent = await waakvlam.GrantAsync(client.Name, GrantorRole.Client, "sdd",
            [Purpose.Transition, Purpose.IncomeAndParticipation], [DataCategory.SupportPlan, DataCategory.ContactDetails, DataCategory.Work]);
        var sddGot = await sdd.DrainAsync(acknowledge: true);
        var handover = Assert.Single(sddGot, d => d.PayloadCase == Delivery.PayloadOneofCase.Transition);
        Assert.Equal(transition.HandoverSummary, handover.Transition.HandoverSummary);
        Assert.Equal("ahmed", handover.Coach.CoachId);
        Assert.Equal(sannesConsent.Name, handover.Decision.Consent);
        Assert.Single(sddGot, d => d.Referral?.Name == referralDecisions.Referral);

        // 2026-03-10: an updated handover from the school; Ahmed's organisation is not connected.
        _hub.Clock.Advance(new DateTimeOffset(2026, 3, 10, 9, 0, 0, TimeSpan.Zero) - _hub.Clock.GetUtcNow());
        var update = await school.Transitions.CreateTransitionAsync(new CreateTransitionRequest
        {
            RequestId = NewRequestId(),
            Transition = new Transition { Client = client.Name, Kind = TransitionKind.SchoolLeaver18, ToParty = "parties/sdd", EffectiveDate = Date(2026, 7, 1), HandoverSummary = "Updated: internship found." },
        });
        var updateToAhmed = Assert.Single(update.Decisions, d => d.Recipient == "parties/waakvlam-zorg");
        Assert.Equal(RecipientOutcome.Content, updateToAhmed.Outcome);

        // 3. 2026-03-14: Sanne turns 18. The mother's consent stops counting; Ahmed gets a task to go through
        // the consents with her; what only the mother's consent covered waits for Sanne's confirmation.
        _hub.Clock.Advance(new DateTimeOffset(2026, 3, 14, 6, 0, 0, TimeSpan.Zero) - _hub.Clock.GetUtcNow());
        await _hub.RunScheduledWorkAsync();
        var consents = await waakvlam.Consents.ListConsentsAsync(new ListConsentsRequest { Client = client.Name });
        Assert.Equal(ConsentState.AwaitingConfirmation, consents.Consents.Single(c => c.Name == mothersConsent.Name).State);
        Assert.Equal(ConsentState.Active, consents.Consents.Single(c => c.Name == sannesConsent.Name).State);

        var atEighteen = await waakvlam.DrainAsync(acknowledge: true);
        var task = Assert.Single(atEighteen);
        Assert.Equal(TaskKind.ConfirmConsents, task.Task.Kind);
        Assert.Equal("ahmed", task.Task.Coach.CoachId);
        Assert.Contains(mothersConsent.Name, task.Task.Resources);
        var held = await waakvlam.Deliveries.ListDeliveriesAsync(new ListDeliveriesRequest { Status = DeliveryStatus.AwaitingConsent, Client = client.Name });
        var heldUpdate = Assert.Single(held.Deliveries);
        Assert.Equal(updateToAhmed.Delivery, heldUpdate.Name);
        Assert.Equal("PARENT_CONSENT_UNCONFIRMED", heldUpdate.Decision.Reason);

        // New content for Ahmed waits too, and explain says it is the unconfirmed parent consent.
        var explainedAfter18 = await school.Explain.ExplainMessageAsync(new ExplainMessageRequest { Transition = transition });
        Assert.Equal("PARENT_CONSENT_UNCONFIRMED", explainedAfter18.Decisions.Single(d => d.Recipient == "parties/waakvlam-zorg").Reason);

        // 2026-03-20: Sanne confirms the consent with Ahmed; the held delivery is released.
        _hub.Clock.Advance(new DateTimeOffset(2026, 3, 20, 10, 0, 0, TimeSpan.Zero) - _hub.Clock.GetUtcNow());
        var confirmed = await waakvlam.Consents.ConfirmConsentAsync(new ConfirmConsentRequest { RequestId = NewRequestId(), Name = mothersConsent.Name });
        Assert.Equal(ConsentState.Active, confirmed.Consent.State);
        Assert.Equal(1, confirmed.ReleasedDeliveries);
        var released = Assert.Single(await waakvlam.DrainAsync(acknowledge: true));
        Assert.Equal(update.Transition.Name, released.Transition.Name);

        // Before the effective date SDD has no role for Sanne yet.
        await Errors.Expect(StatusCode.PermissionDenied, "NO_ROLE_FOR_CLIENT", () => sdd.Clients.GetClientAsync(new GetClientRequest { Name = client.Name }).ResponseAsync);

        // 4. 2026-07-01: the school's role ends; Ahmed is still the coach and SDD's view names him.
        _hub.Clock.Advance(new DateTimeOffset(2026, 7, 1, 8, 0, 0, TimeSpan.Zero) - _hub.Clock.GetUtcNow());
        var sddView = await sdd.Clients.GetClientAsync(new GetClientRequest { Name = client.Name });
        Assert.Equal("ahmed", sddView.Coach.CoachId);
        Assert.Equal(string.Empty, sddView.Client.School);
        var team = await waakvlam.Clients.GetCareTeamAsync(new GetCareTeamRequest { Client = client.Name });
        Assert.DoesNotContain("parties/hans-petrischool", team.CareTeam.Parties);
        Assert.Contains("parties/sdd", team.CareTeam.Parties);
        await Errors.Expect(StatusCode.PermissionDenied, "NO_ROLE_FOR_CLIENT", () => school.Clients.GetCareTeamAsync(new GetCareTeamRequest { Client = client.Name }).ResponseAsync);

        // 5. The coach's timeline shows every step in order, across the three organisations.
        var journey = await waakvlam.Clients.ListJourneyEventsAsync(new ListJourneyEventsRequest { Client = client.Name });
        var steps = journey.Events.Select(e => (e.Type, e.Party)).ToList();
        Assert.Equal(
            new (JourneyEventType, string)[]
            {
                (JourneyEventType.ClientRegistered, "parties/hans-petrischool"),
                (JourneyEventType.RepresentativeRecorded, "parties/hans-petrischool"),
                (JourneyEventType.ConsentGranted, "parties/hans-petrischool"),
                (JourneyEventType.CoachAssigned, "parties/hans-petrischool"),
                (JourneyEventType.TransitionAnnounced, "parties/hans-petrischool"),
                (JourneyEventType.ReferralRequested, "parties/hans-petrischool"),
                (JourneyEventType.ConsentGranted, "parties/waakvlam-zorg"),
                (JourneyEventType.TransitionAnnounced, "parties/hans-petrischool"),
                (JourneyEventType.CameOfAge, "parties/ketenhub"),
                (JourneyEventType.ConsentConfirmed, "parties/waakvlam-zorg"),
                (JourneyEventType.RoleEnded, "parties/hans-petrischool"),
            },
            steps);
        Assert.True(journey.Events.Select(e => e.EventTime.ToDateTimeOffset()).SequenceEqual(journey.Events.Select(e => e.EventTime.ToDateTimeOffset()).Order()));
    }
}

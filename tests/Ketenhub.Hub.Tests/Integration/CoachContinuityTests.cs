using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Integration;

/// <summary>The coach is the thread through every transition: it changes only explicitly, with a handover.</summary>
public sealed class CoachContinuityTests : IDisposable
{
    private readonly HubFactory _hub = new();
    private readonly PartyClient _sdd;
    private readonly PartyClient _waakvlam;
    private readonly PartyClient _plus;

    public CoachContinuityTests()
    {
        _sdd = _hub.As("sdd");
        _waakvlam = _hub.As("waakvlam-zorg");
        _plus = _hub.As("begeleiding-plus");
    }

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task AssigningADifferentCoach_GivesTheOldCoachsPartyAHandoverTaskNamingTheNewCoach_AndAJourneyStep()
    {
        var client = await ArrangeClientAsync();
        await _waakvlam.GrantAsync(client.Name, GrantorRole.Client, "begeleiding-plus", [Purpose.Coaching], [DataCategory.ContactDetails]);
        using var oldCoachStream = _waakvlam.Tail();
        var piet = Kit.Coach("begeleiding-plus", "piet", "Piet de Vries");

        _hub.Clock.Advance(TimeSpan.FromHours(1));
        var assigned = await _waakvlam.Clients.AssignCoachAsync(new AssignCoachRequest { RequestId = NewRequestId(), Client = client.Name, Coach = piet });

        Assert.True(assigned.HandoverTaskCreated);
        Assert.Equal(piet, assigned.CareTeam.Coach);
        Assert.Equal(_hub.Clock.GetUtcNow(), assigned.CareTeam.CoachSinceTime.ToDateTimeOffset());

        var task = await oldCoachStream.NextAsync();
        Assert.Equal(Delivery.PayloadOneofCase.Task, task.PayloadCase);
        Assert.Equal(TaskKind.Handover, task.Task.Kind);
        Assert.Equal("lisa", task.Task.Coach.CoachId);
        Assert.Equal(piet, task.Task.NewCoach);
        Assert.Equal([client.Name], task.Task.Resources);
        Assert.Equal("parties/waakvlam-zorg", task.Recipient);
        Assert.Equal(client.Name, task.Client);
        Assert.Equal("HUB_TASK", task.Decision.Reason);
        Assert.Equal(["coach-continuity"], task.Decision.RuleIds);

        var journey = await Kit.JourneyAsync(_plus, client.Name);
        var coachSteps = journey.Where(e => e.Type == JourneyEventType.CoachAssigned).ToList();
        Assert.Equal(2, coachSteps.Count);
        Assert.Equal(("parties/waakvlam-zorg", "FIRST_COACH"), (coachSteps[0].Resource, coachSteps[0].Detail));
        Assert.Equal(("parties/begeleiding-plus", "COACH_CHANGED", "parties/waakvlam-zorg"), (coachSteps[1].Resource, coachSteps[1].Detail, coachSteps[1].Party));
        Assert.Equal(_hub.Clock.GetUtcNow(), coachSteps[1].EventTime.ToDateTimeOffset());

        // Assigning the same coach again changes nothing: no task, no journey step.
        var again = await _plus.Clients.AssignCoachAsync(new AssignCoachRequest { RequestId = NewRequestId(), Client = client.Name, Coach = piet });
        Assert.False(again.HandoverTaskCreated);
        Assert.Equal(journey, await Kit.JourneyAsync(_plus, client.Name));
        Assert.Empty(await Kit.DeliveriesAsync(_plus));
        Assert.Single(await Kit.DeliveriesAsync(_waakvlam));

        var report = await _plus.Clients.GetClientReportAsync(new GetClientReportRequest { Client = client.Name });
        Assert.Equal(1, report.CoachChanges);
        Assert.Equal(["lisa", "piet"], report.Coaches.Select(c => c.CoachId));
    }

    [Fact]
    public async Task ChangingTheCoachWithinOneParty_AlsoHandsOver()
    {
        var client = await ArrangeClientAsync();
        var sam = Kit.Coach("waakvlam-zorg", "sam", "Sam");
        using var stream = _waakvlam.Tail();

        var assigned = await _waakvlam.Clients.AssignCoachAsync(new AssignCoachRequest { RequestId = NewRequestId(), Client = client.Name, Coach = sam });

        Assert.True(assigned.HandoverTaskCreated);
        var task = await stream.NextAsync();
        Assert.Equal((TaskKind.Handover, "lisa", "sam"), (task.Task.Kind, task.Task.Coach.CoachId, task.Task.NewCoach.CoachId));
        Assert.Equal([task.Name], (await Kit.DeliveriesAsync(_waakvlam)).Select(d => d.Name));
    }

    [Fact]
    public async Task ATransitionWithoutCoachAfter_KeepsTheCoach()
    {
        var client = await ArrangeClientAsync();
        var before = await _waakvlam.Clients.GetCareTeamAsync(new GetCareTeamRequest { Client = client.Name });

        _hub.Clock.Advance(TimeSpan.FromDays(2));
        var scaleUp = await _waakvlam.Transitions.CreateTransitionAsync(new CreateTransitionRequest { RequestId = NewRequestId(), Transition = ScaleUp(client.Name) });
        var sameCoach = ScaleUp(client.Name);
        sameCoach.Kind = TransitionKind.ScaleDown;
        sameCoach.CoachAfter = before.CareTeam.Coach.Clone();
        var scaleDown = await _waakvlam.Transitions.CreateTransitionAsync(new CreateTransitionRequest { RequestId = NewRequestId(), Transition = sameCoach });

        Assert.Equal(before.CareTeam.Coach, scaleUp.Transition.Coach);
        Assert.Equal(before.CareTeam.Coach, scaleDown.Transition.Coach);
        var after = await _waakvlam.Clients.GetCareTeamAsync(new GetCareTeamRequest { Client = client.Name });
        Assert.Equal(before.CareTeam.Coach, after.CareTeam.Coach);
        Assert.Equal(before.CareTeam.CoachSinceTime, after.CareTeam.CoachSinceTime);

        var journey = await Kit.JourneyAsync(_waakvlam, client.Name);
        Assert.Single(journey, e => e.Type == JourneyEventType.CoachAssigned);
        Assert.DoesNotContain(await Kit.DeliveriesAsync(_waakvlam), d => d.Decision.Reason == "HUB_TASK");
        var report = await _waakvlam.Clients.GetClientReportAsync(new GetClientReportRequest { Client = client.Name });
        Assert.Equal(0, report.CoachChanges);
    }

    [Fact]
    public async Task ATransitionNamingAnotherCoach_ChangesTheCoachWithAHandover()
    {
        var client = await ArrangeClientAsync();
        var transition = ScaleUp(client.Name);
        transition.CoachAfter = Kit.Coach("begeleiding-plus", "piet", "Piet");
        using var oldCoach = _waakvlam.Tail();

        var announced = await _sdd.Transitions.CreateTransitionAsync(new CreateTransitionRequest { RequestId = NewRequestId(), Transition = transition });

        Assert.Equal(transition.CoachAfter, announced.Transition.Coach);
        var handover = await Kit.NextOfKind(oldCoach, Delivery.PayloadOneofCase.Task);
        Assert.Single(await Kit.DeliveriesAsync(_waakvlam), d => d.Decision.Reason == "HUB_TASK");
        Assert.Equal((TaskKind.Handover, "piet"), (handover.Task.Kind, handover.Task.NewCoach.CoachId));
        var team = await _plus.Clients.GetCareTeamAsync(new GetCareTeamRequest { Client = client.Name });
        Assert.Equal("piet", team.CareTeam.Coach.CoachId);
    }

    [Fact]
    public async Task TransitionAndSignalDeliveries_CarryTheCoachsContact()
    {
        var client = await ArrangeClientAsync();
        await _waakvlam.GrantAsync(client.Name, GrantorRole.Client, "begeleiding-plus", [Purpose.Transition], [DataCategory.SupportPlan, DataCategory.ContactDetails]);
        await _waakvlam.GrantAsync(client.Name, GrantorRole.Client, "waakvlam-zorg", [Purpose.SignalFollowUp], [DataCategory.Finances]);
        var lisa = (await _waakvlam.Clients.GetClientAsync(new GetClientRequest { Name = client.Name })).Coach;
        Assert.Equal(("Lisa", "078-0000000", "lisa@example.org"), (lisa.DisplayName, lisa.Phone, lisa.Email));
        using var receiving = _plus.Tail();
        using var coach = _waakvlam.Tail();

        var announced = await _sdd.Transitions.CreateTransitionAsync(new CreateTransitionRequest { RequestId = NewRequestId(), Transition = ScaleUp(client.Name) });
        var transition = await Kit.NextOfKind(receiving, Delivery.PayloadOneofCase.Transition);
        Assert.Equal(announced.Transition.Name, transition.Transition.Name);
        Assert.Equal(lisa, transition.Coach);
        Assert.Equal(lisa, transition.Transition.Coach);

        await _sdd.Signals.CreateSignalAsync(Kit.Signal(client.Name));
        var signal = await Kit.NextOfKind(coach, Delivery.PayloadOneofCase.Signal);
        Assert.Equal(lisa, signal.Coach);

        // A thin notice carries no content, so no coach either: only whom to contact about what.
        await _sdd.Signals.CreateSignalAsync(Kit.Signal(client.Name, kind: SignalKind.HealthCrisis, domain: LifeDomain.Care));
        var notice = await coach.NextAsync();
        Assert.Equal(Delivery.PayloadOneofCase.ThinNotice, notice.PayloadCase);
        Assert.Null(notice.Coach);
        Assert.Equal("parties/sdd", notice.ThinNotice.ContactParty);

        // After a change of coach, deliveries carry the new coach's contact.
        var piet = Kit.Coach("begeleiding-plus", "piet", "Piet");
        await _waakvlam.Clients.AssignCoachAsync(new AssignCoachRequest { RequestId = NewRequestId(), Client = client.Name, Coach = piet });
        await _waakvlam.GrantAsync(client.Name, GrantorRole.Client, "begeleiding-plus", [Purpose.SignalFollowUp], [DataCategory.Finances]);
        await _sdd.Signals.CreateSignalAsync(Kit.Signal(client.Name));
        var toNewCoach = await Kit.NextOfKind(receiving, Delivery.PayloadOneofCase.Signal);
        Assert.Equal(piet, toNewCoach.Coach);
    }

    private async Task<Client> ArrangeClientAsync()
    {
        // A minor, so no coming-of-age step enters the journey while the clock moves.
        var client = await Kit.ClientWithCoachAsync(_waakvlam, birthDate: Date(2010, 5, 1));
        await _waakvlam.GrantAsync(client.Name, GrantorRole.Client, "waakvlam-zorg", [Purpose.Coaching], [DataCategory.ContactDetails]);
        return client;
    }

    private static Transition ScaleUp(string client) => new()
    {
        Client = client,
        Kind = TransitionKind.ScaleUp,
        FromParty = "parties/waakvlam-zorg",
        ToParty = "parties/begeleiding-plus",
        EffectiveDate = Date(2026, 2, 1),
        HandoverSummary = "Good at keeping appointments.",
    };
}

using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Integration;

/// <summary>Role changes of a transition whose effective date has already passed.</summary>
public sealed class TransitionRoleTests : IDisposable
{
    private readonly HubFactory _hub = new(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task SchoolLeaverWithPastEffectiveDate_EndsSchoolRoleNow_AndJourneyShowsIt()
    {
        var school = _hub.As("hans-petrischool");
        var waakvlam = _hub.As("waakvlam-zorg");
        var client = await school.RegisterAsync("111222333", Date(2008, 3, 14), "0642", "parties/hans-petrischool");
        await waakvlam.AssignCoachAsync(client.Name, "ahmed", "Ahmed");
        await waakvlam.GrantAsync(client.Name, GrantorRole.Client, "waakvlam-zorg", [Purpose.Coaching], [DataCategory.ContactDetails]);

        var sent = await school.Transitions.CreateTransitionAsync(new CreateTransitionRequest
        {
            RequestId = NewRequestId(),
            Transition = new Transition { Client = client.Name, Kind = TransitionKind.SchoolLeaver18, ToParty = "parties/sdd", EffectiveDate = Date(2026, 7, 1) },
        });

        var team = await waakvlam.Clients.GetCareTeamAsync(new GetCareTeamRequest { Client = client.Name });
        Assert.DoesNotContain("parties/hans-petrischool", team.CareTeam.Parties);
        Assert.Contains("parties/waakvlam-zorg", team.CareTeam.Parties);
        var journey = await waakvlam.Clients.ListJourneyEventsAsync(new ListJourneyEventsRequest { Client = client.Name });
        var ended = Assert.Single(journey.Events, e => e.Type == JourneyEventType.RoleEnded);
        Assert.Equal("parties/hans-petrischool", ended.Party);
        Assert.Equal(sent.Transition.Name, ended.Resource);
    }
}

/// <summary>The coming of age is a step only for clients the hub knew as minors.</summary>
public sealed class ComingOfAgeTests : IDisposable
{
    private readonly HubFactory _hub = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task ClientRegisteredAsAdult_GetsNoComingOfAgeStep_MinorGetsItOnBirthday()
    {
        var waakvlam = _hub.As("waakvlam-zorg");
        var adult = await waakvlam.RegisterAsync("123456782", Date(1994, 11, 2), "0505");
        var minor = await waakvlam.RegisterAsync("111222333", Date(2008, 3, 14), "0642");
        foreach (var client in new[] { adult, minor })
        {
            await waakvlam.AssignCoachAsync(client.Name, "lisa", "Lisa");
            await waakvlam.GrantAsync(client.Name, GrantorRole.Client, "waakvlam-zorg", [Purpose.Coaching], [DataCategory.ContactDetails]);
        }

        _hub.Clock.Advance(TimeSpan.FromDays(20));
        await _hub.RunScheduledWorkAsync();

        var adultJourney = await waakvlam.Clients.ListJourneyEventsAsync(new ListJourneyEventsRequest { Client = adult.Name });
        Assert.DoesNotContain(adultJourney.Events, e => e.Type == JourneyEventType.CameOfAge);
        var minorJourney = await waakvlam.Clients.ListJourneyEventsAsync(new ListJourneyEventsRequest { Client = minor.Name });
        var cameOfAge = Assert.Single(minorJourney.Events, e => e.Type == JourneyEventType.CameOfAge);
        Assert.Equal(new DateTimeOffset(2026, 3, 13, 23, 0, 0, TimeSpan.Zero), cameOfAge.EventTime.ToDateTimeOffset());
    }
}

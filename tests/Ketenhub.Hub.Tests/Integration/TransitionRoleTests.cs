using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using static Ketenhub.HubTests.Infrastructure.PartyClient;

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

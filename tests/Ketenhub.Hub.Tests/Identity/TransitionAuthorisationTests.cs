using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Identity;

/// <summary>
/// A transition changes a client's roles and may change the coach, so only a party with a care relationship with the
/// client may announce one: a stranger is refused and nothing changes; the social service of the client's
/// municipality may, without a role.
/// </summary>
public sealed class TransitionAuthorisationTests : IDisposable
{
    private readonly HubFactory _hub = new(new DateTimeOffset(2026, 1, 10, 9, 0, 0, TimeSpan.Zero));

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task AStranger_CannotAnnounceATransition_AndTheRolesStayAsTheyWere()
    {
        var school = _hub.As("hans-petrischool");
        var client = await school.RegisterAsync("111222333", Date(2008, 3, 14), "0642", "parties/hans-petrischool");
        var stranger = _hub.As("zorgboerderij-de-hoeve");

        // It would end the school's role and give the stranger a provider's role, with its own coach.
        var grab = new CreateTransitionRequest
        {
            RequestId = NewRequestId(),
            Transition = new Transition
            {
                Client = client.Name, Kind = TransitionKind.ProviderChange, FromParty = "parties/hans-petrischool", ToParty = "parties/zorgboerderij-de-hoeve",
                EffectiveDate = Date(2026, 1, 10), HandoverSummary = "Summary.",
                CoachAfter = new Coach { Party = "parties/zorgboerderij-de-hoeve", CoachId = "x", DisplayName = "X", Phone = "078-0000000", Email = "x@example.org" },
            },
        };
        await Errors.Expect(StatusCode.PermissionDenied, "NO_ROLE_FOR_CLIENT", () => stranger.Transitions.CreateTransitionAsync(grab).ResponseAsync);

        var team = await school.Clients.GetCareTeamAsync(new GetCareTeamRequest { Client = client.Name });
        Assert.Equal(["parties/hans-petrischool"], team.CareTeam.Parties);
        Assert.Null(team.CareTeam.Coach);
        await Errors.Expect(StatusCode.PermissionDenied, "NO_ROLE_FOR_CLIENT", () =>
            stranger.Clients.GetCareTeamAsync(new GetCareTeamRequest { Client = client.Name }).ResponseAsync);
    }

    [Fact]
    public async Task TheSocialServiceOfTheClientsMunicipality_MayAnnounceOne_WithoutARole()
    {
        var school = _hub.As("hans-petrischool");
        var client = await school.RegisterAsync("123456782", Date(1994, 11, 2), "0505", "parties/hans-petrischool");
        var sdd = _hub.As("sdd");

        var sent = await sdd.Transitions.CreateTransitionAsync(new CreateTransitionRequest
        {
            RequestId = NewRequestId(),
            Transition = new Transition { Client = client.Name, Kind = TransitionKind.ScaleUp, ToParty = "parties/begeleiding-plus", EffectiveDate = Date(2026, 2, 1), HandoverSummary = "More support." },
        });
        Assert.StartsWith("transitions/", sent.Transition.Name, StringComparison.Ordinal);
    }
}

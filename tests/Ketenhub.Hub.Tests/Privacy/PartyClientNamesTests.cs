using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using Ketenhub.HubTests.Integration;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Privacy;

/// <summary>
/// Every party has its own name for a client: two partners that both receive messages about the same person cannot
/// link their records through the hub's names. Each party's name works for that party on every call; another party's
/// name is not found. These tests call as the parties see it (<see cref="HubFactory.AsSeenBy"/>), not through the
/// tests' usual translation to the hub's form.
/// </summary>
public sealed class PartyClientNamesTests : IDisposable
{
    private readonly HubFactory _hub = new(new DateTimeOffset(2026, 1, 10, 9, 0, 0, TimeSpan.Zero));

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task TwoPartiesRegisteringOnePerson_GetTwoNames_EachWorksOnlyForItsOwnParty()
    {
        var school = _hub.AsSeenBy("hans-petrischool");
        var sdd = _hub.AsSeenBy("sdd");
        var bsn = Kit.NewBsn();

        var bySchool = await school.RegisterAsync(bsn, Date(2008, 3, 14), "0642", "parties/hans-petrischool");
        var bySdd = await sdd.RegisterAsync(bsn, Date(2008, 3, 14), "0642");

        Assert.NotEqual(bySchool.Name, bySdd.Name);
        Assert.Matches("^clients/cl_[0-9a-f]{32}$", bySchool.Name);
        Assert.Equal(bySchool.Name, (await school.Clients.GetClientAsync(new GetClientRequest { Name = bySchool.Name })).Client.Name);

        // SDD serves Zwijndrecht, so with its own name it may record a consent; with the school's name there is no such client.
        await sdd.GrantAsync(bySdd.Name, GrantorRole.Parent, "sdd", [Purpose.Transition], [DataCategory.SupportPlan]);
        await Errors.Expect(StatusCode.NotFound, "CLIENT_NOT_FOUND", () => sdd.GrantAsync(bySchool.Name, GrantorRole.Parent, "sdd", [Purpose.Transition], [DataCategory.SupportPlan]));
        await Errors.Expect(StatusCode.NotFound, "CLIENT_NOT_FOUND", () => school.Clients.GetClientAsync(new GetClientRequest { Name = bySdd.Name }).ResponseAsync);

        // The consent each sees names the client by that party's own name.
        var listed = await school.Consents.ListConsentsAsync(new ListConsentsRequest { Client = bySchool.Name });
        Assert.Equal(bySchool.Name, Assert.Single(listed.Consents).Client);
    }

    [Fact]
    public async Task TwoRecipientsOfOneSignal_SeeTheClientUnderTheirOwnNames_InDeliveriesTasksAndJourney()
    {
        var sdd = _hub.AsSeenBy("sdd");
        var coach = _hub.AsSeenBy("waakvlam-zorg");
        var bsn = Kit.NewBsn();
        var atSdd = (await sdd.RegisterAsync(bsn, Date(1994, 11, 2), "0505")).Name;
        var atCoach = (await coach.RegisterAsync(bsn, Date(1994, 11, 2), "0505")).Name;
        Assert.NotEqual(atSdd, atCoach);

        await sdd.Clients.AssignCoachAsync(new AssignCoachRequest { RequestId = NewRequestId(), Client = atSdd, Coach = Kit.Coach("waakvlam-zorg", "lisa", "Lisa") });
        foreach (var party in new[] { "sdd", "waakvlam-zorg" })
        {
            await coach.GrantAsync(atCoach, GrantorRole.Client, party, [Purpose.SignalFollowUp, Purpose.Coaching], [DataCategory.Finances, DataCategory.ContactDetails]);
        }

        var raised = await sdd.Signals.CreateSignalAsync(Kit.Signal(atSdd, "Rent arrears."));
        Assert.Equal(atSdd, raised.Signal.Client);

        var toCoach = Assert.Single(await coach.DrainAsync(acknowledge: true), d => d.PayloadCase == Delivery.PayloadOneofCase.Signal);
        Assert.Equal((atCoach, atCoach), (toCoach.Client, toCoach.Signal.Client));

        // The coach reads the signal and the journey under its own name; no answer to it holds SDD's name.
        var read = await coach.Signals.GetSignalAsync(new GetSignalRequest { Name = raised.Signal.Name });
        Assert.Equal(atCoach, read.Signal.Client);
        var journey = await Kit.JourneyAsync(coach, atCoach);
        Assert.Contains(journey, e => e.Type == JourneyEventType.ClientRegistered && e.Resource == atCoach);
        Assert.DoesNotContain(journey, e => e.Resource == atSdd);

        // A facts task names the client by the recipient's own name.
        await Errors.Expect(StatusCode.FailedPrecondition, "CLIENT_FACTS_MISMATCH", () => _hub.AsSeenBy("zorgboerderij-de-hoeve").RegisterAsync(bsn, Date(1994, 11, 3), "0505"));
        var task = Assert.Single(await coach.DrainAsync(acknowledge: true), d => d.Task?.Kind == TaskKind.CheckClientFacts);
        Assert.Equal([atCoach], task.Task.Resources);
        Assert.Equal(atCoach, task.Client);
    }

    [Fact]
    public async Task TheHubsOwnFormOfAName_IsStillAccepted_AndAnswersComeBackInTheCallersForm()
    {
        // Partners that stored names before they were per party keep working: the hub's form resolves for everyone.
        var sdd = _hub.AsSeenBy("sdd");
        var bsn = Kit.NewBsn();
        var own = (await sdd.RegisterAsync(bsn, Date(1994, 11, 2), "0505")).Name;
        var hubForm = (await _hub.As("sdd").RegisterAsync(bsn, Date(1994, 11, 2), "0505")).Name;
        Assert.StartsWith("clients/cli_", hubForm, StringComparison.Ordinal);

        var consent = await sdd.GrantAsync(hubForm, GrantorRole.Client, "sdd", [Purpose.Transition], [DataCategory.SupportPlan]);
        Assert.Equal(own, consent.Client);
    }
}

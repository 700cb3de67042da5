using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.HubTests.Integration;
using Ketenhub.Testing;
using Ketenhub.Testing.InProcess;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Scenarios;

/// <summary>
/// S10 — A move that reaches the hub through the person source (docs/scenarios.md). The hub checks its clients against a
/// local fake of the Haal Centraal BRP API: Noah's move to Gorinchem, recorded in the register, reaches the hub without
/// anyone typing it; a registration that disagrees with the register becomes a task, never an overwrite; parental
/// authority comes from the register.
/// </summary>
public sealed class S10_MoveFromThePersonSourceTests : IAsyncLifetime
{
    private FakeBrpServer _brp = null!;
    private HubFactory _hub = null!;

    public async Task InitializeAsync()
    {
        _brp = await FakeBrpServer.StartAsync();
        _hub = new HubFactory(new DateTimeOffset(2026, 6, 1, 9, 0, 0, TimeSpan.Zero));
        _hub.WithPersonSource(_brp);
    }

    public async Task DisposeAsync()
    {
        _hub.Dispose();
        await _brp.DisposeAsync();
    }

    [Fact]
    public async Task AMoveInTheRegister_ReachesTheHub_AndRoutingFollowsIt()
    {
        var sdd = _hub.As("sdd");
        var waakvlam = _hub.As("waakvlam-zorg");
        var gorinchem = _hub.As("sociale-dienst-gorinchem");
        var wijkteamZwijndrecht = _hub.As("wijkteam-zwijndrecht");
        var bsn = Kit.NewBsn();
        _brp.Set(new FakePerson(bsn, new DateOnly(2005, 10, 3), "0642", new DateOnly(2015, 1, 1)));

        // Noah registers at SDD with the facts the register holds: nothing to check, no task.
        var client = await sdd.RegisterAsync(bsn, Date(2005, 10, 3), "0642");
        await waakvlam.AssignCoachAsync(client.Name, "lisa", "Lisa", by: "sdd");
        await sdd.GrantAsync(client.Name, GrantorRole.Client, "waakvlam-zorg", [Purpose.Coaching], [DataCategory.SupportPlan]);
        Assert.Empty(await waakvlam.DrainAsync());
        var lookups = _brp.Requests;
        Assert.True(lookups >= 1, "the registration was checked against the register");

        // On 15 June he moves to Gorinchem; the register records it. The scheduled check brings it to the hub.
        _hub.Clock.Advance(TimeSpan.FromDays(20));
        _brp.Set(new FakePerson(bsn, new DateOnly(2005, 10, 3), "0512", new DateOnly(2026, 6, 15)));
        var sync = await _hub.CheckPersonFactsAsync();
        Assert.Equal((1, 0, 0), (sync.Updated, sync.Conflicts, sync.Unavailable));

        Assert.Equal("0512", (await waakvlam.Clients.GetClientAsync(new GetClientRequest { Name = client.Name })).Client.MunicipalityCode);
        var moved = Assert.Single(await Kit.JourneyAsync(waakvlam, client.Name), e => e.Type == JourneyEventType.MunicipalityChanged);
        Assert.Equal("0642 0512 PERSON_SOURCE", moved.Detail);
        Assert.Equal(new DateTimeOffset(2026, 6, 14, 22, 0, 0, TimeSpan.Zero), moved.EventTime.ToDateTimeOffset());

        // The social service of Gorinchem now serves him; the Zwijndrecht wijkteam no longer does. The coach stayed.
        await gorinchem.GrantAsync(client.Name, GrantorRole.Client, "sociale-dienst-gorinchem", [Purpose.Transition], [DataCategory.SupportPlan]);
        await Errors.Expect(StatusCode.PermissionDenied, "NO_ROLE_FOR_CLIENT", () => wijkteamZwijndrecht.Clients.CorrectClientFactsAsync(new CorrectClientFactsRequest
        {
            RequestId = NewRequestId(),
            Name = client.Name,
            MunicipalityCode = "0642",
        }).ResponseAsync);
        Assert.Equal("lisa", (await waakvlam.Clients.GetCareTeamAsync(new GetCareTeamRequest { Client = client.Name })).CareTeam.Coach.CoachId);

        // A second check changes nothing and raises nothing.
        var again = await _hub.CheckPersonFactsAsync();
        Assert.Equal((0, 0), (again.Updated, again.Conflicts));
        Assert.Single(await Kit.JourneyAsync(waakvlam, client.Name), e => e.Type == JourneyEventType.MunicipalityChanged);
    }

    [Fact]
    public async Task ARegistrationThatDisagreesWithTheRegister_IsATask_NeverAnOverwrite_AndAuthorityComesFromTheRegister()
    {
        var school = _hub.As("hans-petrischool");
        var bsn = Kit.NewBsn();
        _brp.Set(new FakePerson(bsn, new DateOnly(2011, 2, 8), "0642", new DateOnly(2011, 2, 8), ParentsWithAuthority: [("999990019", "Ilse", "Bakker"), ("999990020", "Tom", "Bakker")]));

        // The school types the birth date wrong.
        var client = await school.RegisterAsync(bsn, Date(2011, 2, 18), "0642", "parties/hans-petrischool");

        // The school's facts stand; the school, which answers for the client, is asked to check them.
        Assert.Equal(Date(2011, 2, 18), (await school.Clients.GetClientAsync(new GetClientRequest { Name = client.Name })).Client.BirthDate);
        var task = Assert.Single(await school.DrainAsync(acknowledge: true));
        Assert.Equal(TaskKind.CheckClientFacts, task.Task.Kind);
        Assert.Contains("person source", task.Decision.Explanation, StringComparison.Ordinal);

        // Both parents' authority came from the register: a parent's consent counts, naming which parent gives it.
        var representatives = (await school.Clients.ListRepresentativesAsync(new ListRepresentativesRequest { Client = client.Name })).Representatives;
        Assert.Equal(["Ilse Bakker", "Tom Bakker"], representatives.Select(r => r.DisplayName).Order());
        Assert.All(representatives, r => Assert.Equal((RepresentationKind.ParentalAuthority, true, string.Empty), (r.Kind, r.Current, r.RecordedBy)));
        var consent = new Consent
        {
            Client = client.Name,
            GrantorRole = GrantorRole.Parent,
            RecipientParty = "parties/waakvlam-zorg",
            Purposes = { Purpose.Coaching },
            DataCategories = { DataCategory.SupportPlan },
            Representative = representatives[0].Name,
        };
        var granted = await school.Consents.GrantConsentAsync(new GrantConsentRequest { RequestId = NewRequestId(), Consent = consent });
        Assert.Equal(ConsentState.Active, granted.Consent.State);

        // Checking again raises no second task.
        await _hub.CheckPersonFactsAsync();
        Assert.Empty(await school.DrainAsync());
    }

    [Fact]
    public async Task WhenTheRegisterIsDown_TheRegistrationStands_AndTheScheduledCheckCatchesUp()
    {
        var school = _hub.As("hans-petrischool");
        var bsn = Kit.NewBsn();
        _brp.Set(new FakePerson(bsn, new DateOnly(2012, 4, 4), "0642", new DateOnly(2012, 4, 4), ParentsWithAuthority: [("999990031", "Sara", "Visser")]));

        // One failed answer is retried within the lookup.
        _brp.FailNext(1);
        var first = await school.RegisterAsync(bsn, Date(2012, 4, 4), "0642", "parties/hans-petrischool");
        Assert.Single((await school.Clients.ListRepresentativesAsync(new ListRepresentativesRequest { Client = first.Name })).Representatives);

        // A register that stays down does not block a registration; the next scheduled check records what it says.
        var other = Kit.NewBsn();
        _brp.Set(new FakePerson(other, new DateOnly(2013, 5, 5), "0642", new DateOnly(2013, 5, 5), ParentsWithAuthority: [("999990043", "Anouk", "Smit")]));
        _brp.FailNext(100);
        var second = await school.RegisterAsync(other, Date(2013, 5, 5), "0642", "parties/hans-petrischool");
        Assert.Empty((await school.Clients.ListRepresentativesAsync(new ListRepresentativesRequest { Client = second.Name })).Representatives);

        _brp.FailNext(0);
        var sync = await _hub.CheckPersonFactsAsync();
        Assert.Equal(0, sync.Unavailable);
        Assert.Equal("Anouk Smit", Assert.Single((await school.Clients.ListRepresentativesAsync(new ListRepresentativesRequest { Client = second.Name })).Representatives).DisplayName);
    }

    [Fact]
    public async Task TheScheduledCheck_RunsOnTheHubsClock()
    {
        var school = _hub.As("hans-petrischool");
        var bsn = Kit.NewBsn();
        _brp.Set(new FakePerson(bsn, new DateOnly(2007, 1, 1), "0642", new DateOnly(2010, 1, 1)));
        var client = await school.RegisterAsync(bsn, Date(2007, 1, 1), "0642", "parties/hans-petrischool");
        _brp.Set(new FakePerson(bsn, new DateOnly(2007, 1, 1), "0505", new DateOnly(2026, 6, 10)));

        // The check runs every 30 days here: once the clock has passed that, the move is in without anyone asking.
        _hub.Clock.Advance(TimeSpan.FromDays(31));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        string municipality;
        do
        {
            await Task.Delay(100);
            municipality = (await school.Clients.GetClientAsync(new GetClientRequest { Name = client.Name })).Client.MunicipalityCode;
        }
        while (municipality != "0505" && DateTime.UtcNow < deadline);

        Assert.Equal("0505", municipality);
    }
}

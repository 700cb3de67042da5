using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.HubTests.Integration;
using Ketenhub.Testing.InProcess;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Scenarios;

/// <summary>
/// S7 — A move out of the region (docs/scenarios.md). Mila (19) lives in Zwijndrecht (0642), left the Hans
/// Petrischool for SDD at 18 and has Ahmed of waakvlam-zorg as her coach. She moves to Gorinchem (0512), outside the
/// Drechtsteden: with a social service configured for it, and (a second story) to a municipality the hub has none for.
/// </summary>
public sealed class S7_MoveOutOfTheRegionTests : IDisposable
{
    private readonly HubFactory _hub = new(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task MoveToGorinchem_NewSocialServiceAndWijkteamAreTold_OldSocialServiceLosesItsRoleAndGetsANotice()
    {
        var (client, waakvlam, sdd) = await MilaAsync();
        var gorinchem = _hub.As("sociale-dienst-gorinchem");
        var wijkteamGorinchem = _hub.As("wijkteam-gorinchem");
        var wijkteamZwijndrecht = _hub.As("wijkteam-zwijndrecht");

        // Mila consents to the social service of her new municipality receiving her support plan for the move.
        await waakvlam.GrantAsync(client.Name, GrantorRole.Client, "sociale-dienst-gorinchem", [Purpose.Transition], [DataCategory.SupportPlan, DataCategory.ContactDetails]);

        var move = Relocation(client.Name, "0512", Date(2026, 4, 1));
        var sent = await waakvlam.Transitions.CreateTransitionAsync(new CreateTransitionRequest { RequestId = NewRequestId(), Transition = move });
        Assert.Equal("0512", sent.Transition.NewMunicipalityCode);
        Assert.Equal("ahmed", sent.Transition.Coach.CoachId);

        // The new municipality's social service gets the content under Mila's consent; its wijkteam waits for one.
        var toGorinchem = Assert.Single(sent.Decisions, d => d.Recipient == "parties/sociale-dienst-gorinchem");
        Assert.Equal((RecipientOutcome.Content, "CONSENT_ACTIVE"), (toGorinchem.Outcome, toGorinchem.Reason));
        Assert.Contains("relocation-to-new-municipality", toGorinchem.RuleIds);
        var toWijkteam = Assert.Single(sent.Decisions, d => d.Recipient == "parties/wijkteam-gorinchem");
        Assert.Equal((RecipientOutcome.AwaitingConsent, "NO_CONSENT"), (toWijkteam.Outcome, toWijkteam.Reason));

        // The old municipality's social service and wijkteam get a notice without content that she moved away.
        foreach (var old in new[] { "parties/sdd", "parties/wijkteam-zwijndrecht" })
        {
            var notice = Assert.Single(sent.Decisions, d => d.Recipient == old);
            Assert.Equal((RecipientOutcome.ThinNotice, "NOTICE_RULE"), (notice.Outcome, notice.Reason));
        }

        Assert.DoesNotContain(sent.Decisions, d => d.Recipient.Length == 0);

        var received = Assert.Single(await gorinchem.DrainAsync(acknowledge: true));
        Assert.Equal(Delivery.PayloadOneofCase.Transition, received.PayloadCase);
        Assert.Equal("0512", received.Transition.NewMunicipalityCode);
        Assert.Equal("ahmed", received.Coach.CoachId);
        var sddGot = Assert.Single(await sdd.DrainAsync(acknowledge: true));
        Assert.Equal(Delivery.PayloadOneofCase.ThinNotice, sddGot.PayloadCase);
        Assert.Equal(Delivery.PayloadOneofCase.ThinNotice, Assert.Single(await wijkteamZwijndrecht.DrainAsync(acknowledge: true)).PayloadCase);
        Assert.Empty(await wijkteamGorinchem.DrainAsync());
        Assert.Single(await Kit.DeliveriesAsync(wijkteamGorinchem, DeliveryStatus.AwaitingConsent, client.Name));

        // Until the effective date she lives in Zwijndrecht and SDD is her social service.
        Assert.Equal("0642", (await waakvlam.Clients.GetClientAsync(new GetClientRequest { Name = client.Name })).Client.MunicipalityCode);
        Assert.Contains("parties/sdd", (await waakvlam.Clients.GetCareTeamAsync(new GetCareTeamRequest { Client = client.Name })).CareTeam.Parties);

        // From 1 April: Gorinchem. SDD's role as her social service ended; the coach stayed.
        _hub.Clock.Advance(TimeSpan.FromDays(29) + TimeSpan.FromHours(14));
        Assert.Equal("0512", (await waakvlam.Clients.GetClientAsync(new GetClientRequest { Name = client.Name })).Client.MunicipalityCode);
        var team = (await waakvlam.Clients.GetCareTeamAsync(new GetCareTeamRequest { Client = client.Name })).CareTeam;
        Assert.DoesNotContain("parties/sdd", team.Parties);
        Assert.Equal("ahmed", team.Coach.CoachId);
        var journey = await Kit.JourneyAsync(waakvlam, client.Name);
        var moved = Assert.Single(journey, e => e.Type == JourneyEventType.MunicipalityChanged);
        Assert.Equal(("0642 0512 RELOCATION", sent.Transition.Name), (moved.Detail, moved.Resource));
        Assert.Equal(new DateTimeOffset(2026, 3, 31, 22, 0, 0, TimeSpan.Zero), moved.EventTime.ToDateTimeOffset());
        Assert.Contains(journey, e => e.Type == JourneyEventType.RoleEnded && e.Party == "parties/sdd" && e.Detail == "SOCIAL_SERVICE");

        // Gorinchem's wijkteam now serves her (a relationship of its municipality); Zwijndrecht's no longer does.
        await wijkteamGorinchem.GrantAsync(client.Name, GrantorRole.Client, "wijkteam-gorinchem", [Purpose.Transition], [DataCategory.SupportPlan, DataCategory.ContactDetails]);
        Assert.Single(await wijkteamGorinchem.DrainAsync(acknowledge: true), d => d.Transition?.Name == sent.Transition.Name);
        await Errors.Expect(StatusCode.PermissionDenied, "NO_ROLE_FOR_CLIENT", () => wijkteamZwijndrecht.Clients.CorrectClientFactsAsync(new CorrectClientFactsRequest
        {
            RequestId = NewRequestId(),
            Name = client.Name,
            MunicipalityCode = "0642",
        }).ResponseAsync);
    }

    [Fact]
    public async Task MoveToAMunicipalityWithoutSocialService_TheSenderIsToldWithACodedDecision()
    {
        var (client, waakvlam, sdd) = await MilaAsync();
        var before = _hub.Clock.GetUtcNow();
        _hub.Clock.Advance(TimeSpan.FromMinutes(1));

        // Amsterdam (0363): the hub knows no social service or wijkteam there. Explain and submit say so.
        var move = Relocation(client.Name, "0363", Date(2026, 4, 1));
        var explained = await waakvlam.Explain.ExplainMessageAsync(new ExplainMessageRequest { Transition = move });
        var sent = await waakvlam.Transitions.CreateTransitionAsync(new CreateTransitionRequest { RequestId = NewRequestId(), Transition = move });
        foreach (var decisions in new[] { explained.Decisions, sent.Decisions })
        {
            var none = Assert.Single(decisions, d => d.Reason == "NO_SOCIAL_SERVICE");
            Assert.Equal((string.Empty, RecipientOutcome.Blocked, string.Empty), (none.Recipient, none.Outcome, none.Delivery));
            Assert.Contains("0363", none.Explanation, StringComparison.Ordinal);
            Assert.Contains("relocation-to-new-municipality", none.RuleIds);
            Assert.Single(decisions, d => d.Reason == "NO_WIJKTEAM" && d.Recipient.Length == 0);
            Assert.Equal(RecipientOutcome.ThinNotice, Assert.Single(decisions, d => d.Recipient == "parties/sdd").Outcome);
        }

        // Nothing was delivered to any social service as "the" social service: SDD's only delivery is the notice.
        var sddDeliveries = await Kit.DeliveriesAsync(sdd, client: client.Name);
        Assert.Equal(RecipientOutcome.ThinNotice, Assert.Single(sddDeliveries, d => d.CreateTime.ToDateTimeOffset() > before).Decision.Outcome);
    }

    [Fact]
    public async Task NamingAServiceThatDoesNotServeTheNewMunicipality_GivesItNoContent_AndExplainSaysWhy()
    {
        var (client, waakvlam, sdd) = await MilaAsync();
        await waakvlam.GrantAsync(client.Name, GrantorRole.Client, "sdd", [Purpose.Transition], [DataCategory.SupportPlan, DataCategory.ContactDetails]);

        // The coach names SDD as receiving party, but SDD does not serve Gorinchem.
        var move = Relocation(client.Name, "0512", Date(2026, 4, 1));
        move.ToParty = "parties/sdd";
        var explained = await waakvlam.Explain.ExplainMessageAsync(new ExplainMessageRequest { Transition = move });
        var toSdd = Assert.Single(explained.Decisions, d => d.Recipient == "parties/sdd");
        Assert.NotEqual(RecipientOutcome.Content, toSdd.Outcome);
        Assert.Contains("for other municipalities than 0512", toSdd.Explanation, StringComparison.Ordinal);

        var sent = await waakvlam.Transitions.CreateTransitionAsync(new CreateTransitionRequest { RequestId = NewRequestId(), Transition = move });
        Assert.Equal(RecipientOutcome.ThinNotice, Assert.Single(sent.Decisions, d => d.Recipient == "parties/sdd").Outcome);
        Assert.DoesNotContain(await sdd.DrainAsync(), d => d.Transition?.Name == sent.Transition.Name);

        // Without a move, a wijkteam of another municipality named as receiving party is refused content outright.
        var handover = new Transition
        {
            Client = client.Name,
            Kind = TransitionKind.ScaleUp,
            ToParty = "parties/wijkteam-gorinchem",
            EffectiveDate = Date(2026, 3, 10),
        };
        await waakvlam.GrantAsync(client.Name, GrantorRole.Client, "wijkteam-gorinchem", [Purpose.Transition], [DataCategory.SupportPlan, DataCategory.ContactDetails]);
        var scaled = await waakvlam.Transitions.CreateTransitionAsync(new CreateTransitionRequest { RequestId = NewRequestId(), Transition = handover });
        var toWijkteam = Assert.Single(scaled.Decisions, d => d.Recipient == "parties/wijkteam-gorinchem");
        Assert.Equal((RecipientOutcome.Blocked, "NOT_SERVING_MUNICIPALITY"), (toWijkteam.Outcome, toWijkteam.Reason));
        Assert.Contains("0642", toWijkteam.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Relocation_IsValidated()
    {
        var (client, waakvlam, _) = await MilaAsync();
        var noCode = Relocation(client.Name, string.Empty, Date(2026, 4, 1));
        var error = await Errors.Of(() => waakvlam.Transitions.CreateTransitionAsync(new CreateTransitionRequest { RequestId = NewRequestId(), Transition = noCode }).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "FIELD_REQUIRED"), (error.Code, error.Reason));
        Assert.Contains("transition.new_municipality_code", error.Fields);

        var same = Relocation(client.Name, "0642", Date(2026, 4, 1));
        error = await Errors.Of(() => waakvlam.Transitions.CreateTransitionAsync(new CreateTransitionRequest { RequestId = NewRequestId(), Transition = same }).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "INVALID_MUNICIPALITY_CODE"), (error.Code, error.Reason));

        var notAMove = new Transition { Client = client.Name, Kind = TransitionKind.ScaleUp, EffectiveDate = Date(2026, 4, 1), NewMunicipalityCode = "0512" };
        error = await Errors.Of(() => waakvlam.Transitions.CreateTransitionAsync(new CreateTransitionRequest { RequestId = NewRequestId(), Transition = notAMove }).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "INVALID_REQUEST"), (error.Code, error.Reason));

        // Nothing was stored: she still lives in Zwijndrecht, and no move is in her journey.
        Assert.Equal("0642", (await waakvlam.Clients.GetClientAsync(new GetClientRequest { Name = client.Name })).Client.MunicipalityCode);
        Assert.DoesNotContain(await Kit.JourneyAsync(waakvlam, client.Name), e => e.Type == JourneyEventType.MunicipalityChanged);
    }

    private static Transition Relocation(string client, string municipality, Google.Type.Date effective) => new()
    {
        Client = client,
        Kind = TransitionKind.Relocation,
        EffectiveDate = effective,
        NewMunicipalityCode = municipality,
        HandoverSummary = "Mila keeps her morning routine; she needs help with the letters of her new municipality.",
    };

    /// <summary>Mila: registered by her school in Zwijndrecht, SDD her social service since leaving school, Ahmed her coach.</summary>
    private async Task<(Client Client, PartyClient Waakvlam, PartyClient Sdd)> MilaAsync()
    {
        var school = _hub.As("hans-petrischool");
        var waakvlam = _hub.As("waakvlam-zorg");
        var sdd = _hub.As("sdd");
        var client = await school.RegisterAsync(Kit.NewBsn(), Date(2007, 1, 20), "0642", "parties/hans-petrischool");
        await waakvlam.AssignCoachAsync(client.Name, "ahmed", "Ahmed", by: "hans-petrischool");
        await school.GrantAsync(client.Name, GrantorRole.Client, "waakvlam-zorg", [Purpose.Coaching, Purpose.Transition], [DataCategory.SupportPlan, DataCategory.ContactDetails]);
        await school.Transitions.CreateTransitionAsync(new CreateTransitionRequest
        {
            RequestId = NewRequestId(),
            Transition = new Transition { Client = client.Name, Kind = TransitionKind.SchoolLeaver18, FromParty = "parties/hans-petrischool", ToParty = "parties/sdd", EffectiveDate = Date(2026, 3, 2) },
        });
        await waakvlam.DrainAsync(acknowledge: true);
        await sdd.DrainAsync(acknowledge: true);
        return (client, waakvlam, sdd);
    }
}

using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.Testing;
using Microsoft.Playwright;
using static Ketenhub.Testing.HubProcessClient;

namespace Ketenhub.WebTests;

/// <summary>
/// The coach's pages in a real browser against a real hub: scenario S1 as the coach sees it (the caseload, the client's
/// timeline, acknowledging a signal, checked over gRPC), and that a coach sees only their own clients.
/// </summary>
[Collection(WebCollection.Name)]
public sealed class CoachPagesTests(WebFixture web)
{
    private const string Sam = "Sam (Waakvlam Zorg, test)";
    private const string Bea = "Bea (Waakvlam Zorg)";

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task S1_AsTheCoachSeesIt_Caseload_Timeline_AndAcknowledgingTheSignal()
    {
        using var timeout = new CancellationTokenSource(Patience);
        var ct = timeout.Token;
        var (client, waakvlam) = await SanneAsync(ct);

        var page = await BrowserKit.NewPageAsync(web);
        await BrowserKit.SignInAsync(page, Sam);

        // Mijn cliënten: Sanne, with the crisis signal that waits and her 18th birthday ahead.
        var card = page.Locator(".card").Filter(new LocatorFilterOptions { HasText = "14 maart 2009" });
        await Assertions.Expect(card).ToHaveCountAsync(1);
        await Assertions.Expect(card).ToContainTextAsync("Signaal over wonen (crisis) is nog niet gezien.");
        await Assertions.Expect(card).ToContainTextAsync("Wordt 18 op 14 maart 2027.");
        await Assertions.Expect(card).ToContainTextAsync("CET");
        await BrowserKit.AssertAccessibleAsync(page, "coach-caseload");

        // Her page: the timeline across organisations in words, with local times and zone.
        await card.GetByRole(AriaRole.Link).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new PageGetByRoleOptions { Level = 1 })).ToHaveTextAsync("Cliënt geboren op 14 maart 2009, Zwijndrecht");
        var timeline = page.Locator("ol.timeline");
        await Assertions.Expect(timeline).ToContainTextAsync("Coach gekoppeld, door Hans Petrischool (VSO)");
        await Assertions.Expect(timeline).ToContainTextAsync("Overgang gemeld, door Hans Petrischool (VSO)");
        await Assertions.Expect(timeline).ToContainTextAsync("Signaal gemeld, door Sociale Dienst Drechtsteden");
        Assert.DoesNotContain("clients/", await timeline.InnerTextAsync(), StringComparison.Ordinal);
        await Assertions.Expect(page.Locator("main")).ToContainTextAsync("Sam (Waakvlam Zorg)");
        await BrowserKit.AssertAccessibleAsync(page, "coach-client");

        // Acknowledge the signal: the page says so, and the hub has it (the journey shows the acknowledgement).
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Signaal gezien" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Het signaal staat nu op gezien.");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Signaal gezien" })).ToHaveCountAsync(0);
        var journey = await waakvlam.Clients.ListJourneyEventsAsync(new ListJourneyEventsRequest { Client = client }, deadline: Deadline(), cancellationToken: ct);
        var acknowledged = Assert.Single(journey.Events, e => e.Type == JourneyEventType.SignalAcknowledged);
        Assert.Equal("parties/waakvlam-zorg", acknowledged.Party);

        // The access report, laid out to print.
        await page.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = "Inzageoverzicht voor de cliënt (om te printen)" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new PageGetByRoleOptions { Level = 1 })).ToHaveTextAsync("Inzageoverzicht");
        await BrowserKit.AssertAccessibleAsync(page, "coach-access-report");
    }

    [Fact]
    public async Task BeforeSendingASignal_TheCoachSeesWhatWouldHappen_AndNothingIsSentUntilSheSends()
    {
        using var timeout = new CancellationTokenSource(Patience);
        var ct = timeout.Token;
        var (client, waakvlam) = await SanneAsync(ct, birthDate: Date(2009, 5, 20));
        var raisedBefore = await SignalsRaisedAsync(waakvlam, client, ct);

        var page = await BrowserKit.NewPageAsync(web);
        await BrowserKit.SignInAsync(page, Sam);
        await page.GotoAsync($"/coach/clienten/{client["clients/".Length..]}/signaal");
        await page.GetByLabel("Wat is er aan de hand?").SelectOptionAsync(new SelectOptionValue { Label = "afspraken gemist" });
        await page.GetByLabel("Over welk deel van het leven?").SelectOptionAsync(new SelectOptionValue { Label = "wonen" });
        await page.GetByLabel("Toelichting (alleen wat de ontvanger nodig heeft)").FillAsync("Three appointments missed.");
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Wat gebeurt er als ik dit stuur?" }).ClickAsync();

        // The rules send a coach's own signal to the client's current providers, and she has none yet.
        var explained = page.Locator("section[aria-labelledby=explained]");
        await Assertions.Expect(explained).ToContainTextAsync("Niemand zou dit krijgen.");
        await Assertions.Expect(explained).ToContainTextAsync("Er is nog niets verstuurd.");
        Assert.Equal(raisedBefore, await SignalsRaisedAsync(waakvlam, client, ct));
        await BrowserKit.AssertAccessibleAsync(page, "coach-signal-explained");

        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Versturen" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Het signaal is verstuurd.");
        Assert.Equal(raisedBefore + 1, await SignalsRaisedAsync(waakvlam, client, ct));

        // A transition to SDD: SDD has no consent, so it would wait for one; the client's school would hear of it.
        await page.GotoAsync($"/coach/clienten/{client["clients/".Length..]}/overgang");
        await page.GetByLabel("Naar welke organisatie? (als die er is)").SelectOptionAsync(new SelectOptionValue { Label = "Sociale Dienst Drechtsteden" });
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Wat gebeurt er als ik dit stuur?" }).ClickAsync();
        await Assertions.Expect(explained).ToContainTextAsync("Sociale Dienst Drechtsteden krijgt het pas als er toestemming is");
        await BrowserKit.AssertAccessibleAsync(page, "coach-transition-explained");
    }

    [Fact]
    public async Task AnotherCoach_DoesNotSeeTheClient_NotInTheListNorByItsAddress()
    {
        using var timeout = new CancellationTokenSource(Patience);
        var (client, _) = await SanneAsync(timeout.Token, coachId: "coach-other", coachName: "Olaf");

        var page = await BrowserKit.NewPageAsync(web);
        await BrowserKit.SignInAsync(page, Bea);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new PageGetByRoleOptions { Level = 1 })).ToHaveTextAsync("Mijn cliënten");
        Assert.DoesNotContain("clienten/" + client["clients/".Length..], await page.ContentAsync(), StringComparison.Ordinal);

        var response = await page.GotoAsync("/coach/clienten/" + client["clients/".Length..]);
        Assert.Equal(404, response!.Status);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new PageGetByRoleOptions { Level = 1 })).ToHaveTextAsync("Niet gevonden");
        await BrowserKit.AssertAccessibleAsync(page, "not-found");
    }

    [Fact]
    public async Task WithoutSigningIn_EveryPageLeadsToTheSignIn()
    {
        var page = await BrowserKit.NewPageAsync(web);

        await page.GotoAsync("/coach");

        Assert.StartsWith(new Uri(web.Address, "/inloggen").ToString(), page.Url, StringComparison.Ordinal);
        await BrowserKit.AssertAccessibleAsync(page, "sign-in");
    }

    /// <summary>
    /// Scenario S1's start on the real hub: the school registers a student who turns 18 on 14 March 2027, names her
    /// coach at Waakvlam Zorg and announces she leaves school; she consents to coaching and follow-up of housing
    /// signals; SDD reports a crisis about housing. Returns her name as Waakvlam Zorg knows it, and a Waakvlam Zorg client.
    /// </summary>
    private async Task<(string Client, HubProcessClient Waakvlam)> SanneAsync(CancellationToken ct, string coachId = "coach-s1", string coachName = "Sam", Google.Type.Date? birthDate = null)
    {
        var school = web.Hub.As("hans-petrischool");
        var waakvlam = web.Hub.As("waakvlam-zorg");
        var sdd = web.Hub.As("sdd");
        var bsn = Bsns.Next();
        var birth = birthDate ?? Date(2009, 3, 14);
        var atSchool = (await school.Clients.RegisterClientAsync(
            new RegisterClientRequest { RequestId = NewRequestId(), Bsn = bsn, BirthDate = birth, MunicipalityCode = "0642", School = "parties/hans-petrischool" },
            deadline: Deadline(),
            cancellationToken: ct)).Client.Name;
        await school.AssignCoachAsync(atSchool, coachId, coachName, ct, coachParty: "waakvlam-zorg");
        var client = (await waakvlam.RegisterAsync(bsn, birth, "0642", ct)).Name;
        var consent = new Consent { Client = client, GrantorRole = GrantorRole.Client, RecipientParty = "parties/waakvlam-zorg" };
        consent.Purposes.Add([Purpose.Coaching, Purpose.SignalFollowUp]);
        consent.DataCategories.Add([DataCategory.SupportPlan, DataCategory.Housing]);
        await waakvlam.Consents.GrantConsentAsync(new GrantConsentRequest { RequestId = NewRequestId(), Consent = consent }, deadline: Deadline(), cancellationToken: ct);
        await school.Transitions.CreateTransitionAsync(
            new CreateTransitionRequest
            {
                RequestId = NewRequestId(),
                Transition = new Transition { Client = atSchool, Kind = TransitionKind.SchoolLeaver18, ToParty = "parties/sdd", EffectiveDate = Date(2027, 7, 1), HandoverSummary = "Leaves school in the summer." },
            },
            deadline: Deadline(),
            cancellationToken: ct);
        var atSdd = (await sdd.RegisterAsync(bsn, birth, "0642", ct)).Name;
        await sdd.Signals.CreateSignalAsync(
            new CreateSignalRequest
            {
                RequestId = NewRequestId(),
                Signal = new Signal { Client = atSdd, Kind = SignalKind.EvictionRisk, LifeDomain = LifeDomain.Housing, Severity = SignalSeverity.Crisis, Description = "Eviction notice served." },
            },
            deadline: Deadline(),
            cancellationToken: ct);
        return (client, waakvlam);
    }

    private static async Task<int> SignalsRaisedAsync(HubProcessClient party, string client, CancellationToken ct)
    {
        var journey = await party.Clients.ListJourneyEventsAsync(new ListJourneyEventsRequest { Client = client }, deadline: Deadline(), cancellationToken: ct);
        return journey.Events.Count(e => e.Type == JourneyEventType.SignalRaised && e.Party == party.PartyName);
    }
}

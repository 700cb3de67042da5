using Grpc.Core;
using Grpc.Core.Interceptors;
using Ketenhub.Contracts.V1;
using Ketenhub.Identity;
using Ketenhub.Testing;
using Microsoft.Playwright;
using static Ketenhub.Testing.HubProcessClient;

namespace Ketenhub.WebTests;

/// <summary>
/// The client's own pages in a real browser against a real hub: scenario S3 as the client does it, with the keyboard
/// alone (stop a consent; the delivery in flight is withheld, checked over gRPC), the coming-of-age confirmation, and
/// plain Dutch (Flesch-Douma at least 70 on every client page).
/// </summary>
[Collection(WebCollection.Name)]
public sealed class ClientPagesTests(WebFixture web)
{
    private const double PlainEnough = 70;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task S3_AsTheClientDoesIt_WithTheKeyboardAlone_StoppingAConsentWithholdsWhatIsInFlight()
    {
        using var timeout = new CancellationTokenSource(Patience);
        var ct = timeout.Token;
        var brug = web.Hub.As("dagbesteding-de-brug");
        var sdd = web.Hub.As("sdd");
        var client = (await sdd.RegisterAsync(web.PriyaBsn, Date(1999, 6, 30), "0590", ct)).Name;
        var referral = await sdd.Referrals.CreateReferralAsync(
            new CreateReferralRequest
            {
                RequestId = NewRequestId(),
                Referral = new Referral { Client = client, Service = ServiceKind.DayActivities, Reason = "Structure in the week", Performers = { new ReferralPerformer { Party = "parties/dagbesteding-de-brug" } } },
            },
            deadline: Deadline(),
            cancellationToken: ct);
        await brug.Referrals.AcceptReferralAsync(new AcceptReferralRequest { RequestId = NewRequestId(), Name = referral.Referral.Name }, deadline: Deadline(), cancellationToken: ct);
        await brug.Referrals.StartReferralAsync(new StartReferralRequest { RequestId = NewRequestId(), Name = referral.Referral.Name, StartDate = Date(2026, 12, 1) }, deadline: Deadline(), cancellationToken: ct);
        var grant = new Consent { Client = client, GrantorRole = GrantorRole.Client, RecipientParty = "parties/dagbesteding-de-brug", Purposes = { Purpose.Transition } };
        grant.DataCategories.Add([DataCategory.SupportPlan, DataCategory.ContactDetails]);
        await sdd.Consents.GrantConsentAsync(new GrantConsentRequest { RequestId = NewRequestId(), Consent = grant }, deadline: Deadline(), cancellationToken: ct);
        var sent = await sdd.Transitions.CreateTransitionAsync(
            new CreateTransitionRequest
            {
                RequestId = NewRequestId(),
                Transition = new Transition { Client = client, Kind = TransitionKind.ScaleUp, EffectiveDate = Date(2027, 1, 15), HandoverSummary = "More hours." },
            },
            deadline: Deadline(),
            cancellationToken: ct);
        var inFlight = Assert.Single(sent.Decisions, d => d.Recipient == "parties/dagbesteding-de-brug");
        Assert.Equal(RecipientOutcome.Content, inFlight.Outcome);

        var page = await BrowserKit.NewPageAsync(web);
        await page.GotoAsync("/inloggen");
        // The sign-in choices are one radio group: Tab reaches it, the arrow keys choose.
        await BrowserKit.TabToAsync(page, "Ahmed (Waakvlam Zorg)");
        await BrowserKit.ArrowToAsync(page, "Priya");
        Assert.True(await page.GetByLabel("Priya", new PageGetByLabelOptions { Exact = true }).IsCheckedAsync());
        await BrowserKit.TabToAsync(page, "Inloggen");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new PageGetByRoleOptions { Level = 1 })).ToHaveTextAsync("Wie weet wat over mij");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new PageGetByRoleOptions { Name = "Wie keek?" })).ToHaveCountAsync(1);
        await AssertPlainAsync(page);
        await BrowserKit.AssertAccessibleAsync(page, "client-overview");

        await BrowserKit.TabToAsync(page, "Kijk wat je goed vindt");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new PageGetByRoleOptions { Level = 1 })).ToHaveTextAsync("Wat vind ik goed");
        await Assertions.Expect(page.Locator("li.card")).ToContainTextAsync("Dagbesteding De Brug mag weten dat je overstapt.");
        await AssertPlainAsync(page);
        await BrowserKit.AssertAccessibleAsync(page, "client-consents");

        await BrowserKit.TabToAsync(page, "Stop dit voor Dagbesteding De Brug");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Gestopt. Dagbesteding De Brug krijgt hier niets meer over.");
        await Assertions.Expect(page.Locator("li.card")).ToContainTextAsync("Je hebt dit gestopt.");

        // Over gRPC: the transition that was in flight to De Brug is withheld, for the withdrawal.
        var withheld = await brug.Deliveries.ListDeliveriesAsync(new ListDeliveriesRequest { Status = DeliveryStatus.Withheld }, deadline: Deadline(), cancellationToken: ct);
        var delivery = Assert.Single(withheld.Deliveries, d => d.Name == inFlight.Delivery);
        Assert.Equal("CONSENT_WITHDRAWN", delivery.Decision.Reason);
    }

    [Fact]
    public async Task AfterHer18thBirthday_SanneSaysYesToHerParentsConsent_Herself_AndAsksForACorrection_WithTheKeyboard()
    {
        using var timeout = new CancellationTokenSource(Patience);
        var ct = timeout.Token;
        var sdd = web.Hub.As("sdd");
        var client = (await sdd.RegisterAsync(web.SanneBsn, Date(2008, 3, 14), "0505", ct)).Name;
        await sdd.Clients.CreateRepresentativeAsync(
            new CreateRepresentativeRequest { RequestId = NewRequestId(), Representative = new Representative { Client = client, Kind = RepresentationKind.ParentalAuthority, DisplayName = "Moeder", StartDate = Date(2008, 3, 14) } },
            deadline: Deadline(),
            cancellationToken: ct);
        var consent = new Consent
        {
            Client = client,
            GrantorRole = GrantorRole.Parent,
            RecipientParty = "parties/sdd",
            StartTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(new DateTimeOffset(2025, 9, 1, 0, 0, 0, TimeSpan.FromHours(2))),
            Purposes = { Purpose.IncomeAndParticipation },
            DataCategories = { DataCategory.Finances },
        };
        var parents = (await sdd.Consents.GrantConsentAsync(new GrantConsentRequest { RequestId = NewRequestId(), Consent = consent }, deadline: Deadline(), cancellationToken: ct)).Consent;
        Assert.Equal(ConsentState.AwaitingConfirmation, parents.State);

        var page = await BrowserKit.NewPageAsync(web);
        await BrowserKit.SignInAsync(page, "Sanne", "Wie weet wat over mij");
        await page.GotoAsync("/mij/toestemmingen");
        var card = page.Locator("li.card").Filter(new LocatorFilterOptions { HasText = "Sociale Dienst Drechtsteden" });
        await Assertions.Expect(card).ToContainTextAsync("Je ouder zei ja. Nu ben jij 18. Jij mag kiezen of het zo blijft.");
        await AssertPlainAsync(page);
        await BrowserKit.AssertAccessibleAsync(page, "client-confirm");
        await BrowserKit.TabToAsync(page, "Ja, dit mag van mij");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Gelukt. Sociale Dienst Drechtsteden mag dit nu omdat jij het goed vindt.");

        // Over gRPC, with Sanne's own token: the consent holds now.
        var own = await SelfAsync(web.SanneBsn).ListOwnConsentsAsync(new ListOwnConsentsRequest(), deadline: Deadline(), cancellationToken: ct);
        Assert.Equal(ConsentState.Active, Assert.Single(own.Consents, c => c.Name == parents.Name).State);

        // Something is not right: she asks, and the social service of her municipality gets the task (she has no coach).
        await page.GotoAsync("/mij");
        await BrowserKit.TabToAsync(page, "Iets anders");
        await BrowserKit.ArrowToAsync(page, "Iemand kreeg iets wat niet mocht");
        await BrowserKit.TabToAsync(page, "Stuur je vraag");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Je vraag is verstuurd. Je coach of je gemeente belt of mailt je.");
        await AssertPlainAsync(page);
        using (var tail = sdd.Tail(ct))
        {
            var received = await tail.CollectUntilQuietAsync(TimeSpan.FromSeconds(1), ct);
            var task = Assert.Single(received, d => d.Client == client && d.Task?.Kind == TaskKind.CorrectionRequested);
            Assert.Equal(CorrectionTopic.Shared, task.Task.CorrectionTopic);
        }

        // A client's pages are not a coach's.
        var coachPage = await page.GotoAsync("/coach");
        Assert.Equal(403, coachPage!.Status);
    }

    private SelfService.SelfServiceClient SelfAsync(string bsn)
    {
        using var key = LocalTokens.LoadOrCreateKey(web.Hub.DevelopmentIssuerKeyFile);
        var now = DateTimeOffset.UtcNow;
        var token = LocalTokens.MintCitizen(key, LocalTokens.DevelopmentIssuer, LocalTokens.DevelopmentCitizenAudience, bsn, now.AddMinutes(-1), now.AddMinutes(5));
        var invoker = web.Hub.Channel().Intercept(metadata =>
        {
            metadata.Add("authorization", "Bearer " + token);
            return metadata;
        });
        return new SelfService.SelfServiceClient(invoker);
    }

    /// <summary>The visible text of the page's main part reads easily (Flesch-Douma at least 70).</summary>
    private static async Task AssertPlainAsync(IPage page)
    {
        var text = await page.Locator("main").InnerTextAsync();
        var score = ReadingEase.FleschDouma(text);
        Assert.True(score >= PlainEnough, $"{page.Url} scores {score:F1} on reading ease (at least {PlainEnough}):\n{text}");
    }
}

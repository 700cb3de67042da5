using System.Text.RegularExpressions;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Ketenhub.Contracts;
using Ketenhub.Contracts.V1;
using Ketenhub.Hub.Host.Transport;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Integration;

/// <summary>The client access report (AVG article 15) through the real host, on scenario S1's client.</summary>
public sealed partial class AccessReportTests : IDisposable
{
    private const string Bsn = "111222333";
    private const string HandoverSummary = "Sanne works precisely and likes structure; she needs help with letters and money.";
    private readonly HubFactory _hub = new(new DateTimeOffset(2025, 9, 1, 9, 0, 0, TimeSpan.Zero));
    private GrpcChannel? _officerChannel;

    public void Dispose()
    {
        _officerChannel?.Dispose();
        _hub.Dispose();
    }

    /// <summary>S1 up to Sanne's 18th birthday: the school's transition, the mother's and Sanne's consents, coach Ahmed.</summary>
    private async Task<Client> SanneAsync()
    {
        var school = _hub.As("hans-petrischool");
        var waakvlam = _hub.As("waakvlam-zorg");
        var sdd = _hub.As("sdd");
        var client = await school.RegisterAsync(Bsn, Date(2008, 3, 14), "0642", "parties/hans-petrischool");
        await school.Clients.CreateRepresentativeAsync(new CreateRepresentativeRequest
        {
            RequestId = NewRequestId(),
            Representative = new Representative { Client = client.Name, Kind = RepresentationKind.ParentalAuthority, DisplayName = "Mw. De Jong", StartDate = Date(2008, 3, 14) },
        });
        await school.GrantAsync(client.Name, GrantorRole.Parent, "waakvlam-zorg", [Purpose.Coaching], [DataCategory.SupportPlan, DataCategory.ContactDetails]);
        await waakvlam.AssignCoachAsync(client.Name, "ahmed", "Ahmed");
        await waakvlam.DrainAsync(acknowledge: true);

        _hub.Clock.Advance(new DateTimeOffset(2026, 1, 10, 9, 0, 0, TimeSpan.Zero) - _hub.Clock.GetUtcNow());
        await school.Transitions.CreateTransitionAsync(new CreateTransitionRequest
        {
            RequestId = NewRequestId(),
            Transition = new Transition
            {
                Client = client.Name,
                Kind = TransitionKind.SchoolLeaver18,
                FromParty = "parties/hans-petrischool",
                ToParty = "parties/sdd",
                EffectiveDate = Date(2026, 7, 1),
                HandoverSummary = HandoverSummary,
                Referrals = { new Referral { Service = ServiceKind.ParticipationWork, Reason = "Work after school", LifeDomains = { LifeDomain.Work }, Performers = { new ReferralPerformer { Party = "parties/sdd" } } } },
            },
        });
        await waakvlam.DrainAsync(acknowledge: true);

        _hub.Clock.Advance(TimeSpan.FromDays(2));
        await waakvlam.GrantAsync(client.Name, GrantorRole.Client, "sdd", [Purpose.Transition, Purpose.IncomeAndParticipation], [DataCategory.SupportPlan, DataCategory.ContactDetails, DataCategory.Work]);
        await sdd.DrainAsync(acknowledge: true);
        await waakvlam.Clients.GetCareTeamAsync(new GetCareTeamRequest { Client = client.Name });
        return client;
    }

    [Fact]
    public async Task S1_CoachGetsTheReportInPlainDutch_NamingOrganisationsConsentsAndWhy()
    {
        var client = await SanneAsync();
        _hub.Clock.Advance(new DateTimeOffset(2026, 2, 2, 10, 0, 0, TimeSpan.Zero) - _hub.Clock.GetUtcNow());

        var report = (await _hub.As("waakvlam-zorg").Clients.GetClientAccessReportAsync(new GetClientAccessReportRequest { Client = client.Name })).Report;
        var text = report.Text;

        Assert.Equal(client.Name, report.Client);
        Assert.StartsWith("Wie weet wat over jou?", text, StringComparison.Ordinal);
        Assert.Contains("Overzicht van 2 februari 2026.", text, StringComparison.Ordinal);

        // Who received what, when and why.
        Assert.Contains("Op 10 januari 2026 kreeg Waakvlam Zorg informatie over je overstap na school. Dat mocht, omdat je ouder toestemming gaf op 1 september 2025.", text, StringComparison.Ordinal);
        Assert.Contains("Op 12 januari 2026 kreeg Sociale Dienst Drechtsteden informatie over je overstap na school. Dat mocht, omdat jij toestemming gaf op 12 januari 2026.", text, StringComparison.Ordinal);
        Assert.Contains("Op 12 januari 2026 kreeg Sociale Dienst Drechtsteden een aanvraag voor hulp bij werk.", text, StringComparison.Ordinal);
        Assert.Contains(report.Received, l => l.Party == "parties/sdd");
        Assert.Contains(report.Received, l => l.Party == "parties/waakvlam-zorg");

        // Who looked, and the consents that hold now.
        Assert.Contains("Waakvlam Zorg heeft", text, StringComparison.Ordinal);
        Assert.Equal(2, report.ActiveConsents.Count);
        Assert.Contains("Jij gaf Sociale Dienst Drechtsteden toestemming op 12 januari 2026. Zij mogen dit weten: je plan voor hulp, hoe ze je kunnen bereiken, werk. Dit is voor je overstap en voor inkomen en werk. Deze toestemming geldt nu.", text, StringComparison.Ordinal);
        Assert.Contains("Je ouder Mw. De Jong gaf Waakvlam Zorg toestemming op 1 september 2025.", text, StringComparison.Ordinal);

        // Plain language: no codes, no ids, no personal data, short sentences.
        Assert.DoesNotMatch(CodeLike(), text);
        Assert.DoesNotContain("clients/", text, StringComparison.Ordinal);
        Assert.DoesNotContain(Bsn, text, StringComparison.Ordinal);
        Assert.DoesNotContain("letters and money", text, StringComparison.Ordinal);
        var sentences = Sentence().Split(text.Replace("\n", " ", StringComparison.Ordinal)).Where(s => s.Trim().Length > 0).ToList();
        Assert.All(sentences, s => Assert.True(s.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length <= 20, "Too long for B1: " + s));
    }

    [Fact]
    public async Task S1_AfterEighteen_TheReportSaysWhatWaitsForSanne()
    {
        var client = await SanneAsync();
        _hub.Clock.Advance(new DateTimeOffset(2026, 3, 10, 9, 0, 0, TimeSpan.Zero) - _hub.Clock.GetUtcNow());
        await _hub.As("hans-petrischool").Transitions.CreateTransitionAsync(new CreateTransitionRequest
        {
            RequestId = NewRequestId(),
            Transition = new Transition { Client = client.Name, Kind = TransitionKind.SchoolLeaver18, ToParty = "parties/sdd", EffectiveDate = Date(2026, 7, 1), HandoverSummary = "Updated." },
        });
        _hub.Clock.Advance(new DateTimeOffset(2026, 3, 14, 6, 0, 0, TimeSpan.Zero) - _hub.Clock.GetUtcNow());
        await _hub.RunScheduledWorkAsync();
        await _hub.As("waakvlam-zorg").DrainAsync(acknowledge: true);

        var text = (await _hub.As("waakvlam-zorg").Clients.GetClientAccessReportAsync(new GetClientAccessReportRequest { Client = client.Name })).Report.Text;

        Assert.True(text.Contains("Het is nog niet gestuurd. Het wacht tot jij de toestemming van je ouder bevestigt.", StringComparison.Ordinal), text);
        Assert.Contains("Deze toestemming telt niet meer, omdat je 18 bent. Je kunt hem zelf bevestigen met je coach.", text, StringComparison.Ordinal);
        Assert.Contains("een taak voor je coach: samen met jou je toestemmingen bespreken", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OnlyTheCoach_APartyWithRoleAndConsent_OrThePrivacyOfficer_MayReadTheReport()
    {
        var client = await SanneAsync();
        var request = new GetClientAccessReportRequest { Client = client.Name };

        // SDD has no role before the effective date; the school has a role but no consent for coaching.
        await Errors.Expect(StatusCode.PermissionDenied, "ACCESS_REPORT_NOT_ALLOWED", () => _hub.As("sdd").Clients.GetClientAccessReportAsync(request).ResponseAsync);
        await Errors.Expect(StatusCode.PermissionDenied, "ACCESS_REPORT_NOT_ALLOWED", () => _hub.As("hans-petrischool").Clients.GetClientAccessReportAsync(request).ResponseAsync);
        await _hub.As("hans-petrischool").GrantAsync(client.Name, GrantorRole.Client, "hans-petrischool", [Purpose.Coaching], [DataCategory.Education]);
        Assert.NotEmpty((await _hub.As("hans-petrischool").Clients.GetClientAccessReportAsync(request)).Report.Text);

        _officerChannel = GrpcChannel.ForAddress(_hub.Server.BaseAddress, new GrpcChannelOptions { HttpHandler = _hub.Server.CreateHandler() });
        var officer = new ClientService.ClientServiceClient(_officerChannel.Intercept(m =>
        {
            m.Add(DevelopmentHeaders.Party, "begeleiding-plus");
            m.Add(Callers.RolesHeader, "privacy-officer");
            return m;
        }));
        Assert.Contains("Sociale Dienst Drechtsteden", (await officer.GetClientAccessReportAsync(request)).Report.Text, StringComparison.Ordinal);
        await Errors.Expect(StatusCode.PermissionDenied, "ACCESS_REPORT_NOT_ALLOWED", () => _hub.As("begeleiding-plus").Clients.GetClientAccessReportAsync(request).ResponseAsync);
    }

    // Contract codes such as CONSENT_ACTIVE or ids such as cns_0194…
    [GeneratedRegex(@"[A-Z]{2,}_[A-Z]|\b[a-z]{3}_[0-9a-f]{6,}")]
    private static partial Regex CodeLike();

    [GeneratedRegex(@"(?<=[.?!:])\s+")]
    private static partial Regex Sentence();
}

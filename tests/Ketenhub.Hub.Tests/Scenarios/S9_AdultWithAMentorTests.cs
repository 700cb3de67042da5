using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.HubTests.Integration;
using Ketenhub.Testing.InProcess;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Scenarios;

/// <summary>
/// S9 — An adult with a mentor (docs/scenarios.md). Joris (22, Dordrecht) has a mentor appointed by the court. The
/// mentor's consent counts once the mentorship is recorded, for what a mentor decides on; his parent's does not; and
/// when the mentorship ends, so does the consent.
/// </summary>
public sealed class S9_AdultWithAMentorTests : IDisposable
{
    private readonly HubFactory _hub = new(new DateTimeOffset(2026, 5, 4, 9, 0, 0, TimeSpan.Zero));

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task TheMentorsConsentCounts_WhileTheMentorshipIsRecorded_AndTheParentsDoesNot()
    {
        var sdd = _hub.As("sdd");
        var waakvlam = _hub.As("waakvlam-zorg");
        var client = await sdd.RegisterAsync(Kit.NewBsn(), Date(2004, 1, 9), "0505");
        await waakvlam.AssignCoachAsync(client.Name, "lisa", "Lisa", by: "sdd");

        // His father offers to consent: a parent does not decide for an adult.
        await Errors.Expect(StatusCode.FailedPrecondition, "GRANTOR_NOT_ALLOWED", () => Grant(sdd, client.Name, GrantorRole.Parent, [DataCategory.Health]));

        // A mentor's consent before the mentorship is recorded is refused: representation is recorded, not assumed.
        await Errors.Expect(StatusCode.FailedPrecondition, "NO_REPRESENTATION", () => Grant(sdd, client.Name, GrantorRole.Mentor, [DataCategory.Health]));
        Assert.Empty((await waakvlam.Consents.ListConsentsAsync(new ListConsentsRequest { Client = client.Name })).Consents);

        // SDD records the mentorship the court appointed.
        var mentorship = (await sdd.Clients.CreateRepresentativeAsync(new CreateRepresentativeRequest
        {
            RequestId = NewRequestId(),
            Representative = new Representative { Client = client.Name, Kind = RepresentationKind.Mentorship, DisplayName = "Mw. De Vries", StartDate = Date(2025, 9, 1) },
        })).Representative;
        Assert.True(mentorship.Current);
        Assert.Equal(("parties/sdd", "Mw. De Vries"), (mentorship.RecordedBy, mentorship.DisplayName));

        // A mentor decides on care, not on money.
        await Errors.Expect(StatusCode.InvalidArgument, "OUTSIDE_REPRESENTATION", () => Grant(sdd, client.Name, GrantorRole.Mentor, [DataCategory.Health, DataCategory.Finances]));

        // The mentor consents to the coach following up signals about his health: it counts, and names the mentorship.
        var consent = (await Grant(sdd, client.Name, GrantorRole.Mentor, [DataCategory.Health])).Consent;
        Assert.Equal((mentorship.Name, ConsentState.Active), (consent.Representative, consent.State));
        var signal = await sdd.Signals.CreateSignalAsync(new CreateSignalRequest
        {
            RequestId = NewRequestId(),
            Signal = new Signal { Client = client.Name, Kind = SignalKind.HealthCrisis, LifeDomain = LifeDomain.Care, Severity = SignalSeverity.Concern, Description = "Missed his medication twice." },
        });
        var toCoach = Assert.Single(signal.Decisions, d => d.Recipient == "parties/waakvlam-zorg");
        Assert.Equal((RecipientOutcome.Content, consent.Name), (toCoach.Outcome, toCoach.Consent));

        // The access report, for Joris with his coach, names his mentor.
        var report = (await waakvlam.Clients.GetClientAccessReportAsync(new GetClientAccessReportRequest { Client = client.Name })).Report;
        Assert.Contains("Je mentor Mw. De Vries gaf", report.Text, StringComparison.Ordinal);

        // The court ends the mentorship: the consent no longer counts, and the next signal gives a notice only.
        _hub.Clock.Advance(TimeSpan.FromDays(10));
        var ended = (await sdd.Clients.EndRepresentativeAsync(new EndRepresentativeRequest { RequestId = NewRequestId(), Client = client.Name, Name = mentorship.Name })).Representative;
        Assert.False(ended.Current);
        Assert.Equal(ConsentState.RepresentationEnded, Assert.Single((await waakvlam.Consents.ListConsentsAsync(new ListConsentsRequest { Client = client.Name })).Consents).State);
        var after = await sdd.Signals.CreateSignalAsync(new CreateSignalRequest
        {
            RequestId = NewRequestId(),
            Signal = new Signal { Client = client.Name, Kind = SignalKind.HealthCrisis, LifeDomain = LifeDomain.Care, Severity = SignalSeverity.Concern, Description = "Missed his medication again." },
        });
        Assert.Equal(RecipientOutcome.ThinNotice, Assert.Single(after.Decisions, d => d.Recipient == "parties/waakvlam-zorg").Outcome);

        // The journey records both steps; the list keeps the ended mentorship with its end date.
        await sdd.GrantAsync(client.Name, GrantorRole.Client, "waakvlam-zorg", [Purpose.Coaching], [DataCategory.SupportPlan]);
        var journey = await Kit.JourneyAsync(waakvlam, client.Name);
        Assert.Contains(journey, e => e.Type == JourneyEventType.RepresentativeRecorded && e.Resource == mentorship.Name && e.Detail == "MENTORSHIP");
        Assert.Contains(journey, e => e.Type == JourneyEventType.RepresentativeEnded && e.Resource == mentorship.Name);
        var listed = Assert.Single((await waakvlam.Clients.ListRepresentativesAsync(new ListRepresentativesRequest { Client = client.Name })).Representatives);
        Assert.Equal((false, Date(2026, 5, 14)), (listed.Current, listed.EndDate));
    }

    [Fact]
    public async Task ForAMinor_OnlyAParentWithRecordedAuthorityConsents_AndAStrangerRecordsNothing()
    {
        var school = _hub.As("hans-petrischool");
        var stranger = _hub.As("zorgboerderij-de-hoeve");
        var client = await school.RegisterAsync(Kit.NewBsn(), Date(2010, 6, 1), "0642", "parties/hans-petrischool");

        // Without recorded parental authority a parent's consent is refused: a parent without authority cannot consent.
        await Errors.Expect(StatusCode.FailedPrecondition, "NO_REPRESENTATION", () => Grant(school, client.Name, GrantorRole.Parent, [DataCategory.Health]));

        // A party without a relationship cannot record a representative.
        await Errors.Expect(StatusCode.PermissionDenied, "NO_ROLE_FOR_CLIENT", () => stranger.Clients.CreateRepresentativeAsync(new CreateRepresentativeRequest
        {
            RequestId = NewRequestId(),
            Representative = new Representative { Client = client.Name, Kind = RepresentationKind.ParentalAuthority, DisplayName = "A. Stranger", StartDate = Date(2010, 6, 1) },
        }).ResponseAsync);

        // Mentorship is for adults; parental authority for minors.
        var error = await Errors.Of(() => school.Clients.CreateRepresentativeAsync(new CreateRepresentativeRequest
        {
            RequestId = NewRequestId(),
            Representative = new Representative { Client = client.Name, Kind = RepresentationKind.Mentorship, DisplayName = "Dhr. Bakker", StartDate = Date(2026, 1, 1) },
        }).ResponseAsync);
        Assert.Equal(("INVALID_DATE", "representative.start_date"), (error.Reason, Assert.Single(error.Fields)));

        // The school records the mother's authority; her consent counts. Two parents with authority: name which one.
        var mother = (await school.Clients.CreateRepresentativeAsync(new CreateRepresentativeRequest
        {
            RequestId = NewRequestId(),
            Representative = new Representative { Client = client.Name, Kind = RepresentationKind.ParentalAuthority, DisplayName = "Mw. Jansen", StartDate = Date(2010, 6, 1) },
        })).Representative;
        Assert.Equal(ConsentState.Active, (await Grant(school, client.Name, GrantorRole.Parent, [DataCategory.Health])).Consent.State);
        await school.Clients.CreateRepresentativeAsync(new CreateRepresentativeRequest
        {
            RequestId = NewRequestId(),
            Representative = new Representative { Client = client.Name, Kind = RepresentationKind.ParentalAuthority, DisplayName = "Dhr. Jansen", StartDate = Date(2010, 6, 1) },
        });
        await Errors.Expect(StatusCode.InvalidArgument, "FIELD_REQUIRED", () => Grant(school, client.Name, GrantorRole.Parent, [DataCategory.Health]));
        var named = await Grant(school, client.Name, GrantorRole.Parent, [DataCategory.Health], mother.Name);
        Assert.Equal(mother.Name, named.Consent.Representative);

        // A stranger cannot read who represents the client either.
        await Errors.Expect(StatusCode.PermissionDenied, "NO_ROLE_FOR_CLIENT", () => stranger.Clients.ListRepresentativesAsync(new ListRepresentativesRequest { Client = client.Name }).ResponseAsync);
    }

    private static Task<GrantConsentResponse> Grant(PartyClient party, string client, GrantorRole grantor, DataCategory[] categories, string representative = "")
    {
        var consent = new Consent { Client = client, GrantorRole = grantor, RecipientParty = "parties/waakvlam-zorg", Purposes = { Purpose.SignalFollowUp }, DataCategories = { categories }, Representative = representative };
        return party.Consents.GrantConsentAsync(new GrantConsentRequest { RequestId = NewRequestId(), Consent = consent }).ResponseAsync;
    }
}

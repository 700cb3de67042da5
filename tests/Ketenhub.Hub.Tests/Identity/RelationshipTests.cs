using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using Ketenhub.HubTests.Integration;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Identity;

/// <summary>
/// A party gains a relationship with a client only through acts the hub can check (docs/security.md, "Who may do
/// what"): a school registering its own student, the social service or wijkteam of the client's municipality, a
/// provider through a referral from a party with a relationship or a transition that names it, the coach's
/// organisation through an assignment by one of those. A stranger that knows a BSN or a client's name gets no role,
/// no content, no facts and no journey; whoever registers a BSN first cannot fix the client's facts.
/// </summary>
public sealed class RelationshipTests : IDisposable
{
    private const string Stranger = "zorgboerderij-de-hoeve";
    private readonly HubFactory _hub = new(new DateTimeOffset(2026, 1, 10, 9, 0, 0, TimeSpan.Zero));

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task AStranger_TriesEveryPath_AndGetsNoRoleNoContentNoFactsNoJourney()
    {
        var school = _hub.As("hans-petrischool");
        var stranger = _hub.As(Stranger);

        // The school's student, with a referral and a signal of the school in her journey.
        var bsn = Kit.NewBsn();
        var student = await school.RegisterAsync(bsn, Date(2008, 3, 14), "0642", "parties/hans-petrischool");
        await school.Referrals.CreateReferralAsync(new CreateReferralRequest { RequestId = NewRequestId(), Referral = Kit.CareReferral(student.Name, "begeleiding-plus") });
        await school.Signals.CreateSignalAsync(Kit.Signal(student.Name, "Absent for two weeks.", SignalKind.SchoolAbsence, LifeDomain.Education));

        // 1. It names itself her first coach: no relationship, so no coach and no role.
        await Errors.Expect(StatusCode.PermissionDenied, "NO_ROLE_FOR_CLIENT", () =>
            stranger.Clients.AssignCoachAsync(new AssignCoachRequest { RequestId = NewRequestId(), Client = student.Name, Coach = Kit.Coach(Stranger, "x", "X") }).ResponseAsync);

        // 2. It records a "client" consent to itself for everything: refused.
        await Errors.Expect(StatusCode.PermissionDenied, "NO_ROLE_FOR_CLIENT", () =>
            stranger.GrantAsync(student.Name, GrantorRole.Client, Stranger, [Purpose.Coaching, Purpose.SignalFollowUp, Purpose.Transition], [DataCategory.SupportPlan, DataCategory.Education, DataCategory.Health]));

        // 3. It reads the client, the care team, the journey, the report and the access report: refused.
        await Errors.Expect(StatusCode.PermissionDenied, "NO_ROLE_FOR_CLIENT", () => stranger.Clients.GetClientAsync(new GetClientRequest { Name = student.Name }).ResponseAsync);
        await Errors.Expect(StatusCode.PermissionDenied, "NO_ROLE_FOR_CLIENT", () => stranger.Clients.GetCareTeamAsync(new GetCareTeamRequest { Client = student.Name }).ResponseAsync);
        await Errors.Expect(StatusCode.PermissionDenied, "NO_ROLE_FOR_CLIENT", () => stranger.Clients.ListJourneyEventsAsync(new ListJourneyEventsRequest { Client = student.Name }).ResponseAsync);
        await Errors.Expect(StatusCode.PermissionDenied, "NO_ROLE_FOR_CLIENT", () => stranger.Clients.GetClientReportAsync(new GetClientReportRequest { Client = student.Name }).ResponseAsync);
        await Errors.Expect(StatusCode.PermissionDenied, "ACCESS_REPORT_NOT_ALLOWED", () => stranger.Clients.GetClientAccessReportAsync(new GetClientAccessReportRequest { Client = student.Name }).ResponseAsync);

        // 4. It registers her BSN with made-up facts: refused, and nothing stored is in the answer.
        var squat = await Errors.Of(() => stranger.RegisterAsync(bsn, Date(1990, 1, 1), "0363"));
        Assert.Equal((StatusCode.FailedPrecondition, "CLIENT_FACTS_MISMATCH"), (squat.Code, squat.Reason));

        // 5. It registers her BSN with the right facts: the name (it knew the facts), but no school and no role.
        var lookedUp = await stranger.RegisterAsync(bsn, Date(2008, 3, 14), "0642");
        Assert.Equal(student.Name, lookedUp.Name);
        Assert.Equal(string.Empty, lookedUp.School);
        await Errors.Expect(StatusCode.PermissionDenied, "NO_ROLE_FOR_CLIENT", () => stranger.Clients.GetClientAsync(new GetClientRequest { Name = student.Name }).ResponseAsync);

        // 6. It refers her to itself and starts the care: no provider role from its own referral.
        var own = await stranger.Referrals.CreateReferralAsync(new CreateReferralRequest { RequestId = NewRequestId(), Referral = Kit.CareReferral(student.Name, Stranger, ServiceKind.DayActivities) });
        await stranger.Referrals.AcceptReferralAsync(new AcceptReferralRequest { RequestId = NewRequestId(), Name = own.Referral.Name });
        await stranger.Referrals.StartReferralAsync(new StartReferralRequest { RequestId = NewRequestId(), Name = own.Referral.Name, StartDate = Date(2026, 1, 10) });
        await Errors.Expect(StatusCode.PermissionDenied, "NO_ROLE_FOR_CLIENT", () => stranger.Clients.GetCareTeamAsync(new GetCareTeamRequest { Client = student.Name }).ResponseAsync);
        await Errors.Expect(StatusCode.PermissionDenied, "NO_ROLE_FOR_CLIENT", () =>
            stranger.GrantAsync(student.Name, GrantorRole.Client, Stranger, [Purpose.Coaching], [DataCategory.SupportPlan]));

        // 7. It announces a transition naming itself: refused.
        await Errors.Expect(StatusCode.PermissionDenied, "NO_ROLE_FOR_CLIENT", () =>
            stranger.Transitions.CreateTransitionAsync(new CreateTransitionRequest
            {
                RequestId = NewRequestId(),
                Transition = new Transition { Client = student.Name, Kind = TransitionKind.ProviderChange, ToParty = "parties/" + Stranger, EffectiveDate = Date(2026, 2, 1) },
            }).ResponseAsync);

        // 8. The school's next signal reaches the stranger with nothing, and the school still has her alone.
        await school.Signals.CreateSignalAsync(Kit.Signal(student.Name, "Absent again.", SignalKind.SchoolAbsence, LifeDomain.Education));
        Assert.DoesNotContain(await Kit.DeliveriesAsync(stranger), d => d.Client == student.Name && d.PayloadCase is not Delivery.PayloadOneofCase.None);
        var team = await school.Clients.GetCareTeamAsync(new GetCareTeamRequest { Client = student.Name });
        Assert.Equal(["parties/hans-petrischool"], team.CareTeam.Parties);
        Assert.Null(team.CareTeam.Coach);
    }

    [Fact]
    public async Task AProvidersSquat_DoesNotLockTheSchoolOut_TheSchoolsFactsReplaceIt_AndItsTransitionGoesThrough()
    {
        var school = _hub.As("hans-petrischool");
        var stranger = _hub.As(Stranger);
        var bsn = Kit.NewBsn();

        // The stranger registers the BSN first, with a made-up birth date and municipality: it gains nothing.
        var squatted = await stranger.RegisterAsync(bsn, Date(1990, 1, 1), "0363");
        await Errors.Expect(StatusCode.PermissionDenied, "NO_ROLE_FOR_CLIENT", () => stranger.Clients.GetClientAsync(new GetClientRequest { Name = squatted.Name }).ResponseAsync);

        // The school registers its real student: nobody with a relationship stood behind the made-up facts, so the
        // school's facts replace them and the school becomes the school of record.
        var real = await school.RegisterAsync(bsn, Date(2008, 3, 14), "0642", "parties/hans-petrischool");
        Assert.Equal(squatted.Name, real.Name);
        Assert.Equal((2008, 3, 14, "0642", "parties/hans-petrischool"), (real.BirthDate.Year, real.BirthDate.Month, real.BirthDate.Day, real.MunicipalityCode, real.School));

        // The school-leaver transition is accepted; the journey shows the correction by the school.
        await school.GrantAsync(real.Name, GrantorRole.Parent, "hans-petrischool", [Purpose.Coaching], [DataCategory.Education]);
        var transition = await school.Transitions.CreateTransitionAsync(new CreateTransitionRequest
        {
            RequestId = NewRequestId(),
            Transition = new Transition { Client = real.Name, Kind = TransitionKind.SchoolLeaver18, ToParty = "parties/sdd", EffectiveDate = Date(2026, 7, 1) },
        });
        Assert.Equal(real.Name, transition.Transition.Client);
        var journey = await Kit.JourneyAsync(school, real.Name);
        Assert.Contains(journey, e => e.Type == JourneyEventType.ClientFactsCorrected && e.Party == "parties/hans-petrischool" && e.Detail == "BIRTH_DATE MUNICIPALITY_CODE");

        // Now the facts are vouched for: the stranger's made-up facts are refused, not taken.
        await Errors.Expect(StatusCode.FailedPrecondition, "CLIENT_FACTS_MISMATCH", () => stranger.RegisterAsync(bsn, Date(1990, 1, 1), "0363"));
        var after = await school.Clients.GetClientAsync(new GetClientRequest { Name = real.Name });
        Assert.Equal((2008, "0642"), (after.Client.BirthDate.Year, after.Client.MunicipalityCode));
    }

    [Fact]
    public async Task AMismatch_IsAuditedAsARefusal_AndGivesTheCoachOneTask_WhoCorrectsTheFacts()
    {
        var coach = _hub.As("waakvlam-zorg");
        var stranger = _hub.As(Stranger);
        var bsn = Kit.NewBsn();
        var client = await coach.RegisterAsync(bsn, Date(1994, 11, 2), "0505");
        await coach.AssignCoachAsync(client.Name, "lisa", "Lisa");
        await coach.DrainAsync(acknowledge: true);

        // Twice with other facts: two refusals, one task for the coach's organisation, naming the client only.
        await Errors.Expect(StatusCode.FailedPrecondition, "CLIENT_FACTS_MISMATCH", () => stranger.RegisterAsync(bsn, Date(1994, 11, 3), "0505"));
        await Errors.Expect(StatusCode.FailedPrecondition, "CLIENT_FACTS_MISMATCH", () => stranger.RegisterAsync(bsn, Date(1994, 11, 2), "0642"));
        var tasks = (await coach.DrainAsync(acknowledge: true)).Where(d => d.Task?.Kind == TaskKind.CheckClientFacts).ToList();
        var task = Assert.Single(tasks);
        Assert.Equal([client.Name], task.Task.Resources);
        Assert.Equal("lisa", task.Task.Coach.CoachId);

        var officer = _hub.As("sdd", "officer-1", ["privacy-officer"]);
        var events = (await officer.Audit.ListAuditEventsAsync(new ListAuditEventsRequest { Client = client.Name, PageSize = 1000 })).AuditEvents;
        var refusals = events.Where(e => e.EventType == "RegisterClient" && e.Party == "parties/" + Stranger).ToList();
        Assert.Equal(2, refusals.Count);
        Assert.All(refusals, e => Assert.Equal((AuditOutcome.Refused, "CLIENT_FACTS_MISMATCH"), (e.Outcome, e.Reason)));

        // The stranger may not correct the facts; the coach's organisation may, and the journey records it.
        await Errors.Expect(StatusCode.PermissionDenied, "NO_ROLE_FOR_CLIENT", () =>
            stranger.Clients.CorrectClientFactsAsync(new CorrectClientFactsRequest { RequestId = NewRequestId(), Name = client.Name, MunicipalityCode = "0642" }).ResponseAsync);
        var corrected = await coach.Clients.CorrectClientFactsAsync(new CorrectClientFactsRequest { RequestId = NewRequestId(), Name = client.Name, MunicipalityCode = "0642" });
        Assert.Equal(("0642", 1994), (corrected.Client.MunicipalityCode, corrected.Client.BirthDate.Year));
        await coach.GrantAsync(client.Name, GrantorRole.Client, "waakvlam-zorg", [Purpose.Coaching], [DataCategory.ContactDetails]);
        Assert.Contains(await Kit.JourneyAsync(coach, client.Name), e => e.Type == JourneyEventType.ClientFactsCorrected && e.Party == "parties/waakvlam-zorg" && e.Detail == "MUNICIPALITY_CODE");

        // With the corrected facts the same registration matches: the stranger learns nothing it did not send.
        var matched = await stranger.RegisterAsync(bsn, Date(1994, 11, 2), "0642");
        Assert.Equal((client.Name, string.Empty), (matched.Name, matched.School));
    }

    [Fact]
    public async Task OnlyASchoolMakesItselfSchoolOfRecord_AndAProviderCannotNameTheFirstCoach_EvenWithARole()
    {
        var sdd = _hub.As("sdd");
        var plus = _hub.As("begeleiding-plus");

        await Errors.Expect(StatusCode.InvalidArgument, "SCHOOL_NOT_CALLER", () => sdd.RegisterAsync(Kit.NewBsn(), Date(2008, 5, 1), "0642", "parties/hans-petrischool"));
        await Errors.Expect(StatusCode.InvalidArgument, "SCHOOL_NOT_CALLER", () => _hub.As("de-sprong").RegisterAsync(Kit.NewBsn(), Date(2008, 5, 1), "0642", "parties/hans-petrischool"));

        // A provider with a role (care started on SDD's referral) may not name the first coach by default; SDD may.
        var client = await sdd.RegisterAsync(Kit.NewBsn(), Date(1990, 5, 1), "0505");
        var referral = await sdd.Referrals.CreateReferralAsync(new CreateReferralRequest { RequestId = NewRequestId(), Referral = Kit.CareReferral(client.Name, "begeleiding-plus") });
        await plus.Referrals.AcceptReferralAsync(new AcceptReferralRequest { RequestId = NewRequestId(), Name = referral.Referral.Name });
        await plus.Referrals.StartReferralAsync(new StartReferralRequest { RequestId = NewRequestId(), Name = referral.Referral.Name, StartDate = Date(2026, 1, 10) });
        var team = await plus.Clients.GetCareTeamAsync(new GetCareTeamRequest { Client = client.Name });
        Assert.Contains("parties/begeleiding-plus", team.CareTeam.Parties);
        await Errors.Expect(StatusCode.PermissionDenied, "FIRST_COACH_NOT_ALLOWED", () =>
            plus.Clients.AssignCoachAsync(new AssignCoachRequest { RequestId = NewRequestId(), Client = client.Name, Coach = Kit.Coach("begeleiding-plus", "kim", "Kim") }).ResponseAsync);
        var named = await sdd.Clients.AssignCoachAsync(new AssignCoachRequest { RequestId = NewRequestId(), Client = client.Name, Coach = Kit.Coach("begeleiding-plus", "kim", "Kim") });
        Assert.Equal("kim", named.CareTeam.Coach.CoachId);
    }

    [Fact]
    public async Task DatesBeforeBirth_BeyondTheHorizon_OrInTheWrongOrder_AreRefusedWithTheField_AndNothingIsStored()
    {
        var sdd = _hub.As("sdd");
        var plus = _hub.As("begeleiding-plus");
        var client = await sdd.RegisterAsync(Kit.NewBsn(), Date(2000, 6, 1), "0505");

        Task Transition(Google.Type.Date effective) => sdd.Transitions.CreateTransitionAsync(new CreateTransitionRequest
        {
            RequestId = NewRequestId(),
            Transition = new Transition { Client = client.Name, Kind = TransitionKind.ScaleUp, EffectiveDate = effective },
        }).ResponseAsync;

        var beforeBirth = await Errors.Of(() => Transition(Date(1999, 1, 1)));
        Assert.Equal((StatusCode.InvalidArgument, "INVALID_DATE", "transition.effective_date"), (beforeBirth.Code, beforeBirth.Reason, Assert.Single(beforeBirth.Fields)));
        var farAhead = await Errors.Of(() => Transition(Date(2199, 1, 1)));
        Assert.Equal(("INVALID_DATE", "transition.effective_date"), (farAhead.Reason, Assert.Single(farAhead.Fields)));
        var justOverTwoYears = await Errors.Of(() => Transition(Date(2028, 1, 11)));
        Assert.Equal("INVALID_DATE", justOverTwoYears.Reason);
        await Transition(Date(2028, 1, 10));

        // Care cannot start before birth or end before it started.
        var referral = await sdd.Referrals.CreateReferralAsync(new CreateReferralRequest { RequestId = NewRequestId(), Referral = Kit.CareReferral(client.Name, "begeleiding-plus") });
        await plus.Referrals.AcceptReferralAsync(new AcceptReferralRequest { RequestId = NewRequestId(), Name = referral.Referral.Name });
        var startBeforeBirth = await Errors.Of(() => plus.Referrals.StartReferralAsync(new StartReferralRequest { RequestId = NewRequestId(), Name = referral.Referral.Name, StartDate = Date(1990, 1, 1) }).ResponseAsync);
        Assert.Equal(("INVALID_DATE", "start_date"), (startBeforeBirth.Reason, Assert.Single(startBeforeBirth.Fields)));
        await plus.Referrals.StartReferralAsync(new StartReferralRequest { RequestId = NewRequestId(), Name = referral.Referral.Name, StartDate = Date(2026, 1, 5) });
        var endBeforeStart = await Errors.Of(() => plus.Referrals.EndReferralAsync(new EndReferralRequest { RequestId = NewRequestId(), Name = referral.Referral.Name, EndDate = Date(2026, 1, 4), ReasonCode = "01" }).ResponseAsync);
        Assert.Equal(("INVALID_DATE", "end_date"), (endBeforeStart.Reason, Assert.Single(endBeforeStart.Fields)));

        // A consent cannot start before the client was born.
        var consent = new Consent { Client = client.Name, GrantorRole = GrantorRole.Client, RecipientParty = "parties/sdd", StartTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(new DateTimeOffset(1999, 1, 1, 0, 0, 0, TimeSpan.Zero)) };
        consent.Purposes.Add(Purpose.Transition);
        consent.DataCategories.Add(DataCategory.SupportPlan);
        var consentBeforeBirth = await Errors.Of(() => sdd.Consents.GrantConsentAsync(new GrantConsentRequest { RequestId = NewRequestId(), Consent = consent }).ResponseAsync);
        Assert.Equal(("INVALID_DATE", "consent.start_time"), (consentBeforeBirth.Reason, Assert.Single(consentBeforeBirth.Fields)));

        // Nothing of the refused calls was stored: the referral started on its own date and is not ended, no consent.
        var performer = (await plus.Referrals.GetReferralAsync(new GetReferralRequest { Name = referral.Referral.Name })).Referral.Performers.Single();
        Assert.Equal((PerformerStatus.Started, 5), (performer.Status, performer.StartDate.Day));
        Assert.Empty((await plus.Consents.ListConsentsAsync(new ListConsentsRequest { Client = client.Name })).Consents);
    }
}

using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.HubTests.Integration;
using Ketenhub.Hub.Storage;
using Ketenhub.Testing.InProcess;
using Microsoft.Extensions.DependencyInjection;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Identity;

/// <summary>
/// The client's own calls (<c>SelfService</c>): the hub checks the citizen's token itself and maps its BSN to the client;
/// a client reaches only their own data; a forged, foreign or party token is refused there, and a citizen's token
/// anywhere else; withdrawing a consent oneself withholds what is in flight, exactly as a party's withdrawal.
/// </summary>
public sealed class SelfServiceTests : IDisposable
{
    private readonly HubFactory _hub = new(new DateTimeOffset(2026, 4, 1, 9, 0, 0, TimeSpan.Zero));

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task TheClientWithdrawsTheirOwnConsent_AndWhatIsInFlightIsWithheld()
    {
        var (bsn, client, consent) = await PriyaAsync();
        var brug = _hub.As("dagbesteding-de-brug");
        var sdd = _hub.As("sdd");
        var transition = await sdd.Transitions.CreateTransitionAsync(new CreateTransitionRequest
        {
            RequestId = NewRequestId(),
            Transition = new Transition { Client = client, Kind = TransitionKind.ScaleUp, EffectiveDate = Date(2026, 5, 1), HandoverSummary = "Handover notes." },
        });
        var inFlight = Assert.Single(transition.Decisions, d => d.Recipient == "parties/dagbesteding-de-brug");
        Assert.Equal(RecipientOutcome.Content, inFlight.Outcome);

        var self = _hub.AsCitizen(bsn);
        var own = await self.ListOwnConsentsAsync(new ListOwnConsentsRequest());
        var listed = Assert.Single(own.Consents);
        Assert.Equal(consent, listed.Name);
        Assert.Equal(string.Empty, listed.Client);
        Assert.Equal(ConsentState.Active, listed.State);

        var withdrawn = await self.WithdrawOwnConsentAsync(new WithdrawOwnConsentRequest { RequestId = NewRequestId(), Name = consent });

        Assert.Equal(ConsentState.Withdrawn, withdrawn.Consent.State);
        Assert.Equal(1, withdrawn.WithheldDeliveries);
        var withheld = Assert.Single((await brug.Deliveries.ListDeliveriesAsync(new ListDeliveriesRequest { Status = DeliveryStatus.Withheld })).Deliveries);
        Assert.Equal(inFlight.Delivery, withheld.Name);
        Assert.Equal("CONSENT_WITHDRAWN", withheld.Decision.Reason);
        Assert.DoesNotContain(await brug.DrainAsync(), d => d.PayloadCase == Delivery.PayloadOneofCase.Transition);

        // The journey says it happened, without naming a party; a repeat with the same request id changes nothing.
        var journey = await _hub.Services.GetRequiredService<IHubStore>().ReadAsync(s => s.GetJourney(client["clients/".Length..], 0, 100));
        Assert.Contains(journey, e => e.Type == Ketenhub.Hub.Common.JourneyEventType.ConsentWithdrawn && e.PartyId.Length == 0 && e.Resource == consent);
        await Errors.Expect(StatusCode.FailedPrecondition, "CONSENT_ALREADY_WITHDRAWN", () => self.WithdrawOwnConsentAsync(new WithdrawOwnConsentRequest { RequestId = NewRequestId(), Name = consent }).ResponseAsync);
    }

    [Fact]
    public async Task AClientNeverReachesAnotherClientsConsent_NorSeesIt()
    {
        var (_, _, priyasConsent) = await PriyaAsync();
        var sdd = _hub.As("sdd");
        var otherBsn = Kit.NewBsn();
        var other = await sdd.RegisterAsync(otherBsn, Date(2001, 2, 3), "0590");
        var othersConsent = await sdd.GrantAsync(other.Name, GrantorRole.Client, "sdd", [Purpose.IncomeAndParticipation], [DataCategory.Finances]);

        var self = _hub.AsCitizen(otherBsn);

        Assert.Equal([othersConsent.Name], (await self.ListOwnConsentsAsync(new ListOwnConsentsRequest())).Consents.Select(c => c.Name));
        await Errors.Expect(StatusCode.NotFound, "CONSENT_NOT_FOUND", () => self.WithdrawOwnConsentAsync(new WithdrawOwnConsentRequest { RequestId = NewRequestId(), Name = priyasConsent }).ResponseAsync);
        var report = (await self.GetOwnAccessReportAsync(new GetOwnAccessReportRequest())).Report;
        Assert.Equal(string.Empty, report.Client);
        Assert.DoesNotContain(priyasConsent, report.ToString(), StringComparison.Ordinal);
        Assert.Contains(report.ActiveConsents, l => l.Party == "parties/sdd");
    }

    [Fact]
    public async Task ForgedForeignAndPartyTokens_AreRefused_AndACitizensTokenOpensNothingElse()
    {
        var (bsn, client, _) = await PriyaAsync();
        using var stranger = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var list = (SelfService.SelfServiceClient self) => self.ListOwnConsentsAsync(new ListOwnConsentsRequest()).ResponseAsync;

        // Signed with another key; from another issuer; for another audience: invalid. A party's own valid token proves
        // no citizen.
        await Errors.Expect(StatusCode.Unauthenticated, "TOKEN_INVALID", () => list(_hub.SelfWith(_hub.CitizenToken(bsn, key: stranger))));
        await Errors.Expect(StatusCode.Unauthenticated, "TOKEN_INVALID", () => list(_hub.SelfWith(_hub.CitizenToken(bsn, issuer: "https://elsewhere.example"))));
        await Errors.Expect(StatusCode.Unauthenticated, "TOKEN_INVALID", () => list(_hub.SelfWith(_hub.CitizenToken(bsn, audience: "api://ketenhub-test"))));
        await Errors.Expect(StatusCode.Unauthenticated, "CALLER_UNKNOWN", () => list(_hub.SelfWith(_hub.Token("sdd"))));
        await Errors.Expect(StatusCode.Unauthenticated, "CALLER_UNKNOWN", () => _hub.WithMetadata("citizen", []).Self.ListOwnConsentsAsync(new ListOwnConsentsRequest()).ResponseAsync);

        // A valid token of a person the hub holds nothing about; a token whose BSN fails the elfproef.
        await Errors.Expect(StatusCode.NotFound, "CLIENT_NOT_FOUND", () => list(_hub.AsCitizen(Kit.NewBsn())));
        await Errors.Expect(StatusCode.Unauthenticated, "TOKEN_INVALID", () => list(_hub.SelfWith(_hub.CitizenToken("123456789"))));

        // A citizen's token is no party's: the party services refuse it.
        var asParty = _hub.WithMetadata("sdd", new Metadata { { "authorization", "Bearer " + _hub.CitizenToken(bsn) } });
        await Errors.Expect(StatusCode.Unauthenticated, "TOKEN_INVALID", () => asParty.Consents.ListConsentsAsync(new ListConsentsRequest { Client = client }).ResponseAsync);
    }

    [Fact]
    public async Task AConnectionThatKeepsSendingBadCitizensTokens_IsRateLimited_LikeAnyUnknownCaller()
    {
        using var hub = new HubFactory();
        hub.With("Hub:Limits:UnknownCallers:Burst", "2").With("Hub:Limits:UnknownCallers:PermitsPerSecond", "0.001");
        using var stranger = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var forged = hub.SelfWith(hub.CitizenToken(Kit.NewBsn(), key: stranger));

        await Errors.Expect(StatusCode.Unauthenticated, "TOKEN_INVALID", () => forged.ListOwnConsentsAsync(new ListOwnConsentsRequest()).ResponseAsync);
        await Errors.Expect(StatusCode.Unauthenticated, "TOKEN_INVALID", () => forged.ListOwnConsentsAsync(new ListOwnConsentsRequest()).ResponseAsync);
        await Errors.Expect(StatusCode.ResourceExhausted, "RATE_LIMITED", () => forged.ListOwnConsentsAsync(new ListOwnConsentsRequest()).ResponseAsync);
    }

    [Fact]
    public async Task TheAdultClientConfirmsAParentsConsentThemselves()
    {
        var sdd = _hub.As("sdd");
        var bsn = Kit.NewBsn();
        var client = await sdd.RegisterAsync(bsn, Date(2008, 3, 14), "0590");
        await sdd.EnsureRepresentativeAsync(client.Name, GrantorRole.Parent, new DateOnly(2025, 9, 1));
        var parents = (await sdd.Consents.GrantConsentAsync(new GrantConsentRequest
        {
            RequestId = NewRequestId(),
            Consent = new Consent
            {
                Client = client.Name,
                GrantorRole = GrantorRole.Parent,
                RecipientParty = "parties/sdd",
                StartTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(new DateTimeOffset(2025, 9, 1, 0, 0, 0, TimeSpan.FromHours(2))),
                Purposes = { Purpose.IncomeAndParticipation },
                DataCategories = { DataCategory.Finances },
            },
        })).Consent;
        Assert.Equal(ConsentState.AwaitingConfirmation, parents.State);

        var confirmed = await _hub.AsCitizen(bsn).ConfirmOwnConsentAsync(new ConfirmOwnConsentRequest { RequestId = NewRequestId(), Name = parents.Name });

        Assert.Equal(ConsentState.Active, confirmed.Consent.State);
        Assert.Equal(ConsentState.Active, Assert.Single((await _hub.AsCitizen(bsn).ListOwnConsentsAsync(new ListOwnConsentsRequest())).Consents).State);
    }

    [Fact]
    public async Task AClientsRequestForACorrection_BecomesATaskForTheCoach_WithItsTopic_Once()
    {
        var waakvlam = _hub.As("waakvlam-zorg");
        var bsn = Kit.NewBsn();
        var client = await waakvlam.RegisterAsync(bsn, Date(2001, 1, 21), "0610");
        await waakvlam.AssignCoachAsync(client.Name, "ahmed", "Ahmed");
        var self = _hub.AsCitizen(bsn);

        var asked = await self.RequestCorrectionAsync(new RequestCorrectionRequest { RequestId = NewRequestId(), Topic = CorrectionTopic.Shared });

        Assert.Equal(["parties/waakvlam-zorg"], asked.Asked);
        var task = Assert.Single(await waakvlam.DrainAsync());
        Assert.Equal(TaskKind.CorrectionRequested, task.Task.Kind);
        Assert.Equal(CorrectionTopic.Shared, task.Task.CorrectionTopic);
        Assert.Equal("ahmed", task.Task.Coach.CoachId);
        Assert.Equal([client.Name], task.Task.Resources);
        var open = Assert.Single((await waakvlam.Caseload.ListCaseloadEntriesAsync(new ListCaseloadEntriesRequest())).Entries).OpenTasks;
        Assert.Equal(TaskKind.CorrectionRequested, Assert.Single(open).Kind);

        // Asking again about the same while the task is open adds nothing; a topic is required.
        await self.RequestCorrectionAsync(new RequestCorrectionRequest { RequestId = NewRequestId(), Topic = CorrectionTopic.Shared });
        Assert.Single((await waakvlam.Caseload.ListCaseloadEntriesAsync(new ListCaseloadEntriesRequest())).Entries.Single().OpenTasks);
        await Errors.Expect(StatusCode.InvalidArgument, "FIELD_REQUIRED", () => self.RequestCorrectionAsync(new RequestCorrectionRequest { RequestId = NewRequestId() }).ResponseAsync);
    }

    /// <summary>Priya (S3): day activities at De Brug on SDD's referral, with her consent for De Brug to receive transitions.</summary>
    private async Task<(string Bsn, string Client, string Consent)> PriyaAsync()
    {
        var brug = _hub.As("dagbesteding-de-brug");
        var sdd = _hub.As("sdd");
        var bsn = Kit.NewBsn();
        var client = await sdd.RegisterAsync(bsn, Date(1999, 6, 30), "0590");
        var referral = await sdd.Referrals.CreateReferralAsync(new CreateReferralRequest
        {
            RequestId = NewRequestId(),
            Referral = new Referral { Client = client.Name, Service = ServiceKind.DayActivities, Reason = "Structure in the week", Performers = { new ReferralPerformer { Party = "parties/dagbesteding-de-brug" } } },
        });
        await brug.Referrals.AcceptReferralAsync(new AcceptReferralRequest { RequestId = NewRequestId(), Name = referral.Referral.Name });
        await brug.Referrals.StartReferralAsync(new StartReferralRequest { RequestId = NewRequestId(), Name = referral.Referral.Name, StartDate = Date(2026, 4, 1) });
        var consent = await sdd.GrantAsync(client.Name, GrantorRole.Client, "dagbesteding-de-brug", [Purpose.Transition], [DataCategory.SupportPlan, DataCategory.ContactDetails]);
        await brug.DrainAsync(acknowledge: true);
        return (bsn, client.Name, consent.Name);
    }
}

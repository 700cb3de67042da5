using System.Text.Json;
using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using Ketenhub.HubTests.Integration;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Push;

/// <summary>
/// Push delivery to a FHIR partner that is a real FHIR implementation (Medplum's router and in-memory repository in a
/// Node process), which validates every resource, runs each Bundle as a transaction and honours conditional creates and
/// updates. The partner is started once for the class and emptied before each test; each test has its own hub.
/// </summary>
public sealed class FhirPushTests(FhirPartner partner) : IClassFixture<FhirPartner>, IAsyncLifetime
{
    private const string Hub = "https://ketenhub.test/id/";
    private const string Performer = "begeleiding-plus";

    /// <summary>A care provider without a legal need for the BSN: it knows the client by its pseudonym only.</summary>
    private const string NoBsn = "zorgboerderij-de-hoeve";

    /// <summary>The client's coach's organisation, which receives the signals.</summary>
    private const string Coach = PushKit.CoachParty;
    private HubFactory _hub = null!;

    public async Task InitializeAsync()
    {
        await partner.ResetAsync();

        _hub = new HubFactory();
    }

    public Task DisposeAsync()
    {
        _hub.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task ThePartner_IsARealFhirServer_ItRefusesABundleWithAnInvalidResourceWhole_AndHonoursConditionalCreates()
    {
        const string patient = """{"fullUrl":"urn:uuid:0f8f2a3c-0000-4000-8000-000000000001","resource":{"resourceType":"Patient","identifier":[{"system":"https://partner.test/p","value":"1"}]},"request":{"method":"POST","url":"Patient","ifNoneExist":"identifier=https://partner.test/p|1"}}""";
        static string Flag(string status) => """{"fullUrl":"urn:uuid:0f8f2a3c-0000-4000-8000-000000000002","resource":{"resourceType":"Flag","status":"STATUS","code":{"text":"x"},"subject":{"reference":"urn:uuid:0f8f2a3c-0000-4000-8000-000000000001"}},"request":{"method":"POST","url":"Flag"}}""".Replace("STATUS", status, StringComparison.Ordinal);
        static string Bundle(params string[] entries) => """{"resourceType":"Bundle","type":"transaction","entry":[""" + string.Join(',', entries) + "]}";

        // A code outside the required value set: refused with an OperationOutcome, and the valid Patient before it is not kept.
        var (status, body) = await partner.PostAsync(Bundle(patient, Flag("bogus")));
        Assert.Equal(400, status);
        Assert.Contains("OperationOutcome", body, StringComparison.Ordinal);
        Assert.Contains("required value set", body, StringComparison.Ordinal);
        Assert.Empty(await partner.CountsAsync());

        // Valid, twice: the conditional create keeps one Patient; the unconditional Flag is stored twice.
        Assert.Equal(200, (await partner.PostAsync(Bundle(patient, Flag("active")))).Status);
        Assert.Equal(200, (await partner.PostAsync(Bundle(patient, Flag("active")))).Status);
        var counts = await partner.CountsAsync();
        Assert.Equal(1, counts["Patient"]);
        Assert.Equal(2, counts["Flag"]);
    }

    [Fact]
    public async Task AReferral_IsStoredAtTheFhirPartner_AsAServiceRequestWithATaskForThePerformer_AndAPatientWithTheBsn()
    {
        var (sdd, client, bsn) = await ArrangeAsync();

        var (referral, delivery) = await ReferAsync(sdd, client.Name);
        await UntilAcknowledgedAsync(delivery);

        var referralId = referral["referrals/".Length..];
        var serviceRequest = await partner.SingleAsync($"ServiceRequest?identifier={Hub}referrals|{referralId}");
        Assert.Equal("active", serviceRequest.GetProperty("status").GetString());
        Assert.Equal("order", serviceRequest.GetProperty("intent").GetString());

        // The Patient the partner keeps: the BSN (begeleiding-plus has a legal need for it) and its own name for the client.
        var patient = await partner.SingleAsync($"Patient?identifier=http://fhir.nl/fhir/NamingSystem/bsn|{bsn}");
        var patientReference = "Patient/" + patient.GetProperty("id").GetString();
        Assert.Contains(Identifiers(patient), i => i == $"{Hub}clients|{_hub.NameAt(Performer, client.Name)["clients/".Length..]}");
        Assert.DoesNotContain(Identifiers(patient), i => i.Contains(client.Name["clients/".Length..], StringComparison.Ordinal));
        Assert.Equal(patientReference, serviceRequest.GetProperty("subject").GetProperty("reference").GetString());

        // One Task for the performer, owned by its Organization (AGB), focused on the ServiceRequest.
        var task = await partner.SingleAsync($"Task?identifier={Hub}referral-tasks|{referralId}/{Performer}");
        Assert.Equal("requested", task.GetProperty("status").GetString());
        Assert.Equal("ServiceRequest/" + serviceRequest.GetProperty("id").GetString(), task.GetProperty("focus").GetProperty("reference").GetString());
        var owner = await partner.SingleAsync("Organization?identifier=http://fhir.nl/fhir/NamingSystem/agb-z|98000002");
        Assert.Equal("Organization/" + owner.GetProperty("id").GetString(), task.GetProperty("owner").GetProperty("reference").GetString());
        Assert.Equal(patientReference, task.GetProperty("for").GetProperty("reference").GetString());

        var counts = await partner.CountsAsync();
        Assert.Equal(1, counts["Patient"]);
        Assert.Equal(1, counts["ServiceRequest"]);
        Assert.Equal(1, counts["Task"]);
    }

    [Fact]
    public async Task ALostAnswer_AfterThePartnerCommitted_IsSentAgain_AndCreatesNothingTwice()
    {
        var (sdd, client, _) = await ArrangeAsync();
        await partner.FailNextAsync(FhirFault.CommitThenDrop);

        var first = await ReferAsync(sdd, client.Name);
        await UntilAcknowledgedAsync(first.Delivery);
        var second = await ReferAsync(sdd, client.Name);
        await UntilAcknowledgedAsync(second.Delivery);

        // The first Bundle arrived twice (its first answer was lost) and both times committed.
        var requests = await partner.RequestsAsync();
        Assert.Equal(["commit-then-drop", null, null], requests.Where(r => r.Method == "POST").Select(r => r.Fault));
        Assert.All(requests.Where(r => r.Method == "POST"), r => Assert.Equal(200, r.Status));

        // Yet each referral is there once, with one Task each, and one Patient for the client.
        foreach (var referral in new[] { first.Referral, second.Referral })
        {
            var id = referral["referrals/".Length..];
            await partner.SingleAsync($"ServiceRequest?identifier={Hub}referrals|{id}");
            await partner.SingleAsync($"Task?identifier={Hub}referral-tasks|{id}/{Performer}");
        }

        var counts = await partner.CountsAsync();
        Assert.Equal(2, counts["ServiceRequest"]);
        Assert.Equal(2, counts["Task"]);
        Assert.Equal(1, counts["Patient"]);

        // The HTTP retry within the first attempt sent the Bundle again: one attempt each.
        var acknowledged = await PushKit.ListAsync(_hub, Performer, DeliveryStatus.Acknowledged);
        Assert.Equal(1, acknowledged.Single(d => d.Name == first.Delivery).AttemptCount);
        Assert.Equal(1, acknowledged.Single(d => d.Name == second.Delivery).AttemptCount);
    }

    [Fact]
    public async Task ASignal_IsStoredAtTheCoachsFhirPartner_AsAFlagWithTheCommunicationAboutIt()
    {
        var (sdd, client, bsn) = await ArrangeAsync(null, Coach);
        var consent = await _hub.As(Coach).GrantAsync(client.Name, GrantorRole.Client, Coach, [Purpose.SignalFollowUp], [DataCategory.Finances]);

        var signal = await RaiseAsync(sdd, client.Name);
        await UntilAcknowledgedAtAsync(Coach, signal.Delivery);

        // The consent that allowed the content goes with it: active, permitting the coach's organisation the purpose and category.
        var fhirConsent = await partner.SingleAsync($"Consent?identifier={Hub}consents|{consent.Name["consents/".Length..]}");
        Assert.Equal("active", fhirConsent.GetProperty("status").GetString());
        var provision = fhirConsent.GetProperty("provision");
        Assert.Equal("permit", provision.GetProperty("type").GetString());
        var coachOrganisation = await partner.SingleAsync($"Organization?identifier={Hub}parties|{Coach}");
        Assert.Equal("Organization/" + coachOrganisation.GetProperty("id").GetString(), provision.GetProperty("actor")[0].GetProperty("reference").GetProperty("reference").GetString());

        var signalId = signal.Signal["signals/".Length..];
        var flag = await partner.SingleAsync($"Flag?identifier={Hub}signals|{signalId}");
        Assert.Equal("active", flag.GetProperty("status").GetString());
        var communication = await partner.SingleAsync($"Communication?identifier={Hub}signal-communications|{signalId}");
        Assert.Equal("Flag/" + flag.GetProperty("id").GetString(), communication.GetProperty("about")[0].GetProperty("reference").GetString());
        Assert.Equal("Two months of arrears on rent.", communication.GetProperty("payload")[0].GetProperty("contentString").GetString());
        var patient = await partner.SingleAsync($"Patient?identifier=http://fhir.nl/fhir/NamingSystem/bsn|{bsn}");
        Assert.Equal("Patient/" + patient.GetProperty("id").GetString(), flag.GetProperty("subject").GetProperty("reference").GetString());

        // The coach, as the hub knows it: Practitioner, PractitionerRole at waakvlam-zorg, and the client's CareTeam.
        var practitioner = await partner.SingleAsync($"Practitioner?identifier={Hub}coaches|{Coach}/lisa");
        Assert.Equal("Lisa", practitioner.GetProperty("name")[0].GetProperty("text").GetString());
        await partner.SingleAsync($"PractitionerRole?identifier={Hub}coach-roles|{Coach}/lisa");
        await partner.SingleAsync($"CareTeam?identifier={Hub}care-teams|{_hub.NameAt(Coach, client.Name)["clients/".Length..]}");
    }

    [Fact]
    public async Task ASignalWithoutConsent_ReachesTheCoachsFhirPartner_AsAContentFreeNotice()
    {
        var (sdd, client, _) = await ArrangeAsync(null, Coach);

        var response = await sdd.Signals.CreateSignalAsync(Kit.Signal(client.Name));
        var decision = Assert.Single(response.Decisions, d => d.Recipient == "parties/" + Coach);
        Assert.Equal(RecipientOutcome.ThinNotice, decision.Outcome);
        await UntilAcknowledgedAtAsync(Coach, decision.Delivery);

        var notice = await partner.SingleAsync("Communication?_count=100");
        Assert.Contains(notice.GetProperty("category").EnumerateArray(), c => c.GetProperty("coding")[0].GetProperty("code").GetString() == "thin-notice");
        Assert.False(notice.TryGetProperty("payload", out _));
        Assert.DoesNotContain("arrears", notice.GetRawText(), StringComparison.OrdinalIgnoreCase);
        Assert.False((await partner.CountsAsync()).ContainsKey("Flag"));
        Assert.False((await partner.CountsAsync()).ContainsKey("Consent"));

        // Once the client consents, the next signal arrives with its content.
        await _hub.As(Coach).GrantAsync(client.Name, GrantorRole.Client, Coach, [Purpose.SignalFollowUp], [DataCategory.Finances]);
        var signal = await RaiseAsync(sdd, client.Name);
        await UntilAcknowledgedAtAsync(Coach, signal.Delivery);
        await partner.SingleAsync($"Flag?identifier={Hub}signals|{signal.Signal["signals/".Length..]}");
        Assert.Equal(2, (await partner.CountsAsync())["Communication"]);
    }

    [Fact]
    public async Task ATransition_WaitsForConsent_ThenIsStoredAtTheFhirPartnerOfTheNewProvider_WithTheReferralItMade()
    {
        var (_, client, bsn) = await ArrangeAsync();
        var coach = _hub.As(Coach);
        var scaleUp = await coach.Transitions.CreateTransitionAsync(new CreateTransitionRequest
        {
            RequestId = NewRequestId(),
            Transition = new Transition
            {
                Client = client.Name,
                Kind = TransitionKind.ScaleUp,
                FromParty = "parties/" + Coach,
                ToParty = "parties/" + Performer,
                EffectiveDate = Date(2026, 2, 10),
                HandoverSummary = "Needs help with administration.",
                Referrals = { new Referral { Service = ServiceKind.IndividualGuidance, Reason = "Debts growing", LifeDomains = { LifeDomain.Finances }, Performers = { new ReferralPerformer { Party = "parties/" + Performer } } } },
            },
        });
        var referral = Assert.Single(scaleUp.ReferralDecisions).Referral;
        var referralDelivery = Assert.Single(Assert.Single(scaleUp.ReferralDecisions).Decisions, d => d.Recipient == "parties/" + Performer).Delivery;
        var transition = Assert.Single(scaleUp.Decisions, d => d.Recipient == "parties/" + Performer);
        Assert.Equal(RecipientOutcome.AwaitingConsent, transition.Outcome);

        // The referral goes at once; the transition waits for the client's consent, and nothing of it reaches the partner.
        await UntilAcknowledgedAsync(referralDelivery);
        var transitionId = scaleUp.Transition.Name["transitions/".Length..];
        Assert.Empty(await partner.SearchAsync($"Task?identifier={Hub}transitions|{transitionId}"));
        Assert.Single(await partner.RequestsAsync(), r => r.Method == "POST");

        // The client consents to the transition: the hub releases the delivery and pushes it.
        await coach.GrantAsync(client.Name, GrantorRole.Client, Performer, [Purpose.Transition], [DataCategory.ContactDetails, DataCategory.SupportPlan, DataCategory.Finances]);
        await UntilAcknowledgedAsync(transition.Delivery);

        // The transition: its Task and EpisodeOfCare owned by the new provider, and the referral it made.
        var transitionTask = await partner.SingleAsync($"Task?identifier={Hub}transitions|{transitionId}");
        var episode = await partner.SingleAsync($"EpisodeOfCare?identifier={Hub}transition-episodes|{transitionId}");
        var owner = await partner.SingleAsync("Organization?identifier=http://fhir.nl/fhir/NamingSystem/agb-z|98000002");
        Assert.Equal("Organization/" + owner.GetProperty("id").GetString(), transitionTask.GetProperty("owner").GetProperty("reference").GetString());
        Assert.Equal("Organization/" + owner.GetProperty("id").GetString(), episode.GetProperty("managingOrganization").GetProperty("reference").GetString());
        var referralId = referral["referrals/".Length..];
        await partner.SingleAsync($"ServiceRequest?identifier={Hub}referrals|{referralId}");
        await partner.SingleAsync($"Task?identifier={Hub}referral-tasks|{referralId}/{Performer}");

        // However many Bundles named the client, the partner keeps one Patient and one care team.
        var patient = await partner.SingleAsync($"Patient?identifier=http://fhir.nl/fhir/NamingSystem/bsn|{bsn}");
        Assert.Equal("Patient/" + patient.GetProperty("id").GetString(), episode.GetProperty("patient").GetProperty("reference").GetString());
        var counts = await partner.CountsAsync();
        Assert.Equal(1, counts["Patient"]);
        Assert.Equal(1, counts["CareTeam"]);
        Assert.Equal(1, counts["ServiceRequest"]);
        Assert.Equal(2, counts["Task"]);
    }

    [Fact]
    public async Task AStrictMedplumServer_TakesReferralsTransitionsAndSignals_AndARedeliveryCreatesNothingTwice()
    {
        // Medplum's own rule: a transaction with a conditional entry may have at most 8 entries.
        await partner.StrictAsync();
        _hub.With("Hub:Push:BreakerMinimumThroughput", "1000");
        var (sdd, client, _) = await ArrangeAsync(Performer, Performer, Coach);
        var coach = _hub.As(Coach);
        await coach.GrantAsync(client.Name, GrantorRole.Client, Coach, [Purpose.SignalFollowUp], [DataCategory.Finances]);
        await coach.GrantAsync(client.Name, GrantorRole.Client, Performer, [Purpose.Transition], [DataCategory.ContactDetails, DataCategory.SupportPlan, DataCategory.Finances]);

        // A referral, whose answer is lost once: the hub sends it again.
        await partner.FailNextAsync(FhirFault.CommitThenDrop);
        var (referral, referralDelivery) = await ReferAsync(sdd, client.Name);
        var signal = await RaiseAsync(sdd, client.Name);
        var scaleUp = await coach.Transitions.CreateTransitionAsync(new CreateTransitionRequest
        {
            RequestId = NewRequestId(),
            Transition = new Transition
            {
                Client = client.Name,
                Kind = TransitionKind.ScaleUp,
                FromParty = "parties/" + Coach,
                ToParty = "parties/" + Performer,
                EffectiveDate = Date(2026, 2, 10),
                HandoverSummary = "Needs help with administration.",
                Referrals = { new Referral { Service = ServiceKind.IndividualGuidance, Reason = "Debts growing", LifeDomains = { LifeDomain.Finances }, Performers = { new ReferralPerformer { Party = "parties/" + Performer } } } },
            },
        });
        var transition = Assert.Single(scaleUp.Decisions, d => d.Recipient == "parties/" + Performer).Delivery;

        await UntilAcknowledgedAsync(referralDelivery, transition);
        await UntilAcknowledgedAtAsync(Coach, signal.Delivery);

        Assert.Empty(await PushKit.ListAsync(_hub, Performer, DeliveryStatus.SetAside));
        Assert.Empty(await PushKit.ListAsync(_hub, Coach, DeliveryStatus.SetAside));
        Assert.DoesNotContain(await partner.RequestsAsync(), r => r.Status == 400);
        await partner.SingleAsync($"ServiceRequest?identifier={Hub}referrals|{referral["referrals/".Length..]}");
        await partner.SingleAsync($"Task?identifier={Hub}transitions|{scaleUp.Transition.Name["transitions/".Length..]}");
        await partner.SingleAsync($"Flag?identifier={Hub}signals|{signal.Signal["signals/".Length..]}");
        var counts = await partner.CountsAsync();
        Assert.Equal(2, counts["ServiceRequest"]);
        Assert.Equal(2, counts["Patient"]); // one per recipient: each knows the client by its own pseudonym
    }

    [Fact]
    public async Task APartyWithoutALegalNeed_GetsAPatientWithThePseudonym_AndNoBsn()
    {
        var (sdd, client, bsn) = await ArrangeAsync(NoBsn);

        var (_, delivery) = await ReferAsync(sdd, client.Name, NoBsn);
        await UntilAcknowledgedAtAsync(NoBsn, delivery);

        var patients = await partner.SearchAsync("Patient?_count=100");
        var patient = Assert.Single(patients);
        var identifiers = Identifiers(patient).ToList();
        Assert.DoesNotContain(identifiers, i => i.StartsWith("http://fhir.nl/fhir/NamingSystem/bsn|", StringComparison.Ordinal));
        Assert.DoesNotContain(bsn, patient.GetRawText(), StringComparison.Ordinal);
        var pseudonym = Assert.Single(identifiers, i => i.StartsWith(Hub + "client-pseudonyms|", StringComparison.Ordinal));
        Assert.NotEqual(Hub + "client-pseudonyms|" + bsn, pseudonym);
        Assert.Empty(await partner.SearchAsync($"Patient?identifier=http://fhir.nl/fhir/NamingSystem/bsn|{bsn}"));
    }

    [Fact]
    public async Task ServerErrors_DroppedConnections_Hangs_AndALostAnswer_LoseNothing_AndDuplicateNothing()
    {
        _hub.With("Hub:MaxDeliveryAttempts", "10");
        var (sdd, client, _) = await ArrangeAsync();
        FhirFault[] faults = [FhirFault.ServerError, FhirFault.Drop, FhirFault.Hang, FhirFault.CommitThenDrop, FhirFault.ServerError, FhirFault.Hang, FhirFault.Drop];
        await partner.FailNextAsync(faults);

        var referrals = new List<(string Referral, string Delivery)>();
        for (var i = 0; i < 4; i++)
        {
            referrals.Add(await ReferAsync(sdd, client.Name));
        }

        await UntilAcknowledgedAsync(referrals.Select(r => r.Delivery).ToArray());

        // Every fault was met, and the partner saw them in the order queued, then only successes.
        Assert.Equal(0, await partner.PendingFaultsAsync());
        var posts = (await partner.RequestsAsync()).Where(r => r.Method == "POST").ToList();
        Assert.Equal(faults.Select(f => f.Kind), posts.Take(faults.Length).Select(p => p.Fault));
        Assert.All(posts.Skip(faults.Length), p => Assert.Equal(200, p.Status));

        // Each referral stored once, in the order sent, though one Bundle committed twice.
        foreach (var (referral, _) in referrals)
        {
            var id = referral["referrals/".Length..];
            await partner.SingleAsync($"ServiceRequest?identifier={Hub}referrals|{id}");
            await partner.SingleAsync($"Task?identifier={Hub}referral-tasks|{id}/{Performer}");
        }

        var counts = await partner.CountsAsync();
        Assert.Equal(4, counts["ServiceRequest"]);
        Assert.Equal(4, counts["Task"]);
        Assert.Equal(1, counts["Patient"]);
        var stored = (await partner.SearchAsync("ServiceRequest?_count=100&_sort=_lastUpdated"))
            .Select(r => r.GetProperty("identifier")[0].GetProperty("value").GetString()).ToList();
        Assert.Equal(referrals.Select(r => r.Referral["referrals/".Length..]), stored);
        Assert.Empty(await PushKit.ListAsync(_hub, Performer, DeliveryStatus.SetAside));
    }

    [Fact]
    public async Task TooManyRequests_WithRetryAfter_TheHubWaitsAsLongAsThePartnerAsked()
    {
        await partner.FailNextAsync(FhirFault.TooManyRequests(45));
        var (sdd, client, _) = await ArrangeAsync();

        var (referral, delivery) = await ReferAsync(sdd, client.Name);
        var seen = new List<DateTimeOffset>();
        await PushKit.UntilAsync(
            _hub,
            async () =>
            {
                var posts = (await partner.RequestsAsync()).Count(r => r.Method == "POST");
                while (seen.Count < posts)
                {
                    seen.Add(_hub.Clock.GetUtcNow());
                }

                return (await PushKit.ListAsync(_hub, Performer, DeliveryStatus.Acknowledged)).Any(d => d.Name == delivery);
            },
            failure: () => partner.Errors);

        // The second request can land between a look's count and its check for the acknowledgement: count once more (the
        // clock has not moved since, so it is noticed no earlier than it was made).
        var logged = (await partner.RequestsAsync()).Count(r => r.Method == "POST");
        while (seen.Count < logged)
        {
            seen.Add(_hub.Clock.GetUtcNow());
        }

        Assert.Equal(2, seen.Count);
        // The clock moves in steps of 200 ms between looks at the partner, so the first request may be noticed one
        // step after it was made (the hub's wait started then); the second cannot come before the 45 s are over.
        Assert.True(seen[1] - seen[0] >= TimeSpan.FromSeconds(45) - TimeSpan.FromMilliseconds(200), $"The second request came {seen[1] - seen[0]} after the first.");
        Assert.Equal(2, (await PushKit.ListAsync(_hub, Performer, DeliveryStatus.Acknowledged)).Single(d => d.Name == delivery).AttemptCount);
        await partner.SingleAsync($"ServiceRequest?identifier={Hub}referrals|{referral["referrals/".Length..]}");
    }

    [Fact]
    public async Task APartnersRefusal_SetsTheDeliveryAside_StoresNothingOfIt_AndAReplayDeliversItOnceThePartnerTakesIt()
    {
        var (sdd, client, _) = await ArrangeAsync();

        // The partner does not take ServiceRequests: the referral's Bundle is refused whole, its Patient, Organizations,
        // coach and Task included.
        await partner.RefuseAsync("ServiceRequest");
        var refused = await ReferAsync(sdd, client.Name);
        await PushKit.UntilAsync(_hub, async () => (await PushKit.ListAsync(_hub, Performer, DeliveryStatus.SetAside)).Any(d => d.Name == refused.Delivery));

        var setAside = Assert.Single(await PushKit.ListAsync(_hub, Performer, DeliveryStatus.SetAside));
        Assert.Equal("REJECTED:HTTP_400:not-supported", setAside.StatusReason);
        Assert.Equal(1, setAside.AttemptCount);
        Assert.Equal([400], (await partner.RequestsAsync()).Where(r => r.Method == "POST").Select(p => p.Status));
        Assert.Contains("This partner does not take ServiceRequest resources", partner.Errors, StringComparison.Ordinal);
        Assert.Empty(await partner.CountsAsync());

        // The partner takes them again: the next referral goes through, and an administrator replays the refused one.
        await partner.RefuseAsync();
        var next = await ReferAsync(sdd, client.Name);
        await UntilAcknowledgedAsync(next.Delivery);
        var admin = _hub.As("sdd", "beheer", ["admin"]);
        var replay = await admin.Deliveries.ReplayDeliveryAsync(new ReplayDeliveryRequest { Name = refused.Delivery, RequestId = NewRequestId() });
        Assert.Equal(DeliveryStatus.Pending, replay.Status);
        await UntilAcknowledgedAsync(refused.Delivery);

        await partner.SingleAsync($"ServiceRequest?identifier={Hub}referrals|{refused.Referral["referrals/".Length..]}");
        var counts = await partner.CountsAsync();
        Assert.Equal(2, counts["ServiceRequest"]);
        Assert.Equal(2, counts["Task"]);
        Assert.Equal(1, counts["Patient"]);
        Assert.Empty(await PushKit.ListAsync(_hub, Performer, DeliveryStatus.SetAside));
    }

    /// <summary>
    /// Starts the hub with <paramref name="pushed"/> on channel FHIR to the partner, and registers a client coached at
    /// waakvlam-zorg who consents to <paramref name="recipient"/> receiving referrals (null: no consent); returns its BSN too.
    /// </summary>
    private Task<(PartyClient Sdd, Client Client, string Bsn)> ArrangeAsync(string? recipient = Performer, params string[] pushed) =>
        _hub.ArrangePushAsync("FHIR", partner.Base, recipient, null, pushed.Length == 0 ? [recipient ?? Performer] : pushed);

    private Task UntilAcknowledgedAsync(params string[] deliveries) => UntilAcknowledgedAtAsync(Performer, deliveries);

    private Task UntilAcknowledgedAtAsync(string recipient, params string[] deliveries) =>
        PushKit.UntilAcknowledgedAsync(
            _hub,
            recipient,
            deliveries,
            failure: () => partner.Errors + "\n" + string.Join("\n", PushKit.ListAsync(_hub, recipient, DeliveryStatus.Unspecified).GetAwaiter().GetResult()
                .Select(d => $"{d.Name} {d.PayloadCase} {d.Status} {d.StatusReason} attempts {d.AttemptCount}")));

    private static async Task<(string Signal, string Delivery)> RaiseAsync(PartyClient sdd, string client)
    {
        var response = await sdd.Signals.CreateSignalAsync(Kit.Signal(client));
        var decision = Assert.Single(response.Decisions, d => d.Recipient == "parties/" + Coach);
        Assert.Equal(RecipientOutcome.Content, decision.Outcome);
        return (response.Signal.Name, decision.Delivery);
    }

    private static IEnumerable<string> Identifiers(JsonElement resource) =>
        resource.GetProperty("identifier").EnumerateArray().Select(i => i.GetProperty("system").GetString() + "|" + i.GetProperty("value").GetString());

    private static Task<(string Referral, string Delivery)> ReferAsync(PartyClient sdd, string client, string performer = Performer) =>
        PushKit.ReferAsync(sdd, client, performer);
}

using System.Text.Json.Nodes;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Ketenhub.Contracts;
using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using Ketenhub.HubTests.Integration;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Inbound;

/// <summary>
/// Partners on FHIR R4 through the real host: a Task update steps a referral as the calling performer, a Bundle with a
/// ServiceRequest creates and routes a referral, and every refusal is a coded OperationOutcome with nothing stored.
/// </summary>
public sealed class FhirInboundTests : IDisposable
{
    private const string Fhir = "application/fhir+json";
    private const string Hub = "http://localhost/";
    private readonly HubFactory _hub = InboundKit.Hub();
    private readonly PartyClient _sdd;
    private readonly PartyClient _waakvlam;

    public FhirInboundTests()
    {
        _sdd = _hub.As("sdd");
        _waakvlam = _hub.As("waakvlam-zorg");
    }

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task A_task_update_accepts_the_referral_as_the_performer_and_the_requester_hears_of_it()
    {
        var (_, referral) = await ReferralToAsync("begeleiding-plus");
        using var requester = _sdd.Tail();

        var answer = await _hub.Http("begeleiding-plus").SendAsync(HttpMethod.Put, "/fhir/r4/Task/t-1", TaskJson(referral, "accepted"), Fhir);

        Assert.Equal(200, answer.Status);
        Assert.Equal(Fhir, answer.ContentType);
        // FHIR's update answers with the resource: the Task at the id it was put at.
        var answered = JsonNode.Parse(answer.Body)!;
        Assert.Equal(("Task", "t-1", "accepted"), (answered["resourceType"]!.GetValue<string>(), answered["id"]!.GetValue<string>(), answered["status"]!.GetValue<string>()));
        Assert.Equal(PerformerStatus.Accepted, (await ReadAsync(referral)).Performers.Single().Status);
        var update = await Kit.NextOfKind(requester, Delivery.PayloadOneofCase.ReferralUpdate);
        Assert.Equal((referral, PerformerStatus.Accepted, "parties/begeleiding-plus"), (update.ReferralUpdate.Referral, update.ReferralUpdate.Status, update.ReferralUpdate.Performer));

        // The same audit event as a gRPC accept: the partner as the party, the adapter's request id, the performer check.
        var auditor = new AuditService.AuditServiceClient(_hub.AnonymousChannel().Intercept(metadata =>
        {
            metadata.Add(DevelopmentHeaders.Party, "sdd");
            metadata.Add("ketenhub-roles", "privacy-officer");
            return metadata;
        }));
        var events = (await auditor.ListAuditEventsAsync(new ListAuditEventsRequest { PageSize = 1000 })).AuditEvents;
        var accepted = Assert.Single(events, e => e.EventType == "ReferralAccept");
        Assert.Equal(("parties/begeleiding-plus", AuditOutcome.Success), (accepted.Party, accepted.Outcome));
        Assert.StartsWith("fhir-", accepted.RequestId, StringComparison.Ordinal);
        Assert.Contains(referral, accepted.Resources);
        Assert.Contains(accepted.Checks, c => c.Kind == AuditCheckKind.Authorisation);
    }

    [Fact]
    public async Task Task_updates_decline_with_a_reason_or_start_and_end_the_referral()
    {
        var (client, declined) = await ReferralToAsync("begeleiding-plus");
        var (_, stepped) = await ReferralToAsync("begeleiding-plus", client);
        var plus = _hub.Http("begeleiding-plus");

        Assert.Equal(200, (await plus.SendAsync(HttpMethod.Put, "/fhir/r4/Task/t-1", TaskJson(declined, "rejected", reason: "03"), Fhir)).Status);
        Assert.Equal(200, (await plus.SendAsync(HttpMethod.Put, "/fhir/r4/Task/t-2", TaskJson(stepped, "accepted"), Fhir)).Status);
        Assert.Equal(200, (await plus.SendAsync(HttpMethod.Put, "/fhir/r4/Task/t-2", TaskJson(stepped, "in-progress", start: "2026-01-12"), Fhir)).Status);
        Assert.Equal(200, (await plus.SendAsync(HttpMethod.Put, "/fhir/r4/Task/t-2", TaskJson(stepped, "completed", reason: "01", end: "2026-03-06"), Fhir)).Status);

        var decline = (await ReadAsync(declined)).Performers.Single();
        Assert.Equal((PerformerStatus.Declined, "03"), (decline.Status, decline.ReasonCode));
        var ended = (await ReadAsync(stepped)).Performers.Single();
        Assert.Equal((PerformerStatus.Ended, "01", Date(2026, 1, 12), Date(2026, 3, 6)), (ended.Status, ended.ReasonCode, ended.StartDate, ended.EndDate));
        var journey = await Kit.JourneyAsync(_waakvlam, client);
        Assert.Equal(
            [JourneyEventType.ReferralRequested, JourneyEventType.ReferralAccepted, JourneyEventType.ReferralStarted, JourneyEventType.ReferralEnded],
            journey.Where(e => e.Resource == stepped).Select(e => e.Type));
        Assert.All(journey.Where(e => e.Type != JourneyEventType.ReferralRequested && (e.Resource == stepped || e.Resource == declined)), e => Assert.Equal("parties/begeleiding-plus", e.Party));
    }

    [Fact]
    public async Task The_same_task_update_sent_twice_has_one_effect_and_the_same_answer()
    {
        var (client, referral) = await ReferralToAsync("begeleiding-plus");
        var plus = _hub.Http("begeleiding-plus");
        var message = TaskJson(referral, "accepted");

        var first = await plus.SendAsync(HttpMethod.Put, "/fhir/r4/Task/t-1", message, Fhir);
        var again = await plus.SendAsync(HttpMethod.Put, "/fhir/r4/Task/t-1", message, Fhir);

        Assert.Equal((200, first.Body), (again.Status, again.Body));
        var journey = await Kit.JourneyAsync(_waakvlam, client);
        Assert.Single(journey, e => e.Resource == referral && e.Type == JourneyEventType.ReferralAccepted);
        Assert.Single(await _sdd.DrainAsync(), d => d.PayloadCase == Delivery.PayloadOneofCase.ReferralUpdate);
    }

    [Fact]
    public async Task A_bundle_with_a_service_request_creates_the_referral_and_routes_it_to_the_performer()
    {
        var client = await NewClientAsync();
        var bundle = ReferralBundle(client, "V-2026-118", performerAgb: "98000002");

        var answer = await _hub.Http("waakvlam-zorg").SendAsync(HttpMethod.Post, "/fhir/r4", bundle, Fhir);

        Assert.Equal(201, answer.Status);

        // One response entry per request entry, in order: Patient and Organization are context, the ServiceRequest was
        // created, at the id the hub writes the referral's ServiceRequest at in its own Bundles.
        var entries = JsonNode.Parse(answer.Body)!["entry"]!.AsArray();
        Assert.Equal(["200 OK", "200 OK", "201 Created"], entries.Select(e => e!["response"]!["status"]!.GetValue<string>()));
        var entry = entries[2]!["response"]!;
        var referral = entry["outcome"]!["issue"]![0]!["details"]!["text"]!.GetValue<string>();
        Assert.StartsWith("referrals/", referral, StringComparison.Ordinal);
        Assert.Equal("ServiceRequest/" + Ketenhub.Adapters.Fhir.ResourceIds.Of("ServiceRequest", Hub + "id/referrals", referral["referrals/".Length..]), entry["location"]!.GetValue<string>());
        Assert.Null(entries[0]!["response"]!["location"]);
        var created = await ReadAsync(referral, _waakvlam);
        Assert.Equal((client, ServiceKind.IndividualGuidance, "parties/begeleiding-plus"), (created.Client, created.Service, created.Performers.Single().Party));
        var performer = _hub.As("begeleiding-plus");
        var toPerformer = Assert.Single(await performer.DrainAsync(acknowledge: true), d => d.PayloadCase == Delivery.PayloadOneofCase.Referral);
        Assert.Equal(referral, toPerformer.Referral.Name);
        var recorded = (await Kit.DeliveriesAsync(performer, client: client)).Select(d => (d.Name, d.Status)).ToList();
        Assert.Contains((toPerformer.Name, DeliveryStatus.Acknowledged), recorded);

        // The partner's resend is the same request: the same referral, nothing new.
        var again = await _hub.Http("waakvlam-zorg").SendAsync(HttpMethod.Post, "/fhir/r4", bundle, Fhir);
        Assert.Equal((201, answer.Body), (again.Status, again.Body));
        Assert.DoesNotContain(await performer.DrainAsync(), d => d.PayloadCase == Delivery.PayloadOneofCase.Referral);
        Assert.Equal(recorded, (await Kit.DeliveriesAsync(performer, client: client)).Select(d => (d.Name, d.Status)));
    }

    [Fact]
    public async Task A_service_request_with_a_product_code_volume_and_end_date_creates_the_referral_with_them_and_an_invalid_one_stores_nothing()
    {
        var client = await NewClientAsync();
        var http = _hub.Http("waakvlam-zorg");

        var answer = await http.SendAsync(HttpMethod.Post, "/fhir/r4", Scoped(ReferralBundle(client, "V-2026-150", performerAgb: "98000002"), "02A01", "2026-06-30"), Fhir);

        Assert.Equal(201, answer.Status);
        var referral = JsonNode.Parse(answer.Body)!["entry"]![2]!["response"]!["outcome"]!["issue"]![0]!["details"]!["text"]!.GetValue<string>();
        var created = await ReadAsync(referral, _waakvlam);
        Assert.Equal(
            ("02A01", new SupportVolume { Quantity = 6, Unit = VolumeUnit.Hour, Frequency = VolumeFrequency.PerWeek }, new Google.Type.Date { Year = 2026, Month = 6, Day = 30 }),
            (created.ProductCode, created.Volume, created.RequestedEndDate));
        var toPerformer = Assert.Single(await _hub.As("begeleiding-plus").DrainAsync(acknowledge: true), d => d.PayloadCase == Delivery.PayloadOneofCase.Referral);
        Assert.Equal(("02A01", VolumeUnit.Hour), (toPerformer.Referral.ProductCode, toPerformer.Referral.Volume.Unit));

        // Refused by the adapter at the element (a product code of six characters), and by the hub (an end date before
        // the hub's today): each a coded OperationOutcome, neither value quoted, no referral made.
        var tooLong = await http.SendAsync(HttpMethod.Post, "/fhir/r4", Scoped(ReferralBundle(client, "V-2026-151", performerAgb: "98000002"), "02A01X", "2026-06-30"), Fhir);
        var past = await http.SendAsync(HttpMethod.Post, "/fhir/r4", Scoped(ReferralBundle(client, "V-2026-152", performerAgb: "98000002"), "02A01", "2025-12-31"), Fhir);

        var (reason, fields) = InboundKit.OutcomeOf(tooLong.Body);
        Assert.Equal((400, "FIELD_TOO_LONG"), (tooLong.Status, reason));
        Assert.Equal(["ServiceRequest.code.coding[1].code"], fields);
        Assert.Equal((400, "INVALID_DATE"), (past.Status, InboundKit.OutcomeOf(past.Body).Reason));
        Assert.DoesNotContain("02A01X", tooLong.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("2025-12-31", past.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(await _hub.As("begeleiding-plus").DrainAsync(), d => d.PayloadCase == Delivery.PayloadOneofCase.Referral);
    }

    /// <summary>The ServiceRequest of <paramref name="bundle"/> with a product code, 6 hours a week and an end date.</summary>
    private static string Scoped(string bundle, string productCode, string end)
    {
        var json = JsonNode.Parse(bundle)!;
        var sr = json["entry"]![2]!["resource"]!;
        sr["code"]!["coding"]!.AsArray().Add(new JsonObject { ["system"] = "https://ketenhub.nl/fhir/CodeSystem/product-code", ["code"] = productCode });
        sr["quantityRatio"] = new JsonObject
        {
            ["numerator"] = new JsonObject { ["value"] = 6, ["unit"] = "hour", ["system"] = "http://unitsofmeasure.org", ["code"] = "h" },
            ["denominator"] = new JsonObject { ["value"] = 1, ["unit"] = "week", ["system"] = "http://unitsofmeasure.org", ["code"] = "wk" },
        };
        sr["occurrencePeriod"] = new JsonObject { ["end"] = end };
        return json.ToJsonString();
    }

    [Fact]
    public async Task A_subject_named_by_bsn_is_resolved_for_a_party_with_a_relationship_and_a_snomed_service_code_is_mapped()
    {
        var bsn = Kit.NewBsn();
        var client = await _waakvlam.RegisterAsync(bsn, Date(1994, 11, 2), "0505");
        await _waakvlam.AssignCoachAsync(client.Name, "lisa", "Lisa");

        // waakvlam-zorg coaches the client: its BSN names the client, as its own client name would.
        var answer = await _hub.Http("waakvlam-zorg").SendAsync(HttpMethod.Post, "/fhir/r4", ReferralBundle(client.Name, "V-2026-200", performerAgb: "98000002", bsn: bsn, snomed: "310207003"), Fhir);

        Assert.Equal(201, answer.Status);
        var referral = JsonNode.Parse(answer.Body)!["entry"]![2]!["response"]!["outcome"]!["issue"]![0]!["details"]!["text"]!.GetValue<string>();
        var created = await ReadAsync(referral, _waakvlam);
        Assert.Equal((client.Name, ServiceKind.ShelteredHousing), (created.Client, created.Service));
    }

    [Fact]
    public async Task A_bsn_the_hub_does_not_know_and_one_of_a_client_the_party_has_nothing_to_do_with_get_the_same_refusal()
    {
        var bsn = Kit.NewBsn();
        var client = await _waakvlam.RegisterAsync(bsn, Date(1994, 11, 2), "0505");
        await _waakvlam.AssignCoachAsync(client.Name, "lisa", "Lisa");
        var plus = _hub.Http("begeleiding-plus");

        var unrelated = await plus.SendAsync(HttpMethod.Post, "/fhir/r4", ReferralBundle(client.Name, "V-2026-201", performerAgb: "98000001", bsn: bsn), Fhir);
        var unknown = await plus.SendAsync(HttpMethod.Post, "/fhir/r4", ReferralBundle(client.Name, "V-2026-202", performerAgb: "98000001", bsn: Kit.NewBsn()), Fhir);
        var invalid = await plus.SendAsync(HttpMethod.Post, "/fhir/r4", ReferralBundle(client.Name, "V-2026-203", performerAgb: "98000001", bsn: "123456789"), Fhir);

        var (reason, fields) = InboundKit.OutcomeOf(unrelated.Body);
        Assert.Equal((404, "CLIENT_NOT_FOUND"), (unrelated.Status, reason));
        Assert.Equal(["ServiceRequest.subject"], fields);
        Assert.Equal((unrelated.Status, unrelated.Body), (unknown.Status, unknown.Body));
        Assert.Equal((400, "INVALID_BSN"), (invalid.Status, InboundKit.OutcomeOf(invalid.Body).Reason));
        Assert.DoesNotContain(bsn, unrelated.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("123456789", invalid.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_party_that_is_not_the_performer_is_refused_and_nothing_changes()
    {
        var (_, referral) = await ReferralToAsync("begeleiding-plus");

        // waakvlam-zorg speaks FHIR too, but has no part in the referral: the hub's own authorisation answers that it
        // does not exist (docs/errors.md, "Not found or not allowed").
        var answer = await _hub.Http("waakvlam-zorg").SendAsync(HttpMethod.Put, "/fhir/r4/Task/t-1", TaskJson(referral, "accepted"), Fhir);

        Assert.Equal(404, answer.Status);
        Assert.Equal("REFERRAL_NOT_FOUND", InboundKit.OutcomeOf(answer.Body).Reason);
        Assert.Equal(PerformerStatus.Requested, (await ReadAsync(referral)).Performers.Single().Status);

        // A Task whose owner names another party is refused by the adapter before the hub.
        var owned = await _hub.Http("waakvlam-zorg").SendAsync(HttpMethod.Put, "/fhir/r4/Task/t-1", TaskJson(referral, "accepted", owner: "begeleiding-plus"), Fhir);
        Assert.Equal((403, "NOT_A_PERFORMER"), (owned.Status, InboundKit.OutcomeOf(owned.Body).Reason));
        Assert.Equal(PerformerStatus.Requested, (await ReadAsync(referral)).Performers.Single().Status);
    }

    [Fact]
    public async Task An_illegal_step_or_an_unknown_referral_is_a_coded_outcome()
    {
        var (_, referral) = await ReferralToAsync("begeleiding-plus");
        var plus = _hub.Http("begeleiding-plus");

        var start = await plus.SendAsync(HttpMethod.Put, "/fhir/r4/Task/t-1", TaskJson(referral, "in-progress", start: "2026-01-12"), Fhir);
        var unknown = await plus.SendAsync(HttpMethod.Put, "/fhir/r4/Task/t-1", TaskJson("referrals/ref_doesnotexist", "accepted"), Fhir);

        Assert.Equal((409, "ILLEGAL_REFERRAL_STEP"), (start.Status, InboundKit.OutcomeOf(start.Body).Reason));
        Assert.Equal((404, "REFERRAL_NOT_FOUND"), (unknown.Status, InboundKit.OutcomeOf(unknown.Body).Reason));
        Assert.Equal(PerformerStatus.Requested, (await ReadAsync(referral)).Performers.Single().Status);
    }

    [Fact]
    public async Task A_start_before_the_clients_birth_or_an_end_before_the_start_is_a_coded_outcome_and_changes_nothing()
    {
        var (_, referral) = await ReferralToAsync("begeleiding-plus");
        var plus = _hub.Http("begeleiding-plus");
        Assert.Equal(200, (await plus.SendAsync(HttpMethod.Put, "/fhir/r4/Task/t-1", TaskJson(referral, "accepted"), Fhir)).Status);

        // The client was born in 1994.
        var beforeBirth = await plus.SendAsync(HttpMethod.Put, "/fhir/r4/Task/t-1", TaskJson(referral, "in-progress", start: "1990-01-12"), Fhir);
        var farAhead = await plus.SendAsync(HttpMethod.Put, "/fhir/r4/Task/t-1", TaskJson(referral, "in-progress", start: "2199-01-12"), Fhir);
        Assert.Equal((400, "INVALID_DATE"), (beforeBirth.Status, InboundKit.OutcomeOf(beforeBirth.Body).Reason));
        Assert.Equal((400, "INVALID_DATE"), (farAhead.Status, InboundKit.OutcomeOf(farAhead.Body).Reason));
        Assert.Equal(PerformerStatus.Accepted, (await ReadAsync(referral)).Performers.Single().Status);

        Assert.Equal(200, (await plus.SendAsync(HttpMethod.Put, "/fhir/r4/Task/t-1", TaskJson(referral, "in-progress", start: "2026-01-12"), Fhir)).Status);
        var endBeforeStart = await plus.SendAsync(HttpMethod.Put, "/fhir/r4/Task/t-1", TaskJson(referral, "completed", reason: "01", end: "2026-01-11"), Fhir);
        Assert.Equal((400, "INVALID_DATE"), (endBeforeStart.Status, InboundKit.OutcomeOf(endBeforeStart.Body).Reason));
        Assert.Equal(PerformerStatus.Started, (await ReadAsync(referral)).Performers.Single().Status);
    }

    [Fact]
    public async Task Invalid_messages_are_refused_with_coded_outcomes_and_nothing_is_stored()
    {
        var client = await NewClientAsync();
        var waakvlam = _hub.Http("waakvlam-zorg");

        var notJson = await waakvlam.SendAsync(HttpMethod.Post, "/fhir/r4", "{\"resourceType\": \"Bundle\", ", Fhir);
        var unknownService = await waakvlam.SendAsync(HttpMethod.Post, "/fhir/r4", ReferralBundle(client, "V-1", "98000002", service: "dog-walking"), Fhir);
        var unknownPerformer = await waakvlam.SendAsync(HttpMethod.Post, "/fhir/r4", ReferralBundle(client, "V-2", "12345678"), Fhir);
        var unknownClient = await waakvlam.SendAsync(HttpMethod.Post, "/fhir/r4", ReferralBundle("clients/cli_doesnotexist", "V-3", "98000002"), Fhir);

        Assert.Equal((400, "INVALID_REQUEST"), (notJson.Status, InboundKit.OutcomeOf(notJson.Body).Reason));
        Assert.Equal((400, "UNKNOWN_ENUM_VALUE"), (unknownService.Status, InboundKit.OutcomeOf(unknownService.Body).Reason));
        Assert.Contains("ServiceRequest.code", InboundKit.OutcomeOf(unknownService.Body).Expressions);
        Assert.Equal((400, "UNKNOWN_PARTY"), (unknownPerformer.Status, InboundKit.OutcomeOf(unknownPerformer.Body).Reason));
        Assert.Equal((404, "CLIENT_NOT_FOUND"), (unknownClient.Status, InboundKit.OutcomeOf(unknownClient.Body).Reason));
        Assert.Empty(await _hub.As("begeleiding-plus").DrainAsync());
        Assert.Empty(await Kit.DeliveriesAsync(_hub.As("begeleiding-plus"), client: client));
        Assert.DoesNotContain(await Kit.JourneyAsync(_waakvlam, client), e => e.Type == JourneyEventType.ReferralRequested);
    }

    [Fact]
    public async Task A_call_without_identity_or_with_a_forged_token_is_refused_with_401()
    {
        var (_, referral) = await ReferralToAsync("begeleiding-plus");
        var anonymous = _hub.Http(null);
        var forged = _hub.Http(null);
        using var otherKey = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        forged.DefaultRequestHeaders.Authorization = new("Bearer", _hub.Token("begeleiding-plus", key: otherKey));

        var none = await anonymous.SendAsync(HttpMethod.Put, "/fhir/r4/Task/t-1", TaskJson(referral, "accepted"), Fhir);
        var bad = await forged.SendAsync(HttpMethod.Put, "/fhir/r4/Task/t-1", TaskJson(referral, "accepted"), Fhir);

        Assert.Equal((401, "CALLER_UNKNOWN"), (none.Status, InboundKit.OutcomeOf(none.Body).Reason));
        Assert.Equal((401, "TOKEN_INVALID"), (bad.Status, InboundKit.OutcomeOf(bad.Body).Reason));
        Assert.Equal(PerformerStatus.Requested, (await ReadAsync(referral)).Performers.Single().Status);
    }

    [Fact]
    public async Task The_development_header_identifies_a_partner_like_a_grpc_caller()
    {
        var (_, referral) = await ReferralToAsync("begeleiding-plus");
        var http = _hub.Http(null);
        http.DefaultRequestHeaders.Add(DevelopmentHeaders.Party, "begeleiding-plus");

        var answer = await http.SendAsync(HttpMethod.Put, "/fhir/r4/Task/t-1", TaskJson(referral, "accepted"), Fhir);

        Assert.Equal(200, answer.Status);
        Assert.Equal(PerformerStatus.Accepted, (await ReadAsync(referral)).Performers.Single().Status);
    }

    [Fact]
    public async Task A_party_on_another_channel_a_wrong_media_type_or_an_oversized_body_is_refused_before_anything_runs()
    {
        var (_, referral) = await ReferralToAsync("begeleiding-plus");
        var message = TaskJson(referral, "accepted");

        // dagbesteding-de-brug speaks iWmo; hans-petrischool the gRPC stream.
        var iwmoParty = await _hub.Http("dagbesteding-de-brug").SendAsync(HttpMethod.Put, "/fhir/r4/Task/t-1", message, Fhir);
        var streamParty = await _hub.Http("hans-petrischool").SendAsync(HttpMethod.Put, "/fhir/r4/Task/t-1", message, Fhir);
        var xml = await _hub.Http("begeleiding-plus").SendAsync(HttpMethod.Put, "/fhir/r4/Task/t-1", message, "application/xml");
        var padded = message.Insert(message.Length - 1, ", \"language\": \"" + new string('x', 1024 * 1024) + "\"");
        var oversized = await _hub.Http("begeleiding-plus").SendAsync(HttpMethod.Put, "/fhir/r4/Task/t-1", padded, Fhir);

        Assert.Equal((403, "CHANNEL_MISMATCH"), (iwmoParty.Status, InboundKit.OutcomeOf(iwmoParty.Body).Reason));
        Assert.Equal((403, "CHANNEL_MISMATCH"), (streamParty.Status, InboundKit.OutcomeOf(streamParty.Body).Reason));
        Assert.Equal((415, "UNSUPPORTED_MEDIA_TYPE"), (xml.Status, InboundKit.OutcomeOf(xml.Body).Reason));
        Assert.Equal((413, "MESSAGE_TOO_LARGE"), (oversized.Status, InboundKit.OutcomeOf(oversized.Body).Reason));
        Assert.Equal(PerformerStatus.Requested, (await ReadAsync(referral)).Performers.Single().Status);
    }

    [Fact]
    public async Task A_partner_over_its_rate_limit_gets_429_with_retry_after()
    {
        using var hub = InboundKit.Hub();
        hub.With("Hub:Limits:Parties:begeleiding-plus:PermitsPerSecond", "0.01")
            .With("Hub:Limits:Parties:begeleiding-plus:Burst", "1");
        var plus = hub.Http("begeleiding-plus");

        var first = await plus.SendAsync(HttpMethod.Put, "/fhir/r4/Task/t-1", TaskJson("referrals/ref_doesnotexist", "accepted"), Fhir);
        using var request = new HttpRequestMessage(HttpMethod.Put, "/fhir/r4/Task/t-1") { Content = new StringContent(TaskJson("referrals/ref_doesnotexist", "accepted")) };
        request.Content.Headers.ContentType = new(Fhir);
        using var second = await plus.SendAsync(request);

        Assert.Equal(404, first.Status);
        Assert.Equal(429, (int)second.StatusCode);
        Assert.Equal("RATE_LIMITED", InboundKit.OutcomeOf(await second.Content.ReadAsStringAsync()).Reason);
        Assert.True(second.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task A_body_longer_than_its_declared_length_allows_is_cut_off_at_the_limit()
    {
        var (_, referral) = await ReferralToAsync("begeleiding-plus");
        using var http = _hub.Http("begeleiding-plus");
        var big = TaskJson(referral, "accepted").Replace("\"intent\"", "\"language\": \"" + new string('x', 2 * 1024 * 1024) + "\", \"intent\"", StringComparison.Ordinal);
        using var request = new HttpRequestMessage(HttpMethod.Put, "/fhir/r4/Task/t-1")
        {
            // Streamed without a Content-Length, so only reading the body can find the size.
            Content = new StreamContent(new NonSeekable(System.Text.Encoding.UTF8.GetBytes(big))),
        };
        request.Content.Headers.ContentType = new(Fhir);

        using var response = await http.SendAsync(request);

        Assert.Equal(413, (int)response.StatusCode);
        Assert.Equal("MESSAGE_TOO_LARGE", InboundKit.OutcomeOf(await response.Content.ReadAsStringAsync()).Reason);
        Assert.Equal(PerformerStatus.Requested, (await ReadAsync(referral)).Performers.Single().Status);
    }

    /// <summary>A client with a coach at waakvlam-zorg and a referral by sdd (gRPC) to <paramref name="performer"/>.</summary>
    private async Task<(string Client, string Referral)> ReferralToAsync(string performer, string? client = null)
    {
        client ??= await NewClientAsync();
        var response = await _sdd.Referrals.CreateReferralAsync(new CreateReferralRequest { RequestId = NewRequestId(), Referral = Kit.CareReferral(client, performer) });
        return (client, response.Referral.Name);
    }

    /// <summary>A client coached at waakvlam-zorg, who lets the coach follow the journey.</summary>
    private async Task<string> NewClientAsync()
    {
        var client = (await Kit.ClientWithCoachAsync(_waakvlam)).Name;
        await _waakvlam.GrantAsync(client, GrantorRole.Client, "waakvlam-zorg", [Purpose.Coaching], [DataCategory.SupportPlan, DataCategory.ContactDetails]);
        return client;
    }

    private async Task<Referral> ReadAsync(string referral, PartyClient? reader = null) =>
        (await (reader ?? _sdd).Referrals.GetReferralAsync(new GetReferralRequest { Name = referral })).Referral;

    /// <summary>A FHIR Task as a provider's system sends it: focus on the hub's referral identifier, status the step.</summary>
    internal static string TaskJson(string referral, string status, string? reason = null, string? start = null, string? end = null, string? owner = null)
    {
        var task = new JsonObject
        {
            ["resourceType"] = "Task",
            ["status"] = status,
            ["intent"] = "order",
            ["focus"] = new JsonObject { ["reference"] = "ServiceRequest?identifier=" + Hub + "id/referrals|" + referral["referrals/".Length..] },
        };
        if (owner is not null)
        {
            task["owner"] = new JsonObject { ["identifier"] = new JsonObject { ["system"] = Hub + "id/parties", ["value"] = owner } };
        }

        if (reason is not null)
        {
            var system = status == "rejected" ? "decline-reason" : "end-reason";
            task["statusReason"] = new JsonObject { ["coding"] = new JsonArray(new JsonObject { ["system"] = "https://ketenhub.nl/fhir/CodeSystem/" + system, ["code"] = reason }) };
        }

        if (start is not null || end is not null)
        {
            var period = new JsonObject();
            if (start is not null)
            {
                period["start"] = start;
            }

            if (end is not null)
            {
                period["end"] = end;
            }

            task["executionPeriod"] = period;
        }

        return task.ToJsonString();
    }

    /// <summary>A transaction Bundle with a Patient (the hub's client id), the performer by AGB and the ServiceRequest.</summary>
    internal static string ReferralBundle(string client, string partnerId, string performerAgb, string service = "individual-guidance", string? bsn = null, string? snomed = null) => new JsonObject
    {
        ["resourceType"] = "Bundle",
        ["type"] = "transaction",
        ["entry"] = new JsonArray(
            new JsonObject
            {
                ["fullUrl"] = "urn:uuid:8f1a1f0e-2d4b-4c2a-9a51-0c5e7d9b2a10",
                ["resource"] = new JsonObject
                {
                    ["resourceType"] = "Patient",
                    ["identifier"] = bsn is null
                        ? new JsonArray(new JsonObject { ["system"] = Hub + "id/clients", ["value"] = client["clients/".Length..] })
                        : new JsonArray(new JsonObject { ["system"] = "http://fhir.nl/fhir/NamingSystem/bsn", ["value"] = bsn }),
                },
                ["request"] = new JsonObject { ["method"] = "POST", ["url"] = "Patient" },
            },
            new JsonObject
            {
                ["fullUrl"] = "urn:uuid:4a3c1c9e-7b7e-4a8e-bb0a-5c1f2e6d7a21",
                ["resource"] = new JsonObject
                {
                    ["resourceType"] = "Organization",
                    ["identifier"] = new JsonArray(new JsonObject { ["system"] = "http://fhir.nl/fhir/NamingSystem/agb-z", ["value"] = performerAgb }),
                },
                ["request"] = new JsonObject { ["method"] = "POST", ["url"] = "Organization" },
            },
            new JsonObject
            {
                ["fullUrl"] = "urn:uuid:0b6f2c55-3f0e-4a5e-9d1c-2e7a8b9c0d31",
                ["resource"] = new JsonObject
                {
                    ["resourceType"] = "ServiceRequest",
                    ["identifier"] = new JsonArray(new JsonObject { ["system"] = "https://waakvlam.example.nl/verwijzingen", ["value"] = partnerId }),
                    ["status"] = "active",
                    ["intent"] = "order",
                    ["category"] = new JsonArray(new JsonObject { ["coding"] = new JsonArray(new JsonObject { ["system"] = "https://ketenhub.nl/fhir/CodeSystem/life-domain", ["code"] = "finances" }) }),
                    ["priority"] = "routine",
                    ["code"] = new JsonObject
                    {
                        ["coding"] = snomed is null
                            ? new JsonArray(new JsonObject { ["system"] = "https://ketenhub.nl/fhir/CodeSystem/service-kind", ["code"] = service })
                            : new JsonArray(new JsonObject { ["system"] = "http://snomed.info/sct", ["code"] = snomed }),
                    },
                    ["subject"] = new JsonObject { ["reference"] = "urn:uuid:8f1a1f0e-2d4b-4c2a-9a51-0c5e7d9b2a10" },
                    ["performer"] = new JsonArray(new JsonObject { ["reference"] = "urn:uuid:4a3c1c9e-7b7e-4a8e-bb0a-5c1f2e6d7a21" }),
                    ["reasonCode"] = new JsonArray(new JsonObject { ["text"] = "Needs help with the household administration." }),
                    ["note"] = new JsonArray(new JsonObject { ["text"] = "Keeps appointments." }),
                },
                ["request"] = new JsonObject { ["method"] = "POST", ["url"] = "ServiceRequest" },
            }),
    }.ToJsonString();

    /// <summary>A stream that cannot say its length.</summary>
    private sealed class NonSeekable(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}

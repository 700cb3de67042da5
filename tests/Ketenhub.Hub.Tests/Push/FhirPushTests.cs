using System.Text.Json;
using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.HubTests.Integration;
using static Ketenhub.HubTests.Infrastructure.PartyClient;

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
    private HubFactory _hub = null!;

    public async Task InitializeAsync()
    {
        await partner.ResetAsync();

        // The partner answers in milliseconds, but the test moves the hub's clock while it waits: an attempt timeout of a
        // minute on that clock leaves a busy machine seconds of real time for each answer.
        _hub = new HubFactory()
            .WithPushSettings(PushKit.PartiesFile((Performer, "FHIR", partner.Base)))
            .With("Hub:Push:AttemptTimeout", "00:01:00")
            .With("Hub:Push:TotalTimeout", "00:03:00")
            .With("Hub:Push:BreakerSamplingDuration", "00:10:00")
            .With("Hub:Push:BreakerMinimumThroughput", "1000");
    }

    public Task DisposeAsync()
    {
        _hub.Dispose();
        return Task.CompletedTask;
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

        // The Patient the partner keeps: the BSN (begeleiding-plus has a legal need for it) and the hub's client id.
        var patient = await partner.SingleAsync($"Patient?identifier=http://fhir.nl/fhir/NamingSystem/bsn|{bsn}");
        var patientReference = "Patient/" + patient.GetProperty("id").GetString();
        Assert.Contains(Identifiers(patient), i => i == $"{Hub}clients|{client.Name["clients/".Length..]}");
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

    /// <summary>A client coached at waakvlam-zorg who consents to begeleiding-plus receiving referrals; returns its BSN too.</summary>
    private async Task<(PartyClient Sdd, Client Client, string Bsn)> ArrangeAsync()
    {
        var coach = _hub.As("waakvlam-zorg");
        var bsn = Kit.NewBsn();
        var client = await coach.RegisterAsync(bsn, Date(1994, 11, 2), "0505");
        await coach.AssignCoachAsync(client.Name, "lisa", "Lisa");
        await coach.GrantAsync(client.Name, GrantorRole.Client, Performer, [Purpose.Coaching], [DataCategory.SupportPlan, DataCategory.ContactDetails]);
        return (_hub.As("sdd"), client, bsn);
    }

    private async Task UntilAcknowledgedAsync(string delivery) =>
        await PushKit.UntilAsync(
            _hub,
            async () => (await PushKit.ListAsync(_hub, Performer, DeliveryStatus.Acknowledged)).Any(d => d.Name == delivery),
            failure: () => partner.Errors);

    private static IEnumerable<string> Identifiers(JsonElement resource) =>
        resource.GetProperty("identifier").EnumerateArray().Select(i => i.GetProperty("system").GetString() + "|" + i.GetProperty("value").GetString());

    private static async Task<(string Referral, string Delivery)> ReferAsync(PartyClient sdd, string client)
    {
        var response = await sdd.Referrals.CreateReferralAsync(new CreateReferralRequest { RequestId = NewRequestId(), Referral = Kit.CareReferral(client, Performer) });
        var decision = Assert.Single(response.Decisions, d => d.Recipient == "parties/" + Performer);
        Assert.Equal(RecipientOutcome.Content, decision.Outcome);
        return (response.Referral.Name, decision.Delivery);
    }
}

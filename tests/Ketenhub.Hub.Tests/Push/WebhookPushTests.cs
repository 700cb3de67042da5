using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using Ketenhub.HubTests.Integration;

namespace Ketenhub.HubTests.Push;

/// <summary>
/// Push delivery to a webhook partner through the real host: the partner is a real HTTPS server on loopback with a
/// certificate generated here and trusted by the hub for this test only, and it verifies every signature.
/// </summary>
public sealed class WebhookPushTests : IAsyncLifetime
{
    private WebhookPartner _partner = null!;
    private HubFactory _hub = null!;

    public async Task InitializeAsync()
    {
        _hub = new HubFactory();
        _partner = await WebhookPartner.StartAsync(PushKit.Secret, _hub.Clock);
        _hub.WithPushSettings(PushKit.PartiesFile(("waakvlam-zorg", "WEBHOOK", _partner.Endpoint)))
            .With("Hub:Push:TrustedCertificatesFile", _partner.WriteTrustFile())
            .With("Hub:Push:Parties:waakvlam-zorg:Secret", PushKit.Secret);
    }

    public async Task DisposeAsync()
    {
        _hub.Dispose();
        await _partner.DisposeAsync();
    }

    [Fact]
    public async Task ASignal_ReachesTheWebhookPartner_Signed_AsACloudEvent_AndIsAcknowledged()
    {
        var (sdd, client) = await ArrangeAsync();
        var delivery = await RaiseAsync(sdd, client.Name, "Rent arrears of two months.");

        await PushKit.UntilAsync(_hub, async () => (await PushKit.ListAsync(_hub, "waakvlam-zorg", DeliveryStatus.Acknowledged)).Any(d => d.Name == delivery));

        var stored = Assert.Contains(delivery, _partner.Stored);
        Assert.Equal("nl.ketenhub.delivery.signal.v1", stored.GetProperty("type").GetString());
        Assert.Equal("https://ketenhub.test/", stored.GetProperty("source").GetString());
        // The partner's own name for the client, not the hub's.
        Assert.Equal(_hub.NameAt("waakvlam-zorg", client.Name), stored.GetProperty("subject").GetString());
        var data = stored.GetProperty("data");
        Assert.Equal(delivery, data.GetProperty("name").GetString());
        Assert.Equal("SIGNAL_KIND_PAYMENT_ARREARS", data.GetProperty("signal").GetProperty("kind").GetString());
        Assert.Equal(0, _partner.BadSignatures);
        Assert.Empty(_partner.Duplicates);
    }

    [Fact]
    public async Task ServerErrors_DroppedConnections_Timeouts_AndALostAnswer_LoseNothing_AndDuplicateNothing()
    {
        _hub.With("Hub:Push:BreakerMinimumThroughput", "1000");
        var (sdd, client) = await ArrangeAsync();
        _partner.FailNext(Fault.ServerError, Fault.Drop, Fault.Hang, Fault.StoreThenDrop, Fault.ServerError, Fault.Hang, Fault.Drop);
        var sent = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            sent.Add(await RaiseAsync(sdd, client.Name, $"Arrears notice {i}."));
        }

        await PushKit.UntilAsync(_hub, async () => (await PushKit.ListAsync(_hub, "waakvlam-zorg", DeliveryStatus.Acknowledged)).Count(d => sent.Contains(d.Name)) == sent.Count);

        Assert.Equal(0, _partner.PendingFaults);
        Assert.Equal(sent, _partner.Order.Where(sent.Contains));
        Assert.Equal(sent.Count, _partner.Stored.Keys.Count(sent.Contains));

        // The event whose answer was lost arrived again and was recognised by its id: stored once.
        var again = Assert.Single(_partner.Duplicates);
        Assert.Contains(again.Key, sent);
        Assert.Equal(0, _partner.BadSignatures);
        Assert.Empty(await PushKit.ListAsync(_hub, "waakvlam-zorg", DeliveryStatus.SetAside));
    }

    [Fact]
    public async Task TooManyRequests_WithRetryAfter_TheHubWaitsAsLongAsThePartnerAsked()
    {
        _partner.RetryAfterSeconds = 45;
        _partner.FailNext(Fault.TooManyRequests);
        var (sdd, client) = await ArrangeAsync();
        var delivery = await RaiseAsync(sdd, client.Name, "Rent arrears.");

        await PushKit.UntilAsync(_hub, async () => (await PushKit.ListAsync(_hub, "waakvlam-zorg", DeliveryStatus.Acknowledged)).Any(d => d.Name == delivery));

        var requests = _partner.Requests.ToList();
        Assert.Equal(2, requests.Count);
        Assert.True(requests[1] - requests[0] >= TimeSpan.FromSeconds(45), $"The second request came {requests[1] - requests[0]} after the first.");
        Assert.Equal(2, (await PushKit.ListAsync(_hub, "waakvlam-zorg", DeliveryStatus.Acknowledged)).Single(d => d.Name == delivery).AttemptCount);
    }

    [Fact]
    public async Task TwoAttemptsOfOneDelivery_CarryTheSameBytes_EachValidlySigned_WithTheAttemptInAHeader()
    {
        _partner.RetryAfterSeconds = 45;
        _partner.FailNext(Fault.TooManyRequests);
        _hub.With("Hub:Push:HubOin", "00000001234567890000");
        var (sdd, client) = await ArrangeAsync();
        var delivery = await RaiseAsync(sdd, client.Name, "Rent arrears.");

        await PushKit.UntilAsync(_hub, async () => (await PushKit.ListAsync(_hub, "waakvlam-zorg", DeliveryStatus.Acknowledged)).Any(d => d.Name == delivery));

        var received = _partner.Received.ToList();
        Assert.Equal(2, received.Count);
        Assert.Equal(received[0].Body, received[1].Body);
        Assert.Equal(["1", "2"], received.Select(r => r.Attempt));
        Assert.All(received, r => Assert.True(r.Signed));

        // NL GOV profile: the hub's OIN as source, the recipient's own name for the client as subject, nothing personal.
        var stored = _partner.Stored[delivery];
        Assert.Equal("urn:nld:oin:00000001234567890000:systeem:ketenhub", stored.GetProperty("source").GetString());
        Assert.Equal(_hub.NameAt("waakvlam-zorg", client.Name), stored.GetProperty("subject").GetString());
        Assert.StartsWith("clients/cl_", stored.GetProperty("subject").GetString(), StringComparison.Ordinal);
        Assert.False(stored.GetProperty("data").TryGetProperty("attemptCount", out _));
    }

    [Fact]
    public async Task ALeanParty_GetsAnEventWithADataref_AndFetchesTheContent_OnlyAsTheRecipient_AndOnlyWhileConsentCoversIt()
    {
        _hub.With("Hub:Push:Parties:waakvlam-zorg:Lean", "true").With("Hub:Push:FetchBaseUrl", "https://partners.ketenhub.test/");
        var coach = _hub.As("waakvlam-zorg");
        var client = await Kit.ClientWithCoachAsync(coach);
        var consent = await coach.GrantAsync(client.Name, GrantorRole.Client, "waakvlam-zorg", [Purpose.SignalFollowUp], [DataCategory.Finances]);
        var delivery = await RaiseAsync(_hub.As("sdd"), client.Name, "Rent arrears of two months.");

        await PushKit.UntilAsync(_hub, async () => (await PushKit.ListAsync(_hub, "waakvlam-zorg", DeliveryStatus.Acknowledged)).Any(d => d.Name == delivery));

        // Informatiearm: no content in the event, and nothing of it in the context attributes.
        var stored = _partner.Stored[delivery];
        Assert.False(stored.TryGetProperty("data", out _));
        Assert.False(stored.TryGetProperty("datacontenttype", out _));
        var dataref = stored.GetProperty("dataref").GetString()!;
        Assert.Equal("https://partners.ketenhub.test/webhooks/v1/deliveries/" + delivery["deliveries/".Length..], dataref);
        Assert.DoesNotContain("arrears", stored.GetRawText(), StringComparison.OrdinalIgnoreCase);

        // The recipient fetches it, identified: the content a full event would carry.
        var path = new Uri(dataref).AbsolutePath;
        var fetched = await FetchAsync(path, "waakvlam-zorg");
        Assert.Equal((200, "application/json"), (fetched.Status, fetched.ContentType));
        using (var data = System.Text.Json.JsonDocument.Parse(fetched.Body))
        {
            Assert.Equal(delivery, data.RootElement.GetProperty("name").GetString());
            Assert.Equal(_hub.NameAt("waakvlam-zorg", client.Name), data.RootElement.GetProperty("client").GetString());
            Assert.Equal("Rent arrears of two months.", data.RootElement.GetProperty("signal").GetProperty("description").GetString());
            Assert.False(data.RootElement.TryGetProperty("attemptCount", out _));
        }

        // Another party, or no identity: refused, as problem details.
        var other = await FetchAsync(path, "sdd");
        var nobody = await FetchAsync(path, null);
        Assert.Equal((403, "application/problem+json"), (other.Status, other.ContentType));
        Assert.Equal(401, nobody.Status);
        Assert.DoesNotContain("arrears", other.Body + nobody.Body, StringComparison.OrdinalIgnoreCase);

        // Once the client withdraws the consent, the content is no longer handed out.
        await coach.Consents.WithdrawConsentAsync(new WithdrawConsentRequest { RequestId = PartyClient.NewRequestId(), Name = consent.Name });
        var withdrawn = await FetchAsync(path, "waakvlam-zorg");
        Assert.Equal(403, withdrawn.Status);
        Assert.Contains("CONSENT_REQUIRED", withdrawn.Body, StringComparison.Ordinal);
    }

    private async Task<(int Status, string ContentType, string Body)> FetchAsync(string path, string? party)
    {
        using var http = _hub.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (party is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", _hub.Token(party));
        }

        using var response = await http.SendAsync(request);
        return ((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType ?? string.Empty, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AfterTheRetryBudget_ADeliveryIsSetAside_TheNextGoesThrough_AndAReplayPushesItAgain()
    {
        _hub.With("Hub:MaxDeliveryAttempts", "2").With("Hub:Push:BreakerMinimumThroughput", "1000");
        var (sdd, client) = await ArrangeAsync();

        // Two attempts of two requests each (one HTTP retry per attempt), all refused.
        _partner.FailNext(Fault.ServerError, Fault.ServerError, Fault.ServerError, Fault.ServerError);
        var stuck = await RaiseAsync(sdd, client.Name, "First.");
        var next = await RaiseAsync(sdd, client.Name, "Second.");

        await PushKit.UntilAsync(_hub, async () => (await PushKit.ListAsync(_hub, "waakvlam-zorg", DeliveryStatus.Acknowledged)).Any(d => d.Name == next));
        var setAside = Assert.Single(await PushKit.ListAsync(_hub, "waakvlam-zorg", DeliveryStatus.SetAside));
        Assert.Equal(stuck, setAside.Name);
        Assert.Equal("MAX_ATTEMPTS", setAside.StatusReason);
        Assert.Equal(2, setAside.AttemptCount);
        Assert.False(_partner.Stored.ContainsKey(stuck));

        var admin = _hub.As("sdd", "beheer", ["admin"]);
        var replay = await admin.Deliveries.ReplayDeliveryAsync(new ReplayDeliveryRequest { Name = stuck, RequestId = PartyClient.NewRequestId() });
        Assert.Equal(DeliveryStatus.Pending, replay.Status);

        await PushKit.UntilAsync(_hub, async () => (await PushKit.ListAsync(_hub, "waakvlam-zorg", DeliveryStatus.Acknowledged)).Any(d => d.Name == stuck));
        Assert.True(_partner.Stored.ContainsKey(stuck));
        Assert.Empty(_partner.Duplicates);
        Assert.Empty(await PushKit.ListAsync(_hub, "waakvlam-zorg", DeliveryStatus.SetAside));
    }

    [Fact]
    public async Task APartnersRefusal_SetsTheDeliveryAsideAtOnce_WithItsCode()
    {
        _partner.FailNext(Fault.Unprocessable);
        var (sdd, client) = await ArrangeAsync();
        var refused = await RaiseAsync(sdd, client.Name, "First.");
        var next = await RaiseAsync(sdd, client.Name, "Second.");

        await PushKit.UntilAsync(_hub, async () => (await PushKit.ListAsync(_hub, "waakvlam-zorg", DeliveryStatus.Acknowledged)).Any(d => d.Name == next));

        var setAside = Assert.Single(await PushKit.ListAsync(_hub, "waakvlam-zorg", DeliveryStatus.SetAside));
        Assert.Equal(refused, setAside.Name);
        Assert.Equal("REJECTED:HTTP_422", setAside.StatusReason);
        Assert.Equal(1, setAside.AttemptCount);
    }

    [Fact]
    public async Task AnOpenCircuit_SparesADeadPartner_WhileItsDeliveryWaits()
    {
        _hub.With("Hub:MaxDeliveryAttempts", "6")
            .With("Hub:Push:BreakerMinimumThroughput", "2")
            .With("Hub:Push:BreakerFailureRatio", "0.5")
            .With("Hub:Push:BreakDuration", "00:01:00")
            .With("Hub:Push:BreakerSamplingDuration", "00:10:00");
        _partner.FailNext(Enumerable.Repeat(Fault.ServerError, 100).ToArray());
        var (sdd, client) = await ArrangeAsync();
        var delivery = await RaiseAsync(sdd, client.Name, "Rent arrears.");

        await PushKit.UntilAsync(_hub, async () => (await PushKit.ListAsync(_hub, "waakvlam-zorg", DeliveryStatus.SetAside)).Any(d => d.Name == delivery), step: TimeSpan.FromSeconds(2));

        // Six attempts of up to two requests each would be twelve requests. The circuit opens after the first two
        // failures; after that an attempt sends at most the one probe a half-open circuit lets through.
        Assert.InRange(_partner.Requests.Count, 2, 7);
        Assert.Equal("MAX_ATTEMPTS", (await PushKit.ListAsync(_hub, "waakvlam-zorg", DeliveryStatus.SetAside)).Single().StatusReason);
    }

    /// <summary>A client coached at waakvlam-zorg (the webhook partner) whose consent lets it receive financial signals.</summary>
    [Fact]
    public async Task APush_ContinuesTheTraceOfTheCallThatCausedIt()
    {
        var (sdd, client) = await ArrangeAsync();
        var traceId = System.Diagnostics.ActivityTraceId.CreateRandom().ToHexString();
        var callSpan = System.Diagnostics.ActivitySpanId.CreateRandom().ToHexString();
        var response = await sdd.Signals.CreateSignalAsync(
            Kit.Signal(client.Name, "Rent arrears."),
            new Grpc.Core.Metadata { { "traceparent", $"00-{traceId}-{callSpan}-01" } });
        var delivery = Assert.Single(response.Decisions, d => d.Recipient == "parties/waakvlam-zorg").Delivery;

        await PushKit.UntilAsync(_hub, async () => (await PushKit.ListAsync(_hub, "waakvlam-zorg", DeliveryStatus.Acknowledged)).Any(d => d.Name == delivery));

        // The partner's request belongs to the caller's trace, under a span of its own (the push), not the call's span.
        var traceParent = Assert.Single(_partner.TraceParents);
        var parts = traceParent.Split('-');
        Assert.Equal(4, parts.Length);
        Assert.Equal(traceId, parts[1]);
        Assert.NotEqual(callSpan, parts[2]);
    }

    private async Task<(PartyClient Sdd, Client Client)> ArrangeAsync()
    {
        var coach = _hub.As("waakvlam-zorg");
        var client = await Kit.ClientWithCoachAsync(coach);
        await coach.GrantAsync(client.Name, GrantorRole.Client, "waakvlam-zorg", [Purpose.SignalFollowUp], [DataCategory.Finances]);
        return (_hub.As("sdd"), client);
    }

    private static async Task<string> RaiseAsync(PartyClient sender, string client, string description)
    {
        var response = await sender.Signals.CreateSignalAsync(Kit.Signal(client, description));
        var decision = Assert.Single(response.Decisions, d => d.Recipient == "parties/waakvlam-zorg");
        Assert.Equal(RecipientOutcome.Content, decision.Outcome);
        return decision.Delivery;
    }
}

using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
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
        Assert.Equal(client.Name, stored.GetProperty("subject").GetString());
        var data = stored.GetProperty("data");
        Assert.Equal(delivery, data.GetProperty("name").GetString());
        Assert.Equal("SIGNAL_KIND_PAYMENT_ARREARS", data.GetProperty("signal").GetProperty("kind").GetString());
        Assert.Equal(0, _partner.BadSignatures);
        Assert.Empty(_partner.Duplicates);
    }

    /// <summary>A client coached at waakvlam-zorg (the webhook partner) whose consent lets it receive financial signals.</summary>
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

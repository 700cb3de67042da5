using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using Ketenhub.HubTests.Integration;

namespace Ketenhub.HubTests.Push;

/// <summary>A partner that never answers holds up only its own deliveries: not another partner's, not a gRPC stream.</summary>
public sealed class PushIsolationTests : IAsyncLifetime
{
    private WebhookPartner _slow = null!;
    private WebhookPartner _healthy = null!;
    private HubFactory _hub = null!;

    public async Task InitializeAsync()
    {
        _hub = new HubFactory();
        _slow = await WebhookPartner.StartAsync(PushKit.Secret, _hub.Clock);
        _healthy = await WebhookPartner.StartAsync(PushKit.Secret, _hub.Clock);
        var trust = Path.Combine(Path.GetTempPath(), "ketenhub-tests", Guid.NewGuid().ToString("N") + "-partners.pem");
        await File.WriteAllTextAsync(trust, _slow.Certificate.ExportCertificatePem() + "\n" + _healthy.Certificate.ExportCertificatePem());
        _hub.WithPushSettings(PushKit.PartiesFile(("waakvlam-zorg", "WEBHOOK", _slow.Endpoint), ("dagbesteding-de-brug", "WEBHOOK", _healthy.Endpoint)))
            .With("Hub:Push:TrustedCertificatesFile", trust)
            .With("Hub:Push:Parties:waakvlam-zorg:Secret", PushKit.Secret)
            .With("Hub:Push:Parties:dagbesteding-de-brug:Secret", PushKit.Secret);
    }

    public async Task DisposeAsync()
    {
        _hub.Dispose();
        await _slow.DisposeAsync();
        await _healthy.DisposeAsync();
    }

    [Fact]
    public async Task ASlowPartner_DoesNotHoldUpAnotherPartner_OrAStream()
    {
        _slow.FailNext(Enumerable.Repeat(Fault.Hang, 1000).ToArray());
        var sdd = _hub.As("sdd");
        var slowClient = await ClientOfAsync("waakvlam-zorg");
        var healthyClient = await ClientOfAsync("dagbesteding-de-brug");
        var streamClient = await ClientOfAsync("begeleiding-plus");
        var plus = _hub.As("begeleiding-plus");
        using var stream = plus.Tail();

        var toSlow = await RaiseAsync(sdd, slowClient, "waakvlam-zorg");
        var toHealthy = await RaiseAsync(sdd, healthyClient, "dagbesteding-de-brug");
        var toStream = await RaiseAsync(sdd, streamClient, "begeleiding-plus");

        // The stream gets its delivery without the clock moving at all, while the slow partner holds a request open.
        Assert.Equal(toStream, (await stream.NextAsync()).Name);

        await PushKit.UntilAsync(_hub, () => Task.FromResult(_healthy.Stored.ContainsKey(toHealthy)), step: TimeSpan.FromMilliseconds(100));
        Assert.False(_slow.Stored.ContainsKey(toSlow));
        Assert.Contains(await PushKit.ListAsync(_hub, "waakvlam-zorg", DeliveryStatus.Pending), d => d.Name == toSlow);
    }

    private async Task<string> ClientOfAsync(string coachParty)
    {
        var coach = _hub.As(coachParty);
        var client = await Kit.ClientWithCoachAsync(coach);
        await coach.GrantAsync(client.Name, GrantorRole.Client, coachParty, [Purpose.SignalFollowUp], [DataCategory.Finances]);
        return client.Name;
    }

    private static async Task<string> RaiseAsync(PartyClient sender, string client, string recipient)
    {
        var response = await sender.Signals.CreateSignalAsync(Kit.Signal(client, "Rent arrears."));
        var decision = Assert.Single(response.Decisions, d => d.Recipient == "parties/" + recipient);
        Assert.Equal(RecipientOutcome.Content, decision.Outcome);
        return decision.Delivery;
    }
}

using System.Collections.Concurrent;
using System.Net;
using System.Xml.Linq;
using Ketenhub.Adapters.IWmo;
using Ketenhub.Adapters.IWmo.Schemas;
using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.HubTests.Integration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static Ketenhub.HubTests.Infrastructure.PartyClient;

namespace Ketenhub.HubTests.Push;

/// <summary>
/// Push delivery to a care provider on the iWmo standard: a real HTTP server on loopback that validates every message
/// against the official iWmo/iJw 3.2 schemas before it keeps it, keeps each message once by its
/// BerichtIdentificatie (a copy is answered 200 and counted), and can be told to fail the next requests.
/// </summary>
public sealed class IWmoPushTests : IAsyncLifetime
{
    private const string Performer = "begeleiding-plus";
    private const string Coach = "waakvlam-zorg";
    private readonly HubFactory _hub = new();
    private IWmoPartner _partner = null!;

    public async Task InitializeAsync() => _partner = await IWmoPartner.StartAsync();

    public async Task DisposeAsync()
    {
        _hub.Dispose();
        await _partner.DisposeAsync();
    }

    [Fact]
    public async Task AReferral_ReachesTheProvidersIWmoEndpoint_AsASchemaValidWmoMessage_WithTheBsnAndItsAgb()
    {
        var (sdd, client, bsn) = await ArrangeAsync(Performer);

        var delivery = await ReferAsync(sdd, client.Name);
        await UntilAcknowledgedAsync(Performer, delivery);

        var message = Assert.Single(_partner.Stored.Values);
        Assert.Equal(IStandaard.IWmo, message.Standaard);
        Assert.Empty(message.Problems);
        // A toewijzing (WMO301, code 414) to the provider, who performs the care: its AGB as the addressee, the BSN.
        Assert.Equal("http://www.istandaarden.nl/iwmo/3_2/wmo301/schema", message.Document.Root!.Name.NamespaceName);
        Assert.Equal("414", Single(message.Document, "BerichtCode"));
        Assert.Equal("98000002", Single(message.Document, "Ontvanger"));
        Assert.Equal(bsn, Single(message.Document, "Bsn"));
        Assert.Equal(0, _partner.Invalid);
    }

    [Fact]
    public async Task AClientUnder18_IsReferredInIJw_AndFromTheEighteenthBirthdayInIWmo()
    {
        // The hub's clock stands at 5 January 2026: the client turns 18 on 10 January.
        var (sdd, client, bsn) = await ArrangeAsync(Performer, birthDate: Date(2008, 1, 10));

        var before = await ReferAsync(sdd, client.Name);
        await UntilAcknowledgedAsync(Performer, before);
        var youth = Assert.Single(_partner.Stored.Values);
        Assert.Equal(IStandaard.IJw, youth.Standaard);
        Assert.Equal("http://www.istandaarden.nl/ijw/3_2/jw301/schema", youth.Document.Root!.Name.NamespaceName);
        Assert.Equal(bsn, Single(youth.Document, "Bsn"));

        _hub.Clock.Advance(TimeSpan.FromDays(6));
        var after = await ReferAsync(sdd, client.Name);
        await UntilAcknowledgedAsync(Performer, after);
        var adult = Assert.Single(_partner.Stored.Values, m => m.Standaard == IStandaard.IWmo);
        Assert.Equal("http://www.istandaarden.nl/iwmo/3_2/wmo301/schema", adult.Document.Root!.Name.NamespaceName);
        Assert.Equal(bsn, Single(adult.Document, "Bsn"));
        Assert.Equal(0, _partner.Invalid);
    }

    [Fact]
    public async Task ServerErrors_DroppedConnections_AndALostAnswer_LoseNothing_AndThePartnerKeepsEachMessageOnce()
    {
        var (sdd, client, _) = await ArrangeAsync(Performer);
        _partner.FailNext(IWmoFault.ServerError, IWmoFault.Drop, IWmoFault.StoreThenDrop, IWmoFault.ServerError);

        var deliveries = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            deliveries.Add(await ReferAsync(sdd, client.Name));
        }

        await UntilAcknowledgedAsync(Performer, [.. deliveries]);

        Assert.Equal(0, _partner.PendingFaults);
        Assert.Equal(3, _partner.Stored.Count);
        Assert.All(_partner.Stored.Values, m => Assert.Empty(m.Problems));
        var copy = Assert.Single(_partner.Copies);
        Assert.True(_partner.Stored.ContainsKey(copy.Key));
        Assert.Empty(await PushKit.ListAsync(_hub, Performer, DeliveryStatus.SetAside));
    }

    [Fact]
    public async Task ASignal_HasNoIWmoMessage_ItIsSetAsideWithTheReason_SentNowhere_AndHoldsUpNothingElse()
    {
        var (sdd, client, _) = await ArrangeAsync(Coach, pushed: Coach);
        await _hub.As(Coach).GrantAsync(client.Name, GrantorRole.Client, Coach, [Purpose.SignalFollowUp], [DataCategory.Finances]);

        var signal = await sdd.Signals.CreateSignalAsync(Kit.Signal(client.Name));
        var signalDelivery = Assert.Single(signal.Decisions, d => d.Recipient == "parties/" + Coach).Delivery;
        var referral = await ReferAsync(sdd, client.Name, Coach);

        await UntilAcknowledgedAsync(Coach, referral);
        await PushKit.UntilAsync(_hub, async () => (await PushKit.ListAsync(_hub, Coach, DeliveryStatus.SetAside)).Any(d => d.Name == signalDelivery));
        var setAside = (await PushKit.ListAsync(_hub, Coach, DeliveryStatus.SetAside)).Single(d => d.Name == signalDelivery);
        Assert.StartsWith("UNTRANSLATABLE:", setAside.StatusReason, StringComparison.Ordinal);
        Assert.Single(_partner.Stored);
        Assert.Equal(1, _partner.Requests);
    }

    private static string Single(XDocument document, string localName) =>
        Assert.Single(document.Descendants(), e => e.Name.LocalName == localName).Value;

    private async Task<(PartyClient Sdd, Client Client, string Bsn)> ArrangeAsync(string recipient, Google.Type.Date? birthDate = null, params string[] pushed)
    {
        _hub.WithPushSettings(PushKit.PartiesFile((pushed.Length == 0 ? [recipient] : pushed).Select(p => (p, "IWMO", _partner.Endpoint)).ToArray()))
            .With("Hub:Push:AttemptTimeout", "00:01:00")
            .With("Hub:Push:TotalTimeout", "00:03:00")
            .With("Hub:Push:BreakerSamplingDuration", "00:10:00")
            .With("Hub:Push:BreakerMinimumThroughput", "1000");
        var coach = _hub.As(Coach);
        var bsn = Kit.NewBsn();
        var client = await coach.RegisterAsync(bsn, birthDate ?? Date(1994, 11, 2), "0505");
        await coach.AssignCoachAsync(client.Name, "lisa", "Lisa");
        await coach.GrantAsync(client.Name, GrantorRole.Client, recipient, [Purpose.Coaching], [DataCategory.SupportPlan, DataCategory.ContactDetails]);
        return (_hub.As("sdd"), client, bsn);
    }

    private static async Task<string> ReferAsync(PartyClient sdd, string client, string performer = Performer)
    {
        var response = await sdd.Referrals.CreateReferralAsync(new CreateReferralRequest { RequestId = NewRequestId(), Referral = Kit.CareReferral(client, performer) });
        var decision = Assert.Single(response.Decisions, d => d.Recipient == "parties/" + performer);
        Assert.Equal(RecipientOutcome.Content, decision.Outcome);
        return decision.Delivery;
    }

    private async Task UntilAcknowledgedAsync(string recipient, params string[] deliveries) =>
        await PushKit.UntilAsync(
            _hub,
            async () => (await PushKit.ListAsync(_hub, recipient, DeliveryStatus.Acknowledged)).Count(d => deliveries.Contains(d.Name)) == deliveries.Length,
            failure: () => $"stored {_partner.Stored.Count}, invalid {_partner.Invalid}, requests {_partner.Requests}");
}

/// <summary>What the iWmo partner does with the next request.</summary>
internal enum IWmoFault
{
    /// <summary>Handles the request normally.</summary>
    None,

    /// <summary>Answers 500.</summary>
    ServerError,

    /// <summary>Drops the connection without an answer.</summary>
    Drop,

    /// <summary>Keeps the message, then drops the connection, so the hub never hears that it arrived.</summary>
    StoreThenDrop,
}

/// <summary>One message the partner kept.</summary>
internal sealed record IWmoMessage(IStandaard Standaard, XDocument Document, IReadOnlyList<SchemaProblem> Problems);

/// <summary>
/// An iWmo partner's receiving endpoint as a provider would run one: Kestrel over HTTP on loopback; every message is
/// parsed and validated against the iWmo (or iJw) 3.2 schemas by its namespace before anything else, an invalid one is
/// refused with 400 and kept nowhere; a valid one is kept once by its BerichtIdentificatie.
/// </summary>
internal sealed class IWmoPartner : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<IWmoFault> _faults = new();
    private int _invalid;
    private int _requests;

    private IWmoPartner(WebApplication app) => _app = app;

    /// <summary>The endpoint the hub posts to.</summary>
    public Uri Endpoint { get; private set; } = null!;

    /// <summary>Messages kept, by BerichtIdentificatie.</summary>
    public ConcurrentDictionary<string, IWmoMessage> Stored { get; } = new(StringComparer.Ordinal);

    /// <summary>Second and later copies of a kept message, by BerichtIdentificatie.</summary>
    public ConcurrentDictionary<string, int> Copies { get; } = new(StringComparer.Ordinal);

    /// <summary>Messages refused as invalid against the schemas.</summary>
    public int Invalid => _invalid;

    /// <summary>Every request that reached the partner.</summary>
    public int Requests => _requests;

    /// <summary>Faults queued and not yet used.</summary>
    public int PendingFaults => _faults.Count;

    /// <summary>Queues faults for the next requests, in order.</summary>
    public void FailNext(params IWmoFault[] faults)
    {
        foreach (var fault in faults)
        {
            _faults.Enqueue(fault);
        }
    }

    public static async Task<IWmoPartner> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = Path.GetTempPath() });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var partner = new IWmoPartner(app);
        app.MapPost("/iwmo", partner.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        partner.Endpoint = new Uri(new Uri(address), "/iwmo");
        return partner;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext http)
    {
        Interlocked.Increment(ref _requests);
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer, http.RequestAborted);
        var fault = _faults.TryDequeue(out var next) ? next : IWmoFault.None;
        switch (fault)
        {
            case IWmoFault.ServerError:
                http.Response.StatusCode = 500;
                return;
            case IWmoFault.Drop:
                http.Abort();
                return;
        }

        buffer.Position = 0;
        XDocument document;
        try
        {
            document = XDocument.Load(buffer, LoadOptions.SetLineInfo);
        }
        catch (System.Xml.XmlException)
        {
            Interlocked.Increment(ref _invalid);
            http.Response.StatusCode = 400;
            return;
        }

        var standaard = document.Root!.Name.NamespaceName.Contains("/ijw/", StringComparison.Ordinal) ? IStandaard.IJw : IStandaard.IWmo;
        var problems = SchemaCatalog.Validate(document, standaard);
        var identification = document.Descendants().FirstOrDefault(e => e.Name.LocalName == "BerichtIdentificatie")?
            .Elements().FirstOrDefault(e => e.Name.LocalName == "Identificatie")?.Value;
        if (problems.Count > 0 || string.IsNullOrEmpty(identification))
        {
            Interlocked.Increment(ref _invalid);
            http.Response.StatusCode = 400;
            return;
        }

        if (!Stored.TryAdd(identification, new IWmoMessage(standaard, document, problems)))
        {
            Copies.AddOrUpdate(identification, 1, (_, n) => n + 1);
        }

        if (fault == IWmoFault.StoreThenDrop)
        {
            http.Abort();
            return;
        }

        http.Response.StatusCode = 200;
    }
}

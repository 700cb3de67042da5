using System.Collections.Concurrent;
using System.Xml.Linq;
using Ketenhub.Adapters.IWmo;
using Ketenhub.Adapters.IWmo.Schemas;
using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using Ketenhub.HubTests.Integration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Push;

/// <summary>
/// Push delivery to a care provider on the iWmo standard: a real HTTP server on loopback that validates every message
/// against the official iWmo/iJw 3.2 schemas before it keeps it, keeps each message once by its
/// BerichtIdentificatie (a copy is answered 200 and counted), and can be told to fail the next requests.
/// </summary>
public sealed class IWmoPushTests : IAsyncLifetime
{
    private const string Performer = "begeleiding-plus";
    private const string Coach = PushKit.CoachParty;
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
        _partner.FailNext(Fault.ServerError, Fault.Drop, Fault.StoreThenDrop, Fault.ServerError);

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

    private Task<(PartyClient Sdd, Client Client, string Bsn)> ArrangeAsync(string recipient, Google.Type.Date? birthDate = null, params string[] pushed) =>
        _hub.ArrangePushAsync("IWMO", _partner.Endpoint, recipient, birthDate, pushed);

    private static async Task<string> ReferAsync(PartyClient sdd, string client, string performer = Performer) =>
        (await PushKit.ReferAsync(sdd, client, performer)).Delivery;

    private Task UntilAcknowledgedAsync(string recipient, params string[] deliveries) =>
        PushKit.UntilAcknowledgedAsync(_hub, recipient, deliveries, () => $"stored {_partner.Stored.Count}, invalid {_partner.Invalid}, requests {_partner.Requests}");
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
    private WebApplication _app = null!;
    private readonly ConcurrentQueue<Fault> _faults = new();
    private int _invalid;
    private int _requests;

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

    /// <summary>Queues faults for the next requests, in order (this partner acts on ServerError, Drop and StoreThenDrop).</summary>
    public void FailNext(params Fault[] faults)
    {
        foreach (var fault in faults)
        {
            _faults.Enqueue(fault);
        }
    }

    /// <summary>Starts a partner on a free loopback port (plain HTTP).</summary>
    public static async Task<IWmoPartner> StartAsync()
    {
        var partner = new IWmoPartner();
        (partner._app, partner.Endpoint) = await PushKit.StartPartnerAsync("/iwmo", partner.HandleAsync);
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
        var fault = _faults.TryDequeue(out var next) ? next : Fault.None;
        switch (fault)
        {
            case Fault.ServerError:
                http.Response.StatusCode = 500;
                return;
            case Fault.Drop:
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

        if (fault == Fault.StoreThenDrop)
        {
            http.Abort();
            return;
        }

        http.Response.StatusCode = 200;
    }
}

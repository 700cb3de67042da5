using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Xml.Linq;
using Google.Protobuf.WellKnownTypes;
using Ketenhub.Adapters.IWmo.Schemas;
using Ketenhub.Contracts.V1;
using static Ketenhub.Adapters.IWmo.Tests.Fixtures;

namespace Ketenhub.Adapters.IWmo.Tests;

public sealed class AdapterTests : IDisposable
{
    private readonly MemoryDirectory _directory = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly IWmoAdapter _adapter;

    public AdapterTests()
    {
        _adapter = new IWmoAdapter(_directory, _http, new FixedTime(Now));
        _directory.Delivered(Provider.Name, 4711, "referrals/" + ReferralId);
    }

    public void Dispose() => _http.Dispose();

    private static Party AsParty(IWmoParty p) => new() { Name = p.Name, Kind = p.Kind, DisplayName = p.DisplayName, Agb = p.Agb, MunicipalityCodes = { p.MunicipalityCodes }, DeliveryChannel = DeliveryChannel.Iwmo };

    private static AdapterContext Context(IWmoParty recipient, IWmoParty sender) =>
        new(new Uri("https://ketenhub.example.nl/"), AsParty(recipient), AsParty(sender), new Dictionary<string, Party> { [Wijkteam.Name] = AsParty(Wijkteam), [Provider.Name] = AsParty(Provider) });

    private static InboundMessage Inbound(XDocument document) => new("POST", string.Empty, IWmoAdapter.XmlContentType, IWmoXml.ToBytes(document));

    [Fact]
    public void The_adapter_translates_a_referral_delivery_deterministically_into_a_valid_wmo301()
    {
        var delivery = ReferralDelivery(Provider, Wijkteam);
        var first = _adapter.TranslateOutbound(delivery, Context(Provider, Wijkteam));
        var again = _adapter.TranslateOutbound(delivery.Clone(), Context(Provider, Wijkteam));

        Assert.Equal("iwmo-3.2", _adapter.Format);
        Assert.Equal(IWmoAdapter.XmlContentType, first.ContentType);
        Assert.Equal(first.Body.ToArray(), again.Body.ToArray());
        var document = XDocument.Parse(Encoding.UTF8.GetString(first.Body.Span));
        Assert.Empty(SchemaCatalog.Validate(document, IStandaard.IWmo));
        Assert.Equal("414", document.Descendants().First(e => e.Name.LocalName == "BerichtCode").Value);
    }

    [Fact]
    public void The_client_details_on_the_delivery_decide_what_the_message_carries()
    {
        // The social service decides for Zwijndrecht (0642), where this client lives.
        var delivery = ReferralDelivery(Provider, Sdd);
        delivery.Client = "clients/cli_not_in_the_directory";
        delivery.ClientDetails = new DeliveredClient
        {
            Pseudonym = "psn-0123456789abcdef0123456789abcdef",
            Bsn = OtherValidBsn,
            BirthDate = new Google.Type.Date { Year = 1999, Month = 2, Day = 3 },
            MunicipalityCode = "0642",
        };

        var document = XDocument.Parse(Encoding.UTF8.GetString(_adapter.TranslateOutbound(delivery, Context(Provider, Sdd)).Body.Span));
        var content = BerichtContent.Read(document);

        Assert.Equal(OtherValidBsn, content.Bsn);
        Assert.Equal(new DateOnly(1999, 2, 3), content.BirthDate);
        Assert.Equal("0642", content.Afzender);
        Assert.Equal("psn-0123456789abcdef0123456789abcdef", document.Descendants().First(e => e.Name.LocalName == "Achternaam").Value);

        delivery.ClientDetails.Bsn = string.Empty; // the recipient has no legal need for the BSN
        Assert.Equal(IWmoErrors.BsnRequired, Assert.Throws<AdapterException>(() => _adapter.TranslateOutbound(delivery, Context(Provider, Sdd))).Reason);
    }

    [Fact]
    public void The_adapter_refuses_what_it_cannot_express_with_stable_reasons()
    {
        var signal = ReferralDelivery(Provider, Wijkteam);
        signal.Signal = new Signal { Name = "signals/sig_1" };
        var noClientView = ReferralDelivery(Provider, Wijkteam);
        noClientView.Client = "clients/cli_unknown";

        Assert.Equal("UNSUPPORTED_PAYLOAD", Assert.Throws<AdapterException>(() => _adapter.TranslateOutbound(signal, Context(Provider, Wijkteam))).Reason);
        Assert.Equal(IWmoErrors.BsnRequired, Assert.Throws<AdapterException>(() => _adapter.TranslateOutbound(noClientView, Context(Provider, Wijkteam))).Reason);
        _directory.Clients[noClientView.Client] = Adult(bsn: null);
        Assert.Equal(IWmoErrors.BsnRequired, Assert.Throws<AdapterException>(() => _adapter.TranslateOutbound(noClientView, Context(Provider, Wijkteam))).Reason);
    }

    [Fact]
    public void An_inbound_start_becomes_the_hubs_request_and_the_reply_is_its_retour()
    {
        var message = Inbound(PartnerMessages.Start(IStandaard.IWmo, ProviderAgb, 4711, Today));

        var translation = Assert.IsType<InboundTranslation.Requests>(_adapter.TranslateInbound(message, Context(Sdd, Provider)));
        var start = Assert.IsType<StartReferralRequest>(Assert.Single(translation.Messages));
        Assert.Equal("referrals/" + ReferralId, start.Name);

        var ok = _adapter.RenderReply(message, new InboundOutcome(null, [new StartReferralResponse()]), Context(Sdd, Provider));
        var refused = _adapter.RenderReply(message, new InboundOutcome(HubErrors.Create(Grpc.Core.StatusCode.FailedPrecondition, "ILLEGAL_REFERRAL_STEP", "not accepted yet"), []), Context(Sdd, Provider));

        Assert.Equal(200, ok.StatusCode);
        var okRetour = XDocument.Parse(Encoding.UTF8.GetString(ok.Payload.Body.Span));
        var refusedRetour = XDocument.Parse(Encoding.UTF8.GetString(refused.Payload.Body.Span));
        Assert.Empty(SchemaCatalog.Validate(okRetour, IStandaard.IWmo));
        Assert.Empty(SchemaCatalog.Validate(refusedRetour, IStandaard.IWmo));
        static string ProductCode(XDocument d) => d.Descendants().Single(e => e.Name.LocalName == "StartProduct").Descendants().Last(e => e.Name.LocalName == "RetourCode").Value;
        Assert.Equal("0200", ProductCode(okRetour));
        Assert.Equal("9063", ProductCode(refusedRetour));
    }

    [Fact]
    public void A_message_in_another_partys_name_is_refused()
    {
        var message = Inbound(PartnerMessages.Start(IStandaard.IWmo, ProviderAgb, 4711, Today));
        var rejected = Assert.IsType<InboundTranslation.Rejected>(_adapter.TranslateInbound(message, Context(Sdd, YouthProvider)));
        Assert.Equal("UNKNOWN_PARTY", HubErrors.ReasonOf(rejected.Error));
    }

    [Fact]
    public void Invalid_or_rejected_messages_are_coded_hub_errors_without_personal_data()
    {
        var invalid = PartnerMessages.Start(IStandaard.IWmo, ProviderAgb, 4711, Today, bsn: "12345");
        var elfproef = PartnerMessages.Start(IStandaard.IWmo, ProviderAgb, 4711, Today, bsn: "111222334");
        var unknown = PartnerMessages.Start(IStandaard.IWmo, ProviderAgb, 999, Today);

        var xsd = Assert.IsType<InboundTranslation.Rejected>(_adapter.TranslateInbound(Inbound(invalid), Context(Sdd, Provider)));
        var bsn = Assert.IsType<InboundTranslation.Rejected>(_adapter.TranslateInbound(Inbound(elfproef), Context(Sdd, Provider)));
        var referral = Assert.IsType<InboundTranslation.Rejected>(_adapter.TranslateInbound(Inbound(unknown), Context(Sdd, Provider)));

        Assert.Equal("INVALID_REQUEST", HubErrors.ReasonOf(xsd.Error));
        Assert.Contains(HubErrors.ViolationsOf(xsd.Error), v => v.Field == "Bericht/Client/Bsn");
        Assert.Equal("INVALID_BSN", HubErrors.ReasonOf(bsn.Error));
        Assert.Equal("REFERRAL_NOT_FOUND", HubErrors.ReasonOf(referral.Error));
        foreach (var error in new[] { xsd.Error, bsn.Error, referral.Error })
        {
            Assert.DoesNotContain("12345", error.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain("111222334", error.ToString(), StringComparison.Ordinal);
        }

        var reply = _adapter.RenderReply(Inbound(invalid), new InboundOutcome(xsd.Error, []), Context(Sdd, Provider));
        Assert.Equal((400, "application/problem+json"), (reply.StatusCode, reply.Payload.ContentType));
        var problem = System.Text.Json.JsonDocument.Parse(reply.Payload.Body).RootElement;
        Assert.Equal(("IB001", 400, "https://ketenhub.nl/problems/iwmo/IB001"), (problem.GetProperty("code").GetString(), problem.GetProperty("status").GetInt32(), problem.GetProperty("type").GetString()));
        var bsnParam = problem.GetProperty("invalidParams").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "Bericht/Client/Bsn");
        Assert.True(bsnParam.GetProperty("line").GetInt32() > 0 && bsnParam.GetProperty("position").GetInt32() > 0);
        Assert.Contains("constraint failed", bsnParam.GetProperty("reason").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("12345", Encoding.UTF8.GetString(reply.Payload.Body.Span), StringComparison.Ordinal);
        Assert.Contains(HubErrors.ViolationsOf(xsd.Error), v => v.Field == "Bericht/Client/Bsn" && v.Description.Contains("line ", StringComparison.Ordinal));
        var bsnReply = _adapter.RenderReply(Inbound(elfproef), new InboundOutcome(bsn.Error, []), Context(Sdd, Provider));
        Assert.Contains("<RetourCode>0001</RetourCode>", Encoding.UTF8.GetString(bsnReply.Payload.Body.Span).Replace("iwmo:", string.Empty, StringComparison.Ordinal).Replace("wmo306:", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void A_message_type_the_hub_does_not_take_is_refused_naming_it_and_the_types_it_takes()
    {
        var message = new InboundMessage("POST", string.Empty, IWmoAdapter.XmlContentType, Encoding.UTF8.GetBytes("<Bericht xmlns=\"http://www.istandaarden.nl/ijw/3_2/jw317/schema\"/>"));

        var rejected = Assert.IsType<InboundTranslation.Rejected>(_adapter.TranslateInbound(message, Context(Sdd, Provider)));
        var reply = _adapter.RenderReply(message, new InboundOutcome(rejected.Error, []), Context(Sdd, Provider));

        Assert.Contains("JW317", rejected.Error.Message, StringComparison.Ordinal);
        Assert.Equal((400, "application/problem+json"), (reply.StatusCode, reply.Payload.ContentType));
        var problem = System.Text.Json.JsonDocument.Parse(reply.Payload.Body).RootElement;
        Assert.Equal(("IB004", "JW317"), (problem.GetProperty("code").GetString(), problem.GetProperty("received").GetString()));
        Assert.Equal(Ketenhub.Adapters.IWmo.Inbound.InboundTranslator.Supported, problem.GetProperty("supported").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Deliver_posts_the_message_to_a_real_http_endpoint_and_names_the_outcome()
    {
        var payload = _adapter.TranslateOutbound(ReferralDelivery(Provider, Wijkteam), Context(Provider, Wijkteam));
        using var server = new LoopbackServer();
        var delivery = new OutboundDelivery("deliveries/dlv_1", Provider.Name, server.Url, payload, 1);

        server.Next = (HttpStatusCode.OK, null);
        Assert.IsType<AdapterDeliveryResult.Delivered>(await _adapter.DeliverAsync(delivery, CancellationToken.None));
        Assert.Equal(payload.Body.ToArray(), server.LastBody);
        Assert.Equal("deliveries/dlv_1", server.LastDeliveryHeader);

        server.Next = (HttpStatusCode.ServiceUnavailable, "7");
        Assert.Equal(TimeSpan.FromSeconds(7), Assert.IsType<AdapterDeliveryResult.RetryLater>(await _adapter.DeliverAsync(delivery, CancellationToken.None)).After);

        server.Next = (HttpStatusCode.BadRequest, null);
        Assert.Equal("HTTP_400", Assert.IsType<AdapterDeliveryResult.Rejected>(await _adapter.DeliverAsync(delivery, CancellationToken.None)).ReasonCode);

        var closed = delivery with { Endpoint = new Uri($"http://127.0.0.1:{LoopbackServer.FreePort()}/") };
        Assert.IsType<AdapterDeliveryResult.RetryLater>(await _adapter.DeliverAsync(closed, CancellationToken.None));
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now.ToUniversalTime();
    }

    /// <summary>A real HTTP server on loopback that answers with the status the test sets.</summary>
    private sealed class LoopbackServer : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly Task _loop;

        public LoopbackServer()
        {
            Url = new Uri($"http://127.0.0.1:{FreePort()}/iwmo/");
            _listener.Prefixes.Add(Url.ToString());
            _listener.Start();
            _loop = Task.Run(Serve);
        }

        public Uri Url { get; }

        public (HttpStatusCode Status, string? RetryAfter) Next { get; set; } = (HttpStatusCode.OK, null);

        public byte[] LastBody { get; private set; } = [];

        public string? LastDeliveryHeader { get; private set; }

        public static int FreePort()
        {
            using var socket = new TcpListener(IPAddress.Loopback, 0);
            socket.Start();
            return ((IPEndPoint)socket.LocalEndpoint).Port;
        }

        private async Task Serve()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }

                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                LastBody = body.ToArray();
                LastDeliveryHeader = context.Request.Headers["Ketenhub-Delivery"];
                context.Response.StatusCode = (int)Next.Status;
                if (Next.RetryAfter is { } after)
                {
                    context.Response.Headers["Retry-After"] = after;
                }

                context.Response.Close();
            }
        }

        public void Dispose()
        {
            _listener.Stop();
            _listener.Close();
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
    }
}

using System.Xml.Linq;
using Ketenhub.Adapters.IWmo;
using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using Ketenhub.HubTests.Integration;
using Microsoft.Extensions.DependencyInjection;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Inbound;

/// <summary>
/// Partners on iWmo 3.2 through the real host: a provider's 305 and 307 start and end the referral the hub delivered
/// to it as toewijzing (number = the delivery's sequence), a municipality's 301 accepts a provider's request, each
/// answered with its retour; schema-invalid and semantically wrong messages get their codes and change nothing.
/// </summary>
public sealed class IWmoInboundTests : IDisposable
{
    private const string Xml = "application/xml";
    private const string BrugAgb = "98000003";
    private const string HoeveAgb = "98000004";
    private const string Dordrecht = "0505";
    private static readonly DateOnly Today = new(2026, 1, 5);
    private readonly HubFactory _hub = InboundKit.Hub();
    private readonly PartyClient _sdd;
    private readonly PartyClient _waakvlam;
    private readonly PartyClient _brug;

    public IWmoInboundTests()
    {
        _sdd = _hub.As("sdd");
        _waakvlam = _hub.As("waakvlam-zorg");
        _brug = _hub.As("dagbesteding-de-brug");
    }

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task A_providers_305_and_307_start_and_end_the_referral_with_retour_0200()
    {
        var (client, bsn, referral, nummer) = await DeliveredToBrugAsync();
        await _brug.Referrals.AcceptReferralAsync(new AcceptReferralRequest { RequestId = NewRequestId(), Name = referral });
        var http = _hub.Http("dagbesteding-de-brug");

        var start = await http.SendAsync(HttpMethod.Post, "/iwmo/WMO305", Text(Start(nummer, new DateOnly(2026, 1, 5), bsn)), Xml);
        var stop = await http.SendAsync(HttpMethod.Post, "/iwmo/WMO307", Text(Stop(nummer, new DateOnly(2026, 1, 5), new DateOnly(2026, 1, 5), "02", bsn)), Xml);

        Assert.Equal((200, Xml), (start.Status, start.ContentType));
        Assert.Equal(Berichten.Code(IStandaard.IWmo, Bericht.StartRetour), BerichtCode(start.Body));
        Assert.Equal(["0200"], RetourCodes(start.Body, "StartProduct"));
        Assert.Equal((200, Berichten.Code(IStandaard.IWmo, Bericht.StopRetour)), (stop.Status, BerichtCode(stop.Body)));
        Assert.Equal(["0200"], RetourCodes(stop.Body, "StopProduct"));
        var performer = (await ReadAsync(referral)).Performers.Single();
        Assert.Equal((PerformerStatus.Ended, "02", Date(2026, 1, 5)), (performer.Status, performer.ReasonCode, performer.StartDate));
        var journey = await Kit.JourneyAsync(_waakvlam, client);
        Assert.Equal(
            [JourneyEventType.ReferralRequested, JourneyEventType.ReferralAccepted, JourneyEventType.ReferralStarted, JourneyEventType.ReferralEnded],
            journey.Where(e => e.Resource == referral).Select(e => e.Type));

        // The provider's resend of the same 305 is the same request: the same answer, no second start.
        var again = await http.SendAsync(HttpMethod.Post, "/iwmo/WMO305", Text(Start(nummer, new DateOnly(2026, 1, 5), bsn)), Xml);
        Assert.Equal(["0200"], RetourCodes(again.Body, "StartProduct"));
        Assert.Single(await Kit.JourneyAsync(_waakvlam, client), e => e.Resource == referral && e.Type == JourneyEventType.ReferralStarted);
    }

    [Fact]
    public async Task A_providers_302_without_remarks_on_the_hubs_301_acknowledges_the_delivery_and_accepts_the_referral()
    {
        var (_, _, referral, delivery) = await DeliveryToBrugAsync();
        var toewijzing = await HubsToewijzingAsync(delivery);
        var retour = Ketenhub.Adapters.IWmo.Inbound.RetourWriter.Write(IStandaard.IWmo, Bericht.Toewijzing, toewijzing, new Dictionary<XElement, List<string>>(), Today);
        var http = _hub.Http("dagbesteding-de-brug");

        var answer = await http.SendAsync(HttpMethod.Post, "/iwmo/WMO302", Text(retour), Xml);
        var again = await http.SendAsync(HttpMethod.Post, "/iwmo/WMO302", Text(retour), Xml);

        Assert.Equal((200, "OK\n"), (answer.Status, answer.Body));
        Assert.Equal((200, "OK\n"), (again.Status, again.Body));
        Assert.Equal(PerformerStatus.Accepted, (await ReadAsync(referral)).Performers.Single().Status);
        var listed = Assert.Single(await Kit.DeliveriesAsync(_brug), d => d.Name == delivery.Name);
        Assert.Equal(DeliveryStatus.Acknowledged, listed.Status);
    }

    [Fact]
    public async Task A_providers_302_with_a_rejection_code_declines_the_referral_with_the_codes_and_accepts_nothing()
    {
        var (_, _, referral, delivery) = await DeliveryToBrugAsync();
        var toewijzing = await HubsToewijzingAsync(delivery);
        var product = toewijzing.Descendants().Single(e => e.Name.LocalName == "ToegewezenProduct");
        var retour = Ketenhub.Adapters.IWmo.Inbound.RetourWriter.Write(IStandaard.IWmo, Bericht.Toewijzing, toewijzing, new Dictionary<XElement, List<string>> { [product] = ["9332"] }, Today);

        var answer = await _hub.Http("dagbesteding-de-brug").SendAsync(HttpMethod.Post, "/iwmo", Text(retour), Xml);

        Assert.Equal(200, answer.Status);
        var performer = (await ReadAsync(referral)).Performers.Single();
        Assert.Equal((PerformerStatus.Declined, "WJ001-9332"), (performer.Status, performer.ReasonCode));
        var listed = Assert.Single(await Kit.DeliveriesAsync(_brug), d => d.Name == delivery.Name);
        Assert.NotEqual(DeliveryStatus.Acknowledged, listed.Status);
    }

    [Fact]
    public async Task A_municipalitys_301_on_a_providers_request_accepts_it_with_retour_0200()
    {
        var (client, bsn) = await NewClientAsync();
        var request = Kit.CareReferral(client, "sdd", ServiceKind.DayActivities);
        var referral = (await _brug.Referrals.CreateReferralAsync(new CreateReferralRequest { RequestId = NewRequestId(), Referral = request })).Referral.Name;

        var answer = await _hub.Http("sdd").SendAsync(HttpMethod.Post, "/iwmo/WMO301", Text(Toewijzing(referral["referrals/".Length..], bsn)), Xml);

        Assert.Equal((200, Berichten.Code(IStandaard.IWmo, Bericht.ToewijzingRetour)), (answer.Status, BerichtCode(answer.Body)));
        Assert.Equal(["0200"], RetourCodes(answer.Body, "ToegewezenProduct"));
        Assert.Equal(PerformerStatus.Accepted, (await ReadAsync(referral, _brug)).Performers.Single().Status);
    }

    [Fact]
    public async Task Steps_that_do_not_fit_get_their_retour_codes_and_change_nothing()
    {
        var (_, bsn, referral, nummer) = await DeliveredToBrugAsync();
        var http = _hub.Http("dagbesteding-de-brug");

        // Not accepted yet: a start is an illegal step (9063), a stop too (9069); an unknown number links to nothing (9019).
        var start = await http.SendAsync(HttpMethod.Post, "/iwmo", Text(Start(nummer, Today, bsn)), Xml);
        var stop = await http.SendAsync(HttpMethod.Post, "/iwmo", Text(Stop(nummer, Today, Today, "02", bsn)), Xml);
        var unknown = await http.SendAsync(HttpMethod.Post, "/iwmo", Text(Start(nummer + 1000, Today, bsn, identificatie: "S-2")), Xml);

        Assert.Equal(["9063"], RetourCodes(start.Body, "StartProduct"));
        Assert.Equal(["9069"], RetourCodes(stop.Body, "StopProduct"));
        Assert.Equal(["9019"], RetourCodes(unknown.Body, "StartProduct"));
        Assert.Equal(PerformerStatus.Requested, (await ReadAsync(referral)).Performers.Single().Status);
    }

    [Theory]
    [InlineData("bsn")]
    [InlineData("gemeente")]
    [InlineData("categorie")]
    [InlineData("begindatum")]
    public async Task A_305_that_disagrees_with_its_toewijzing_in_one_field_gets_9019_and_starts_nothing(string field)
    {
        var (_, bsn, referral, nummer) = await DeliveredToBrugAsync();
        var (_, otherBsn) = await NewClientAsync();
        await _brug.Referrals.AcceptReferralAsync(new AcceptReferralRequest { RequestId = NewRequestId(), Name = referral });
        var http = _hub.Http("dagbesteding-de-brug");

        // The toewijzing: client bsn, from Dordrecht (0505), dagbesteding (07), from 2026-01-05 (the hub's 301 went out that day).
        var message = field switch
        {
            "bsn" => Start(nummer, Today, otherBsn),
            "gemeente" => Start(nummer, Today, bsn, gemeente: "0363"),
            "categorie" => Start(nummer, Today, bsn, categorie: "02"),
            _ => Start(nummer, Today.AddDays(-1), bsn),
        };
        var answer = await http.SendAsync(HttpMethod.Post, "/iwmo/WMO305", Text(message), Xml);

        Assert.Equal(200, answer.Status);
        Assert.Equal(["9019"], RetourCodes(answer.Body, "StartProduct"));
        Assert.Equal(PerformerStatus.Accepted, (await ReadAsync(referral)).Performers.Single().Status);
    }

    [Fact]
    public async Task A_second_start_with_the_same_key_gets_9074_a_start_with_another_begindatum_9326_and_the_same_message_again_its_first_answer()
    {
        var (_, bsn, referral, nummer) = await DeliveredToBrugAsync();
        await _brug.Referrals.AcceptReferralAsync(new AcceptReferralRequest { RequestId = NewRequestId(), Name = referral });
        var http = _hub.Http("dagbesteding-de-brug");
        var first = await http.SendAsync(HttpMethod.Post, "/iwmo", Text(Start(nummer, Today, bsn)), Xml);

        var sameKey = await http.SendAsync(HttpMethod.Post, "/iwmo", Text(Start(nummer, Today, bsn, identificatie: "S-1002")), Xml);
        var otherBegin = await http.SendAsync(HttpMethod.Post, "/iwmo", Text(Start(nummer, Today.AddDays(1), bsn, identificatie: "S-1003")), Xml);
        var repeated = await http.SendAsync(HttpMethod.Post, "/iwmo", Text(Start(nummer, Today, bsn)), Xml);
        var repeatedRefusal = await http.SendAsync(HttpMethod.Post, "/iwmo", Text(Start(nummer, Today, bsn, identificatie: "S-1002")), Xml);

        Assert.Equal(["0200"], RetourCodes(first.Body, "StartProduct"));
        Assert.Equal(["9074"], RetourCodes(sameKey.Body, "StartProduct"));
        Assert.Equal(["9326"], RetourCodes(otherBegin.Body, "StartProduct"));
        Assert.Equal(first.Body, repeated.Body);
        Assert.Equal(sameKey.Body, repeatedRefusal.Body);
        var performer = (await ReadAsync(referral)).Performers.Single();
        Assert.Equal((PerformerStatus.Started, Date(2026, 1, 5)), (performer.Status, performer.StartDate));
    }

    [Theory]
    [InlineData("bsn", "9019")]
    [InlineData("gemeente", "9019")]
    [InlineData("begindatum", "9069")]
    [InlineData("herhaald", "9415")]
    public async Task A_307_that_disagrees_with_its_toewijzing_or_its_start_gets_its_code_and_ends_nothing(string field, string code)
    {
        var (_, bsn, referral, nummer) = await DeliveredToBrugAsync();
        var (_, otherBsn) = await NewClientAsync();
        await _brug.Referrals.AcceptReferralAsync(new AcceptReferralRequest { RequestId = NewRequestId(), Name = referral });
        var http = _hub.Http("dagbesteding-de-brug");
        Assert.Equal(["0200"], RetourCodes((await http.SendAsync(HttpMethod.Post, "/iwmo", Text(Start(nummer, Today, bsn)), Xml)).Body, "StartProduct"));
        if (field == "herhaald")
        {
            Assert.Equal(["0200"], RetourCodes((await http.SendAsync(HttpMethod.Post, "/iwmo", Text(Stop(nummer, Today, Today, "02", bsn)), Xml)).Body, "StopProduct"));
        }

        var message = field switch
        {
            "bsn" => Stop(nummer, Today, Today, "02", otherBsn),
            "gemeente" => Stop(nummer, Today, Today, "02", bsn, gemeente: "0363"),
            "begindatum" => Stop(nummer, Today.AddDays(1), Today, "02", bsn),
            _ => Stop(nummer, Today, Today, "02", bsn, identificatie: "E-2002"),
        };
        var answer = await http.SendAsync(HttpMethod.Post, "/iwmo/WMO307", Text(message), Xml);

        Assert.Equal([code], RetourCodes(answer.Body, "StopProduct"));
        Assert.Equal(field == "herhaald" ? PerformerStatus.Ended : PerformerStatus.Started, (await ReadAsync(referral)).Performers.Single().Status);
    }

    [Theory]
    [InlineData("bsn")]
    [InlineData("gemeente")]
    [InlineData("categorie")]
    [InlineData("aanbieder")]
    public async Task A_municipalitys_301_that_disagrees_with_the_verzoek_it_answers_gets_9379_and_accepts_nothing(string field)
    {
        var (client, bsn) = await NewClientAsync();
        var (_, otherBsn) = await NewClientAsync();
        var request = Kit.CareReferral(client, "sdd", ServiceKind.DayActivities);
        var referral = (await _brug.Referrals.CreateReferralAsync(new CreateReferralRequest { RequestId = NewRequestId(), Referral = request })).Referral.Name;
        var id = referral["referrals/".Length..];

        // The verzoek: from De Brug, for client bsn in Dordrecht (0505), dagbesteding (07).
        var message = field switch
        {
            "bsn" => Toewijzing(id, otherBsn),
            "gemeente" => Toewijzing(id, bsn, gemeente: "0642"),
            "categorie" => Toewijzing(id, bsn, categorie: "02"),
            _ => Toewijzing(id, bsn, agb: HoeveAgb),
        };
        var answer = await _hub.Http("sdd").SendAsync(HttpMethod.Post, "/iwmo/WMO301", Text(message), Xml);

        Assert.Equal(200, answer.Status);
        Assert.Equal(["9379"], RetourCodes(answer.Body, "ToegewezenProduct"));
        Assert.Equal(PerformerStatus.Requested, (await ReadAsync(referral, _brug)).Performers.Single().Status);
    }

    [Fact]
    public async Task A_provider_that_is_not_the_performer_cannot_step_the_referral()
    {
        var (_, bsn, referral, nummer) = await DeliveredToBrugAsync();
        await _brug.Referrals.AcceptReferralAsync(new AcceptReferralRequest { RequestId = NewRequestId(), Name = referral });

        // De Hoeve is on iWmo too (configured here), but the toewijzing was given to De Brug: the number links to nothing of De Hoeve's.
        var hoeve = await _hub.Http("zorgboerderij-de-hoeve").SendAsync(HttpMethod.Post, "/iwmo", Text(Start(nummer, Today, bsn, agb: HoeveAgb)), Xml);

        // A message in another provider's name: the product is rejected (0001) and not executed.
        var forged = await _hub.Http("zorgboerderij-de-hoeve").SendAsync(HttpMethod.Post, "/iwmo", Text(Start(nummer, Today, bsn)), Xml);

        Assert.Equal(["9019"], RetourCodes(hoeve.Body, "StartProduct"));
        Assert.Equal(["0001"], RetourCodes(forged.Body, "StartProduct"));
        Assert.Equal(PerformerStatus.Accepted, (await ReadAsync(referral)).Performers.Single().Status);
    }

    [Fact]
    public async Task A_schema_invalid_message_is_refused_before_anything_else_and_nothing_is_stored()
    {
        var (_, bsn, referral, nummer) = await DeliveredToBrugAsync();
        await _brug.Referrals.AcceptReferralAsync(new AcceptReferralRequest { RequestId = NewRequestId(), Name = referral });
        var http = _hub.Http("dagbesteding-de-brug");
        var invalid = Start(nummer, Today, bsn);
        invalid.Descendants().Single(e => e.Name.LocalName == "Begindatum").Remove();

        var schema = await http.SendAsync(HttpMethod.Post, "/iwmo", Text(invalid), Xml);
        var notXml = await http.SendAsync(HttpMethod.Post, "/iwmo", "<Bericht><Header>", Xml);
        var json = await http.SendAsync(HttpMethod.Post, "/iwmo", Text(Start(nummer, Today, bsn)), "application/json");

        // Problem details: the code, and per violation the element path, line, position and schema rule; no values.
        Assert.Equal((400, "application/problem+json"), (schema.Status, schema.ContentType));
        var problem = System.Text.Json.JsonDocument.Parse(schema.Body).RootElement;
        Assert.Equal("IB001", problem.GetProperty("code").GetString());
        var param = Assert.Single(problem.GetProperty("invalidParams").EnumerateArray());
        Assert.StartsWith("Bericht/Client/StartProducten/StartProduct", param.GetProperty("name").GetString(), StringComparison.Ordinal);
        Assert.True(param.GetProperty("line").GetInt32() > 0);
        Assert.Contains("Begindatum", param.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(bsn, schema.Body, StringComparison.Ordinal);
        Assert.Equal((400, "application/problem+json"), (notXml.Status, notXml.ContentType));
        var syntax = System.Text.Json.JsonDocument.Parse(notXml.Body).RootElement;
        Assert.Equal("IB001", syntax.GetProperty("code").GetString());
        Assert.Equal("The document is not well-formed XML.", syntax.GetProperty("invalidParams")[0].GetProperty("reason").GetString());

        // A message type the hub does not take: named, with the types it does take.
        var other = await http.SendAsync(HttpMethod.Post, "/iwmo/WMO317", "<Bericht xmlns=\"http://www.istandaarden.nl/iwmo/3_2/wmo317/schema\"><Header/></Bericht>", Xml);
        Assert.Equal((400, "application/problem+json"), (other.Status, other.ContentType));
        var notTaken = System.Text.Json.JsonDocument.Parse(other.Body).RootElement;
        Assert.Equal(("IB004", "WMO317"), (notTaken.GetProperty("code").GetString(), notTaken.GetProperty("received").GetString()));
        Assert.Contains("WMO305", notTaken.GetProperty("supported").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(415, json.Status);
        Assert.StartsWith("UNSUPPORTED_MEDIA_TYPE", json.Body, StringComparison.Ordinal);
        Assert.Equal(PerformerStatus.Accepted, (await ReadAsync(referral)).Performers.Single().Status);
    }

    [Fact]
    public async Task A_wrong_bsn_or_a_date_in_the_future_rejects_the_message_with_its_header_code()
    {
        var (_, bsn, referral, nummer) = await DeliveredToBrugAsync();
        await _brug.Referrals.AcceptReferralAsync(new AcceptReferralRequest { RequestId = NewRequestId(), Name = referral });
        var http = _hub.Http("dagbesteding-de-brug");
        var wrongBsn = bsn[..8] + (char)('0' + ((bsn[8] - '0' + 1) % 10));

        var elfproef = await http.SendAsync(HttpMethod.Post, "/iwmo", Text(Start(nummer, Today, wrongBsn)), Xml);
        var future = await http.SendAsync(HttpMethod.Post, "/iwmo", Text(Start(nummer, Today, bsn, dagtekening: Today.AddDays(3))), Xml);

        Assert.Equal(["0001"], RetourCodes(elfproef.Body, "Header"));
        Assert.Contains("8848", RetourCodes(future.Body, "Header"));
        Assert.Equal(PerformerStatus.Accepted, (await ReadAsync(referral)).Performers.Single().Status);
    }

    [Fact]
    public async Task A_begindatum_before_the_clients_birth_or_an_einddatum_before_it_is_rejected_and_changes_nothing()
    {
        var (_, bsn, referral, nummer) = await DeliveredToBrugAsync();
        await _brug.Referrals.AcceptReferralAsync(new AcceptReferralRequest { RequestId = NewRequestId(), Name = referral });
        var http = _hub.Http("dagbesteding-de-brug");

        // The client was born on 1994-11-02; a start then lies before the toewijzing's Ingangsdatum too, which the
        // adapter checks first (TR019: 9019).
        var beforeBirth = await http.SendAsync(HttpMethod.Post, "/iwmo", Text(Start(nummer, new DateOnly(1990, 1, 1), bsn)), Xml);
        Assert.Equal(["9019"], RetourCodes(beforeBirth.Body, "StartProduct"));
        Assert.Equal(PerformerStatus.Accepted, (await ReadAsync(referral)).Performers.Single().Status);

        var start = await http.SendAsync(HttpMethod.Post, "/iwmo", Text(Start(nummer, Today, bsn, identificatie: "S-2")), Xml);
        Assert.Equal(["0200"], RetourCodes(start.Body, "StartProduct"));
        var stop = await http.SendAsync(HttpMethod.Post, "/iwmo", Text(Stop(nummer, Today, Today.AddDays(-1), "02", bsn)), Xml);
        Assert.Equal(["0001"], RetourCodes(stop.Body, "StopProduct"));
        Assert.Equal(PerformerStatus.Started, (await ReadAsync(referral)).Performers.Single().Status);
    }

    [Fact]
    public async Task Unauthenticated_oversized_and_other_channel_calls_are_refused_in_plain_text()
    {
        var (_, bsn, _, nummer) = await DeliveredToBrugAsync();
        var message = Text(Start(nummer, Today, bsn));

        var anonymous = await _hub.Http(null).SendAsync(HttpMethod.Post, "/iwmo", message, Xml);
        var fhirParty = await _hub.Http("begeleiding-plus").SendAsync(HttpMethod.Post, "/iwmo", message, Xml);
        var big = await _hub.Http("dagbesteding-de-brug").SendAsync(HttpMethod.Post, "/iwmo", message.Replace("<", "\n<", StringComparison.Ordinal) + new string(' ', 1024 * 1024), Xml);

        Assert.Equal(401, anonymous.Status);
        Assert.StartsWith("CALLER_UNKNOWN", anonymous.Body, StringComparison.Ordinal);
        Assert.Equal(403, fhirParty.Status);
        Assert.StartsWith("CHANNEL_MISMATCH", fhirParty.Body, StringComparison.Ordinal);
        Assert.Equal(413, big.Status);
        Assert.StartsWith("MESSAGE_TOO_LARGE", big.Body, StringComparison.Ordinal);
    }

    private async Task<(string Client, string Bsn)> NewClientAsync()
    {
        var bsn = Kit.NewBsn();
        var client = await _waakvlam.RegisterAsync(bsn, Date(1994, 11, 2), Dordrecht);
        await _waakvlam.AssignCoachAsync(client.Name, "lisa", "Lisa");
        await _waakvlam.GrantAsync(client.Name, GrantorRole.Client, "waakvlam-zorg", [Purpose.Coaching], [DataCategory.SupportPlan, DataCategory.ContactDetails]);
        return (client.Name, bsn);
    }

    /// <summary>A referral by sdd to De Brug and the sequence of its delivery there, which is the toewijzing number.</summary>
    private async Task<(string Client, string Bsn, string Referral, long Nummer)> DeliveredToBrugAsync()
    {
        var (client, bsn, referral, delivery) = await DeliveryToBrugAsync();
        return (client, bsn, referral, delivery.Sequence);
    }

    /// <summary>The hub's 301 for a delivery to De Brug, as the iWmo adapter writes it over the host's own directory.</summary>
    private async Task<XDocument> HubsToewijzingAsync(Delivery delivery)
    {
        var parties = (await _sdd.Parties.ListPartiesAsync(new ListPartiesRequest())).Parties.ToDictionary(p => p.Name);
        var directory = _hub.Services.GetRequiredService<Ketenhub.Hub.Host.Inbound.HubIWmoDirectory>();
        using var http = new HttpClient();
        var adapter = new IWmoAdapter(directory.View, http, _hub.Clock);
        var payload = adapter.TranslateOutbound(delivery, new Ketenhub.Adapters.AdapterContext(new Uri("http://localhost/"), parties[delivery.Recipient], parties[delivery.Sender], parties));
        return XDocument.Parse(System.Text.Encoding.UTF8.GetString(payload.Body.Span));
    }

    private async Task<(string Client, string Bsn, string Referral, Delivery Delivery)> DeliveryToBrugAsync()
    {
        var (client, bsn) = await NewClientAsync();
        using var tail = _brug.Tail();
        var referral = (await _sdd.Referrals.CreateReferralAsync(new CreateReferralRequest { RequestId = NewRequestId(), Referral = Kit.CareReferral(client, "dagbesteding-de-brug", ServiceKind.DayActivities) })).Referral.Name;
        var delivery = await Kit.NextOfKind(tail, Delivery.PayloadOneofCase.Referral);
        Assert.Equal(referral, delivery.Referral.Name);
        return (client, bsn, referral, delivery);
    }

    private async Task<Referral> ReadAsync(string referral, PartyClient? reader = null) =>
        (await (reader ?? _sdd).Referrals.GetReferralAsync(new GetReferralRequest { Name = referral })).Referral;

    internal static string Text(XDocument document) => System.Text.Encoding.UTF8.GetString(IWmoXml.ToBytes(document));

    private static string BerichtCode(string xml) =>
        XDocument.Parse(xml).Descendants().First(e => e.Name.LocalName == "BerichtCode").Value;

    /// <summary>The retour codes of the first element of class <paramref name="klasse"/> (Header, Client, StartProduct, …).</summary>
    internal static IReadOnlyList<string> RetourCodes(string xml, string klasse) =>
        [.. XDocument.Parse(xml).Descendants().First(e => e.Name.LocalName == klasse)
            .Elements().Single(e => e.Name.LocalName == "RetourCodes").Elements().Select(e => e.Value)];

    private static XElement Header(Bericht b, string afzender, string ontvanger, string identificatie, DateOnly dagtekening)
    {
        XNamespace ns = Berichten.Namespace(IStandaard.IWmo, b);
        XNamespace x = Berichten.BasisNamespace(IStandaard.IWmo);
        return new XElement(
            ns + "Header",
            new XElement(ns + "BerichtCode", Berichten.Code(IStandaard.IWmo, b)),
            new XElement(ns + "BerichtVersie", "3"),
            new XElement(ns + "BerichtSubversie", "2"),
            new XElement(ns + "Afzender", afzender),
            new XElement(ns + "Ontvanger", ontvanger),
            new XElement(ns + "BerichtIdentificatie", new XElement(x + "Identificatie", identificatie), new XElement(x + "Dagtekening", IWmoXml.Date(dagtekening))),
            new XElement(ns + "XsdVersie", new XElement(x + "BasisschemaXsdVersie", Berichten.XsdVersie(IStandaard.IWmo)), new XElement(x + "BerichtXsdVersie", Berichten.XsdVersie(IStandaard.IWmo))));
    }

    private static XElement Client(XNamespace ns, XNamespace x, string bsn) => new(
        ns + "Client",
        new XElement(ns + "Bsn", bsn),
        new XElement(ns + "Geboortedatum", new XElement(x + "Datum", "1994-11-02")),
        new XElement(ns + "Geslacht", "0"),
        new XElement(ns + "Naam", new XElement(x + "Geslachtsnaam", new XElement(x + "Achternaam", "K7Q2M9"))));

    internal static XDocument Start(long nummer, DateOnly begin, string bsn, string agb = BrugAgb, DateOnly? dagtekening = null, string identificatie = "S-1001", string gemeente = Dordrecht, string categorie = "07")
    {
        XNamespace ns = Berichten.Namespace(IStandaard.IWmo, Bericht.Start);
        XNamespace x = Berichten.BasisNamespace(IStandaard.IWmo);
        var client = Client(ns, x, bsn);
        client.Add(new XElement(
            ns + "StartProducten",
            new XElement(
                ns + "StartProduct",
                new XElement(ns + "ToewijzingNummer", nummer),
                new XElement(ns + "Product", new XElement(x + "Categorie", categorie)),
                new XElement(ns + "Begindatum", IWmoXml.Date(begin)),
                new XElement(ns + "StatusAanlevering", "1"))));
        return new XDocument(new XElement(ns + "Bericht", Header(Bericht.Start, agb, gemeente, identificatie, dagtekening ?? Today), client));
    }

    private static XDocument Stop(long nummer, DateOnly begin, DateOnly end, string reden, string bsn, string gemeente = Dordrecht, string identificatie = "E-2001")
    {
        XNamespace ns = Berichten.Namespace(IStandaard.IWmo, Bericht.Stop);
        XNamespace x = Berichten.BasisNamespace(IStandaard.IWmo);
        var client = Client(ns, x, bsn);
        client.Add(new XElement(
            ns + "StopProducten",
            new XElement(
                ns + "StopProduct",
                new XElement(ns + "ToewijzingNummer", nummer),
                new XElement(ns + "Begindatum", IWmoXml.Date(begin)),
                new XElement(ns + "RedenBeeindiging", reden),
                new XElement(ns + "Einddatum", IWmoXml.Date(end)),
                new XElement(ns + "StatusAanlevering", "1"))));
        return new XDocument(new XElement(ns + "Bericht", Header(Bericht.Stop, BrugAgb, gemeente, identificatie, Today), client));
    }

    /// <summary>The municipality's 301 answering the hub's 315: ReferentieAanbieder echoes the referral id.</summary>
    private static XDocument Toewijzing(string referralId, string bsn, string gemeente = Dordrecht, string agb = BrugAgb, string categorie = "07")
    {
        XNamespace ns = Berichten.Namespace(IStandaard.IWmo, Bericht.Toewijzing);
        XNamespace x = Berichten.BasisNamespace(IStandaard.IWmo);
        return new XDocument(new XElement(
            ns + "Bericht",
            Header(Bericht.Toewijzing, gemeente, agb, "T-3001", Today),
            new XElement(
                ns + "Client",
                new XElement(ns + "Bsn", bsn),
                new XElement(ns + "Geboortedatum", new XElement(x + "Datum", "1994-11-02")),
                new XElement(ns + "Geslacht", "0"),
                new XElement(ns + "Naam", new XElement(x + "Geslachtsnaam", new XElement(x + "Achternaam", "K7Q2M9")), new XElement(x + "NaamGebruik", "1")),
                new XElement(ns + "Contactgegevens", new XElement(ns + "Contact", new XElement(ns + "Soort", "01"))),
                new XElement(
                    ns + "ToegewezenProducten",
                    new XElement(
                        ns + "ToegewezenProduct",
                        new XElement(ns + "ToewijzingNummer", 880001),
                        new XElement(ns + "ReferentieAanbieder", referralId),
                        new XElement(ns + "Product", new XElement(x + "Categorie", categorie)),
                        new XElement(ns + "Toewijzingsdatum", IWmoXml.Date(Today)),
                        new XElement(ns + "Toewijzingstijd", "10:15:00"),
                        new XElement(ns + "Ingangsdatum", IWmoXml.Date(Today)))))));
    }
}

using System.Collections.Concurrent;
using System.Xml.Linq;
using Google.Protobuf.WellKnownTypes;
using Ketenhub.Adapters.IWmo.Inbound;
using Ketenhub.Adapters.IWmo.Outbound;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Adapters.IWmo.Tests;

/// <summary>Parties, clients and referrals as the hub would hand them to the adapter.</summary>
internal static class Fixtures
{
    public const string ValidBsn = "111222333";
    public const string OtherValidBsn = "123456782";
    public const string Dordrecht = "0505";
    public const string ProviderAgb = "12345678";
    public const string YouthProviderAgb = "87654321";
    public const string ReferralId = "ref_0193c2a4b5d67e8f9a0b1c2d3e4f5a6b";

    /// <summary>Noon in Dordrecht on 23 November 2026.</summary>
    public static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.FromHours(1));

    public static readonly DateOnly Today = new(2026, 11, 23);

    public static IWmoParty Provider { get; } = new("parties/waakvlam-drechtsteden", PartyKind.CareProvider, "Waakvlam Drechtsteden", ProviderAgb, [], IStandaarden.IWmo);

    public static IWmoParty YouthProvider { get; } = new("parties/jeugdhulp-zuid", PartyKind.CareProvider, "Jeugdhulp Zuid", YouthProviderAgb, [], IStandaarden.Both);

    public static IWmoParty Sdd { get; } = new("parties/sdd", PartyKind.SocialService, "Sociale Dienst Drechtsteden", string.Empty, ["0482", "0505", "0523", "0531", "0590", "0610", "0642"], IStandaarden.Both);

    public static IWmoParty Wijkteam { get; } = new("parties/wijkteam-dordrecht", PartyKind.Wijkteam, "Wijkteam Dordrecht", string.Empty, [Dordrecht], IStandaarden.IWmo);

    public static IWmoParty School { get; } = new("parties/de-sprong", PartyKind.School, "Praktijkschool De Sprong", string.Empty, [], IStandaarden.None);

    public static IWmoClient Adult(string? bsn = ValidBsn) => new(bsn, new DateOnly(1990, 5, 17), Dordrecht, "K7Q2M9");

    public static IWmoClient BornOn(DateOnly birthDate) => new(ValidBsn, birthDate, Dordrecht, "P4X8Z1");

    /// <summary>The referral with a product code, a volume (six hours a week) and an end date.</summary>
    public static Delivery Scoped(Delivery delivery, VolumeFrequency frequency = VolumeFrequency.PerWeek)
    {
        delivery.Referral.ProductCode = "02A03";
        delivery.Referral.Volume = new SupportVolume { Quantity = 6, Unit = VolumeUnit.Hour, Frequency = frequency };
        delivery.Referral.RequestedEndDate = new Google.Type.Date { Year = 2027, Month = 11, Day = 22 };
        return delivery;
    }

    public static Delivery ReferralDelivery(IWmoParty performer, IWmoParty requester, ServiceKind service = ServiceKind.WaakvlamSupport, long sequence = 4711) => new()
    {
        Name = "deliveries/dlv_0193c2a4b5d67e8f9a0b1c2d3e4f5a70",
        Sequence = sequence,
        Recipient = performer.Name,
        Client = "clients/cli_0193c2a4b5d67e8f9a0b1c2d3e4f5a71",
        Sender = requester.Name,
        Status = DeliveryStatus.Pending,
        AttemptCount = 1,
        CreateTime = Timestamp.FromDateTimeOffset(Now),
        Coach = new Coach { Party = "parties/waakvlam-drechtsteden", CoachId = "c-017", DisplayName = "Sanne de Vries", Phone = "+31 6 1234 5678", Email = "sanne@waakvlam.example" },
        Referral = new Referral
        {
            Name = "referrals/" + ReferralId,
            Client = "clients/cli_0193c2a4b5d67e8f9a0b1c2d3e4f5a71",
            Requester = requester.Name,
            Service = service,
            Reason = "Huurachterstand, dreigt woning kwijt te raken.",
            Strengths = "Komt afspraken na als ze via WhatsApp worden bevestigd.",
            Urgency = ReferralUrgency.Urgent,
            LifeDomains = { LifeDomain.Housing, LifeDomain.Finances },
            Performers = { new ReferralPerformer { Party = performer.Name, Status = PerformerStatus.Requested } },
            CreateTime = Timestamp.FromDateTimeOffset(Now),
        },
    };

    /// <summary>A toewijzing the hub issued for an accepted request for one, with the provider's reference.</summary>
    public static Delivery Allocated(Delivery delivery, string reference = "VOT-2026-0001")
    {
        delivery.Referral.AllocationRequest = "referrals/ref_verzoek1";
        delivery.Referral.AllocationReference = reference;
        return delivery;
    }

    /// <summary>A referral update telling <paramref name="requester"/> that the deciding party refused its request for a toewijzing.</summary>
    public static Delivery DeclinedVerzoek(IWmoParty requester, string reasonCode, string reference = "VOT-2026-0001", long sequence = 4712) => new()
    {
        Name = "deliveries/dlv_update",
        Sequence = sequence,
        Recipient = requester.Name,
        CreateTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(Now),
        ReferralUpdate = new ReferralUpdate
        {
            Referral = "referrals/ref_verzoek1",
            Performer = Sdd.Name,
            Status = PerformerStatus.Declined,
            ReasonCode = reasonCode,
            Service = ServiceKind.IndividualGuidance,
            Kind = ReferralKind.AllocationRequest,
            RequesterReference = reference,
        },
    };

    public static OutboundResult.Message Produce(OutboundRequest request)
    {
        var result = OutboundTranslator.Translate(request);
        return Assert.IsType<OutboundResult.Message>(result);
    }

    public static string Failure(OutboundRequest request) => Assert.IsType<OutboundResult.Failed>(OutboundTranslator.Translate(request)).Code;
}

/// <summary>A directory over in-memory maps, filled the way the hub's store would be after the outbound side ran.</summary>
internal sealed class MemoryDirectory : IIWmoDirectory
{
    private readonly ConcurrentDictionary<(string Party, long Nummer), IWmoToewijzing> _toewijzingen = new();
    private readonly ConcurrentDictionary<(string Party, string Referral), IWmoToewijzing> _verzoeken = new();
    private readonly ConcurrentDictionary<(string Party, string Identificatie), string> _deliveries = new();

    public List<IWmoParty> Parties { get; } = [Fixtures.Provider, Fixtures.YouthProvider, Fixtures.Sdd, Fixtures.Wijkteam, Fixtures.School];

    public Dictionary<string, IWmoClient> Clients { get; } = new() { ["clients/cli_0193c2a4b5d67e8f9a0b1c2d3e4f5a71"] = Fixtures.Adult() };

    /// <summary>A toewijzing as the hub gives it: for the fixtures' client (BSN, Dordrecht), begeleiding, from 1 January 2026.</summary>
    public static IWmoToewijzing Toewijzing(string referral, string requester = "parties/sdd", string bsn = Fixtures.ValidBsn) =>
        new(referral, requester, Fixtures.Dordrecht, ServiceKind.IndividualGuidance, new DateOnly(2026, 1, 1), null, PerformerStatus.Requested, null, null, b => b == bsn);

    public void Delivered(string performer, long nummer, string referral) => _toewijzingen[(performer, nummer)] = Toewijzing(referral);

    public void Delivered(string performer, long nummer, IWmoToewijzing toewijzing) => _toewijzingen[(performer, nummer)] = toewijzing;

    /// <summary>A provider's referral sent to a municipality-side party as a verzoek om toewijzing.</summary>
    public void Requested(string municipality, IWmoToewijzing verzoek) => _verzoeken[(municipality, verzoek.Referral)] = verzoek;

    public void Sent(string recipient, string identificatie, string delivery) => _deliveries[(recipient, identificatie)] = delivery;

    public IWmoParty? FindProvider(string agb) => Parties.FirstOrDefault(p => p.Kind == PartyKind.CareProvider && p.Agb == agb);

    public IWmoParty? FindMunicipalityParty(string cbsCode) =>
        Parties.FirstOrDefault(p => p.IsMunicipalitySide && p.Speaks != IStandaarden.None && p.MunicipalityCodes.Contains(cbsCode));

    public IWmoParty? FindParty(string partyName) => Parties.FirstOrDefault(p => p.Name == partyName);

    public IWmoToewijzing? FindToewijzing(string performerParty, long toewijzingNummer) =>
        _toewijzingen.TryGetValue((performerParty, toewijzingNummer), out var r) ? r : null;

    public IWmoToewijzing? FindVerzoek(string municipalityParty, string referral) =>
        _verzoeken.TryGetValue((municipalityParty, referral), out var v) ? v : null;

    public string? FindDelivery(string recipientParty, string identificatie) =>
        _deliveries.TryGetValue((recipientParty, identificatie), out var d) ? d : null;

    public IWmoClient? ClientView(Delivery delivery, string recipientParty) => Clients.GetValueOrDefault(delivery.Client);
}

/// <summary>Builds partner messages the way a provider's or municipality's system writes them.</summary>
internal static class PartnerMessages
{
    public static XNamespace Ns(IStandaard s, Bericht b) => Berichten.Namespace(s, b);

    public static XElement Header(IStandaard s, Bericht b, string afzender, string ontvanger, string identificatie, DateOnly dagtekening)
    {
        XNamespace ns = Ns(s, b);
        XNamespace x = Berichten.BasisNamespace(s);
        return new XElement(
            ns + "Header",
            new XElement(ns + "BerichtCode", Berichten.Code(s, b)),
            new XElement(ns + "BerichtVersie", "3"),
            new XElement(ns + "BerichtSubversie", "2"),
            new XElement(ns + "Afzender", afzender),
            new XElement(ns + "Ontvanger", ontvanger),
            new XElement(ns + "BerichtIdentificatie", new XElement(x + "Identificatie", identificatie), new XElement(x + "Dagtekening", IWmoXml.Date(dagtekening))),
            new XElement(ns + "XsdVersie", new XElement(x + "BasisschemaXsdVersie", Berichten.XsdVersie(s)), new XElement(x + "BerichtXsdVersie", Berichten.XsdVersie(s))));
    }

    private static XElement ClientStart(XNamespace ns, XNamespace x, string bsn) => new(
        ns + "Client",
        new XElement(ns + "Bsn", bsn),
        new XElement(ns + "Geboortedatum", new XElement(x + "Datum", "1990-05-17")),
        new XElement(ns + "Geslacht", "0"),
        new XElement(ns + "Naam", new XElement(x + "Geslachtsnaam", new XElement(x + "Achternaam", "K7Q2M9"))));

    public static XDocument Start(IStandaard s, string agb, long nummer, DateOnly begin, string bsn = Fixtures.ValidBsn, string gemeente = Fixtures.Dordrecht, DateOnly? dagtekening = null, string status = "1", string identificatie = "S-1001")
    {
        var ns = Ns(s, Bericht.Start);
        XNamespace x = Berichten.BasisNamespace(s);
        var client = ClientStart(ns, x, bsn);
        client.Add(new XElement(
            ns + "StartProducten",
            new XElement(
                ns + "StartProduct",
                new XElement(ns + "ToewijzingNummer", nummer),
                new XElement(ns + "Product", new XElement(x + "Categorie", s == IStandaard.IWmo ? "02" : "45")),
                new XElement(ns + "Begindatum", IWmoXml.Date(begin)),
                new XElement(ns + "StatusAanlevering", status))));
        return new XDocument(new XElement(ns + "Bericht", Header(s, Bericht.Start, agb, gemeente, identificatie, dagtekening ?? Fixtures.Today), client));
    }

    public static XDocument Stop(IStandaard s, string agb, long nummer, DateOnly begin, DateOnly end, string reden, string identificatie = "E-2001")
    {
        var ns = Ns(s, Bericht.Stop);
        XNamespace x = Berichten.BasisNamespace(s);
        var client = ClientStart(ns, x, Fixtures.ValidBsn);
        client.Add(new XElement(
            ns + "StopProducten",
            new XElement(
                ns + "StopProduct",
                new XElement(ns + "ToewijzingNummer", nummer),
                new XElement(ns + "Begindatum", IWmoXml.Date(begin)),
                new XElement(ns + "RedenBeeindiging", reden),
                new XElement(ns + "Einddatum", IWmoXml.Date(end)),
                new XElement(ns + "StatusAanlevering", "1"))));
        return new XDocument(new XElement(ns + "Bericht", Header(s, Bericht.Stop, agb, Fixtures.Dordrecht, identificatie, Fixtures.Today), client));
    }

    /// <summary>A municipality's 301 answering the hub's 315 (ReferentieAanbieder echoes the referral id).</summary>
    public static XDocument Toewijzing(IStandaard s, string gemeente, string agb, string? referentie, long nummer = 880001)
    {
        var ns = Ns(s, Bericht.Toewijzing);
        XNamespace x = Berichten.BasisNamespace(s);
        return new XDocument(new XElement(
            ns + "Bericht",
            Header(s, Bericht.Toewijzing, gemeente, agb, "T-3001", Fixtures.Today),
            new XElement(
                ns + "Client",
                new XElement(ns + "Bsn", Fixtures.ValidBsn),
                new XElement(ns + "Geboortedatum", new XElement(x + "Datum", "1990-05-17")),
                new XElement(ns + "Geslacht", "2"),
                new XElement(ns + "Naam", new XElement(x + "Geslachtsnaam", new XElement(x + "Achternaam", "Jansen")), new XElement(x + "NaamGebruik", "1")),
                new XElement(ns + "Contactgegevens", new XElement(ns + "Contact", new XElement(ns + "Soort", "01"))),
                new XElement(
                    ns + "ToegewezenProducten",
                    new XElement(
                        ns + "ToegewezenProduct",
                        new XElement(ns + "ToewijzingNummer", nummer),
                        referentie is null ? null : new XElement(ns + "ReferentieAanbieder", referentie),
                        new XElement(ns + "Product", new XElement(x + "Categorie", s == IStandaard.IWmo ? "02" : "45")),
                        new XElement(ns + "Toewijzingsdatum", IWmoXml.Date(Fixtures.Today)),
                        new XElement(ns + "Toewijzingstijd", "10:15:00"),
                        new XElement(ns + "Ingangsdatum", IWmoXml.Date(Fixtures.Today)))))));
    }

    public static byte[] Bytes(XDocument document) => IWmoXml.ToBytes(document);
}

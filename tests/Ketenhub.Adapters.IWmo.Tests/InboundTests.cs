using System.Text;
using System.Xml.Linq;
using Ketenhub.Adapters.IWmo.Codes;
using Ketenhub.Adapters.IWmo.Inbound;
using Ketenhub.Adapters.IWmo.Outbound;
using Ketenhub.Adapters.IWmo.Schemas;
using Ketenhub.Contracts.V1;
using static Ketenhub.Adapters.IWmo.Tests.Fixtures;

namespace Ketenhub.Adapters.IWmo.Tests;

public sealed class InboundTests
{
    private const long Nummer = 4711;
    private readonly MemoryDirectory _directory = new();
    private readonly InboundTranslator _inbound;

    public InboundTests()
    {
        _inbound = new InboundTranslator(_directory);

        // The hub delivered the referral to the provider as toewijzing 4711 (the delivery's sequence).
        var delivered = Produce(new OutboundRequest(ReferralDelivery(Provider, Wijkteam, sequence: Nummer), Adult(), Provider, Wijkteam, Now));
        _directory.Delivered(Provider.Name, BerichtContent.Read(delivered.Document).Products[0].ToewijzingNummer!.Value, "referrals/" + ReferralId);
        _directory.Delivered(YouthProvider.Name, 5150, "referrals/ref_youth");
    }

    private InboundReading Read(XDocument message) => _inbound.Translate(PartnerMessages.Bytes(message), Today);

    private static List<string> Codes(XDocument retour, string klasse) =>
        [.. retour.Descendants().Single(e => e.Name.LocalName == klasse).Elements().Single(e => e.Name.LocalName == "RetourCodes").Elements().Select(e => e.Value)];

    [Fact]
    public void A_wmo305_becomes_a_start_for_the_referral_and_is_answered_with_a_valid_wmo306_without_remarks()
    {
        var read = Read(PartnerMessages.Start(IStandaard.IWmo, ProviderAgb, Nummer, new DateOnly(2026, 11, 20)));

        Assert.Null(read.Refusal);
        var command = Assert.Single(read.Commands);
        Assert.Equal(Provider.Name, command.Caller);
        var start = Assert.IsType<StartReferralRequest>(command.Request);
        Assert.Equal("referrals/" + ReferralId, start.Name);
        Assert.Equal(new Google.Type.Date { Year = 2026, Month = 11, Day = 20 }, start.StartDate);
        Assert.StartsWith("iwmo-", start.RequestId, StringComparison.Ordinal);

        var retour = read.BuildRetour();
        Assert.Empty(SchemaCatalog.Validate(retour, IStandaard.IWmo));
        Assert.Equal("http://www.istandaarden.nl/iwmo/3_2/wmo306/schema", retour.Root!.Name.NamespaceName);
        Assert.Equal("419", retour.Descendants().First(e => e.Name.LocalName == "BerichtCode").Value);
        Assert.Equal([RetourCodes.Geaccepteerd], Codes(retour, "Header"));
        Assert.Equal([RetourCodes.Geaccepteerd], Codes(retour, "Client"));
        Assert.Equal([RetourCodes.Geaccepteerd], Codes(retour, "StartProduct"));
        Assert.Equal("S-1001", retour.Descendants().First(e => e.Name.LocalName == "Identificatie").Value);
    }

    [Fact]
    public void A_wmo307_becomes_an_end_with_its_wmo588_reason_and_a_valid_wmo308()
    {
        var read = Read(PartnerMessages.Stop(IStandaard.IWmo, ProviderAgb, Nummer, new DateOnly(2026, 3, 1), new DateOnly(2026, 11, 21), "19"));

        var end = Assert.IsType<EndReferralRequest>(Assert.Single(read.Commands).Request);
        Assert.Equal("referrals/" + ReferralId, end.Name);
        Assert.Equal("19", end.ReasonCode);
        Assert.Equal(new Google.Type.Date { Year = 2026, Month = 11, Day = 21 }, end.EndDate);
        var retour = read.BuildRetour();
        Assert.Empty(SchemaCatalog.Validate(retour, IStandaard.IWmo));
        Assert.Equal([RetourCodes.Geaccepteerd], Codes(retour, "StopProduct"));
    }

    [Fact]
    public void A_jw307_reason_is_translated_to_the_hubs_wmo588_code_and_answered_with_a_valid_jw308()
    {
        var read = Read(PartnerMessages.Stop(IStandaard.IJw, YouthProviderAgb, 5150, new DateOnly(2026, 1, 5), new DateOnly(2026, 11, 22), "31"));

        var end = Assert.IsType<EndReferralRequest>(Assert.Single(read.Commands).Request);
        Assert.Equal("referrals/ref_youth", end.Name);
        Assert.Equal(EndReasons.VolgensPlan, end.ReasonCode);
        var retour = read.BuildRetour();
        Assert.Equal("http://www.istandaarden.nl/ijw/3_2/jw308/schema", retour.Root!.Name.NamespaceName);
        Assert.Empty(SchemaCatalog.Validate(retour, IStandaard.IJw));
    }

    [Fact]
    public void A_jw305_from_a_youth_provider_starts_its_referral_with_a_valid_jw306()
    {
        var read = Read(PartnerMessages.Start(IStandaard.IJw, YouthProviderAgb, 5150, Today));

        Assert.IsType<StartReferralRequest>(Assert.Single(read.Commands).Request);
        Assert.Equal(YouthProvider.Name, read.Commands[0].Caller);
        Assert.Empty(SchemaCatalog.Validate(read.BuildRetour(), IStandaard.IJw));
    }

    [Fact]
    public void A_municipalitys_wmo301_on_the_hubs_verzoek_accepts_the_referral_and_gets_a_valid_wmo302()
    {
        _directory.Requested(Sdd.Name, MemoryDirectory.Toewijzing("referrals/" + ReferralId, Provider.Name));
        var read = Read(PartnerMessages.Toewijzing(IStandaard.IWmo, Dordrecht, ProviderAgb, ReferralId));

        var command = Assert.Single(read.Commands);
        Assert.Equal(Sdd.Name, command.Caller);
        Assert.Equal("referrals/" + ReferralId, Assert.IsType<AcceptReferralRequest>(command.Request).Name);
        var retour = read.BuildRetour();
        Assert.Empty(SchemaCatalog.Validate(retour, IStandaard.IWmo));
        Assert.Equal("415", retour.Descendants().First(e => e.Name.LocalName == "BerichtCode").Value);
        Assert.Equal([RetourCodes.Geaccepteerd], Codes(retour, "ToegewezenProduct"));
        Assert.Equal([RetourCodes.Geaccepteerd], Codes(retour, "Contact"));
    }

    [Fact]
    public void A_toewijzing_that_answers_no_verzoek_of_the_hub_gets_9379_and_no_command()
    {
        var read = Read(PartnerMessages.Toewijzing(IStandaard.IWmo, Dordrecht, ProviderAgb, referentie: null));

        Assert.Empty(read.Commands);
        var retour = read.BuildRetour();
        Assert.Empty(SchemaCatalog.Validate(retour, IStandaard.IWmo));
        Assert.Equal([RetourCodes.ReferentieOnbekend], Codes(retour, "ToegewezenProduct"));
        Assert.Equal([RetourCodes.Geaccepteerd], Codes(retour, "Client"));
    }

    [Fact]
    public void A_providers_wmo302_without_remarks_on_the_hubs_toewijzing_is_its_acceptance()
    {
        var delivered = Produce(new OutboundRequest(ReferralDelivery(Provider, Wijkteam, sequence: Nummer), Adult(), Provider, Wijkteam, Now));
        var retour = RetourWriter.Write(IStandaard.IWmo, Bericht.Toewijzing, delivered.Document, new Dictionary<XElement, List<string>>(), Today);
        _directory.Sent(Provider.Name, delivered.Identificatie, "deliveries/dlv_1");

        var read = Read(retour);

        Assert.NotNull(read.RetourReceived);
        Assert.True(read.RetourReceived.Accepted);
        Assert.Equal("4711", read.RetourReceived.Identificatie);
        Assert.Equal(2, read.Commands.Count);
        Assert.Equal("deliveries/dlv_1", Assert.IsType<AcknowledgeDeliveryRequest>(read.Commands[0].Request).Name);
        var accept = Assert.IsType<AcceptReferralRequest>(read.Commands[1].Request);
        Assert.Equal("referrals/" + ReferralId, accept.Name);
        Assert.All(read.Commands, c => Assert.Equal(Provider.Name, c.Caller));
        Assert.False(read.HasRetour);
    }

    [Fact]
    public void A_providers_wmo302_with_a_rejection_accepts_nothing_and_declines_the_referral_with_the_codes()
    {
        var delivered = Produce(new OutboundRequest(ReferralDelivery(Provider, Wijkteam, sequence: Nummer), Adult(), Provider, Wijkteam, Now));
        var product = delivered.Document.Descendants().Single(e => e.Name.LocalName == "ToegewezenProduct");
        var retour = RetourWriter.Write(IStandaard.IWmo, Bericht.Toewijzing, delivered.Document, new Dictionary<XElement, List<string>> { [product] = ["9332"] }, Today);
        _directory.Sent(Provider.Name, delivered.Identificatie, "deliveries/dlv_1");

        var read = Read(retour);

        Assert.False(read.RetourReceived!.Accepted);
        Assert.Equal(["9332"], read.RetourReceived.Codes);
        Assert.Equal(2, read.Commands.Count);
        var reject = Assert.IsType<RejectDeliveryRequest>(read.Commands[0].Request);
        Assert.Equal(("deliveries/dlv_1", "WJ001_9332"), (reject.Name, reject.ReasonCode));
        var decline = Assert.IsType<DeclineReferralRequest>(read.Commands[1].Request);
        Assert.Equal(("referrals/" + ReferralId, "WJ001-9332"), (decline.Name, decline.ReasonCode));
        Assert.Equal(Provider.Name, read.Commands[1].Caller);
        Assert.DoesNotContain(read.Commands, c => c.Request is AcceptReferralRequest);
    }

    [Fact]
    public void A_municipalitys_wmo316_with_rejections_declines_the_verzoek_with_its_codes_without_0233()
    {
        var sent = Produce(new OutboundRequest(ReferralDelivery(Sdd, Provider), Adult(), Sdd, Provider, Now));
        var product = sent.Document.Descendants().Single(e => e.Name.LocalName == "AangevraagdProduct");
        var client = sent.Document.Descendants().Single(e => e.Name.LocalName == "Client");
        var retour = RetourWriter.Write(IStandaard.IWmo, Bericht.VerzoekOmToewijzing, sent.Document, new Dictionary<XElement, List<string>> { [product] = ["9347", "0233"], [client] = ["0233"] }, Today);
        _directory.Sent(Sdd.Name, sent.Identificatie, "deliveries/dlv_2");
        _directory.Requested(Sdd.Name, MemoryDirectory.Toewijzing("referrals/" + ReferralId, Provider.Name));

        var read = Read(retour);

        var decline = Assert.IsType<DeclineReferralRequest>(Assert.Single(read.Commands, c => c.Request is DeclineReferralRequest).Request);
        Assert.Equal(("referrals/" + ReferralId, "WJ001-9347"), (decline.Name, decline.ReasonCode));
        Assert.Equal(Sdd.Name, read.Commands[1].Caller);
    }

    [Fact]
    public void A_municipalitys_wmo316_on_the_hubs_verzoek_is_read_as_a_retour()
    {
        var sent = Produce(new OutboundRequest(ReferralDelivery(Sdd, Provider), Adult(), Sdd, Provider, Now));
        var retour = RetourWriter.Write(IStandaard.IWmo, Bericht.VerzoekOmToewijzing, sent.Document, new Dictionary<XElement, List<string>>(), Today);
        Assert.Empty(SchemaCatalog.Validate(retour, IStandaard.IWmo));

        _directory.Sent(Sdd.Name, sent.Identificatie, "deliveries/dlv_2");
        _directory.Requested(Sdd.Name, MemoryDirectory.Toewijzing("referrals/" + ReferralId, Provider.Name));
        var read = Read(retour);

        Assert.True(read.RetourReceived!.Accepted);
        Assert.Equal(sent.Identificatie, read.RetourReceived.Identificatie);
        Assert.Equal("deliveries/dlv_2", Assert.IsType<AcknowledgeDeliveryRequest>(Assert.Single(read.Commands).Request).Name);
        Assert.Equal(Sdd.Name, read.Commands[0].Caller);
    }

    [Fact]
    public void A_start_on_an_unknown_toewijzing_gets_9019_and_no_command()
    {
        var read = Read(PartnerMessages.Start(IStandaard.IWmo, ProviderAgb, 999, Today));

        Assert.Empty(read.Commands);
        var retour = read.BuildRetour();
        Assert.Empty(SchemaCatalog.Validate(retour, IStandaard.IWmo));
        Assert.Equal([RetourCodes.NietGekoppeldAanToewijzing], Codes(retour, "StartProduct"));
        Assert.Equal([RetourCodes.Geaccepteerd], Codes(retour, "Header"));
    }

    [Fact]
    public void A_toewijzing_of_another_provider_is_unknown_too()
    {
        // 4711 belongs to the waakvlam provider, not to the youth provider that sends it.
        var read = Read(PartnerMessages.Start(IStandaard.IWmo, YouthProviderAgb, Nummer, Today));
        Assert.Empty(read.Commands);
        Assert.Equal([RetourCodes.NietGekoppeldAanToewijzing], Codes(read.BuildRetour(), "StartProduct"));
    }

    [Fact]
    public void A_bsn_failing_the_elfproef_rejects_the_whole_message_with_0001()
    {
        var read = Read(PartnerMessages.Start(IStandaard.IWmo, ProviderAgb, Nummer, Today, bsn: "111222334"));

        Assert.Null(read.Refusal);
        Assert.Empty(read.Commands);
        var retour = read.BuildRetour();
        Assert.Empty(SchemaCatalog.Validate(retour, IStandaard.IWmo));
        Assert.Equal([RetourCodes.TechnischAfgekeurd], Codes(retour, "Header"));
        Assert.DoesNotContain(retour.Descendants(), e => e.Name.LocalName == "Client");
        Assert.DoesNotContain("111222334", retour.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_municipality_code_gets_S300_and_a_future_dagtekening_8848()
    {
        var read = Read(PartnerMessages.Start(IStandaard.IWmo, ProviderAgb, Nummer, Today, gemeente: "0001", dagtekening: Today.AddDays(1)));

        Assert.Empty(read.Commands);
        var retour = read.BuildRetour();
        Assert.Empty(SchemaCatalog.Validate(retour, IStandaard.IWmo));
        Assert.Equal([RetourCodes.GemeentecodeOngeldig, RetourCodes.DagtekeningInToekomst], Codes(retour, "Header"));
    }

    [Fact]
    public void A_correction_of_a_start_is_not_assessed()
    {
        var read = Read(PartnerMessages.Start(IStandaard.IWmo, ProviderAgb, Nummer, Today, status: "2"));
        Assert.Empty(read.Commands);
        Assert.Equal([RetourCodes.NietBeoordeeld], Codes(read.BuildRetour(), "StartProduct"));
    }

    [Fact]
    public void A_hub_refusal_of_a_command_becomes_the_standards_code_in_the_retour()
    {
        var stop = Read(PartnerMessages.Stop(IStandaard.IWmo, ProviderAgb, Nummer, Today, Today, "19"));
        var start = Read(PartnerMessages.Start(IStandaard.IWmo, ProviderAgb, Nummer, Today));

        var stopRetour = stop.BuildRetour(new Dictionary<InboundCommand, string> { [stop.Commands[0]] = "ILLEGAL_REFERRAL_STEP" });
        var startRetour = start.BuildRetour(new Dictionary<InboundCommand, string> { [start.Commands[0]] = "NOT_A_PERFORMER" });

        Assert.Equal([RetourCodes.GeenActueelStartbericht], Codes(stopRetour, "StopProduct"));
        Assert.Equal([RetourCodes.NietGekoppeldAanToewijzing], Codes(startRetour, "StartProduct"));
        Assert.Empty(SchemaCatalog.Validate(stopRetour, IStandaard.IWmo));
        Assert.Empty(SchemaCatalog.Validate(startRetour, IStandaard.IWmo));
    }

    [Fact]
    public void The_same_message_read_twice_gives_the_same_request_ids_and_the_same_retour()
    {
        var message = PartnerMessages.Start(IStandaard.IWmo, ProviderAgb, Nummer, Today);
        var first = Read(message);
        var second = Read(message);
        var other = Read(PartnerMessages.Start(IStandaard.IWmo, ProviderAgb, Nummer, Today, identificatie: "S-1002"));

        Assert.Equal(((StartReferralRequest)first.Commands[0].Request).RequestId, ((StartReferralRequest)second.Commands[0].Request).RequestId);
        Assert.NotEqual(((StartReferralRequest)first.Commands[0].Request).RequestId, ((StartReferralRequest)other.Commands[0].Request).RequestId);
        Assert.Equal(first.BuildRetour().ToString(), second.BuildRetour().ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("not xml at all")]
    [InlineData("<Bericht xmlns=\"http://www.istandaarden.nl/iwmo/3_2/wmo305/schema\"><Header>")]
    [InlineData("<!DOCTYPE x [<!ENTITY e \"boom\">]><Bericht xmlns=\"http://www.istandaarden.nl/iwmo/3_2/wmo305/schema\">&e;</Bericht>")]
    public void Malformed_xml_is_refused_with_IB001_and_nothing_else(string text)
    {
        var read = _inbound.Translate(Encoding.UTF8.GetBytes(text), Today);

        Assert.Equal(FoutCodes.VoldoetNietAanXsd, read.Refusal);
        Assert.Empty(read.Commands);
        Assert.False(read.HasRetour);
        Assert.Null(read.Document);
    }

    [Fact]
    public void A_schema_invalid_message_is_refused_with_IB001_naming_places_not_values()
    {
        var message = PartnerMessages.Start(IStandaard.IWmo, ProviderAgb, Nummer, Today, bsn: "12345");
        message.Descendants().Single(e => e.Name.LocalName == "Begindatum").Remove();

        var read = Read(message);

        Assert.Equal(FoutCodes.VoldoetNietAanXsd, read.Refusal);
        Assert.Empty(read.Commands);
        Assert.False(read.HasRetour);
        Assert.Contains(read.Problems, p => p.Path == "Bericht/Client/Bsn");
        Assert.Contains(read.Problems, p => p.Path.StartsWith("Bericht/Client/StartProducten/StartProduct", StringComparison.Ordinal));
        Assert.DoesNotContain(read.Problems, p => p.Path.Contains("12345", StringComparison.Ordinal));
    }

    [Fact]
    public void A_message_in_a_foreign_namespace_or_one_the_adapter_does_not_take_is_refused_with_IB004()
    {
        var foreign = _inbound.Translate(Encoding.UTF8.GetBytes("<Bericht xmlns=\"http://www.istandaarden.nl/iwmo/3_2/wmo323/schema\"/>"), Today);
        // A 319 goes from a municipality to a provider: the hub writes them and does not take one.
        var antwoord = OutboundTranslator.Translate(new OutboundRequest(DeclinedVerzoek(Provider, "03"), Adult(), Provider, Provider, Now));
        var inbound319 = Read(Assert.IsType<OutboundResult.Message>(antwoord).Document);

        Assert.Equal(FoutCodes.FunctieNietOndersteund, foreign.Refusal);
        Assert.Equal(FoutCodes.FunctieNietOndersteund, inbound319.Refusal);
        Assert.Empty(inbound319.Commands);

        // Each names the type it received.
        Assert.Equal("WMO323", foreign.Received);
        Assert.Equal("WMO319", inbound319.Received);
        Assert.Equal("JW319", _inbound.Translate(Encoding.UTF8.GetBytes("<Bericht xmlns=\"http://www.istandaarden.nl/ijw/3_2/jw319/schema\"/>"), Today).Received);
        Assert.Equal("BerichtCode 417", _inbound.Translate(Encoding.UTF8.GetBytes("<Bericht xmlns=\"urn:elsewhere\"><Header><BerichtCode>417</BerichtCode></Header></Bericht>"), Today).Received);
        Assert.Equal(["WMO301", "WMO302", "WMO305", "WMO307", "WMO315", "WMO316", "WMO320", "JW301", "JW302", "JW305", "JW307", "JW315", "JW316", "JW320"], InboundTranslator.Supported);
    }

    [Fact]
    public void A_schema_violation_names_the_element_its_line_and_position_and_the_rule_without_the_value()
    {
        var message = PartnerMessages.Start(IStandaard.IWmo, ProviderAgb, Nummer, Today, bsn: "12345");

        var read = Read(message);

        var bsn = Assert.Single(read.Problems, p => p.Path == "Bericht/Client/Bsn");
        Assert.True(bsn.Line > 0 && bsn.Position > 0, $"line {bsn.Line}, position {bsn.Position}");
        Assert.Contains("Bsn", bsn.Rule, StringComparison.Ordinal);
        Assert.Contains("constraint failed", bsn.Rule, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("12345", bsn.Rule, StringComparison.Ordinal);

        var broken = _inbound.Translate(Encoding.UTF8.GetBytes("<Bericht>\n  <Client>geheim</Bericht>"), Today);
        var syntax = Assert.Single(broken.Problems);
        Assert.Equal((2, "The document is not well-formed XML."), (syntax.Line, syntax.Rule));
        Assert.True(syntax.Position > 0);
    }

    [Fact]
    public void A_message_from_an_unknown_provider_is_refused()
    {
        var read = Read(PartnerMessages.Start(IStandaard.IWmo, "99999999", Nummer, Today));
        Assert.Equal(FoutCodes.PartijOnbekend, read.Refusal);
        Assert.Empty(read.Commands);
    }

    public static TheoryData<string, IStandaard> StartMismatches => new()
    {
        { "bsn", IStandaard.IWmo }, { "gemeente", IStandaard.IWmo }, { "categorie", IStandaard.IWmo }, { "voor-ingang", IStandaard.IWmo }, { "na-einde", IStandaard.IWmo },
        { "bsn", IStandaard.IJw }, { "gemeente", IStandaard.IJw }, { "categorie", IStandaard.IJw }, { "voor-ingang", IStandaard.IJw }, { "na-einde", IStandaard.IJw },
    };

    [Theory]
    [MemberData(nameof(StartMismatches))]
    public void A_start_that_disagrees_with_its_toewijzing_in_one_field_gets_9019_and_no_command(string field, IStandaard s)
    {
        var provider = s == IStandaard.IWmo ? Provider : YouthProvider;
        var agb = s == IStandaard.IWmo ? ProviderAgb : YouthProviderAgb;
        _directory.Delivered(provider.Name, 6001, MemoryDirectory.Toewijzing("referrals/ref_6001") with { Einddatum = new DateOnly(2026, 12, 31) });
        var valid = PartnerMessages.Start(s, agb, 6001, Today);
        var message = field switch
        {
            "bsn" => PartnerMessages.Start(s, agb, 6001, Today, bsn: OtherValidBsn),
            "gemeente" => PartnerMessages.Start(s, agb, 6001, Today, gemeente: "0363"),
            "voor-ingang" => PartnerMessages.Start(s, agb, 6001, new DateOnly(2025, 12, 31)),
            "na-einde" => PartnerMessages.Start(s, agb, 6001, new DateOnly(2027, 1, 1), dagtekening: Today),
            _ => WithCategory(PartnerMessages.Start(s, agb, 6001, Today), s == IStandaard.IWmo ? "07" : "41"),
        };

        Assert.Single(Read(valid).Commands);
        var read = Read(message);

        Assert.Empty(read.Commands);
        var retour = read.BuildRetour();
        Assert.Empty(SchemaCatalog.Validate(retour, s));
        Assert.Equal([RetourCodes.NietGekoppeldAanToewijzing], Codes(retour, "StartProduct"));
    }

    [Theory]
    [InlineData("bsn")]
    [InlineData("gemeente")]
    [InlineData("begindatum")]
    public void A_stop_that_disagrees_with_its_toewijzing_or_its_start_gets_its_code_and_no_command(string field)
    {
        var started = MemoryDirectory.Toewijzing("referrals/ref_6002") with { Status = PerformerStatus.Started, StartDate = new DateOnly(2026, 3, 1) };
        _directory.Delivered(Provider.Name, 6002, started);
        var valid = PartnerMessages.Stop(IStandaard.IWmo, ProviderAgb, 6002, new DateOnly(2026, 3, 1), Today, "19");
        var message = field switch
        {
            "bsn" => WithBsn(new XDocument(valid), OtherValidBsn),
            "gemeente" => WithOntvanger(new XDocument(valid), "0363"),
            _ => PartnerMessages.Stop(IStandaard.IWmo, ProviderAgb, 6002, new DateOnly(2026, 3, 2), Today, "19"),
        };

        Assert.Single(Read(valid).Commands);
        var read = Read(message);

        Assert.Empty(read.Commands);
        // TR019 for the toewijzing's own fields; TR069 for a Begindatum that is not the start's.
        Assert.Equal([field == "begindatum" ? RetourCodes.GeenActueelStartbericht : RetourCodes.NietGekoppeldAanToewijzing], Codes(read.BuildRetour(), "StopProduct"));
    }

    [Theory]
    [InlineData("bsn")]
    [InlineData("gemeente")]
    [InlineData("categorie")]
    [InlineData("aanbieder")]
    public void A_municipalitys_301_that_disagrees_with_the_verzoek_it_answers_gets_9379_and_accepts_nothing(string field)
    {
        _directory.Requested(Sdd.Name, MemoryDirectory.Toewijzing("referrals/" + ReferralId, field == "aanbieder" ? YouthProvider.Name : Provider.Name));
        var valid = PartnerMessages.Toewijzing(IStandaard.IWmo, Dordrecht, ProviderAgb, ReferralId);
        var message = field switch
        {
            "bsn" => WithBsn(new XDocument(valid), OtherValidBsn),
            "gemeente" => PartnerMessages.Toewijzing(IStandaard.IWmo, "0642", ProviderAgb, ReferralId),
            "categorie" => WithCategory(new XDocument(valid), "07"),
            _ => valid,
        };

        if (field != "aanbieder")
        {
            Assert.Single(Read(valid).Commands);
        }

        var read = Read(message);

        Assert.Empty(read.Commands);
        Assert.Equal([RetourCodes.ReferentieOnbekend], Codes(read.BuildRetour(), "ToegewezenProduct"));
    }

    [Theory]
    [InlineData(PerformerStatus.Started, 20, RetourCodes.AlEerderOntvangen)]
    [InlineData(PerformerStatus.Started, 21, RetourCodes.NogNietGestopt)]
    [InlineData(PerformerStatus.Requested, 0, RetourCodes.GeenEerderBericht)]
    [InlineData(PerformerStatus.Declined, 0, RetourCodes.NietGekoppeldAanToewijzing)]
    [InlineData(PerformerStatus.Ended, 20, RetourCodes.AlEerderOntvangen)]
    public void A_start_the_referrals_state_does_not_allow_gets_the_code_of_the_rule_it_breaks(PerformerStatus status, int startedOn, string expected)
    {
        _directory.Delivered(Provider.Name, 6003, MemoryDirectory.Toewijzing("referrals/ref_6003") with
        {
            Status = status,
            StartDate = startedOn == 0 ? null : new DateOnly(2026, 11, startedOn),
        });
        var read = Read(PartnerMessages.Start(IStandaard.IWmo, ProviderAgb, 6003, new DateOnly(2026, 11, 20)));

        var command = Assert.Single(read.Commands);
        var retour = read.BuildRetour(new Dictionary<InboundCommand, string> { [command] = "ILLEGAL_REFERRAL_STEP" });

        Assert.Equal([expected], Codes(retour, "StartProduct"));
    }

    [Fact]
    public void A_second_stop_with_the_key_of_one_received_gets_9415()
    {
        _directory.Delivered(Provider.Name, 6004, MemoryDirectory.Toewijzing("referrals/ref_6004") with { Status = PerformerStatus.Ended, StartDate = new DateOnly(2026, 3, 1), EndDate = Today });
        var read = Read(PartnerMessages.Stop(IStandaard.IWmo, ProviderAgb, 6004, new DateOnly(2026, 3, 1), Today, "19", identificatie: "E-2002"));

        var command = Assert.Single(read.Commands);
        var retour = read.BuildRetour(new Dictionary<InboundCommand, string> { [command] = "ILLEGAL_REFERRAL_STEP" });

        Assert.Equal([RetourCodes.StopAlOntvangen], Codes(retour, "StopProduct"));
    }

    private static XDocument WithCategory(XDocument message, string categorie)
    {
        message.Descendants().Single(e => e.Name.LocalName == "Categorie").Value = categorie;
        return message;
    }

    private static XDocument WithBsn(XDocument message, string bsn)
    {
        message.Descendants().First(e => e.Name.LocalName == "Bsn").Value = bsn;
        return message;
    }

    private static XDocument WithOntvanger(XDocument message, string ontvanger)
    {
        message.Descendants().First(e => e.Name.LocalName == "Ontvanger").Value = ontvanger;
        return message;
    }

    [Theory]
    [InlineData("bsn")]
    [InlineData("gemeente")]
    [InlineData("nummer")]
    public void A_302_that_names_the_hubs_301_but_disagrees_with_it_answers_no_message_and_runs_nothing(string field)
    {
        var delivered = Produce(new OutboundRequest(ReferralDelivery(Provider, Wijkteam, sequence: Nummer), Adult(), Provider, Wijkteam, Now));
        _directory.Sent(Provider.Name, delivered.Identificatie, "deliveries/dlv_1");
        var heen = new XDocument(delivered.Document);
        switch (field)
        {
            case "bsn":
                WithBsn(heen, OtherValidBsn);
                break;
            case "gemeente":
                heen.Descendants().First(e => e.Name.LocalName == "Afzender").Value = "0642";
                break;
            default:
                heen.Descendants().First(e => e.Name.LocalName == "ToewijzingNummer").Value = "6001";
                _directory.Delivered(Provider.Name, 6001, "referrals/ref_6001");
                break;
        }

        var fitting = Read(RetourWriter.Write(IStandaard.IWmo, Bericht.Toewijzing, delivered.Document, new Dictionary<XElement, List<string>>(), Today));
        var read = Read(RetourWriter.Write(IStandaard.IWmo, Bericht.Toewijzing, heen, new Dictionary<XElement, List<string>>(), Today));

        Assert.NotEmpty(fitting.Commands);
        Assert.NotNull(read.RetourReceived);
        Assert.Empty(read.Commands);
    }
}

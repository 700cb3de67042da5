using System.Xml.Linq;
using Ketenhub.Adapters.IWmo.Codes;
using Ketenhub.Adapters.IWmo.Outbound;
using Ketenhub.Adapters.IWmo.Schemas;
using Ketenhub.Contracts.V1;
using static Ketenhub.Adapters.IWmo.Tests.Fixtures;

namespace Ketenhub.Adapters.IWmo.Tests;

public sealed class OutboundTests
{
    [Fact]
    public void A_referral_to_an_iwmo_provider_becomes_a_valid_wmo301_from_the_clients_municipality()
    {
        var delivery = ReferralDelivery(Provider, Wijkteam);
        var message = Produce(new OutboundRequest(delivery, Adult(), Provider, Wijkteam, Now));

        Assert.Equal(IStandaard.IWmo, message.Standaard);
        Assert.Equal(Bericht.Toewijzing, message.Bericht);
        Assert.Empty(SchemaCatalog.Validate(message.Document, IStandaard.IWmo));
        XNamespace ns = "http://www.istandaarden.nl/iwmo/3_2/wmo301/schema";
        XNamespace b = "http://www.istandaarden.nl/iwmo/3_2/basisschema/schema";
        var header = message.Document.Root!.Element(ns + "Header")!;
        Assert.Equal("414", header.Element(ns + "BerichtCode")!.Value);
        Assert.Equal("3", header.Element(ns + "BerichtVersie")!.Value);
        Assert.Equal("2", header.Element(ns + "BerichtSubversie")!.Value);
        Assert.Equal(Dordrecht, header.Element(ns + "Afzender")!.Value);
        Assert.Equal(ProviderAgb, header.Element(ns + "Ontvanger")!.Value);
        Assert.Equal("4711", header.Element(ns + "BerichtIdentificatie")!.Element(b + "Identificatie")!.Value);
        Assert.Equal("2026-11-23", header.Element(ns + "BerichtIdentificatie")!.Element(b + "Dagtekening")!.Value);
        var client = message.Document.Root!.Element(ns + "Client")!;
        Assert.Equal(ValidBsn, client.Element(ns + "Bsn")!.Value);
        Assert.Equal("5", client.Element(ns + "Naam")!.Element(b + "NaamGebruik")!.Value);
        Assert.Equal("K7Q2M9", client.Descendants(b + "Achternaam").First().Value);
        var coach = client.Element(ns + "Relaties")!.Element(ns + "Relatie")!;
        Assert.Equal("07", coach.Element(ns + "Soort")!.Value);
        Assert.Equal("0612345678", coach.Descendants(b + "Telefoonnummer").Single().Value);
        Assert.Equal("12:00:00", client.Descendants(ns + "Toewijzingstijd").Single().Value);
    }

    [Theory]
    [InlineData(VolumeFrequency.PerDay, "1")]
    [InlineData(VolumeFrequency.PerWeek, "2")]
    [InlineData(VolumeFrequency.PerMonth, "4")]
    [InlineData(VolumeFrequency.Total, "6")]
    public void A_referrals_product_code_volume_and_end_date_fill_the_toewijzing_and_the_verzoek(VolumeFrequency frequency, string frequentie)
    {
        XNamespace b = "http://www.istandaarden.nl/iwmo/3_2/basisschema/schema";
        var toewijzing = Produce(new OutboundRequest(Scoped(ReferralDelivery(Provider, Wijkteam), frequency), Adult(), Provider, Wijkteam, Now));
        var verzoek = Produce(new OutboundRequest(Scoped(ReferralDelivery(Sdd, Provider), frequency), Adult(), Sdd, Provider, Now));

        foreach (var (message, product, endDate) in new[] { (toewijzing, "ToegewezenProduct", "Einddatum"), (verzoek, "AangevraagdProduct", "ToewijzingEinddatum") })
        {
            Assert.Empty(SchemaCatalog.Validate(message.Document, IStandaard.IWmo));
            var element = message.Document.Descendants().Single(e => e.Name.LocalName == product);
            Assert.Equal("02A03", element.Elements().Single(e => e.Name.LocalName == "Product").Element(b + "Code")!.Value);
            Assert.Equal("2027-11-22", element.Elements().Single(e => e.Name.LocalName == endDate).Value);
            var omvang = element.Elements().Single(e => e.Name.LocalName == "Omvang");
            Assert.Equal(("6", "04", frequentie), (omvang.Element(b + "Volume")!.Value, omvang.Element(b + "Eenheid")!.Value, omvang.Element(b + "Frequentie")!.Value));
        }
    }

    [Fact]
    public void Without_product_code_volume_or_end_date_the_messages_leave_them_out()
    {
        var message = Produce(new OutboundRequest(ReferralDelivery(Provider, Wijkteam), Adult(), Provider, Wijkteam, Now));

        var product = message.Document.Descendants().Single(e => e.Name.LocalName == "ToegewezenProduct");
        Assert.DoesNotContain(product.Descendants(), e => e.Name.LocalName is "Code" or "Omvang" or "Einddatum");
    }

    [Fact]
    public void A_wmo301_read_back_carries_the_mapped_fields_of_the_referral()
    {
        var delivery = ReferralDelivery(Provider, Wijkteam, ServiceKind.DayActivities, sequence: 918273);
        var message = Produce(new OutboundRequest(delivery, Adult(), Provider, Wijkteam, Now));

        var content = BerichtContent.Read(XDocument.Parse(System.Text.Encoding.UTF8.GetString(message.ToBytes())));

        Assert.Equal(Bericht.Toewijzing, content.Bericht);
        Assert.Equal(Dordrecht, content.Afzender);
        Assert.Equal(ProviderAgb, content.Ontvanger);
        Assert.Equal(ValidBsn, content.Bsn);
        Assert.Equal(Adult().BirthDate, content.BirthDate);
        Assert.Equal(Today, content.Dagtekening);
        var product = Assert.Single(content.Products);
        Assert.Equal(918273, product.ToewijzingNummer);
        Assert.Equal(OutboundTranslator.ToewijzingNummer(delivery), product.ToewijzingNummer);
        Assert.Null(product.ReferentieAanbieder);
        Assert.Equal(ServiceKind.DayActivities, ProductCategories.ServiceOf(product.Categorie!, content.Standaard));
        Assert.Equal(Today, product.Ingangsdatum);
        Assert.Equal(delivery.Referral.Reason + "\n" + IWmoXml.StrengthsPrefix + delivery.Referral.Strengths, product.Commentaar);
    }

    [Fact]
    public void A_providers_referral_to_the_social_service_becomes_its_wmo315_and_reads_back_equal()
    {
        var delivery = ReferralDelivery(Sdd, Provider, ServiceKind.IndividualGuidance);
        var message = Produce(new OutboundRequest(delivery, Adult(), Sdd, Provider, Now));

        Assert.Equal(Bericht.VerzoekOmToewijzing, message.Bericht);
        Assert.Empty(SchemaCatalog.Validate(message.Document, IStandaard.IWmo));
        var content = BerichtContent.Read(message.Document);
        Assert.Equal("444", message.Document.Descendants().Single(e => e.Name.LocalName == "BerichtCode").Value);
        Assert.Equal(ProviderAgb, content.Afzender);
        Assert.Equal(Dordrecht, content.Ontvanger);
        Assert.Equal(ValidBsn, content.Bsn);
        var product = Assert.Single(content.Products);
        Assert.Equal(ReferralId, product.ReferentieAanbieder);
        Assert.Equal(ProductCategories.WmoBegeleiding, product.Categorie);
        Assert.Equal(ServiceKind.IndividualGuidance, ProductCategories.ServiceOf(product.Categorie!, IStandaard.IWmo, ServiceKind.IndividualGuidance));
        Assert.Equal(VerwijzerTypes.GeenVerwijzer, product.VerwijzerType);
        Assert.Equal(Today, product.Ingangsdatum);
    }

    [Theory]
    [InlineData(ServiceKind.WaakvlamSupport, "02")]
    [InlineData(ServiceKind.IndividualGuidance, "02")]
    [InlineData(ServiceKind.DayActivities, "07")]
    [InlineData(ServiceKind.ShelteredHousing, "15")]
    [InlineData(ServiceKind.HouseholdHelp, "01")]
    public void Every_wmo_service_maps_to_its_wmo020_category_in_a_valid_message(ServiceKind service, string category)
    {
        var message = Produce(new OutboundRequest(ReferralDelivery(Provider, Wijkteam, service), Adult(), Provider, Wijkteam, Now));

        Assert.Empty(SchemaCatalog.Validate(message.Document, IStandaard.IWmo));
        Assert.Equal(category, BerichtContent.Read(message.Document).Products[0].Categorie);
    }

    [Theory]
    [InlineData(ServiceKind.DebtCounselling)]
    [InlineData(ServiceKind.ParticipationWork)]
    [InlineData(ServiceKind.YouthCare)]
    [InlineData(ServiceKind.Unspecified)]
    public void A_service_outside_the_wmo_is_a_coded_failure_for_an_adult(ServiceKind service) =>
        Assert.Equal(IWmoErrors.ServiceNotCovered, Failure(new OutboundRequest(ReferralDelivery(Provider, Wijkteam, service), Adult(), Provider, Wijkteam, Now)));

    [Fact]
    public void Without_the_bsn_the_referral_is_a_coded_failure_not_an_invalid_message() =>
        Assert.Equal(IWmoErrors.BsnRequired, Failure(new OutboundRequest(ReferralDelivery(Provider, Wijkteam), Adult(bsn: null), Provider, Wijkteam, Now)));

    [Fact]
    public void A_bsn_failing_the_elfproef_is_a_coded_failure() =>
        Assert.Equal(IWmoErrors.BsnInvalid, Failure(new OutboundRequest(ReferralDelivery(Provider, Wijkteam), Adult(bsn: "111222334"), Provider, Wijkteam, Now)));

    [Fact]
    public void Other_payloads_have_no_iwmo_message()
    {
        var delivery = ReferralDelivery(Provider, Wijkteam);
        delivery.Signal = new Signal { Name = "signals/sig_1" };
        Assert.Equal(IWmoErrors.PayloadNotSupported, Failure(new OutboundRequest(delivery, Adult(), Provider, Wijkteam, Now)));
    }

    [Fact]
    public void A_recipient_that_does_not_perform_the_referral_gets_nothing() =>
        Assert.Equal(IWmoErrors.RecipientNotInvolved, Failure(new OutboundRequest(ReferralDelivery(Provider, Wijkteam), Adult(), YouthProvider, Wijkteam, Now)));

    [Fact]
    public void A_client_municipality_that_is_no_cbs_code_or_not_served_by_the_recipient_is_a_coded_failure()
    {
        var delivery = ReferralDelivery(Provider, Wijkteam);
        Assert.Equal(IWmoErrors.MunicipalityInvalid, Failure(new OutboundRequest(delivery, Adult() with { MunicipalityCode = "9999" }, Provider, Wijkteam, Now)));
        var toSdd = ReferralDelivery(Sdd, Provider);
        Assert.Equal(IWmoErrors.MunicipalityInvalid, Failure(new OutboundRequest(toSdd, Adult() with { MunicipalityCode = "0363" }, Sdd, Provider, Now)));
    }

    [Fact]
    public void A_verzoek_needs_a_requester_with_an_agb_code() =>
        Assert.Equal(IWmoErrors.AgbMissing, Failure(new OutboundRequest(ReferralDelivery(Sdd, School), Adult(), Sdd, School, Now)));

    [Fact]
    public void A_toewijzingnummer_must_fit_nine_digits() =>
        Assert.Equal(IWmoErrors.NumberOutOfRange, Failure(new OutboundRequest(ReferralDelivery(Provider, Wijkteam, sequence: 1_000_000_000), Adult(), Provider, Wijkteam, Now)));

    [Fact]
    public void A_toewijzing_goes_out_only_for_a_decision_of_the_clients_municipality_or_a_party_deciding_for_it()
    {
        var otherWijkteam = Wijkteam with { Name = "parties/wijkteam-zwijndrecht", MunicipalityCodes = ["0642"] };

        Assert.Equal(IWmoErrors.NoMunicipalDecision, Failure(new OutboundRequest(ReferralDelivery(Provider, School), Adult(), Provider, School, Now)));
        Assert.Equal(IWmoErrors.NoMunicipalDecision, Failure(new OutboundRequest(ReferralDelivery(Provider, YouthProvider), Adult(), Provider, YouthProvider, Now)));
        Assert.Equal(IWmoErrors.NoMunicipalDecision, Failure(new OutboundRequest(ReferralDelivery(Provider, otherWijkteam), Adult(), Provider, otherWijkteam, Now)));
        Assert.Equal(Bericht.Toewijzing, Produce(new OutboundRequest(ReferralDelivery(Provider, Sdd), Adult(), Provider, Sdd, Now)).Bericht);
        Assert.Equal(Bericht.Toewijzing, Produce(new OutboundRequest(ReferralDelivery(Provider, Wijkteam), Adult(), Provider, Wijkteam, Now)).Bericht);
    }

    [Theory]
    [InlineData(IStandaard.IWmo)]
    [InlineData(IStandaard.IJw)]
    public void Every_message_and_retour_declares_xsd_version_1_0_0_as_the_released_schemas_do(IStandaard s)
    {
        var message = s == IStandaard.IWmo
            ? Produce(new OutboundRequest(ReferralDelivery(Provider, Wijkteam), Adult(), Provider, Wijkteam, Now))
            : Produce(new OutboundRequest(ReferralDelivery(YouthProvider, Wijkteam), BornOn(new DateOnly(2012, 3, 4)), YouthProvider, Wijkteam, Now));

        Assert.Equal(s, message.Standaard);
        Assert.Equal(["1.0.0", "1.0.0"], message.Document.Descendants().Where(e => e.Name.LocalName is "BasisschemaXsdVersie" or "BerichtXsdVersie").Select(e => e.Value));
        var retour = Ketenhub.Adapters.IWmo.Inbound.RetourWriter.Write(s, Bericht.Toewijzing, message.Document, new Dictionary<System.Xml.Linq.XElement, List<string>>(), Today);
        Assert.All(retour.Descendants().Where(e => e.Name.LocalName is "BasisschemaXsdVersie" or "BerichtXsdVersie"), e => Assert.Equal("1.0.0", e.Value));
    }

    [Theory]
    [InlineData(new[] { RepresentationKind.Guardianship }, "06")]
    [InlineData(new[] { RepresentationKind.Administration, RepresentationKind.Curatorship }, "09")]
    [InlineData(new[] { RepresentationKind.Mentorship, RepresentationKind.Administration }, "08")]
    [InlineData(new[] { RepresentationKind.Administration }, "07")]
    [InlineData(new[] { RepresentationKind.ParentalAuthority }, null)]
    [InlineData(new RepresentationKind[0], null)]
    public void A_toewijzing_carries_the_clients_legal_representation_as_its_wj003_code(RepresentationKind[] kinds, string? code)
    {
        var minor = BornOn(new DateOnly(2012, 3, 4)) with { Representations = kinds };
        var adult = Adult() with { Representations = kinds };

        var youth = Produce(new OutboundRequest(ReferralDelivery(YouthProvider, Wijkteam), minor, YouthProvider, Wijkteam, Now));
        var wmo = Produce(new OutboundRequest(ReferralDelivery(Provider, Wijkteam), adult, Provider, Wijkteam, Now));

        Assert.Equal((IStandaard.IJw, IStandaard.IWmo), (youth.Standaard, wmo.Standaard));
        foreach (var message in new[] { youth, wmo })
        {
            Assert.Empty(SchemaCatalog.Validate(message.Document, message.Standaard));
            Assert.Equal(code, message.Document.Descendants().SingleOrDefault(e => e.Name.LocalName == "WettelijkeVertegenwoordiging")?.Value);
        }
    }
}

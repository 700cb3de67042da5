using System.Xml.Linq;
using Ketenhub.Adapters.IWmo.Codes;
using Ketenhub.Adapters.IWmo.Inbound;
using Ketenhub.Adapters.IWmo.Outbound;
using Ketenhub.Contracts.V1;
using static Ketenhub.Adapters.IWmo.Tests.Fixtures;

namespace Ketenhub.Adapters.IWmo.Tests;

/// <summary>
/// The verzoek om toewijzing process as the standards have it, with the hub on the municipality's side: a provider's own
/// 315 becomes a request for a toewijzing (answered with 316); the toewijzing the hub issues when the deciding party
/// accepts is a 301 carrying the provider's ReferentieAanbieder (TR379); a refusal is the 319 antwoordbericht
/// (VerzoekAntwoord 1, WJ759 reason), whose 320 retour the hub takes.
/// </summary>
public sealed class VerzoekTests
{
    private readonly MemoryDirectory _directory = new();
    private readonly InboundTranslator _inbound;

    public VerzoekTests() => _inbound = new InboundTranslator(_directory);

    private InboundReading Read(XDocument message) => _inbound.Translate(PartnerMessages.Bytes(message), Today);

    private static XElement Only(XDocument document, string name) => document.Descendants().Single(e => e.Name.LocalName == name);

    /// <summary>A provider's 315 for the adult client of Dordrecht, with scope, as the provider's software writes it.</summary>
    private static XDocument ProvidersVerzoek(string reference, string identificatie = "4711")
    {
        var document = Produce(new OutboundRequest(Scoped(ReferralDelivery(Wijkteam, Provider, ServiceKind.IndividualGuidance)), Adult(), Wijkteam, Provider, Now)).Document;
        Only(document, "ReferentieAanbieder").Value = reference;
        document.Descendants().Single(e => e.Name.LocalName == "Identificatie" && e.Parent!.Name.LocalName == "BerichtIdentificatie").Value = identificatie;
        return document;
    }

    [Fact]
    public void A_providers_315_registers_its_client_and_asks_the_deciding_party_for_a_toewijzing_with_the_scope()
    {
        var read = Read(ProvidersVerzoek("VOT-2026-0001"));

        Assert.Null(read.Refusal);
        Assert.Equal(2, read.Commands.Count);
        Assert.All(read.Commands, c => Assert.Equal(Provider.Name, c.Caller));
        var register = Assert.IsType<RegisterClientRequest>(read.Commands[0].Request);
        Assert.Equal((ValidBsn, Dordrecht, 1990, 5, 17), (register.Bsn, register.MunicipalityCode, register.BirthDate.Year, register.BirthDate.Month, register.BirthDate.Day));
        var create = Assert.IsType<CreateReferralRequest>(read.Commands[1].Request);
        var referral = create.Referral;
        Assert.Equal(string.Empty, referral.Client);
        Assert.Equal((ReferralKind.AllocationRequest, "VOT-2026-0001", ServiceKind.IndividualGuidance, "02A03"), (referral.Kind, referral.RequesterReference, referral.Service, referral.ProductCode));
        Assert.Equal(new SupportVolume { Quantity = 6, Unit = VolumeUnit.Hour, Frequency = VolumeFrequency.PerWeek }, referral.Volume);
        Assert.Equal((2027, 11, 22), (referral.RequestedEndDate.Year, referral.RequestedEndDate.Month, referral.RequestedEndDate.Day));
        // The party that decides for Dordrecht: its social service before its wijkteam.
        Assert.Equal([Sdd.Name], referral.Performers.Select(p => p.Party));
        Assert.Contains("Huurachterstand", referral.Reason, StringComparison.Ordinal);

        // Answered with a 316 that accepts the client and the product.
        var retour = read.BuildRetour();
        Assert.Equal(Berichten.Namespace(IStandaard.IWmo, Bericht.VerzoekOmToewijzingRetour), retour.Root!.Name.NamespaceName);
        Assert.All(retour.Descendants().Where(e => e.Name.LocalName == "RetourCode"), c => Assert.Equal(RetourCodes.Geaccepteerd, c.Value));
        Assert.Equal(3, retour.Descendants().Count(e => e.Name.LocalName == "RetourCode"));
    }

    [Fact]
    public void The_same_product_in_another_message_is_the_same_request_and_a_used_reference_for_another_gets_9347()
    {
        var first = Read(ProvidersVerzoek("VOT-2026-0001", identificatie: "4711"));
        var again = Read(ProvidersVerzoek("VOT-2026-0001", identificatie: "4712"));
        var other = Read(ProvidersVerzoek("VOT-2026-0002", identificatie: "4713"));

        string Id(InboundReading r) => ((CreateReferralRequest)r.Commands[1].Request).RequestId;
        Assert.Equal(Id(first), Id(again));
        Assert.NotEqual(Id(first), Id(other));
        Assert.NotEqual(((RegisterClientRequest)first.Commands[0].Request).RequestId, ((RegisterClientRequest)again.Commands[0].Request).RequestId);

        // The hub refuses a request id with another body (REQUEST_ID_REUSED): the product gets TR347's code.
        var retour = again.BuildRetour(new Dictionary<InboundCommand, string> { [again.Commands[1]] = "REQUEST_ID_REUSED" });
        var product = Only(retour, "AangevraagdProduct");
        Assert.Equal([RetourCodes.ReferentieNietUniek], product.Descendants().Where(e => e.Name.LocalName == "RetourCode").Select(e => e.Value));
    }

    [Fact]
    public void A_315_for_a_client_whose_facts_differ_is_rejected_on_the_client_and_its_products_are_not_assessed()
    {
        var read = Read(ProvidersVerzoek("VOT-2026-0003"));

        var retour = read.BuildRetour(new Dictionary<InboundCommand, string> { [read.Commands[0]] = "CLIENT_FACTS_MISMATCH", [read.Commands[1]] = InboundReading.NotAssessed });

        var client = Only(retour, "Client");
        Assert.Equal(RetourCodes.TechnischAfgekeurd, client.Elements().Single(e => e.Name.LocalName == "RetourCodes").Elements().Single().Value);
        Assert.Equal(RetourCodes.NietBeoordeeld, Only(retour, "AangevraagdProduct").Descendants().Single(e => e.Name.LocalName == "RetourCode").Value);
    }

    [Fact]
    public void A_product_whose_category_the_hub_does_not_map_gets_0001_and_no_request()
    {
        var message = ProvidersVerzoek("VOT-2026-0004");
        Only(message, "Categorie").Value = "10";

        var read = Read(message);

        Assert.IsType<RegisterClientRequest>(Assert.Single(read.Commands).Request);
        Assert.Equal(RetourCodes.TechnischAfgekeurd, Only(read.BuildRetour(), "AangevraagdProduct").Descendants().Single(e => e.Name.LocalName == "RetourCode").Value);
    }

    [Fact]
    public void A_315_invalid_in_one_element_is_refused_with_IB001_naming_it()
    {
        var message = ProvidersVerzoek("VOT-2026-0006");
        Only(message, "ToewijzingIngangsdatum").Remove();

        var read = Read(message);

        Assert.Equal(FoutCodes.VoldoetNietAanXsd, read.Refusal);
        Assert.Empty(read.Commands);
        Assert.Contains(read.Problems, p => p.Path.StartsWith("Bericht/Client/AangevraagdeProducten/AangevraagdProduct", StringComparison.Ordinal));
    }

    [Fact]
    public void A_320_invalid_in_one_element_is_refused_with_IB001_and_one_naming_no_319_sent_to_the_provider_changes_nothing()
    {
        var sent = Produce(new OutboundRequest(DeclinedVerzoek(Provider, "03"), Adult(), Provider, Provider, Now));
        var retour = RetourWriter.Write(IStandaard.IWmo, Bericht.Antwoord, sent.Document, new Dictionary<XElement, List<string>>(), Today);
        var invalid = new XDocument(retour);
        Only(invalid, "VerzoekAntwoord").Remove();

        Assert.Equal(FoutCodes.VoldoetNietAanXsd, Read(invalid).Refusal);

        // Nothing was sent to this provider under that identification: the retour answers no message of the hub.
        var unknown = Read(retour);
        Assert.Null(unknown.Refusal);
        Assert.NotNull(unknown.RetourReceived);
        Assert.Empty(unknown.Commands);
    }

    [Fact]
    public void A_315_to_a_municipality_no_party_decides_for_is_refused_with_IB005()
    {
        var message = ProvidersVerzoek("VOT-2026-0005");
        message.Descendants().Single(e => e.Name.LocalName == "Ontvanger").Value = "0363";

        Assert.Equal(FoutCodes.GemeentecodeOnbekend, Read(message).Refusal);
    }

    [Fact]
    public void The_toewijzing_issued_for_an_accepted_request_carries_the_providers_reference()
    {
        var issued = Produce(new OutboundRequest(Allocated(ReferralDelivery(Provider, Wijkteam)), Adult(), Provider, Wijkteam, Now)).Document;
        var plain = Produce(new OutboundRequest(ReferralDelivery(Provider, Wijkteam), Adult(), Provider, Wijkteam, Now)).Document;

        Assert.Equal("VOT-2026-0001", Only(issued, "ReferentieAanbieder").Value);
        Assert.DoesNotContain(plain.Descendants(), e => e.Name.LocalName == "ReferentieAanbieder");
    }

    [Theory]
    [InlineData("03", "3")]
    [InlineData("06", "6")]
    [InlineData("WJ001-9332", null)]
    [InlineData("12", null)]
    public void A_refused_request_is_the_319_with_the_providers_reference_and_the_WJ759_reason(string reasonCode, string? reden)
    {
        var message = Produce(new OutboundRequest(DeclinedVerzoek(Provider, reasonCode), Adult(), Provider, Provider, Now));

        Assert.Equal(Bericht.Antwoord, message.Bericht);
        var document = message.Document;
        Assert.Equal((Dordrecht, ProviderAgb), (Only(document, "Afzender").Value, Only(document, "Ontvanger").Value));
        Assert.Equal("482", Only(document, "BerichtCode").Value);
        Assert.Equal(("VOT-2026-0001", "1"), (Only(document, "ReferentieAanbieder").Value, Only(document, "VerzoekAntwoord").Value));
        Assert.Equal(reden, document.Descendants().SingleOrDefault(e => e.Name.LocalName == "RedenAfwijzingVerzoek")?.Value);
    }

    [Fact]
    public void Other_referral_updates_are_not_in_the_format()
    {
        var accepted = DeclinedVerzoek(Provider, "03");
        accepted.ReferralUpdate.Status = PerformerStatus.Accepted;
        var care = DeclinedVerzoek(Provider, "03");
        care.ReferralUpdate.Kind = ReferralKind.Care;

        Assert.Equal(IWmoErrors.NotInFormat, Failure(new OutboundRequest(accepted, Adult(), Provider, Provider, Now)));
        Assert.Equal(IWmoErrors.NotInFormat, Failure(new OutboundRequest(care, Adult(), Provider, Provider, Now)));
        Assert.Equal(IWmoErrors.NotInFormat, Failure(new OutboundRequest(DeclinedVerzoek(Wijkteam, "03"), Adult(), Wijkteam, Wijkteam, Now)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_providers_320_acknowledges_or_rejects_the_319_and_declines_nothing(bool accepted)
    {
        var sent = Produce(new OutboundRequest(DeclinedVerzoek(Provider, "03"), Adult(), Provider, Provider, Now));
        var antwoord = Only(sent.Document, "Antwoord");
        var codes = accepted ? new Dictionary<XElement, List<string>>() : new Dictionary<XElement, List<string>> { [antwoord] = ["9365"] };
        var retour = RetourWriter.Write(IStandaard.IWmo, Bericht.Antwoord, sent.Document, codes, Today);
        _directory.Sent(Provider.Name, sent.Identificatie, "deliveries/dlv_update");

        var read = Read(retour);

        Assert.Null(read.Refusal);
        Assert.Equal(accepted, read.RetourReceived!.Accepted);
        var command = Assert.Single(read.Commands);
        Assert.Equal(Provider.Name, command.Caller);
        if (accepted)
        {
            Assert.Equal("deliveries/dlv_update", Assert.IsType<AcknowledgeDeliveryRequest>(command.Request).Name);
        }
        else
        {
            Assert.Equal(("deliveries/dlv_update", "WJ001_9365"), (Assert.IsType<RejectDeliveryRequest>(command.Request).Name, ((RejectDeliveryRequest)command.Request).ReasonCode));
        }
    }
}

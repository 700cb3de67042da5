using System.Text;
using Hl7.Fhir.Model;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Adapters.Fhir.Tests;

/// <summary>
/// A request for a toewijzing in FHIR: the kind as a category in the hub's referral-kind code system, the requester's own
/// reference as a placer identifier (HL7 v2-0203 PLAC), and the toewijzing the hub issued based on the request
/// (<c>basedOn</c>). Written, read back exactly, valid for both validators, and taken from a partner's ServiceRequest.
/// </summary>
public sealed class AllocationTests
{
    private static readonly FhirAdapter Adapter = new(new HttpClient(), TimeProvider.System);

    private static AdapterContext Context => Samples.Context(Samples.Waakvlam, Samples.Sdd, Samples.Consent());

    private static Delivery Request()
    {
        var delivery = Samples.ReferralDelivery();
        delivery.Referral.Kind = ReferralKind.AllocationRequest;
        delivery.Referral.RequesterReference = "VOT-2026-0001";
        return delivery;
    }

    private static Delivery Issued()
    {
        var delivery = Samples.ReferralDelivery();
        delivery.Referral.AllocationRequest = "referrals/ref_verzoek1";
        return delivery;
    }

    private static Bundle Written(Delivery delivery) =>
        Assert.IsType<Bundle>(FhirFormat.Parse(Adapter.TranslateOutbound(delivery, Context).Body.Span));

    private static ServiceRequest ServiceRequestOf(Bundle bundle) => bundle.Entry.Select(e => e.Resource).OfType<ServiceRequest>().Single();

    [Fact]
    public void A_request_and_an_issued_toewijzing_round_trip()
    {
        foreach (var delivery in new[] { Request(), Issued() })
        {
            var read = new FhirDeliveryReader(Samples.Hub).Read(Written(delivery));

            Assert.Equal(delivery.Referral, read.Referral);
        }
    }

    [Fact]
    public void The_request_is_a_category_and_its_reference_a_placer_identifier_assigned_by_the_requester()
    {
        var sr = ServiceRequestOf(Written(Request()));

        Assert.Contains(sr.Category, c => c.Coding.Any(x => x.System == FhirVocabulary.CodeSystemBase + "referral-kind" && x.Code == "allocation-request"));
        var placer = Assert.Single(sr.Identifier, i => i.Type?.Coding.Any(c => c.Code == "PLAC") == true);
        Assert.Equal(("VOT-2026-0001", FhirVocabulary.IdentifierTypes), (placer.Value, placer.Type!.Coding.Single().System));
        Assert.Equal(sr.Requester!.Reference, placer.Assigner!.Reference);
        Assert.Empty(sr.BasedOn);
    }

    [Fact]
    public void A_care_request_writes_neither()
    {
        var sr = ServiceRequestOf(Written(Samples.ReferralDelivery()));

        Assert.DoesNotContain(sr.Category, c => c.Coding.Any(x => x.System == FhirVocabulary.CodeSystemBase + "referral-kind"));
        Assert.Single(sr.Identifier);
        Assert.Empty(sr.BasedOn);
    }

    [Fact]
    public void Both_pass_the_validator_with_the_hubs_package_and_their_urls_resolve()
    {
        foreach (var delivery in new[] { Request(), Issued() })
        {
            var errors = FhirValidation.Shared.Validate(Written(delivery));

            Assert.True(errors.Count == 0, string.Join("\n", errors.Select(e => e.Path + ": " + e.Message)));
        }

        var json = Encoding.UTF8.GetString(Adapter.TranslateOutbound(Request(), Context).Body.Span);
        Assert.Contains(FhirVocabulary.CodeSystemBase + "referral-kind", json, StringComparison.Ordinal);
        Assert.NotNull(FhirConformance.Package.FindByUrl(FhirVocabulary.CodeSystemBase + "referral-kind"));
    }

    [Fact]
    public void Independent_validator_finds_no_problem_in_them()
    {
        using var folder = new TempFolder();
        File.WriteAllBytes(Path.Combine(folder.Path, "request.json"), Adapter.TranslateOutbound(Request(), Context).Body.ToArray());
        File.WriteAllBytes(Path.Combine(folder.Path, "issued.json"), Adapter.TranslateOutbound(Issued(), Context).Body.ToArray());

        var (exitCode, output) = NodeValidator.Run(folder.Path);

        Assert.True(exitCode == 0, output);
        Assert.Contains("2 files: 0 files with problems", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_partners_request_for_a_toewijzing_is_taken_with_its_kind_and_reference()
    {
        var bundle = FhirBundleWriter.Write(Samples.ReferralDelivery(), Samples.Context(Samples.Waakvlam, Samples.Sdd));
        var sr = ServiceRequestOf(bundle);
        sr.Identifier = [new Identifier("https://partner.example.nl/sr", "1"), new Identifier("https://partner.example.nl/vot", "VOT-2026-0009") { Type = new CodeableConcept(FhirVocabulary.IdentifierTypes, "PLAC") }];
        sr.Category.Add(new CodeableConcept(FhirVocabulary.CodeSystemBase + "referral-kind", "allocation-request"));

        var translation = Adapter.TranslateInbound(new InboundMessage("POST", string.Empty, FhirFormat.ContentType, FhirFormat.Serialize(bundle)), Samples.Context(Samples.Sdd, Samples.Waakvlam));

        var referral = Assert.IsType<CreateReferralRequest>(Assert.Single(Assert.IsType<InboundTranslation.Requests>(translation).Messages)).Referral;
        Assert.Equal((ReferralKind.AllocationRequest, "VOT-2026-0009"), (referral.Kind, referral.RequesterReference));
    }

    [Fact]
    public void An_unknown_referral_kind_is_refused_at_its_category()
    {
        var bundle = FhirBundleWriter.Write(Samples.ReferralDelivery(), Samples.Context(Samples.Waakvlam, Samples.Sdd));
        var sr = ServiceRequestOf(bundle);
        sr.Identifier.Add(new Identifier("https://partner.example.nl/sr", "2"));
        sr.Category.Add(new CodeableConcept(FhirVocabulary.CodeSystemBase + "referral-kind", "wish-list"));

        var translation = Adapter.TranslateInbound(new InboundMessage("POST", string.Empty, FhirFormat.ContentType, FhirFormat.Serialize(bundle)), Samples.Context(Samples.Sdd, Samples.Waakvlam));

        var error = Assert.IsType<InboundTranslation.Rejected>(translation).Error;
        Assert.Contains("category", error.ToString(), StringComparison.Ordinal);
    }
}

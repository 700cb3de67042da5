using System.Text;
using Hl7.Fhir.Model;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Adapters.Fhir.Tests;

/// <summary>
/// A referral's product code, volume and requested end date in FHIR: written on the ServiceRequest, read back exactly,
/// valid for both validators, and taken from a partner's ServiceRequest (or refused with the hub's codes).
/// </summary>
public sealed class ScopeTests
{
    private static readonly FhirAdapter Adapter = new(new HttpClient(), TimeProvider.System);

    /// <summary>Every unit with every frequency.</summary>
    public static TheoryData<VolumeUnit, VolumeFrequency> Volumes()
    {
        var data = new TheoryData<VolumeUnit, VolumeFrequency>();
        foreach (var unit in Enum.GetValues<VolumeUnit>().Where(u => u != VolumeUnit.Unspecified))
        {
            foreach (var frequency in Enum.GetValues<VolumeFrequency>().Where(f => f != VolumeFrequency.Unspecified))
            {
                data.Add(unit, frequency);
            }
        }

        return data;
    }

    private static Delivery Scoped(VolumeUnit unit, VolumeFrequency frequency, int quantity = 12)
    {
        var delivery = Samples.ReferralDelivery();
        delivery.Referral.ProductCode = "02A1B";
        delivery.Referral.Volume = new SupportVolume { Quantity = quantity, Unit = unit, Frequency = frequency };
        delivery.Referral.RequestedEndDate = Samples.Date(2027, 6, 30);
        return delivery;
    }

    private static AdapterContext Context => Samples.Context(Samples.Waakvlam, Samples.Sdd, Samples.Consent());

    private static Bundle Written(Delivery delivery) =>
        Assert.IsType<Bundle>(FhirFormat.Parse(Adapter.TranslateOutbound(delivery, Context).Body.Span));

    private static ServiceRequest ServiceRequestOf(Bundle bundle) => bundle.Entry.Select(e => e.Resource).OfType<ServiceRequest>().Single();

    [Theory]
    [MemberData(nameof(Volumes))]
    public void Product_code_volume_and_end_date_round_trip_for_every_unit_and_frequency(VolumeUnit unit, VolumeFrequency frequency)
    {
        var delivery = Scoped(unit, frequency);

        var read = new FhirDeliveryReader(Samples.Hub).Read(Written(delivery));

        Assert.Equal(delivery.Referral, read.Referral);
    }

    [Fact]
    public void The_extremes_of_the_quantity_round_trip()
    {
        foreach (var quantity in new[] { 0, 1, FhirVolume.MaxQuantity })
        {
            var delivery = Scoped(VolumeUnit.Euros, VolumeFrequency.Total, quantity);

            Assert.Equal(delivery.Referral, new FhirDeliveryReader(Samples.Hub).Read(Written(delivery)).Referral);
        }
    }

    [Fact]
    public void A_referral_without_them_writes_no_quantity_no_occurrence_and_only_the_service_coding()
    {
        var sr = ServiceRequestOf(Written(Samples.ReferralDelivery()));

        Assert.Null(sr.Quantity);
        Assert.Null(sr.Occurrence);
        Assert.Equal(EnumCodes<ServiceKind>.System, Assert.Single(sr.Code!.Coding).System);
    }

    [Fact]
    public void Per_week_in_hours_is_a_ratio_of_ucum_hours_to_one_week_and_the_end_is_the_occurrence_period_end()
    {
        var sr = ServiceRequestOf(Written(Scoped(VolumeUnit.Hour, VolumeFrequency.PerWeek)));

        var ratio = Assert.IsType<Ratio>(sr.Quantity);
        Assert.Equal((12m, FhirVocabulary.Ucum, "h"), (ratio.Numerator!.Value, ratio.Numerator.System, ratio.Numerator.Code));
        Assert.Equal((1m, FhirVocabulary.Ucum, "wk"), (ratio.Denominator!.Value, ratio.Denominator.System, ratio.Denominator.Code));
        var period = Assert.IsType<Period>(sr.Occurrence);
        Assert.Equal(("2027-06-30", null), (period.End, period.Start));
        Assert.Equal(
            [(EnumCodes<ServiceKind>.System, "individual-guidance"), (FhirVocabulary.ProductCodes, "02A1B")],
            sr.Code!.Coding.Select(c => (c.System, c.Code)));
    }

    [Theory]
    [InlineData(VolumeUnit.Minute, FhirVocabulary.Ucum, "min")]
    [InlineData(VolumeUnit.DayAndNight, FhirVocabulary.Ucum, "d")]
    [InlineData(VolumeUnit.Euros, FhirVocabulary.Currencies, "EUR")]
    [InlineData(VolumeUnit.DayPart, FhirVocabulary.CodeSystemBase + "volume-unit", "day-part")]
    [InlineData(VolumeUnit.PiecesOutput, FhirVocabulary.CodeSystemBase + "volume-unit", "pieces-output")]
    [InlineData(VolumeUnit.PiecesEffort, FhirVocabulary.CodeSystemBase + "volume-unit", "pieces-effort")]
    public void In_total_is_a_quantity_in_ucum_iso_4217_or_the_hubs_unit(VolumeUnit unit, string system, string code)
    {
        var sr = ServiceRequestOf(Written(Scoped(unit, VolumeFrequency.Total)));

        var quantity = Assert.IsType<Quantity>(sr.Quantity);
        Assert.Equal((12m, system, code), (quantity.Value, quantity.System, quantity.Code));
    }

    public static TheoryData<VolumeUnit, VolumeFrequency> OnePerUnit()
    {
        var frequencies = Enum.GetValues<VolumeFrequency>().Where(f => f != VolumeFrequency.Unspecified).ToArray();
        var data = new TheoryData<VolumeUnit, VolumeFrequency>();
        var i = 0;
        foreach (var unit in Enum.GetValues<VolumeUnit>().Where(u => u != VolumeUnit.Unspecified))
        {
            data.Add(unit, frequencies[i++ % frequencies.Length]);
        }

        data.Add(VolumeUnit.Hour, VolumeFrequency.Total);
        data.Add(VolumeUnit.DayPart, VolumeFrequency.PerMonth);
        return data;
    }

    [Theory]
    [MemberData(nameof(OnePerUnit))]
    public void A_bundle_with_them_passes_the_validator_with_the_hubs_package(VolumeUnit unit, VolumeFrequency frequency)
    {
        var errors = FhirValidation.Shared.Validate(Written(Scoped(unit, frequency)));

        Assert.True(errors.Count == 0, string.Join("\n", errors.Select(e => e.Path + ": " + e.Message)));
    }

    [Fact]
    public void The_referral_profile_takes_a_volume_only_as_a_quantity_or_a_ratio()
    {
        var bundle = Written(Scoped(VolumeUnit.Hour, VolumeFrequency.PerWeek));
        var sr = ServiceRequestOf(bundle);
        sr.Quantity = new Hl7.Fhir.Model.Range { Low = new Quantity { Value = 1, System = FhirVocabulary.Ucum, Code = "h" } };
        var index = bundle.Entry.FindIndex(e => e.Resource == sr);

        var errors = FhirValidation.Shared.Validate(bundle);

        Assert.Contains(errors, e => e.Path.StartsWith($"Bundle.entry[{index}].resource.quantity", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_hub_url_of_a_bundle_with_them_resolves_in_the_package()
    {
        var json = Encoding.UTF8.GetString(Adapter.TranslateOutbound(Scoped(VolumeUnit.DayPart, VolumeFrequency.PerWeek), Context).Body.Span);

        foreach (var url in new[] { FhirVocabulary.ProductCodes, FhirVocabulary.CodeSystemBase + "volume-unit" })
        {
            Assert.Contains(url, json, StringComparison.Ordinal);
            Assert.NotNull(FhirConformance.Package.FindByUrl(url));
        }
    }

    [Fact]
    public void Independent_validator_finds_no_problem_in_bundles_with_every_unit_and_frequency()
    {
        using var folder = new TempFolder();
        var count = 0;
        foreach (var row in Volumes())
        {
            var (unit, frequency) = ((VolumeUnit)row[0], (VolumeFrequency)row[1]);
            File.WriteAllBytes(Path.Combine(folder.Path, $"{unit}-{frequency}.json"), Adapter.TranslateOutbound(Scoped(unit, frequency), Context).Body.ToArray());
            count++;
        }

        var (exitCode, output) = NodeValidator.Run(folder.Path);

        Assert.True(exitCode == 0, output);
        Assert.Contains($"{count} files: 0 files with problems", output, StringComparison.Ordinal);
    }

    // Inbound: a partner's ServiceRequest.

    private static InboundMessage Inbound(Action<ServiceRequest> change)
    {
        var bundle = FhirBundleWriter.Write(Samples.ReferralDelivery(), Samples.Context(Samples.Waakvlam, Samples.Sdd));
        var sr = ServiceRequestOf(bundle);
        sr.Identifier.Add(new Identifier("https://partner.example.nl/sr", "1"));
        change(sr);
        return new InboundMessage("POST", string.Empty, FhirFormat.ContentType, FhirFormat.Serialize(bundle));
    }

    private static Referral Taken(InboundMessage message)
    {
        var translation = Adapter.TranslateInbound(message, Samples.Context(Samples.Sdd, Samples.Waakvlam));
        var requests = Assert.IsType<InboundTranslation.Requests>(translation);
        return Assert.IsType<CreateReferralRequest>(Assert.Single(requests.Messages)).Referral;
    }

    private static Google.Rpc.Status Refused(InboundMessage message) =>
        Assert.IsType<InboundTranslation.Rejected>(Adapter.TranslateInbound(message, Samples.Context(Samples.Sdd, Samples.Waakvlam))).Error;

    [Theory]
    [MemberData(nameof(Volumes))]
    public void A_partners_service_request_as_the_hub_writes_it_gives_the_same_product_code_volume_and_end_date(VolumeUnit unit, VolumeFrequency frequency)
    {
        var written = ServiceRequestOf(Written(Scoped(unit, frequency)));

        var referral = Taken(Inbound(sr =>
        {
            sr.Code = written.Code;
            sr.Quantity = written.Quantity;
            sr.Occurrence = written.Occurrence;
        }));

        Assert.Equal(("02A1B", new SupportVolume { Quantity = 12, Unit = unit, Frequency = frequency }, Samples.Date(2027, 6, 30)), (referral.ProductCode, referral.Volume, referral.RequestedEndDate));
    }

    [Fact]
    public void A_partner_may_name_any_unit_in_the_hubs_volume_unit_system_and_end_with_a_date_time()
    {
        var referral = Taken(Inbound(sr =>
        {
            sr.Quantity = new Quantity { Value = 3, System = FhirVocabulary.CodeSystemBase + "volume-unit", Code = "hour" };
            sr.Occurrence = new Period { Start = "2026-12-01", End = "2027-06-30T23:59:59+01:00" };
        }));

        Assert.Equal((new SupportVolume { Quantity = 3, Unit = VolumeUnit.Hour, Frequency = VolumeFrequency.Total }, Samples.Date(2027, 6, 30)), (referral.Volume, referral.RequestedEndDate));
        Assert.Equal(string.Empty, referral.ProductCode);
    }

    public static TheoryData<string, string, string> InvalidCases() => new()
    {
        { "product-code-too-long", "FIELD_TOO_LONG", "ServiceRequest.code.coding[1].code" },
        { "product-code-characters", "INVALID_CHARACTERS", "ServiceRequest.code.coding[1].code" },
        { "quantity-fraction", "VALUE_OUT_OF_RANGE", "ServiceRequest.quantity.numerator.value" },
        { "quantity-too-large", "VALUE_OUT_OF_RANGE", "ServiceRequest.quantity.value" },
        { "unknown-unit", "UNKNOWN_ENUM_VALUE", "ServiceRequest.quantity.code" },
        { "unknown-period", "UNKNOWN_ENUM_VALUE", "ServiceRequest.quantity.denominator" },
        { "range", "INVALID_REQUEST", "ServiceRequest.quantity" },
        { "total-without-end", "FIELD_REQUIRED", "ServiceRequest.occurrence.end" },
        { "partial-end", "INVALID_DATE", "ServiceRequest.occurrence.end" },
    };

    private static InboundMessage Invalid(string name) => Inbound(sr =>
    {
        var perWeek = new Ratio
        {
            Numerator = new Quantity { Value = 4, System = FhirVocabulary.Ucum, Code = "h" },
            Denominator = new Quantity { Value = 1, System = FhirVocabulary.Ucum, Code = "wk" },
        };
        switch (name)
        {
            case "product-code-too-long":
                sr.Code!.Coding.Add(new Coding(FhirVocabulary.ProductCodes, "02A01X"));
                break;
            case "product-code-characters":
                sr.Code!.Coding.Add(new Coding(FhirVocabulary.ProductCodes, "02-A"));
                break;
            case "quantity-fraction":
                perWeek.Numerator.Value = 2.5m;
                sr.Quantity = perWeek;
                break;
            case "quantity-too-large":
                sr.Quantity = new Quantity { Value = 100_000_000, System = FhirVocabulary.Ucum, Code = "min" };
                sr.Occurrence = new Period { End = "2027-06-30" };
                break;
            case "unknown-unit":
                sr.Quantity = new Quantity { Value = 4, System = FhirVocabulary.Ucum, Code = "s" };
                sr.Occurrence = new Period { End = "2027-06-30" };
                break;
            case "unknown-period":
                perWeek.Denominator.Code = "a";
                sr.Quantity = perWeek;
                break;
            case "range":
                sr.Quantity = new Hl7.Fhir.Model.Range { Low = new Quantity { Value = 1, System = FhirVocabulary.Ucum, Code = "h" } };
                break;
            case "total-without-end":
                sr.Quantity = new Quantity { Value = 40, System = FhirVocabulary.Ucum, Code = "h" };
                break;
            case "partial-end":
                sr.Quantity = perWeek;
                sr.Occurrence = new Period { End = "2027-06" };
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(name));
        }
    });

    [Theory]
    [MemberData(nameof(InvalidCases))]
    public void An_invalid_product_code_volume_or_end_date_is_refused_with_the_hubs_code_at_its_element(string name, string reason, string field)
    {
        var message = Invalid(name);
        var error = Refused(message);

        Assert.Equal(reason, HubErrors.ReasonOf(error));
        Assert.Contains(HubErrors.ViolationsOf(error), v => v.Field == field);
        var reply = Adapter.RenderReply(message, new InboundOutcome(error, []), Samples.Context(Samples.Sdd, Samples.Waakvlam));
        Assert.Equal(400, reply.StatusCode);
        var outcome = Assert.IsType<OperationOutcome>(FhirFormat.Parse(reply.Payload.Body.Span));
        Assert.Equal((FhirVocabulary.ErrorReasons, reason), (outcome.Issue[0].Details!.Coding[0].System, outcome.Issue[0].Details!.Coding[0].Code));
        Assert.Contains(outcome.Issue, i => i.Expression.Contains(field));
        var text = Encoding.UTF8.GetString(reply.Payload.Body.Span);
        Assert.DoesNotContain("02A01X", text, StringComparison.Ordinal);
        Assert.DoesNotContain("100000000", text, StringComparison.Ordinal);
    }
}

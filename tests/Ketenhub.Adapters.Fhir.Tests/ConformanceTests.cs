using System.Reflection;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Specification.Snapshot;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Adapters.Fhir.Tests;

/// <summary>
/// The conformance package (Conformance/*.json) against the code that uses it, and every Bundle the adapter writes
/// against Firely's validator with the R4 base and the package.
/// </summary>
public sealed class ConformanceTests
{
    private static readonly FhirConformance Package = FhirConformance.Package;
    private static readonly HttpClient Http = new();
    private static readonly FhirAdapter Adapter = new(Http, TimeProvider.System);

    /// <summary>Every contract enum the adapter codes, with the codes it writes and reads.</summary>
    public static TheoryData<string> Enums() => new(EnumSystems().Keys);

    private static Dictionary<string, (string System, IEnumerable<string> Codes)> EnumSystems() => new()
    {
        ["ServiceKind"] = (EnumCodes<ServiceKind>.System, EnumCodes<ServiceKind>.Codes),
        ["LifeDomain"] = (EnumCodes<LifeDomain>.System, EnumCodes<LifeDomain>.Codes),
        ["Purpose"] = (EnumCodes<Purpose>.System, EnumCodes<Purpose>.Codes),
        ["DataCategory"] = (EnumCodes<DataCategory>.System, EnumCodes<DataCategory>.Codes),
        ["MessageType"] = (EnumCodes<MessageType>.System, EnumCodes<MessageType>.Codes),
        ["TransitionKind"] = (EnumCodes<TransitionKind>.System, EnumCodes<TransitionKind>.Codes),
        ["SignalKind"] = (EnumCodes<SignalKind>.System, EnumCodes<SignalKind>.Codes),
        ["SignalSeverity"] = (EnumCodes<SignalSeverity>.System, EnumCodes<SignalSeverity>.Codes),
        ["TaskKind"] = (EnumCodes<TaskKind>.System, EnumCodes<TaskKind>.Codes),
        ["GrantorRole"] = (EnumCodes<GrantorRole>.System, EnumCodes<GrantorRole>.Codes),
        ["PartyKind"] = (EnumCodes<PartyKind>.System, EnumCodes<PartyKind>.Codes),
        ["VolumeUnit"] = (EnumCodes<VolumeUnit>.System, EnumCodes<VolumeUnit>.Codes),
        ["ReferralKind"] = (EnumCodes<ReferralKind>.System, EnumCodes<ReferralKind>.Codes),
    };

    /// <summary>Every payload kind, with its consent and without one.</summary>
    public static TheoryData<string, bool> Bundles()
    {
        var data = new TheoryData<string, bool>();
        foreach (var (kind, _, _) in Samples.All())
        {
            data.Add(kind, true);
            data.Add(kind, false);
        }

        return data;
    }

    private static Bundle Written(string kind, bool withConsent)
    {
        var (_, delivery, context) = Samples.Get(kind);
        if (!withConsent)
        {
            context = context with { Consent = null };
        }
        else
        {
            context = context with { Consent = context.Consent ?? Samples.Consent() };
        }

        var payload = Adapter.TranslateOutbound(delivery, context);
        return Assert.IsType<Bundle>(FhirFormat.Parse(payload.Body.Span));
    }

    [Theory]
    [MemberData(nameof(Bundles))]
    public void Every_bundle_the_adapter_writes_passes_the_validator(string kind, bool withConsent)
    {
        var bundle = Written(kind, withConsent);
        Assert.True(withConsent || !bundle.Entry.Any(e => e.Resource is Hl7.Fhir.Model.Consent));

        var errors = FhirValidation.Shared.Validate(bundle);

        Assert.True(errors.Count == 0, string.Join("\n", errors.Select(e => e.Path + ": " + e.Message)));
    }

    [Fact]
    public void The_validator_checks_the_hub_extension_and_the_referral_profile_in_a_written_bundle()
    {
        // The written referral carries the municipality extension and a ServiceRequest; broken in one element each,
        // each is reported at that element.
        var bundle = Written("referral", true);
        var patient = bundle.Entry.Select(e => e.Resource).OfType<Patient>().Single();
        var extension = patient.Address.SelectMany(a => a.Extension).Single(e => e.Url == FhirVocabulary.MunicipalityExtension);
        extension.Value = new Code("505");
        var serviceRequest = bundle.Entry.Select(e => e.Resource).OfType<ServiceRequest>().First();
        serviceRequest.Code = new CodeableConcept(EnumCodes<ServiceKind>.System, "no-such-service");
        var patientIndex = bundle.Entry.FindIndex(e => e.Resource is Patient);
        var srIndex = bundle.Entry.FindIndex(e => e.Resource == serviceRequest);

        var errors = FhirValidation.Shared.Validate(bundle);

        Assert.True(errors.Count == 2, string.Join("\n", errors.Select(e => e.Path + ": " + e.Message)));
        Assert.Contains(errors, e => e.Path == $"Bundle.entry[{patientIndex}].resource.address[0].extension[0].value" && e.Message.Contains("kh-municipality-1", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Path == $"Bundle.entry[{srIndex}].resource.code" && e.Message.Contains(EnumCodes<ServiceKind>.System, StringComparison.Ordinal));
        Assert.All(errors, e => Assert.DoesNotContain("505", e.Message, StringComparison.Ordinal));
        Assert.All(errors, e => Assert.DoesNotContain("no-such-service", e.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void A_cold_validator_used_from_several_threads_at_once_gives_each_the_same_answer()
    {
        // Every resource type the adapter writes, alone and in its Bundle, validated at once on a validator that has
        // compiled nothing yet: each resolves and compiles its definitions while the others do.
        var resources = Samples.All()
            .Select(a => Assert.IsType<Bundle>(FhirFormat.Parse(Adapter.TranslateOutbound(a.Delivery, a.Context).Body.Span)))
            .SelectMany(b => b.Entry.Select(e => e.Resource!).Prepend(b))
            .ToList();
        var validation = new FhirValidation(Package);

        var results = new IReadOnlyList<FhirValidationError>[resources.Count];
        Parallel.For(0, resources.Count, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => results[i] = validation.Validate(resources[i]));

        Assert.True(resources.Select(r => r.TypeName).Distinct().Count() > 8);
        Assert.All(results, (errors, i) => Assert.True(errors.Count == 0, resources[i].TypeName + ": " + string.Join("\n", errors.Select(e => e.Path + ": " + e.Message))));
    }

    [Fact]
    public void The_warm_up_sample_validates_on_a_cold_validator()
    {
        Assert.Equal(0, new FhirValidation(Package).WarmUp());
    }

    [Fact]
    public void Every_hub_url_in_a_written_bundle_resolves_in_the_package()
    {
        var urls = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (kind, delivery, context) in Samples.All())
        {
            var body = Adapter.TranslateOutbound(delivery, context).Body;
            using var json = JsonDocument.Parse(body);
            Collect(json.RootElement, urls);
        }

        Assert.NotEmpty(urls);
        Assert.Contains(FhirVocabulary.MunicipalityExtension, urls);
        Assert.Contains(FhirVocabulary.ProductCodes, urls);
        Assert.Contains(EnumCodes<VolumeUnit>.System, urls);
        Assert.All(urls, url => Assert.True(Package.FindByUrl(url) is not null, url + " is not in the conformance package."));
    }

    [Fact]
    public void Every_hub_url_the_vocabulary_names_resolves_in_the_package()
    {
        var urls = typeof(FhirVocabulary).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!)
            .Where(v => v.StartsWith(FhirConformance.CanonicalBase, StringComparison.Ordinal) && !v.EndsWith('/'))
            .Concat(EnumSystems().Values.Select(v => v.System))
            .ToList();

        Assert.True(urls.Count > 10);
        Assert.All(urls, url => Assert.True(Package.FindByUrl(url) is not null, url + " is not in the conformance package."));
    }

    [Theory]
    [MemberData(nameof(Enums))]
    public void Each_enum_code_system_holds_exactly_the_codes_the_adapter_uses(string name)
    {
        var (system, codes) = EnumSystems()[name];
        var codeSystem = Assert.IsType<CodeSystem>(Package.FindByUrl(system));
        var valueSet = Assert.IsType<ValueSet>(Package.FindByUrl(codeSystem.ValueSet!));

        Assert.Equal(codes.Order(StringComparer.Ordinal), codeSystem.Concept.Select(c => c.Code).Order(StringComparer.Ordinal));
        Assert.Equal(codeSystem.Concept.Count, codeSystem.Count);
        Assert.Equal(system, Assert.Single(valueSet.Compose!.Include).System);
    }

    [Fact]
    public void The_error_reason_code_system_holds_every_reason_of_the_contract()
    {
        var reasons = ErrorsReflection.Descriptor.EnumTypes.Single(e => e.Name == nameof(ErrorReason)).Values.Where(v => v.Number != 0).Select(v => v.Name).Order(StringComparer.Ordinal);
        var codeSystem = Assert.IsType<CodeSystem>(Package.FindByUrl(FhirVocabulary.ErrorReasons));

        Assert.Equal(reasons, codeSystem.Concept.Select(c => c.Code).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_referral_services_are_the_hub_services_and_the_snomed_codes_the_hub_maps()
    {
        var valueSet = Assert.IsType<ValueSet>(Package.FindByUrl(FhirConformance.CanonicalBase + "ValueSet/referral-service"));
        var snomed = valueSet.Compose!.Include.Single(i => i.System == SnomedServices.System);

        Assert.Contains(valueSet.Compose.Include, i => i.System == EnumCodes<ServiceKind>.System && i.Concept.Count == 0);
        Assert.Equal(SnomedServices.Map.Keys.Order(StringComparer.Ordinal), snomed.Concept.Select(c => c.Code).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Every_resource_is_named_by_its_file_and_carries_the_package_version()
    {
        using var manifest = JsonDocument.Parse(Package.PackageJson);
        var version = manifest.RootElement.GetProperty("version").GetString();
        Assert.Equal("nl.ketenhub.fhir", manifest.RootElement.GetProperty("name").GetString());
        Assert.Equal("4.0.1", manifest.RootElement.GetProperty("fhirVersions")[0].GetString());

        Assert.True(Package.Resources.Count > 20);
        foreach (var resource in Package.Resources)
        {
            var conformance = (IVersionableConformanceResource)resource;
            Assert.Equal(FhirConformance.CanonicalBase + resource.TypeName + "/" + resource.Id, conformance.Url);
            Assert.Equal(version, conformance.Version);
            Assert.Same(resource, Package.Find(resource.TypeName, resource.Id!));
        }
    }

    [Fact]
    public void Every_resource_of_the_package_is_valid_r4()
    {
        foreach (var resource in Package.Resources)
        {
            var errors = FhirValidation.Shared.Validate(resource);

            Assert.True(errors.Count == 0, resource.TypeName + "/" + resource.Id + ":\n" + string.Join("\n", errors.Select(e => e.Path + ": " + e.Message)));
        }
    }

    [Fact]
    public async System.Threading.Tasks.Task Every_structure_definition_gets_a_snapshot_without_errors()
    {
        var definitions = Package.Resources.OfType<StructureDefinition>().ToList();
        Assert.NotEmpty(definitions);
        foreach (var definition in definitions)
        {
            var copy = (StructureDefinition)definition.DeepCopy();
            var generator = new SnapshotGenerator(FhirValidation.Shared.Resolver);

            await generator.UpdateAsync(copy);

            var errors = generator.Outcome?.Issue.Where(i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal).ToList() ?? [];
            Assert.True(errors.Count == 0, definition.Url + ": " + string.Join("\n", errors.Select(i => i.Details?.Text)));
            Assert.True(copy.Snapshot!.Element.Count > copy.Differential!.Element.Count);
            foreach (var element in copy.Differential.Element)
            {
                Assert.Contains(copy.Snapshot.Element, s => s.ElementId == element.ElementId);
            }
        }
    }

    private static void Collect(JsonElement element, ISet<string> urls)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    Collect(property.Value, urls);
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    Collect(item, urls);
                }

                break;
            case JsonValueKind.String when element.GetString()!.StartsWith(FhirConformance.CanonicalBase, StringComparison.Ordinal):
                urls.Add(element.GetString()!);
                break;
        }
    }
}

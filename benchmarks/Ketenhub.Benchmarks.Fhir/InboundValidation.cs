using BenchmarkDotNet.Attributes;
using Hl7.Fhir.Model;
using Ketenhub.Adapters;
using Ketenhub.Adapters.Fhir;
using Ketenhub.Contracts.V1;
using FhirTask = Hl7.Fhir.Model.Task;

namespace Ketenhub.Benchmarks.Fhir;

/// <summary>
/// What validation against R4 and the hub's profiles costs a partner's inbound message: the FHIR adapter's inbound
/// translation (parse, the hub's own checks, the requests) with the validator (as the hub runs it) against the same
/// translation without it (the baseline), for a referral Bundle (Patient with the municipality extension, the
/// performer, the ServiceRequest) and for a Task update. The validator is built and warmed before either is measured;
/// setup refuses to run unless both translate the message to the same requests.
/// </summary>
[MemoryDiagnoser]
[MinColumn]
[MedianColumn]
public class InboundValidation
{
    private AdapterContext context = null!;
    private InboundMessage message = null!;
    private FhirValidation validation = null!;

    /// <summary>The message: <c>referral</c> (a transaction Bundle of three entries) or <c>task</c> (a Task update).</summary>
    [Params("referral", "task")]
    public string Message { get; set; } = "referral";

    [GlobalSetup]
    public void Setup()
    {
        var sdd = new Party { Name = "parties/sdd", Kind = PartyKind.SocialService, DisplayName = "Sociale Dienst Drechtsteden", Oin = "00000001823288444000" };
        var waakvlam = new Party { Name = "parties/waakvlam", Kind = PartyKind.CareProvider, DisplayName = "Waakvlam Drechtsteden", Agb = "73730001" };
        var plus = new Party { Name = "parties/plus", Kind = PartyKind.CareProvider, DisplayName = "Begeleiding Plus", Agb = "73730002" };
        context = new AdapterContext(new Uri("https://ketenhub.example.nl/"), sdd, waakvlam, new[] { sdd, waakvlam, plus }.ToDictionary(p => p.Name));
        message = Message == "task" ? Of(TaskUpdate(), "PUT", "Task/t-1") : Of(ReferralBundle(), "POST", string.Empty);
        validation = FhirValidation.Shared;
        if (validation.WarmUp() != 0)
        {
            throw new InvalidOperationException("The validator's own sample does not validate.");
        }

        var without = Assert(WithoutValidation());
        var with = Assert(WithValidation());
        if (!without.Messages.SequenceEqual(with.Messages))
        {
            throw new InvalidOperationException("The two translations differ: the comparison would be unfair.");
        }

        // Both reach optimised (tier-1) code before either is measured (docs/performance.md, the warning on short jobs).
        for (var i = 0; i < 300; i++)
        {
            WithoutValidation();
            WithValidation();
        }
    }

    [Benchmark(Baseline = true)]
    public InboundTranslation WithoutValidation() => new FhirInboundTranslator(context, null).Translate(message);

    [Benchmark]
    public InboundTranslation WithValidation() => new FhirInboundTranslator(context, validation).Translate(message);

    private static InboundTranslation.Requests Assert(InboundTranslation translation) =>
        translation as InboundTranslation.Requests ?? throw new InvalidOperationException("The message was refused: " + ((InboundTranslation.Rejected)translation).Error);

    private static InboundMessage Of(Resource resource, string method, string path) => new(method, path, FhirFormat.ContentType, FhirFormat.Serialize(resource));

    private static Bundle ReferralBundle()
    {
        var patient = new Patient
        {
            Identifier = [new Identifier("https://ketenhub.example.nl/id/clients", "k-42")],
            Address = [new Address { City = "Dordrecht", Extension = [new Extension(FhirVocabulary.MunicipalityExtension, new Code("0505"))] }],
        };
        var performer = new Organization { Identifier = [new Identifier(FhirVocabulary.Agb, "73730002")] };
        var serviceRequest = new ServiceRequest
        {
            Identifier = [new Identifier("https://waakvlam.example.nl/verwijzingen", "V-2026-118")],
            Status = RequestStatus.Active,
            Intent = RequestIntent.Order,
            Code = new CodeableConcept(FhirVocabulary.CodeSystemBase + "service-kind", "day-activities"),
            Category = [new CodeableConcept(FhirVocabulary.CodeSystemBase + "life-domain", "work")],
            Priority = RequestPriority.Routine,
            Subject = new ResourceReference("urn:uuid:8f1a1f0e-2d4b-4c2a-9a51-0c5e7d9b2a10"),
            Performer = [new ResourceReference("urn:uuid:4a3c1c9e-7b7e-4a8e-bb0a-5c1f2e6d7a21")],
            ReasonCode = [new CodeableConcept { Text = "Zoekt dagritme." }],
            Note = [new Annotation { Text = "Houdt van buitenwerk." }],
        };
        return new Bundle
        {
            Type = Bundle.BundleType.Transaction,
            Entry =
            [
                new() { FullUrl = "urn:uuid:8f1a1f0e-2d4b-4c2a-9a51-0c5e7d9b2a10", Resource = patient, Request = new() { Method = Bundle.HTTPVerb.POST, Url = "Patient" } },
                new() { FullUrl = "urn:uuid:4a3c1c9e-7b7e-4a8e-bb0a-5c1f2e6d7a21", Resource = performer, Request = new() { Method = Bundle.HTTPVerb.POST, Url = "Organization" } },
                new() { FullUrl = "urn:uuid:0b6f2c55-3f0e-4a5e-9d1c-2e7a8b9c0d31", Resource = serviceRequest, Request = new() { Method = Bundle.HTTPVerb.POST, Url = "ServiceRequest" } },
            ],
        };
    }

    private static FhirTask TaskUpdate() => new()
    {
        Status = FhirTask.TaskStatus.Accepted,
        Intent = FhirTask.TaskIntent.Order,
        Focus = new ResourceReference("ServiceRequest?identifier=https://ketenhub.example.nl/id/referrals|r-100"),
        Owner = new ResourceReference { Identifier = new Identifier("https://ketenhub.example.nl/id/parties", "waakvlam") },
        ExecutionPeriod = new Period { Start = "2026-12-01" },
    };
}

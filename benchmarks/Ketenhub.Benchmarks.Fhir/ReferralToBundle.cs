using BenchmarkDotNet.Attributes;
using Google.Protobuf.WellKnownTypes;
using Hl7.Fhir.Model;
using Ketenhub.Adapters;
using Ketenhub.Adapters.Fhir;
using Ketenhub.Contracts.V1;
using FhirCareTeam = Hl7.Fhir.Model.CareTeam;
using FhirTask = Hl7.Fhir.Model.Task;

namespace Ketenhub.Benchmarks.Fhir;

/// <summary>
/// One referral delivery (two performers, the coach) to FHIR JSON: through the adapter (contract message → POCOs →
/// bytes), against the same POCOs built by hand from literals and serialized with the same serializer. The hand-built
/// Bundle must serialize to exactly the adapter's bytes; setup refuses to run otherwise. On a shared, busy machine the
/// minimum is the steadiest figure: it is the run least disturbed by other processes.
/// </summary>
[MemoryDiagnoser]
[MinColumn]
[MedianColumn]
public class ReferralToBundle
{
    private const string Hub = "https://ketenhub.example.nl/id/";
    private static readonly DateTimeOffset Created = new(2026, 11, 23, 10, 5, 30, 250, TimeSpan.Zero);

    private Delivery delivery = null!;
    private AdapterContext context = null!;
    private readonly Dictionary<string, string> urls = [];

    [GlobalSetup]
    public void Setup()
    {
        var sdd = new Party { Name = "parties/sdd", Kind = PartyKind.SocialService, DisplayName = "Sociale Dienst Drechtsteden", Oin = "00000001823288444000" };
        var waakvlam = new Party { Name = "parties/waakvlam", Kind = PartyKind.CareProvider, DisplayName = "Waakvlam Drechtsteden", Agb = "73730001" };
        var plus = new Party { Name = "parties/plus", Kind = PartyKind.CareProvider, DisplayName = "Begeleiding Plus", Agb = "73730002" };
        context = new AdapterContext(new Uri("https://ketenhub.example.nl/"), waakvlam, sdd, new[] { sdd, waakvlam, plus }.ToDictionary(p => p.Name));
        var coach = new Coach { Party = waakvlam.Name, CoachId = "c-017", DisplayName = "Coach Achternaam", Phone = "+31612345678", Email = "coach@waakvlam.example.nl" };
        delivery = new Delivery
        {
            Name = "deliveries/d-1",
            Recipient = waakvlam.Name,
            Client = "clients/k-42",
            Sender = sdd.Name,
            CreateTime = Timestamp.FromDateTimeOffset(Created),
            Coach = coach,
            Referral = new Referral
            {
                Name = "referrals/r-100",
                Client = "clients/k-42",
                Requester = sdd.Name,
                Service = ServiceKind.IndividualGuidance,
                Reason = "Schulden lopen op; huur twee maanden achter.",
                LifeDomains = { LifeDomain.Finances, LifeDomain.Housing },
                Urgency = ReferralUrgency.Urgent,
                Strengths = "Komt afspraken na als ze via WhatsApp worden bevestigd.",
                Performers =
                {
                    new ReferralPerformer { Party = waakvlam.Name, Status = PerformerStatus.Requested },
                    new ReferralPerformer { Party = plus.Name, Status = PerformerStatus.Requested },
                },
                Coach = coach,
                CreateTime = Timestamp.FromDateTimeOffset(Created),
            },
        };

        // The full URLs a hand-writer would have chosen; here the adapter's, so both Bundles are byte-identical.
        var adapterBundle = FhirBundleWriter.Write(delivery, context);
        foreach (var entry in adapterBundle.Entry)
        {
            urls[entry.Request!.IfNoneExist ?? entry.Request.Url!] = entry.FullUrl!;
        }

        var viaAdapter = FhirFormat.Serialize(adapterBundle);
        var byHand = HandBuilt();
        if (!viaAdapter.AsSpan().SequenceEqual(byHand))
        {
            throw new InvalidOperationException("The hand-built Bundle differs from the adapter's: the comparison would be unfair.");
        }

        // Both methods reach optimised (tier-1) code before either is measured; on a busy machine the background
        // compiler lags, and without this the method measured first pays for it.
        for (var i = 0; i < 3000; i++)
        {
            Adapter();
            HandBuilt();
        }

        Thread.Sleep(500);
    }

    /// <summary>The adapter: contract message to Bundle to bytes.</summary>
    [Benchmark]
    public byte[] Adapter() => FhirFormat.Serialize(FhirBundleWriter.Write(delivery, context));

    /// <summary>The same Bundle built by hand from literals and serialized.</summary>
    [Benchmark(Baseline = true)]
    public byte[] HandBuilt()
    {
        var patient = Ref("identifier=" + Hub + "clients|k-42");
        var sdd = Ref("identifier=" + Hub + "parties|sdd");
        var waakvlam = Ref("identifier=" + Hub + "parties|waakvlam");
        var plus = Ref("identifier=" + Hub + "parties|plus");
        var practitioner = Ref("Practitioner?identifier=" + Hub + "coaches|waakvlam/c-017");
        var role = Ref("PractitionerRole?identifier=" + Hub + "coach-roles|waakvlam/c-017");
        var serviceRequest = Ref("identifier=" + Hub + "referrals|r-100");
        var bundle = new Bundle
        {
            Type = Bundle.BundleType.Transaction,
            Identifier = new Identifier(Hub + "deliveries", "d-1"),
            Timestamp = Created,
        };
        Create(bundle, patient, "Patient", new Patient { Identifier = [new Identifier(Hub + "clients", "k-42")] });
        Create(bundle, sdd, "Organization", new Organization
        {
            Identifier = [new Identifier(Hub + "parties", "sdd"), new Identifier(FhirVocabulary.Oin, "00000001823288444000")],
            Name = "Sociale Dienst Drechtsteden",
        });
        Create(bundle, waakvlam, "Organization", new Organization
        {
            Identifier = [new Identifier(Hub + "parties", "waakvlam"), new Identifier(FhirVocabulary.Agb, "73730001")],
            Name = "Waakvlam Drechtsteden",
        });
        Create(bundle, plus, "Organization", new Organization
        {
            Identifier = [new Identifier(Hub + "parties", "plus"), new Identifier(FhirVocabulary.Agb, "73730002")],
            Name = "Begeleiding Plus",
        });
        Update(bundle, practitioner, new Practitioner
        {
            Identifier = [new Identifier(Hub + "coaches", "waakvlam/c-017")],
            Name = [new HumanName { Text = "Coach Achternaam" }],
        });
        Update(bundle, role, new PractitionerRole
        {
            Identifier = [new Identifier(Hub + "coach-roles", "waakvlam/c-017")],
            Active = true,
            Practitioner = practitioner,
            Organization = waakvlam,
            Code = [new CodeableConcept(FhirVocabulary.Roles, "coach")],
            Telecom =
            [
                new ContactPoint(ContactPoint.ContactPointSystem.Phone, ContactPoint.ContactPointUse.Work, "+31612345678"),
                new ContactPoint(ContactPoint.ContactPointSystem.Email, ContactPoint.ContactPointUse.Work, "coach@waakvlam.example.nl"),
            ],
        });
        Create(bundle, serviceRequest, "ServiceRequest", new ServiceRequest
        {
            Identifier = [new Identifier(Hub + "referrals", "r-100")],
            Status = RequestStatus.Active,
            Intent = RequestIntent.Order,
            Category =
            [
                new CodeableConcept(FhirVocabulary.CodeSystemBase + "life-domain", "finances"),
                new CodeableConcept(FhirVocabulary.CodeSystemBase + "life-domain", "housing"),
            ],
            Priority = RequestPriority.Urgent,
            Code = new CodeableConcept(FhirVocabulary.CodeSystemBase + "service-kind", "individual-guidance"),
            Subject = patient,
            AuthoredOn = "2026-11-23T10:05:30.25Z",
            Requester = sdd,
            Performer = [waakvlam, plus],
            ReasonCode = [new CodeableConcept { Text = "Schulden lopen op; huur twee maanden achter." }],
            SupportingInfo = [role],
            Note = [new Annotation { Text = "Komt afspraken na als ze via WhatsApp worden bevestigd." }],
        });
        foreach (var (performer, id) in new[] { (waakvlam, "waakvlam"), (plus, "plus") })
        {
            Update(bundle, Ref("Task?identifier=" + Hub + "referral-tasks|r-100/" + id), new FhirTask
            {
                Identifier = [new Identifier(Hub + "referral-tasks", "r-100/" + id)],
                BasedOn = [serviceRequest],
                Status = FhirTask.TaskStatus.Requested,
                Intent = FhirTask.TaskIntent.Order,
                Code = new CodeableConcept("http://hl7.org/fhir/CodeSystem/task-code", "fulfill"),
                Focus = serviceRequest,
                For = patient,
                Requester = sdd,
                Owner = performer,
            });
        }

        Update(bundle, Ref("CareTeam?identifier=" + Hub + "care-teams|k-42"), new FhirCareTeam
        {
            Identifier = [new Identifier(Hub + "care-teams", "k-42")],
            Status = FhirCareTeam.CareTeamStatus.Active,
            Subject = patient,
            Participant = [new FhirCareTeam.ParticipantComponent { Role = [new CodeableConcept(FhirVocabulary.Roles, "coach")], Member = role }],
            ManagingOrganization = [waakvlam],
        });
        return FhirFormat.Serialize(bundle);
    }

    private ResourceReference Ref(string key) => new(urls[key]);

    private static void Create(Bundle bundle, ResourceReference at, string type, Resource resource) =>
        bundle.Entry.Add(new Bundle.EntryComponent
        {
            FullUrl = at.Reference,
            Resource = resource,
            Request = new Bundle.RequestComponent
            {
                Method = Bundle.HTTPVerb.POST,
                Url = type,
                IfNoneExist = "identifier=" + BundleIdentifier(resource),
            },
        });

    private static void Update(Bundle bundle, ResourceReference at, Resource resource) =>
        bundle.Entry.Add(new Bundle.EntryComponent
        {
            FullUrl = at.Reference,
            Resource = resource,
            Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PUT, Url = resource.TypeName + "?identifier=" + BundleIdentifier(resource) },
        });

    private static string BundleIdentifier(Resource resource)
    {
        var identifier = resource switch
        {
            Patient r => r.Identifier[0],
            Organization r => r.Identifier[0],
            Practitioner r => r.Identifier[0],
            PractitionerRole r => r.Identifier[0],
            ServiceRequest r => r.Identifier[0],
            FhirTask r => r.Identifier[0],
            FhirCareTeam r => r.Identifier[0],
            _ => throw new ArgumentOutOfRangeException(nameof(resource)),
        };
        return identifier.System + "|" + identifier.Value;
    }
}

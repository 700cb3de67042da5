using System.Diagnostics;
using Hl7.Fhir.Model;
using Hl7.Fhir.Validation;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Adapters.Fhir.Tests;

public sealed class OutboundTests
{
    private readonly FhirAdapter adapter = new(new HttpClient(), TimeProvider.System);

    private static Delivery CarriedPart(Delivery delivery)
    {
        var expected = delivery.Clone();
        expected.Sequence = 0;
        expected.Recipient = string.Empty;
        expected.Sender = string.Empty;
        expected.Status = DeliveryStatus.Unspecified;
        expected.Decision = null;
        expected.AttemptCount = 0;
        expected.EscalationOf = string.Empty;
        return expected;
    }

    private Bundle WriteAndParse(Delivery delivery, AdapterContext context)
    {
        var payload = adapter.TranslateOutbound(delivery, context);
        Assert.Equal("application/fhir+json", payload.ContentType);
        return Assert.IsType<Bundle>(FhirFormat.Parse(payload.Body.Span));
    }

    [Theory]
    [MemberData(nameof(Samples.Kinds), MemberType = typeof(Samples))]
    public void Round_trip_gives_back_the_delivery(string kind)
    {
        var (_, delivery, context) = Samples.Get(kind);

        var read = new FhirDeliveryReader(Samples.Hub).Read(WriteAndParse(delivery, context));

        Assert.Equal(CarriedPart(delivery), read);
    }

    [Theory]
    [InlineData(GrantorRole.Client)]
    [InlineData(GrantorRole.Parent)]
    [InlineData(GrantorRole.Curator)]
    public void Round_trip_gives_back_the_consent(GrantorRole grantor)
    {
        var consent = Samples.Consent(grantor);
        var bundle = WriteAndParse(Samples.SignalDelivery(), Samples.Context(Samples.Waakvlam, Samples.Sdd, consent));

        Assert.Equal(consent, new FhirDeliveryReader(Samples.Hub).ReadConsent(bundle));
    }

    [Fact]
    public void Consent_for_a_kind_of_party_round_trips()
    {
        var consent = Samples.Consent();
        consent.RecipientParty = string.Empty;
        consent.RecipientKind = PartyKind.CareProvider;
        consent.EndTime = null;
        var bundle = WriteAndParse(Samples.SignalDelivery(), Samples.Context(Samples.Waakvlam, Samples.Sdd, consent));

        Assert.Equal(consent, new FhirDeliveryReader(Samples.Hub).ReadConsent(bundle));
    }

    [Theory]
    [MemberData(nameof(Samples.Kinds), MemberType = typeof(Samples))]
    public void Every_resource_passes_the_sdk_validation(string kind)
    {
        var (_, delivery, context) = Samples.Get(kind);
        var bundle = WriteAndParse(delivery, context);

        var problems = bundle.Validate(ModelInfo.ModelInspector, NarrativeValidationKind.FhirXhtml, null, true).ToList();
        foreach (var entry in bundle.Entry)
        {
            problems.AddRange(entry.Resource!.Validate(ModelInfo.ModelInspector, NarrativeValidationKind.FhirXhtml, null, true));
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems.Select(p => p.Message)));
        Assert.NotEmpty(bundle.Entry);
    }

    [Theory]
    [MemberData(nameof(Samples.Kinds), MemberType = typeof(Samples))]
    public void A_redelivery_is_the_same_bundle_of_updates_at_ids_derived_from_the_hub_identifiers(string kind)
    {
        var (_, delivery, context) = Samples.Get(kind);
        var first = adapter.TranslateOutbound(delivery, context);
        var redelivery = delivery.Clone();
        redelivery.AttemptCount = 4;

        var second = adapter.TranslateOutbound(redelivery, context);

        Assert.Equal(first.Body.ToArray(), second.Body.ToArray());
        var bundle = Assert.IsType<Bundle>(FhirFormat.Parse(first.Body.Span));
        Assert.Equal(Bundle.BundleType.Transaction, bundle.Type);
        foreach (var entry in bundle.Entry)
        {
            // No conditional entry (Medplum refuses a transaction of more than 8 entries once one is conditional): every
            // resource is an update at the id its type and hub identifier give.
            Assert.StartsWith("urn:uuid:", entry.FullUrl, StringComparison.Ordinal);
            Assert.Equal(Bundle.HTTPVerb.PUT, entry.Request!.Method);
            Assert.Null(entry.Request.IfNoneExist);
            Assert.DoesNotContain("?", entry.Request.Url, StringComparison.Ordinal);
            var resource = entry.Resource!;
            Assert.Equal(resource.TypeName + "/" + resource.Id, entry.Request.Url);
            var identifiers = ((IEnumerable<Identifier>)resource.GetType().GetProperty("Identifier")!.GetValue(resource)!).ToList();
            var hub = identifiers.First(i => i.System!.StartsWith("https://ketenhub.example.nl/id/", StringComparison.Ordinal));
            Assert.Equal(ResourceIds.Of(resource.TypeName, hub.System!, hub.Value!), resource.Id);
        }

        Assert.Equal(bundle.Entry.Count, bundle.Entry.Select(e => e.FullUrl).Distinct().Count());
    }

    [Fact]
    public void Referral_is_a_service_request_with_a_task_per_performer()
    {
        var bundle = WriteAndParse(Samples.ReferralDelivery(), Samples.Context(Samples.Waakvlam, Samples.Sdd));

        var sr = Assert.Single(bundle.Entry.Select(e => e.Resource).OfType<ServiceRequest>());
        var tasks = bundle.Entry.Select(e => e.Resource).OfType<Hl7.Fhir.Model.Task>().ToList();
        Assert.Equal(2, tasks.Count);
        Assert.Equal([Hl7.Fhir.Model.Task.TaskStatus.Requested, Hl7.Fhir.Model.Task.TaskStatus.InProgress], tasks.Select(t => t.Status!.Value));
        Assert.All(tasks, t => Assert.Equal(t.Focus!.Reference, bundle.Entry.Single(e => e.Resource == sr).FullUrl));
        Assert.Equal(RequestPriority.Urgent, sr.Priority);

        var organizations = bundle.Entry.Select(e => e.Resource).OfType<Organization>().ToList();
        var waakvlam = organizations.Single(o => o.Identifier.Any(i => i.Value == "waakvlam-drechtsteden"));
        Assert.Contains(waakvlam.Identifier, i => i.System == FhirVocabulary.Agb && i.Value == "73730001");
        var sdd = organizations.Single(o => o.Identifier.Any(i => i.Value == "sdd"));
        Assert.Contains(sdd.Identifier, i => i.System == FhirVocabulary.Oin && i.Value == "00000001823288444000");
        Assert.Single(bundle.Entry.Select(e => e.Resource).OfType<Practitioner>());
        Assert.Single(bundle.Entry.Select(e => e.Resource).OfType<PractitionerRole>());
    }

    [Fact]
    public void An_organisation_with_a_ura_carries_it_as_an_identifier_and_one_without_carries_none()
    {
        var context = Samples.Context(Samples.Waakvlam, Samples.Sdd) with { Uras = new Dictionary<string, string> { [Samples.Waakvlam.Name] = "90000123" } };

        var bundle = WriteAndParse(Samples.ReferralDelivery(), context);

        var organizations = bundle.Entry.Select(e => e.Resource).OfType<Organization>().ToList();
        var waakvlam = organizations.Single(o => o.Identifier.Any(i => i.Value == "waakvlam-drechtsteden"));
        Assert.Contains(waakvlam.Identifier, i => i.System == "http://fhir.nl/fhir/NamingSystem/ura" && i.Value == "90000123");
        var sdd = organizations.Single(o => o.Identifier.Any(i => i.Value == "sdd"));
        Assert.DoesNotContain(sdd.Identifier, i => i.System == "http://fhir.nl/fhir/NamingSystem/ura");
    }

    [Fact]
    public void Patient_carries_the_bsn_only_where_the_delivery_carries_it()
    {
        var withBsn = WriteAndParse(Samples.ReferralDelivery(), Samples.Context(Samples.Waakvlam, Samples.Sdd));
        var patient = Assert.Single(withBsn.Entry.Select(e => e.Resource).OfType<Patient>());
        Assert.Contains(patient.Identifier, i => i.System == FhirVocabulary.Bsn && i.Value == "999990019");
        Assert.Equal("2008-04-02", patient.BirthDate);

        var withoutBsn = WriteAndParse(Samples.SignalDelivery(), Samples.Context(Samples.Waakvlam, Samples.Sdd));
        patient = Assert.Single(withoutBsn.Entry.Select(e => e.Resource).OfType<Patient>());
        Assert.DoesNotContain(patient.Identifier, i => i.System == FhirVocabulary.Bsn);
        Assert.DoesNotContain("999990019", System.Text.Encoding.UTF8.GetString(FhirFormat.Serialize(withoutBsn)), StringComparison.Ordinal);
    }

    [Fact]
    public void Patient_is_keyed_on_the_recipients_pseudonym()
    {
        var delivery = Samples.SignalDelivery();
        var bundle = WriteAndParse(delivery, Samples.Context(Samples.Waakvlam, Samples.Sdd));

        var entry = Assert.Single(bundle.Entry, e => e.Resource is Patient);
        Assert.Equal("Patient/" + ResourceIds.Of("Patient", "https://ketenhub.example.nl/id/client-pseudonyms", delivery.ClientDetails.Pseudonym), entry.Request!.Url);
        Assert.Equal(delivery.ClientDetails.Pseudonym, ((Patient)entry.Resource!).Identifier[0].Value);
    }

    [Fact]
    public void A_delivery_without_client_details_is_keyed_on_the_hubs_client_id()
    {
        var delivery = Samples.SignalDelivery();
        delivery.ClientDetails = null;
        var bundle = WriteAndParse(delivery, Samples.Context(Samples.Waakvlam, Samples.Sdd));

        var patient = Assert.Single(bundle.Entry.Select(e => e.Resource).OfType<Patient>());
        var identifier = Assert.Single(patient.Identifier);
        Assert.Equal(("https://ketenhub.example.nl/id/clients", "k-42"), (identifier.System, identifier.Value));
    }

    [Fact]
    public void Transition_is_a_task_an_episode_of_care_and_a_care_team_with_the_coach()
    {
        var bundle = WriteAndParse(Samples.TransitionDelivery(), Samples.Context(Samples.Sdd, Samples.School));
        var resources = bundle.Entry.Select(e => e.Resource).ToList();

        Assert.Single(resources.OfType<EpisodeOfCare>());
        var careTeam = Assert.Single(resources.OfType<Hl7.Fhir.Model.CareTeam>());
        var role = resources.OfType<PractitionerRole>().Single(r => bundle.Entry.Single(e => e.Resource == r).FullUrl == careTeam.Participant[0].Member!.Reference);
        Assert.Contains(role.Telecom, t => t.Value == Samples.Coach.Phone);
        Assert.Contains(resources.OfType<Hl7.Fhir.Model.Task>(), t => t.Identifier[0].System!.EndsWith("/id/transitions", StringComparison.Ordinal));
    }

    [Fact]
    public void Signal_is_a_flag_and_a_communication()
    {
        var bundle = WriteAndParse(Samples.SignalDelivery(), Samples.Context(Samples.Waakvlam, Samples.Sdd));
        var resources = bundle.Entry.Select(e => e.Resource).ToList();

        Assert.Single(resources.OfType<Flag>());
        var communication = Assert.Single(resources.OfType<Communication>());
        Assert.Equal(RequestPriority.Urgent, communication.Priority);
    }

    [Fact]
    public void Thin_notice_carries_no_content()
    {
        var bundle = WriteAndParse(Samples.ThinNoticeDelivery(), Samples.Context(Samples.Waakvlam, Samples.Sdd));
        var communication = Assert.Single(bundle.Entry.Select(e => e.Resource).OfType<Communication>());

        Assert.Empty(communication.Payload);
        Assert.DoesNotContain(bundle.Entry, e => e.Resource is Flag or ServiceRequest or Practitioner);
    }

    [Fact]
    public void A_delivery_without_payload_is_refused_with_a_code()
    {
        var delivery = Samples.ReferralDelivery();
        delivery.ClearPayload();

        var error = Assert.Throws<AdapterException>(() => adapter.TranslateOutbound(delivery, Samples.Context(Samples.Waakvlam, Samples.Sdd)));
        Assert.Equal("UNSUPPORTED_PAYLOAD", error.Reason);
    }

    [Fact]
    public void Independent_validator_finds_no_problem_in_any_bundle_or_entry()
    {
        using var folder = new TempFolder();
        foreach (var (kind, delivery, context) in Samples.All())
        {
            File.WriteAllBytes(Path.Combine(folder.Path, kind + ".json"), adapter.TranslateOutbound(delivery, context).Body.ToArray());
        }

        var (exitCode, output) = NodeValidator.Run(folder.Path);

        Assert.True(exitCode == 0, output);
        Assert.Contains("validated", output, StringComparison.Ordinal);
        Assert.Contains("6 files: 0 files with problems", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Independent_validator_is_not_a_stub_it_reports_a_broken_bundle()
    {
        using var folder = new TempFolder();
        var json = System.Text.Encoding.UTF8.GetString(adapter.TranslateOutbound(Samples.SignalDelivery(), Samples.Context(Samples.Waakvlam, Samples.Sdd)).Body.Span);
        File.WriteAllText(Path.Combine(folder.Path, "bad-code.json"), json.Replace("\"status\":\"active\"", "\"status\":\"bogus\"", StringComparison.Ordinal));
        File.WriteAllText(Path.Combine(folder.Path, "bad-structure.json"), json.Replace("\"intent\"", "\"intentx\"", StringComparison.Ordinal).Replace("\"subject\"", "\"subjects\"", StringComparison.Ordinal));

        var (exitCode, output) = NodeValidator.Run(folder.Path);

        Assert.Equal(1, exitCode);
        Assert.Contains("bad-code.json", output, StringComparison.Ordinal);
        Assert.Contains("required value set", output, StringComparison.Ordinal);
        Assert.Contains("bad-structure.json", output, StringComparison.Ordinal);
    }
}

internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "ketenhub-fhir-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>Runs tests/fhir-validator/validate.mjs with node as a real process.</summary>
internal static class NodeValidator
{
    public static (int ExitCode, string Output) Run(string folder)
    {
        var root = RepoRoot();
        var script = Path.Combine(root, "tests", "fhir-validator", "validate.mjs");
        Assert.True(
            Directory.Exists(Path.Combine(root, "tests", "fhir-validator", "node_modules", "@medplum", "core")),
            "tests/fhir-validator has no node_modules: run `npm ci` there (scripts/test.sh does).");
        var start = new ProcessStartInfo("node", [script, folder])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.Combine(root, "tests", "fhir-validator"),
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("The FHIR validator did not finish within two minutes.");
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Hub.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Hub.sln not found above the test folder.");
    }
}

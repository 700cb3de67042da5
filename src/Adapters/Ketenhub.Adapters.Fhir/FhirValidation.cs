using System.Text.RegularExpressions;
using Firely.Fhir.Validation;
using Firely.Fhir.Validation.Compilation;
using Hl7.Fhir.Model;
using Hl7.Fhir.Specification.Source;
using Hl7.Fhir.Specification.Terminology;

namespace Ketenhub.Adapters.Fhir;

/// <summary>
/// Validates FHIR resources with Firely's validator against the R4 base definitions (the specification shipped with
/// the SDK) and the hub's conformance package (<see cref="FhirConformance"/>): structure and cardinality, data types,
/// invariants, required bindings to the hub's value sets, every extension the instance names that the package or R4
/// defines, and the hub's referral profile on every ServiceRequest. Built once (<see cref="Shared"/>): building it
/// reads the specification, and its first validations compile the definitions they use; later ones reuse them.
/// </summary>
public sealed partial class FhirValidation
{
    /// <summary>The most issues one answer reports; the rest are counted in the last.</summary>
    public const int MaxIssues = 20;

    private static readonly Lazy<FhirValidation> Instance = new(() => new FhirValidation(FhirConformance.Package), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly Validator validator;

    /// <summary>A validator of its own (tests: a cold one); the process uses <see cref="Shared"/>.</summary>
    /// <param name="package">The conformance package.</param>
    internal FhirValidation(FhirConformance package)
    {
        // Copies: the snapshot source adds snapshots to what it resolves, and the package's resources are served as published.
        var sources = new MultiResolver(new InMemoryResourceResolver(package.Resources.Select(r => r.DeepCopy())), ZipSource.CreateValidationSource());
        // The validator's corrections of the R4 definitions (among them ref-1, which R4 states wrongly for a reference
        // by identifier only) must come before snapshots are generated from them, or the snapshots keep the error.
        // Snapshot generation is not safe for concurrent use: what the cache misses is resolved one at a time (rarely,
        // once per definition), what it holds is read concurrently.
        var resolver = new CachedResolver(new OneAtATime(new SnapshotSource(new StructureDefinitionCorrectionsResolver(sources))));
        Resolver = resolver;
        validator = new Validator(resolver, new LocalTerminologyService(resolver));
    }

    /// <summary>The validator of the process, built on first use.</summary>
    public static FhirValidation Shared => Instance.Value;

    /// <summary>The resolver the validator reads definitions from: the package, then R4, with snapshots generated.</summary>
    public IAsyncResourceResolver Resolver { get; }

    /// <summary>
    /// The errors in <paramref name="resource"/> (warnings and information are left out), each with the element path
    /// (a FHIRPath expression such as <c>Bundle.entry[0].resource.code</c>) and the validator's message, in which
    /// quoted values other than URLs are replaced by an ellipsis so no value of the instance is repeated.
    /// </summary>
    /// <param name="resource">The resource; the hub's referral profile is added to the meta.profile of each ServiceRequest in it.</param>
    /// <returns>The errors; empty when the resource is valid.</returns>
    public IReadOnlyList<FhirValidationError> Validate(Resource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        foreach (var serviceRequest in ServiceRequestsIn(resource))
        {
            serviceRequest.Meta ??= new Meta();
            if (!serviceRequest.Meta.Profile.Contains(FhirConformance.ReferralProfile))
            {
                serviceRequest.Meta.Profile = [.. serviceRequest.Meta.Profile, FhirConformance.ReferralProfile];
            }
        }

        var outcome = validator.Validate(resource);
        var errors = new List<FhirValidationError>();
        var seen = new HashSet<(string, string)>();
        foreach (var issue in outcome.Issue)
        {
            if (issue.Severity is not (OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal))
            {
                continue;
            }

            var text = issue.Details?.Text ?? issue.Diagnostics ?? "Invalid.";
            var path = Plain(resource, PathOf(issue.Expression.FirstOrDefault() ?? issue.Location.FirstOrDefault() ?? resource.TypeName, text));
            var message = Redact(text);
            if (seen.Add((path, message)))
            {
                errors.Add(new FhirValidationError(path, message));
            }
        }

        return errors;
    }

    /// <summary>
    /// The errors the parser found in a message it could not read as FHIR R4 (a required element missing, a value of the
    /// wrong type, an unknown element), each with the element path the parser names and its message without values from
    /// the message; empty when the parser named no path.
    /// </summary>
    /// <param name="failure">The parser's exception.</param>
    /// <returns>The errors.</returns>
    public static IReadOnlyList<FhirValidationError> ParseErrors(Hl7.Fhir.Serialization.DeserializationFailedException failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        if (failure.PartialResult is not Resource partial || !ModelInfo.IsKnownResource(partial.TypeName))
        {
            return [];
        }

        return failure.Exceptions
            .OfType<Hl7.Fhir.Utility.ExtendedCodedException>()
            .Where(e => !string.IsNullOrEmpty(e.InstancePath))
            .Select(e => new FhirValidationError(
                e.InstancePath!.StartsWith("$this", StringComparison.Ordinal) ? partial.TypeName + e.InstancePath[5..] : e.InstancePath!,
                Redact(e.BaseErrorMessage ?? e.ErrorCode)))
            .Distinct()
            .ToList();
    }

    /// <summary>
    /// Builds what the first validations would (the R4 definitions read, the profiles' snapshots, the compiled schemas
    /// of the resources partners send), so that a partner's first message does not wait for it.
    /// </summary>
    /// <returns>The number of errors in the sample (zero; anything else means the package or the setup is broken).</returns>
    public int WarmUp()
    {
        var patient = new Patient
        {
            Identifier = [new Identifier("https://ketenhub.nl/id/clients", "warm-up")],
            Address = [new Address { Extension = [new Extension(FhirVocabulary.MunicipalityExtension, new Code("0505"))] }],
        };
        var serviceRequest = new ServiceRequest
        {
            Identifier = [new Identifier("https://ketenhub.nl/id/warm-up", "1")],
            Status = RequestStatus.Active,
            Intent = RequestIntent.Order,
            Code = new CodeableConcept(EnumCodes<Ketenhub.Contracts.V1.ServiceKind>.System, EnumCodes<Ketenhub.Contracts.V1.ServiceKind>.Codes.First()),
            Subject = new ResourceReference("urn:uuid:00000000-0000-8000-8000-000000000001"),
            Performer = [new ResourceReference { Identifier = new Identifier(FhirVocabulary.Agb, "00000000") }],
        };
        var task = new Hl7.Fhir.Model.Task
        {
            Status = Hl7.Fhir.Model.Task.TaskStatus.Accepted,
            Intent = Hl7.Fhir.Model.Task.TaskIntent.Order,
            Focus = new ResourceReference { Identifier = new Identifier("https://ketenhub.nl/id/referrals", "warm-up") },
        };
        var bundle = new Bundle
        {
            Type = Bundle.BundleType.Transaction,
            Entry =
            [
                new() { FullUrl = "urn:uuid:00000000-0000-8000-8000-000000000001", Resource = patient, Request = new() { Method = Bundle.HTTPVerb.POST, Url = "Patient" } },
                new() { FullUrl = "urn:uuid:00000000-0000-8000-8000-000000000002", Resource = serviceRequest, Request = new() { Method = Bundle.HTTPVerb.POST, Url = "ServiceRequest" } },
                new() { FullUrl = "urn:uuid:00000000-0000-8000-8000-000000000003", Resource = task, Request = new() { Method = Bundle.HTTPVerb.POST, Url = "Task" } },
            ],
        };
        return Validate(bundle).Count + Validate(task).Count;
    }

    private static IEnumerable<ServiceRequest> ServiceRequestsIn(Resource resource) => resource switch
    {
        ServiceRequest sr => [sr],
        Bundle bundle => bundle.Entry.Select(e => e.Resource).OfType<ServiceRequest>(),
        _ => [],
    };

    // A quoted value may come from the instance (a code, a name, a number): it is not repeated. What is quoted and is
    // the definition's stays: a URL, a version, a binding strength, a title followed by its URL, and an element or type
    // name where the message names one ("member: 'intent'", "count for 'ServiceRequest.identifier'", "type 'code'").
    private static string Redact(string message) => QuotedValue().Replace(message, m =>
    {
        var value = m.Groups[1].Value;
        var before = message.AsSpan(0, m.Index);
        var kept = value.StartsWith("http://", StringComparison.Ordinal) || value.StartsWith("https://", StringComparison.Ordinal) || value.StartsWith("urn:", StringComparison.Ordinal)
            || value is "required" or "extensible" or "preferred" or "example"
            || m.Groups[2].Success
            || before.EndsWith("version ", StringComparison.Ordinal)
            || (ElementName().IsMatch(value) && (before.EndsWith("member: ", StringComparison.Ordinal) || before.EndsWith("count for ", StringComparison.Ordinal)
                || before.EndsWith("element ", StringComparison.Ordinal) || before.EndsWith("type ", StringComparison.Ordinal)));
        return kept ? m.Value : "'…'";
    });

    // The validator indexes every element ("Bundle.entry[2].resource[0].code[0]"); the path keeps the index only where
    // the element repeats ("Bundle.entry[2].resource.code"), as the hub's other answers and FHIRPath write it.
    private static string Plain(Resource resource, string path)
    {
        var segments = path.Split('.');
        if (segments.Length < 2 || segments[0] != resource.TypeName)
        {
            return path;
        }

        object? current = resource;
        for (var i = 1; i < segments.Length; i++)
        {
            var match = Segment().Match(segments[i]);
            if (!match.Success || current is not Base element || !element.TryGetValue(match.Groups[1].Value, out var value))
            {
                break;
            }

            var index = match.Groups[2].Success ? int.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
            if (value is System.Collections.IList list)
            {
                current = index < list.Count ? list[index] : null;
            }
            else
            {
                segments[i] = match.Groups[1].Value;
                current = value;
            }
        }

        return string.Join('.', segments);
    }

    [GeneratedRegex(@"^([A-Za-z][A-Za-z0-9]*)(?:\[(\d+)\])?$")]
    private static partial Regex Segment();

    // "Missing required member: 'intent'" is reported at the element that lacks it; the path names the member itself.
    private static string PathOf(string path, string message) =>
        MissingMember().Match(message) is { Success: true } missing ? path + "." + missing.Groups[1].Value : path;

    [GeneratedRegex("^Missing required member: '([A-Za-z][A-Za-z0-9]*)'")]
    private static partial Regex MissingMember();

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*(\[x\])?)*$")]
    private static partial Regex ElementName();

    [GeneratedRegex("'([^']*)'( \\(https?://)?")]
    private static partial Regex QuotedValue();
}

/// <summary>Resolves through <paramref name="inner"/> one call at a time. Lives as long as the process (no disposal).</summary>
/// <param name="inner">The resolver.</param>
#pragma warning disable CA1001 // The gate is never disposed: the resolver lives as long as the validator, the process.
internal sealed class OneAtATime(IAsyncResourceResolver inner) : IAsyncResourceResolver
#pragma warning restore CA1001
{
    private readonly SemaphoreSlim gate = new(1, 1);

    public System.Threading.Tasks.Task<ResolverResult> TryResolveByUriAsync(string uri) => OneAsync(() => inner.TryResolveByUriAsync(uri));

    public System.Threading.Tasks.Task<ResolverResult> TryResolveByCanonicalUriAsync(string uri) => OneAsync(() => inner.TryResolveByCanonicalUriAsync(uri));

    [Obsolete("Use TryResolveByUriAsync.")]
    public async System.Threading.Tasks.Task<Resource?> ResolveByUriAsync(string uri) => (await TryResolveByUriAsync(uri).ConfigureAwait(false)).Value;

    [Obsolete("Use TryResolveByCanonicalUriAsync.")]
    public async System.Threading.Tasks.Task<Resource?> ResolveByCanonicalUriAsync(string uri) => (await TryResolveByCanonicalUriAsync(uri).ConfigureAwait(false)).Value;

    private async System.Threading.Tasks.Task<ResolverResult> OneAsync(Func<System.Threading.Tasks.Task<ResolverResult>> resolve)
    {
        await gate.WaitAsync().ConfigureAwait(false);
        try
        {
            return await resolve().ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }
}

/// <summary>One error the validator found.</summary>
/// <param name="Path">The element path, a FHIRPath expression.</param>
/// <param name="Message">The validator's message, without values from the instance.</param>
public sealed record FhirValidationError(string Path, string Message);

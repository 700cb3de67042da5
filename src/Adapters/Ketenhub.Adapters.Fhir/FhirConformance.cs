using System.Collections.Frozen;
using Hl7.Fhir.Model;

namespace Ketenhub.Adapters.Fhir;

/// <summary>
/// The hub's FHIR conformance package (docs/adapters.md, "Conformance resources"): the extension, profiles, code
/// systems and value sets under <c>https://ketenhub.nl/fhir/</c> that the adapter writes and checks, kept as one JSON
/// file per resource in <c>Conformance/</c> and built into the assembly. Read once; the resources are shared and
/// must not be changed.
/// </summary>
public sealed class FhirConformance
{
    /// <summary>The canonical base of the hub's own conformance resources.</summary>
    public const string CanonicalBase = "https://ketenhub.nl/fhir/";

    /// <summary>The profile partners' ServiceRequests (referrals) are validated against.</summary>
    public const string ReferralProfile = CanonicalBase + "StructureDefinition/referral";

    private static readonly Lazy<FhirConformance> Shared = new(Load);

    private readonly FrozenDictionary<string, Resource> byUrl;
    private readonly FrozenDictionary<string, Resource> byTypeAndId;

    private FhirConformance(IReadOnlyList<Resource> resources, string packageJson)
    {
        Resources = resources;
        PackageJson = packageJson;
        byUrl = resources.ToFrozenDictionary(r => ((IVersionableConformanceResource)r).Url, StringComparer.Ordinal);
        byTypeAndId = resources.ToFrozenDictionary(r => r.TypeName + "/" + r.Id, StringComparer.Ordinal);
    }

    /// <summary>The package, read from the assembly on first use.</summary>
    public static FhirConformance Package => Shared.Value;

    /// <summary>Every resource of the package: StructureDefinitions, CodeSystems and ValueSets.</summary>
    public IReadOnlyList<Resource> Resources { get; }

    /// <summary>The package's <c>package.json</c> (FHIR NPM package manifest).</summary>
    public string PackageJson { get; }

    /// <summary>A resource by its type and id, for example <c>StructureDefinition</c>, <c>municipality-code</c>.</summary>
    /// <param name="type">The resource type.</param>
    /// <param name="id">The id.</param>
    /// <returns>The resource, or null.</returns>
    public Resource? Find(string type, string id) => byTypeAndId.GetValueOrDefault(type + "/" + id);

    /// <summary>A resource by its canonical URL (a <c>|version</c> suffix is accepted when it is the package's version).</summary>
    /// <param name="url">The canonical URL.</param>
    /// <returns>The resource, or null.</returns>
    public Resource? FindByUrl(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var bar = url.IndexOf('|', StringComparison.Ordinal);
        var resource = byUrl.GetValueOrDefault(bar < 0 ? url : url[..bar]);
        return resource is not null && bar >= 0 && ((IVersionableConformanceResource)resource).Version != url[(bar + 1)..] ? null : resource;
    }

    private static FhirConformance Load()
    {
        var assembly = typeof(FhirConformance).Assembly;
        const string prefix = "Ketenhub.Conformance.";
        var resources = new List<Resource>();
        string? packageJson = null;
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            if (name == prefix + "package.json")
            {
                packageJson = System.Text.Encoding.UTF8.GetString(buffer.ToArray());
                continue;
            }

            resources.Add(FhirFormat.Parse(buffer.ToArray()));
        }

        return new FhirConformance(resources, packageJson ?? throw new InvalidOperationException("The conformance package has no package.json."));
    }
}

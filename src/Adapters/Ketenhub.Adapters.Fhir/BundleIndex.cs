using Hl7.Fhir.Model;

namespace Ketenhub.Adapters.Fhir;

/// <summary>Resolves references between the entries of one Bundle (by <c>fullUrl</c>, by <c>Type/id</c>, or by a
/// conditional reference <c>Type?identifier=system|value</c>) and finds resources by hub identifier.</summary>
internal sealed class BundleIndex
{
    private readonly Dictionary<string, Resource> byUrl = new(StringComparer.Ordinal);
    private readonly List<Resource> resources = [];

    public BundleIndex(Bundle bundle)
    {
        foreach (var entry in bundle.Entry)
        {
            if (entry.Resource is null)
            {
                continue;
            }

            resources.Add(entry.Resource);
            if (!string.IsNullOrEmpty(entry.FullUrl))
            {
                byUrl[entry.FullUrl] = entry.Resource;
            }

            if (!string.IsNullOrEmpty(entry.Resource.Id))
            {
                byUrl[entry.Resource.TypeName + "/" + entry.Resource.Id] = entry.Resource;
            }
        }
    }

    public IEnumerable<T> All<T>()
        where T : Resource => resources.OfType<T>();

    public T? Resolve<T>(ResourceReference? reference)
        where T : Resource
    {
        if (reference?.Reference is { Length: > 0 } url)
        {
            if (byUrl.TryGetValue(url, out var found))
            {
                return found as T;
            }

            var conditional = ParseConditional(url);
            if (conditional is { } c)
            {
                return resources.OfType<T>().FirstOrDefault(r => HasIdentifier(r, c.System, c.Value));
            }
        }

        return null;
    }

    /// <summary>The value of the identifier with <paramref name="system"/> that a reference names: on the referenced
    /// resource, on the reference itself (a logical reference), or in a conditional reference.</summary>
    public string? IdentifierOf(ResourceReference? reference, string system)
    {
        if (reference is null)
        {
            return null;
        }

        if (reference.Identifier is { } logical && logical.System == system && !string.IsNullOrEmpty(logical.Value))
        {
            return logical.Value;
        }

        if (reference.Reference is { Length: > 0 } url)
        {
            if (byUrl.TryGetValue(url, out var found))
            {
                return IdentifierOf(found, system);
            }

            if (ParseConditional(url) is { } c && c.System == system)
            {
                return c.Value;
            }
        }

        return null;
    }

    public static string? IdentifierOf(Resource resource, string system) =>
        Identifiers(resource).FirstOrDefault(i => i.System == system)?.Value;

    public static IEnumerable<Identifier> Identifiers(Resource resource) => resource switch
    {
        Patient r => r.Identifier,
        Organization r => r.Identifier,
        Practitioner r => r.Identifier,
        PractitionerRole r => r.Identifier,
        ServiceRequest r => r.Identifier,
        Hl7.Fhir.Model.Task r => r.Identifier,
        Flag r => r.Identifier,
        Communication r => r.Identifier,
        EpisodeOfCare r => r.Identifier,
        Hl7.Fhir.Model.CareTeam r => r.Identifier,
        Hl7.Fhir.Model.Consent r => r.Identifier,
        RelatedPerson r => r.Identifier,
        _ => [],
    };

    private static bool HasIdentifier(Resource resource, string system, string value) =>
        Identifiers(resource).Any(i => i.System == system && i.Value == value);

    private static (string System, string Value)? ParseConditional(string url)
    {
        const string marker = "?identifier=";
        var at = url.IndexOf(marker, StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        var token = Uri.UnescapeDataString(url[(at + marker.Length)..]);
        var bar = token.LastIndexOf('|');
        return bar < 0 ? null : (token[..bar], token[(bar + 1)..]);
    }
}

using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Ketenhub.Adapters.IWmo.Codes;
using Ketenhub.Adapters.IWmo.Schemas;

namespace Ketenhub.Adapters.IWmo.Inbound;

/// <summary>
/// Writes the retour (302, 306, 308, 316, 320) on a heenbericht: the heenbericht's content in the retour's namespace,
/// the retour's own identification in the header, and WJ001 codes on the header and on every berichtklasse.
/// </summary>
public static class RetourWriter
{
    /// <summary>The element names that are berichtklassen (they carry their own RetourCodes in the retour).</summary>
    public static IReadOnlySet<string> Klassen { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "Client", "Relatie", "Contact", "ToegewezenProduct", "StartProduct", "StopProduct", "AangevraagdProduct", "Antwoord",
    };

    /// <summary>
    /// Writes the retour. <paramref name="codes"/> holds the decided codes per element of <paramref name="heen"/>
    /// (the header included); a class without an entry gets 0200. When the header carries a rejection the client
    /// is not assessed and is left out. The retour is checked against its schema before it is returned.
    /// </summary>
    public static XDocument Write(IStandaard standaard, Bericht heenBericht, XDocument heen, IReadOnlyDictionary<XElement, List<string>> codes, DateOnly today)
    {
        ArgumentNullException.ThrowIfNull(heen);
        ArgumentNullException.ThrowIfNull(codes);
        var retour = Berichten.RetourOf(heenBericht);
        var x = new IWmoXml(standaard, retour);
        var source = heen.Root!;
        var ns = source.Name.Namespace;
        var header = source.Element(ns + "Header")!;
        var headerCodes = codes.TryGetValue(header, out var h) && h.Count > 0 ? h : [RetourCodes.Geaccepteerd];
        var headerRejected = headerCodes.Any(c => c != RetourCodes.Geaccepteerd);

        var newHeader = x.E("Header");
        foreach (var child in header.Elements())
        {
            newHeader.Add(child.Name.LocalName == "BerichtCode" ? x.E("BerichtCode", Berichten.Code(standaard, retour)) : Rename(child, x.Ns, null));
        }

        newHeader.Add(
            x.E("IdentificatieRetour", IdentificatieRetour(standaard, heenBericht, header)),
            x.E("DagtekeningRetour", IWmoXml.Date(today)),
            x.XsdVersie("XsdVersieRetour"),
            x.E("RetourCodes", headerCodes.Select(c => x.E("RetourCode", c))));

        var root = x.E("Bericht", newHeader);
        // The message's body: its Client, or the Antwoord of a 319.
        if (!headerRejected && (source.Element(ns + "Client") ?? source.Element(ns + "Antwoord")) is { } body)
        {
            root.Add(Rename(body, x.Ns, codes));
        }

        var document = new XDocument(new XDeclaration("1.0", "UTF-8", null), root);
        var problems = SchemaCatalog.Validate(document, standaard);
        if (problems.Count > 0)
        {
            throw new InvalidOperationException($"The adapter wrote an invalid {Berichten.SchemaFile(standaard, retour)}: {string.Join(", ", problems.Select(p => p.Path))}.");
        }

        return document;
    }

    /// <summary>
    /// The retour's own identification (at most 12 characters): derived from the heenbericht's sender and
    /// identification, so the same heenbericht always gets the same retour.
    /// </summary>
    public static string IdentificatieRetour(IStandaard standaard, Bericht heenBericht, XElement header)
    {
        ArgumentNullException.ThrowIfNull(header);
        var ns = header.Name.Namespace;
        XNamespace b = Berichten.BasisNamespace(standaard);
        var key = $"{standaard}|{(int)heenBericht}|{header.Element(ns + "Afzender")?.Value}|{header.Element(ns + "BerichtIdentificatie")?.Element(b + "Identificatie")?.Value}";
        return "R" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..11];
    }

    /// <summary>Copies an element of the heenbericht into the retour's namespace (basisschema elements keep theirs).</summary>
    private static XElement Rename(XElement element, XNamespace ns, IReadOnlyDictionary<XElement, List<string>>? codes)
    {
        var inMessage = element.Name.NamespaceName.Contains("/3_2/wmo", StringComparison.Ordinal) || element.Name.NamespaceName.Contains("/3_2/jw", StringComparison.Ordinal);
        var copy = new XElement(inMessage ? ns + element.Name.LocalName : element.Name);
        if (!element.HasElements)
        {
            copy.Value = element.Value;
            return copy;
        }

        foreach (var child in element.Elements())
        {
            copy.Add(Rename(child, ns, codes));
        }

        if (codes is not null && inMessage && Klassen.Contains(element.Name.LocalName))
        {
            var own = codes.TryGetValue(element, out var c) && c.Count > 0 ? c : [RetourCodes.Geaccepteerd];
            copy.Add(new XElement(ns + "RetourCodes", own.Select(code => new XElement(ns + "RetourCode", code))));
        }

        return copy;
    }
}

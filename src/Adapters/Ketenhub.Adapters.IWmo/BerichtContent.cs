using System.Globalization;
using System.Xml.Linq;

namespace Ketenhub.Adapters.IWmo;

/// <summary>The fields the adapter maps, read back from a 301 or 315 (for checks, logs without personal data, and round trips).</summary>
/// <param name="Standaard">iWmo or iJw.</param>
/// <param name="Bericht">The message.</param>
/// <param name="Afzender">Header Afzender (AGB or CBS code).</param>
/// <param name="Ontvanger">Header Ontvanger.</param>
/// <param name="Identificatie">BerichtIdentificatie/Identificatie.</param>
/// <param name="Dagtekening">BerichtIdentificatie/Dagtekening.</param>
/// <param name="Bsn">Client/Bsn.</param>
/// <param name="BirthDate">Client/Geboortedatum/Datum.</param>
/// <param name="Products">The products (ToegewezenProduct or AangevraagdProduct).</param>
public sealed record BerichtContent(
    IStandaard Standaard,
    Bericht Bericht,
    string Afzender,
    string Ontvanger,
    string Identificatie,
    DateOnly Dagtekening,
    string Bsn,
    DateOnly BirthDate,
    IReadOnlyList<ProductContent> Products)
{
    /// <summary>Reads a validated 301 or 315.</summary>
    public static BerichtContent Read(XDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var root = document.Root ?? throw new ArgumentException("The document is empty.", nameof(document));
        if (!Berichten.TryIdentify(root.Name.NamespaceName, out var standaard, out var bericht) || bericht is not (Bericht.Toewijzing or Bericht.VerzoekOmToewijzing))
        {
            throw new ArgumentException("Not a 301 or 315.", nameof(document));
        }

        var ns = root.Name.Namespace;
        XNamespace b = Berichten.BasisNamespace(standaard);
        var header = root.Element(ns + "Header")!;
        var client = root.Element(ns + "Client")!;
        var products = bericht == Bericht.Toewijzing
            ? client.Element(ns + "ToegewezenProducten")!.Elements(ns + "ToegewezenProduct")
            : client.Element(ns + "AangevraagdeProducten")!.Elements(ns + "AangevraagdProduct");
        return new BerichtContent(
            standaard,
            bericht,
            header.Element(ns + "Afzender")!.Value,
            header.Element(ns + "Ontvanger")!.Value,
            header.Element(ns + "BerichtIdentificatie")!.Element(b + "Identificatie")!.Value,
            Date(header.Element(ns + "BerichtIdentificatie")!.Element(b + "Dagtekening")!.Value),
            client.Element(ns + "Bsn")!.Value,
            Date(client.Element(ns + "Geboortedatum")!.Element(b + "Datum")!.Value),
            [.. products.Select(p => new ProductContent(
                p.Element(ns + "ToewijzingNummer") is { } n ? long.Parse(n.Value, CultureInfo.InvariantCulture) : null,
                p.Element(ns + "ReferentieAanbieder")?.Value,
                p.Element(ns + "Product")?.Element(b + "Categorie")?.Value,
                Date((p.Element(ns + "Ingangsdatum") ?? p.Element(ns + "ToewijzingIngangsdatum"))!.Value),
                p.Element(ns + "Verwijzer")?.Element(b + "Type")?.Value,
                p.Element(ns + "Commentaar")?.Value))]);
    }

    private static DateOnly Date(string value) => DateOnly.ParseExact(value.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture);
}

/// <summary>One product of a 301 or 315.</summary>
/// <param name="ToewijzingNummer">The toewijzing number (301).</param>
/// <param name="ReferentieAanbieder">The provider's reference (315; a 301 that answers one).</param>
/// <param name="Categorie">The product category.</param>
/// <param name="Ingangsdatum">The (requested) start date of the toewijzing.</param>
/// <param name="VerwijzerType">The COD327 verwijzer type (315).</param>
/// <param name="Commentaar">Free text.</param>
public sealed record ProductContent(long? ToewijzingNummer, string? ReferentieAanbieder, string? Categorie, DateOnly Ingangsdatum, string? VerwijzerType, string? Commentaar);

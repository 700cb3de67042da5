using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace Ketenhub.Adapters.IWmo;

/// <summary>Small helpers for writing one iStandaarden message: elements in its namespace, the header, dates.</summary>
public sealed class IWmoXml(IStandaard standaard, Bericht bericht)
{
    /// <summary>The prefix before the referral's strengths inside Commentaar.</summary>
    public const string StrengthsPrefix = "Wat werkt: ";

    private static readonly TimeZoneInfo Amsterdam = TimeZoneInfo.FindSystemTimeZoneById("Europe/Amsterdam");

    /// <summary>The standard written.</summary>
    public IStandaard Standaard { get; } = standaard;

    /// <summary>The message written.</summary>
    public Bericht Bericht { get; } = bericht;

    /// <summary>The message's namespace.</summary>
    public XNamespace Ns { get; } = Berichten.Namespace(standaard, bericht);

    /// <summary>The basisschema's namespace: the children of its composite types (CDT_*) live there.</summary>
    public XNamespace Basis { get; } = Berichten.BasisNamespace(standaard);

    /// <summary>An element in the message's namespace; null content is left out.</summary>
    public XElement E(string name, params object?[] content) => new(Ns + name, content.Where(c => c is not null));

    /// <summary>An element of a basisschema composite type (for example Identificatie inside BerichtIdentificatie).</summary>
    public XElement B(string name, params object?[] content) => new(Basis + name, content.Where(c => c is not null));

    /// <summary>The header every heenbericht starts with.</summary>
    public XElement Header(string afzender, string ontvanger, string identificatie, DateOnly dagtekening) =>
        E(
            "Header",
            E("BerichtCode", Berichten.Code(Standaard, Bericht)),
            E("BerichtVersie", Berichten.BerichtVersie),
            E("BerichtSubversie", Berichten.BerichtSubversie),
            E("Afzender", afzender),
            E("Ontvanger", ontvanger),
            E("BerichtIdentificatie", B("Identificatie", identificatie), B("Dagtekening", Date(dagtekening))),
            XsdVersie());

    /// <summary>The XsdVersie element of the schemas this adapter writes against.</summary>
    public XElement XsdVersie(string name = "XsdVersie") =>
        E(name, B("BasisschemaXsdVersie", Berichten.XsdVersie(Standaard)), B("BerichtXsdVersie", Berichten.XsdVersie(Standaard)));

    /// <summary>An xs:date without zone.</summary>
    public static string Date(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>The calendar date in the Netherlands at <paramref name="moment"/>.</summary>
    public static DateOnly DutchDate(DateTimeOffset moment) => DateOnly.FromDateTime(DutchTime(moment).DateTime);

    /// <summary>The wall-clock time in the Netherlands at <paramref name="moment"/>.</summary>
    public static DateTimeOffset DutchTime(DateTimeOffset moment) => TimeZoneInfo.ConvertTime(moment, Amsterdam);

    /// <summary>Cuts <paramref name="text"/> to the schema's maximum length.</summary>
    public static string Clip(string text, int max)
    {
        var t = (text ?? string.Empty).Trim();
        return t.Length <= max ? t : t[..max].TrimEnd();
    }

    /// <summary>A Dutch phone number as the schema wants it (digits only, national form, at most 15), or null.</summary>
    public static string? DutchPhone(string? phone)
    {
        if (string.IsNullOrWhiteSpace(phone))
        {
            return null;
        }

        var trimmed = phone.Trim();
        var digits = new string(trimmed.Where(char.IsAsciiDigit).ToArray());
        if (trimmed.StartsWith('+') && digits.StartsWith("31", StringComparison.Ordinal))
        {
            digits = "0" + digits[2..];
        }
        else if (digits.StartsWith("0031", StringComparison.Ordinal))
        {
            digits = "0" + digits[4..];
        }

        return digits.Length is >= 1 and <= 15 ? digits : null;
    }

    /// <summary>Serializes a message as UTF-8 without a byte order mark.</summary>
    public static byte[] ToBytes(XDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        using var stream = new MemoryStream();
        using (var writer = XmlWriter.Create(stream, new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = true }))
        {
            document.Save(writer);
        }

        return stream.ToArray();
    }
}

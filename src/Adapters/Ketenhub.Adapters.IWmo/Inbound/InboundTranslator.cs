using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using Google.Protobuf;
using Google.Type;
using Ketenhub.Adapters.IWmo.Codes;
using Ketenhub.Adapters.IWmo.Schemas;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Adapters.IWmo.Inbound;

/// <summary>
/// Reads a partner's iWmo/iJw message. Order: well-formed XML, a message this adapter takes, valid against its
/// official schema; only then the header (municipality code, dagtekening, BSN elfproef, parties) and the classes.
/// A message that fails the first three is refused with a Fo01 code and nothing of it is kept.
/// </summary>
/// <remarks>
/// What it takes: from a care provider 305 (start → <c>StartReferralRequest</c>) and 307 (stop →
/// <c>EndReferralRequest</c>), each answered with 306/308; from a municipality 301 (toewijzing on the hub's
/// 315 → <c>AcceptReferralRequest</c>), answered with 302; and the partner's retours 302 (on the hub's 301; without
/// remarks it is the provider's acceptance → <c>AcceptReferralRequest</c>) and 316 (on the hub's 315).
/// </remarks>
public sealed class InboundTranslator(IIWmoDirectory directory)
{
    /// <summary>The largest message the adapter reads (the exchange's own limit is 25 MB; a single client's message is far smaller).</summary>
    public const int MaxMessageBytes = 4 * 1024 * 1024;

    /// <summary>Reads one message received on <paramref name="today"/> (the Dutch calendar date).</summary>
    public InboundReading Translate(ReadOnlyMemory<byte> message, DateOnly today)
    {
        if (message.Length is 0 or > MaxMessageBytes)
        {
            return Refused(FoutCodes.VoldoetNietAanXsd, [new SchemaProblem(string.Empty, 0, true) { Rule = message.Length == 0 ? "The message is empty." : $"The message is larger than {MaxMessageBytes} bytes." }], today);
        }

        if (Parse(message, out var syntax) is not { Root: { } root } document)
        {
            return Refused(FoutCodes.VoldoetNietAanXsd, syntax is null ? [] : [syntax], today);
        }

        if (!Berichten.TryIdentify(root.Name.NamespaceName, out var standaard, out var bericht) || root.Name.LocalName != "Bericht")
        {
            return Refused(FoutCodes.FunctieNietOndersteund, [], today, received: ReceivedType(root));
        }

        var problems = SchemaCatalog.Validate(document, standaard);
        if (problems.Count > 0)
        {
            return Refused(FoutCodes.VoldoetNietAanXsd, problems, today);
        }

        var ns = root.Name.Namespace;
        XNamespace b = Berichten.BasisNamespace(standaard);
        var header = root.Element(ns + "Header")!;
        var afzender = header.Element(ns + "Afzender")!.Value;
        var ontvanger = header.Element(ns + "Ontvanger")!.Value;

        if (Berichten.IsRetour(bericht))
        {
            return bericht is Bericht.ToewijzingRetour or Bericht.VerzoekOmToewijzingRetour
                ? ReadRetour(standaard, bericht, document, today)
                : Refused(FoutCodes.FunctieNietOndersteund, [], today, received: Name(standaard, bericht));
        }

        if (bericht == Bericht.VerzoekOmToewijzing)
        {
            // A provider's own request for a toewijzing has no hub command yet (see docs/adapters.md).
            return Refused(FoutCodes.FunctieNietOndersteund, [], today, received: Name(standaard, bericht));
        }

        var gemeente = bericht == Bericht.Toewijzing ? afzender : ontvanger;
        var agb = bericht == Bericht.Toewijzing ? ontvanger : afzender;
        var codes = new Dictionary<XElement, List<string>>();
        var commands = new List<InboundCommand>();
        InboundReading Answer() => new(null, [], standaard, bericht, document, commands, codes, null, today);

        var provider = directory.FindProvider(agb);
        if (provider is null)
        {
            return Refused(FoutCodes.PartijOnbekend, [], today, standaard, bericht);
        }

        // Header rules: each rejects the whole message (the client is then not assessed).
        var dagtekening = ParseDate(header.Element(ns + "BerichtIdentificatie")!.Element(b + "Dagtekening")!.Value);
        var headerCodes = new List<string>();
        if (dagtekening is null)
        {
            headerCodes.Add(RetourCodes.TechnischAfgekeurd);
        }
        if (!CbsMunicipalities.IsKnown(gemeente))
        {
            headerCodes.Add(RetourCodes.GemeentecodeOngeldig);
        }

        if (dagtekening > today)
        {
            headerCodes.Add(RetourCodes.DagtekeningInToekomst);
        }

        var client = root.Element(ns + "Client")!;
        if (!Elfproef.IsValidBsn(client.Element(ns + "Bsn")!.Value))
        {
            // The BSN constraint (elfproef) is a technical rule: the message is rejected as a whole.
            headerCodes.Add(RetourCodes.TechnischAfgekeurd);
        }

        if (headerCodes.Count > 0)
        {
            codes[header] = headerCodes;
            return Answer();
        }

        var identity = $"{standaard}|{(int)bericht}|{afzender}|{header.Element(ns + "BerichtIdentificatie")!.Element(b + "Identificatie")!.Value}|{IWmoXml.Date(dagtekening!.Value)}";
        switch (bericht)
        {
            case Bericht.Start:
                ReadStarts(ns, client, provider, identity, codes, commands);
                break;
            case Bericht.Stop:
                ReadStops(ns, client, provider, standaard, identity, codes, commands);
                break;
            default:
                var municipality = directory.FindMunicipalityParty(gemeente);
                if (municipality is null)
                {
                    return Refused(FoutCodes.GemeentecodeOnbekend, [], today, standaard, bericht);
                }

                ReadToewijzingen(ns, client, municipality, identity, codes, commands);
                break;
        }

        return Answer();
    }

    /// <summary>A request id for the hub, derived from the message and the class's position, so the same message read twice runs once.</summary>
    public static string RequestId(string identity, int index) =>
        "iwmo-" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(identity + "|" + index.ToString(CultureInfo.InvariantCulture))))[..40].ToLowerInvariant();

    private void ReadStarts(XNamespace ns, XElement client, IWmoParty provider, string identity, Dictionary<XElement, List<string>> codes, List<InboundCommand> commands)
    {
        var index = 0;
        foreach (var product in client.Element(ns + "StartProducten")!.Elements(ns + "StartProduct"))
        {
            index++;
            if (product.Element(ns + "StatusAanlevering")!.Value != "1")
            {
                // Corrections and deletions of a start have no hub step: not assessed.
                codes[product] = [RetourCodes.NietBeoordeeld];
                continue;
            }

            var referral = FindReferral(ns, product, provider);
            if (referral is null)
            {
                codes[product] = [RetourCodes.NietGekoppeldAanToewijzing];
                continue;
            }

            if (ToDate(product.Element(ns + "Begindatum")!.Value) is not { } start)
            {
                codes[product] = [RetourCodes.TechnischAfgekeurd];
                continue;
            }

            commands.Add(new InboundCommand(
                provider.Name,
                new StartReferralRequest { RequestId = RequestId(identity, index), Name = referral, StartDate = start },
                product));
        }
    }

    private void ReadStops(XNamespace ns, XElement client, IWmoParty provider, IStandaard standaard, string identity, Dictionary<XElement, List<string>> codes, List<InboundCommand> commands)
    {
        var index = 0;
        foreach (var product in client.Element(ns + "StopProducten")!.Elements(ns + "StopProduct"))
        {
            index++;
            if (product.Element(ns + "StatusAanlevering")!.Value != "1")
            {
                codes[product] = [RetourCodes.NietBeoordeeld];
                continue;
            }

            var referral = FindReferral(ns, product, provider);
            if (referral is null)
            {
                codes[product] = [RetourCodes.NietGekoppeldAanToewijzing];
                continue;
            }

            var reason = EndReasons.ToHub(product.Element(ns + "RedenBeeindiging")!.Value, standaard);
            if (reason is null || ToDate(product.Element(ns + "Einddatum")!.Value) is not { } end)
            {
                codes[product] = [RetourCodes.TechnischAfgekeurd];
                continue;
            }

            commands.Add(new InboundCommand(
                provider.Name,
                new EndReferralRequest { RequestId = RequestId(identity, index), Name = referral, EndDate = end, ReasonCode = reason },
                product));
        }
    }

    private static void ReadToewijzingen(XNamespace ns, XElement client, IWmoParty municipality, string identity, Dictionary<XElement, List<string>> codes, List<InboundCommand> commands)
    {
        var index = 0;
        foreach (var product in client.Element(ns + "ToegewezenProducten")!.Elements(ns + "ToegewezenProduct"))
        {
            index++;
            var reference = product.Element(ns + "ReferentieAanbieder")?.Value;
            if (!IsReferralId(reference))
            {
                // A toewijzing that does not answer one of the hub's verzoeken has no referral to accept.
                codes[product] = [RetourCodes.ReferentieOnbekend];
                continue;
            }

            commands.Add(new InboundCommand(
                municipality.Name,
                new AcceptReferralRequest { RequestId = RequestId(identity, index), Name = "referrals/" + reference },
                product));
        }
    }

    private InboundReading ReadRetour(IStandaard standaard, Bericht bericht, XDocument document, DateOnly today)
    {
        var root = document.Root!;
        var ns = root.Name.Namespace;
        XNamespace b = Berichten.BasisNamespace(standaard);
        var header = root.Element(ns + "Header")!;
        var identificatie = header.Element(ns + "BerichtIdentificatie")!.Element(b + "Identificatie")!.Value;
        var all = root.Descendants(ns + "RetourCode").Select(c => c.Value).ToList();
        var notOk = all.Where(c => c != RetourCodes.Geaccepteerd).ToList();
        var received = new RetourReceived(identificatie, all.Count > 0 && notOk.Count == 0, notOk);
        var commands = new List<InboundCommand>();

        // The retour comes from the party the hub's message went to: the provider of a 301, the municipality of a 315.
        var ontvanger = header.Element(ns + "Ontvanger")!.Value;
        var partner = bericht == Bericht.ToewijzingRetour ? directory.FindProvider(ontvanger) : directory.FindMunicipalityParty(ontvanger);
        if (partner is null)
        {
            return Refused(FoutCodes.PartijOnbekend, [], today, standaard, bericht);
        }

        var identity = $"{standaard}|{(int)bericht}|{header.Element(ns + "IdentificatieRetour")!.Value}";
        var delivery = directory.FindDelivery(partner.Name, identificatie);
        if (delivery is not null)
        {
            commands.Add(received.Accepted
                ? new InboundCommand(partner.Name, new AcknowledgeDeliveryRequest { RequestId = RequestId(identity, 0), Name = delivery }, header)
                : new InboundCommand(partner.Name, new RejectDeliveryRequest { RequestId = RequestId(identity, 0), Name = delivery, ReasonCode = "WJ001_" + notOk[0] }, header));
        }

        if (bericht == Bericht.ToewijzingRetour && received.Accepted)
        {
            // iWmo has no accept message: a provider's retour without remarks on a toewijzing is its acceptance.
            var index = 0;
            foreach (var product in root.Descendants(ns + "ToegewezenProduct"))
            {
                index++;
                var referral = FindReferral(ns, product, partner);
                if (referral is not null)
                {
                    commands.Add(new InboundCommand(partner.Name, new AcceptReferralRequest { RequestId = RequestId(identity, index), Name = referral }, product));
                }
            }
        }

        return new InboundReading(null, [], standaard, bericht, document, commands, [], received, today);
    }

    private string? FindReferral(XNamespace ns, XElement product, IWmoParty provider)
    {
        var text = product.Element(ns + "ToewijzingNummer")?.Value.Trim();
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var nummer)
            ? directory.FindReferral(provider.Name, nummer)
            : null;
    }

    private static bool IsReferralId(string? value) =>
        value is { Length: > 4 and <= 36 } && value.StartsWith("ref_", StringComparison.Ordinal) && value.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    private static Date? ToDate(string value) => ParseDate(value) is { } d ? new Date { Year = d.Year, Month = d.Month, Day = d.Day } : null;

    /// <summary>An xs:date as the schema allows it here (no zone); null for a year outside 1..9999.</summary>
    private static DateOnly? ParseDate(string value) =>
        DateOnly.TryParseExact(value.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : null;

    /// <summary>The messages the adapter takes, by name: what a refusal with IB004 lists.</summary>
    public static IReadOnlyList<string> Supported { get; } =
    [
        .. new[] { IStandaard.IWmo, IStandaard.IJw }.SelectMany(s => new[] { Bericht.Toewijzing, Bericht.ToewijzingRetour, Bericht.Start, Bericht.Stop, Bericht.VerzoekOmToewijzingRetour }.Select(b => Name(s, b))),
    ];

    /// <summary>A message's name, for example <c>WMO305</c> or <c>JW316</c>.</summary>
    public static string Name(IStandaard standaard, Bericht bericht) =>
        Berichten.Prefix(standaard).ToUpperInvariant() + ((int)bericht).ToString(System.Globalization.CultureInfo.InvariantCulture);

    // The type of a message the adapter does not know: from its namespace (…/iwmo/3_2/wmo317/schema → WMO317), else its
    // BerichtCode; never anything else of the message.
    private static string ReceivedType(XElement root)
    {
        var match = System.Text.RegularExpressions.Regex.Match(root.Name.NamespaceName, @"^https?://www\.istandaarden\.nl/(?:iwmo|ijw)/[^/]+/(wmo|jw)(\d{3})/schema$", System.Text.RegularExpressions.RegexOptions.CultureInvariant | System.Text.RegularExpressions.RegexOptions.IgnoreCase);
        if (match.Success)
        {
            return match.Groups[1].Value.ToUpperInvariant() + match.Groups[2].Value;
        }

        var code = root.Elements().FirstOrDefault(e => e.Name.LocalName == "Header")?.Elements().FirstOrDefault(e => e.Name.LocalName == "BerichtCode")?.Value;
        return code is { Length: > 0 and <= 4 } && code.All(char.IsAsciiDigit) ? "BerichtCode " + code : "unknown (namespace " + (root.Name.NamespaceName.Length is > 0 and <= 200 ? root.Name.NamespaceName : "none") + ")";
    }

    private static XDocument? Parse(ReadOnlyMemory<byte> message, out SchemaProblem? syntax)
    {
        syntax = null;
        try
        {
            using var stream = new MemoryStream(message.ToArray(), writable: false);
            using var reader = XmlReader.Create(stream, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, IgnoreComments = true, IgnoreProcessingInstructions = true });
            return XDocument.Load(reader, LoadOptions.SetLineInfo);
        }
        catch (XmlException ex)
        {
            // Where the document stops being XML; the parser's own sentence can quote the document, so it is not passed on.
            syntax = new SchemaProblem(string.Empty, ex.LineNumber, true) { Position = ex.LinePosition, Rule = "The document is not well-formed XML." };
            return null;
        }
    }

    private static InboundReading Refused(string code, IReadOnlyList<SchemaProblem> problems, DateOnly today, IStandaard? standaard = null, Bericht? bericht = null, string? received = null) =>
        new(code, problems, standaard, bericht, null, [], [], null, today) { Received = received };
}

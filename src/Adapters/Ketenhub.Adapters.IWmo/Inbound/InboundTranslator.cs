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
/// <c>EndReferralRequest</c>), each answered with 306/308, and a provider's own 315 (verzoek om toewijzing →
/// <c>RegisterClientRequest</c> and a <c>CreateReferralRequest</c> per product), answered with 316; from a municipality
/// 301 (toewijzing on the hub's 315 → <c>AcceptReferralRequest</c>), answered with 302; and the partner's retours 302
/// (on the hub's 301; without remarks it is the provider's acceptance → <c>AcceptReferralRequest</c>), 316 (on the
/// hub's 315) and 320 (on the hub's 319).
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

        if (bericht == Bericht.Antwoord)
        {
            // A 319 goes from the municipality to a provider: the hub writes them, it does not take them.
            return Refused(FoutCodes.FunctieNietOndersteund, [], today, received: Name(standaard, bericht));
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
            return bericht is Bericht.ToewijzingRetour or Bericht.VerzoekOmToewijzingRetour or Bericht.AntwoordRetour
                ? ReadRetour(standaard, bericht, document, today)
                : Refused(FoutCodes.FunctieNietOndersteund, [], today, received: Name(standaard, bericht));
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
        var mention = new Mention(standaard, client.Element(ns + "Bsn")!.Value.Trim(), gemeente);
        switch (bericht)
        {
            case Bericht.Start:
                ReadStarts(ns, client, provider, mention, identity, codes, commands);
                break;
            case Bericht.Stop:
                ReadStops(ns, client, provider, mention, identity, codes, commands);
                break;
            case Bericht.VerzoekOmToewijzing:
                // The verzoek goes to the party that decides for the municipality in Ontvanger, whatever channel it uses.
                var decider = directory.FindDecidingParty(gemeente);
                if (decider is null)
                {
                    return Refused(FoutCodes.GemeentecodeOnbekend, [], today, standaard, bericht);
                }

                ReadVerzoeken(ns, b, client, decider, provider, mention, identity, codes, commands);
                break;
            default:
                var municipality = directory.FindMunicipalityParty(gemeente);
                if (municipality is null)
                {
                    return Refused(FoutCodes.GemeentecodeOnbekend, [], today, standaard, bericht);
                }

                ReadToewijzingen(ns, client, municipality, provider, mention, identity, codes, commands);
                break;
        }

        return Answer();
    }

    /// <summary>A request id for the hub, derived from the message and the class's position, so the same message read twice runs once.</summary>
    public static string RequestId(string identity, int index) =>
        "iwmo-" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(identity + "|" + index.ToString(CultureInfo.InvariantCulture))))[..40].ToLowerInvariant();

    private void ReadStarts(XNamespace ns, XElement client, IWmoParty provider, Mention mention, string identity, Dictionary<XElement, List<string>> codes, List<InboundCommand> commands)
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

            if (ToDate(product.Element(ns + "Begindatum")!.Value) is not { } start)
            {
                codes[product] = [RetourCodes.TechnischAfgekeurd];
                continue;
            }

            var toewijzing = FindToewijzing(ns, product, provider);
            if (toewijzing is null || !Links(toewijzing, mention, ns, product, DateOf(start), null))
            {
                codes[product] = [RetourCodes.NietGekoppeldAanToewijzing];
                continue;
            }

            commands.Add(new InboundCommand(
                provider.Name,
                new StartReferralRequest { RequestId = RequestId(identity, index), Name = toewijzing.Referral, StartDate = start },
                product)
            { Toewijzing = toewijzing });
        }
    }

    private void ReadStops(XNamespace ns, XElement client, IWmoParty provider, Mention mention, string identity, Dictionary<XElement, List<string>> codes, List<InboundCommand> commands)
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

            var reason = EndReasons.ToHub(product.Element(ns + "RedenBeeindiging")!.Value, mention.Standaard);
            if (reason is null || ToDate(product.Element(ns + "Einddatum")!.Value) is not { } end || ParseDate(product.Element(ns + "Begindatum")!.Value) is not { } begin)
            {
                codes[product] = [RetourCodes.TechnischAfgekeurd];
                continue;
            }

            var toewijzing = FindToewijzing(ns, product, provider);
            if (toewijzing is null || !Links(toewijzing, mention, ns, product, begin, DateOf(end)))
            {
                codes[product] = [RetourCodes.NietGekoppeldAanToewijzing];
                continue;
            }

            // TR069: a stop ends the current start with the same key (BSN, ToewijzingNummer, Begindatum). Once the hub
            // knows the start, a stop with another Begindatum has none.
            if (toewijzing.StartDate is { } started && started != begin)
            {
                codes[product] = [RetourCodes.GeenActueelStartbericht];
                continue;
            }

            commands.Add(new InboundCommand(
                provider.Name,
                new EndReferralRequest { RequestId = RequestId(identity, index), Name = toewijzing.Referral, EndDate = end, ReasonCode = reason },
                product)
            { Toewijzing = toewijzing });
        }
    }

    /// <summary>
    /// A provider's verzoek om toewijzing (315): the client is registered by the message's BSN, birth date and the
    /// municipality in Ontvanger (a client the hub knows answers with its name; one whose stored facts differ is refused,
    /// <c>CLIENT_FACTS_MISMATCH</c>), then each AangevraagdProduct becomes a request for a toewijzing from the provider to
    /// the deciding party, with the product's category as the service, its ProductCode, Omvang and ToewijzingEinddatum as
    /// the referral's scope, its Commentaar as the reason and its ReferentieAanbieder as the provider's reference. The
    /// request id of a product is derived from the provider and its ReferentieAanbieder, not from the message: TR347 makes
    /// ReferentieAanbieder unique per provider, so the same product sent again (in any message) gets the answer it got,
    /// and another product under a used reference is refused with 9347.
    /// </summary>
    private static void ReadVerzoeken(XNamespace ns, XNamespace b, XElement client, IWmoParty decider, IWmoParty provider, Mention mention, string identity, Dictionary<XElement, List<string>> codes, List<InboundCommand> commands)
    {
        var birth = ToDate(client.Element(ns + "Geboortedatum")!.Element(b + "Datum")!.Value);
        if (birth is null)
        {
            codes[client] = [RetourCodes.TechnischAfgekeurd];
            return;
        }

        commands.Add(new InboundCommand(provider.Name, new RegisterClientRequest { RequestId = RequestId(identity, 0), Bsn = mention.Bsn, BirthDate = birth, MunicipalityCode = mention.Gemeente }, client));
        foreach (var product in client.Element(ns + "AangevraagdeProducten")!.Elements(ns + "AangevraagdProduct"))
        {
            var reference = product.Element(ns + "ReferentieAanbieder")!.Value;
            var categorie = product.Element(ns + "Product")?.Element(b + "Categorie")?.Value;
            var service = categorie is null ? null : ProductCategories.ServiceOf(categorie, mention.Standaard);
            var end = product.Element(ns + "ToewijzingEinddatum") is { } e ? ToDate(e.Value) : null;
            var volume = product.Element(ns + "Omvang") is { } omvang ? Volume(omvang, b) : null;
            if (service is null || (product.Element(ns + "ToewijzingEinddatum") is not null && end is null) || (product.Element(ns + "Omvang") is not null && volume is null))
            {
                // A product without a category the hub maps to a service (or with a unit or frequency it does not carry):
                // WJ001 has no code for it on a 315, so it is rejected technically (0001), and nothing of it is stored.
                codes[product] = [RetourCodes.TechnischAfgekeurd];
                continue;
            }

            var referral = new Referral
            {
                Kind = ReferralKind.AllocationRequest,
                RequesterReference = reference,
                Service = service.Value,
                ProductCode = product.Element(ns + "Product")?.Element(b + "Code")?.Value ?? string.Empty,
                Volume = volume,
                RequestedEndDate = end,
                Reason = product.Element(ns + "Commentaar")?.Value ?? string.Empty,
                Performers = { new ReferralPerformer { Party = decider.Name } },
            };
            commands.Add(new InboundCommand(provider.Name, new CreateReferralRequest { RequestId = RequestId($"{mention.Standaard}|315|{provider.Agb}|{reference}", 0), Referral = referral }, product));
        }
    }

    /// <summary>An Omvang as the contract's volume: WJ756 units and WJ757 frequencies the hub carries, else null.</summary>
    private static SupportVolume? Volume(XElement omvang, XNamespace b)
    {
        var unit = omvang.Element(b + "Eenheid")?.Value switch
        {
            "01" => VolumeUnit.Minute,
            "04" => VolumeUnit.Hour,
            "14" => VolumeUnit.DayAndNight,
            "16" => VolumeUnit.DayPart,
            "82" => VolumeUnit.PiecesOutput,
            "83" => VolumeUnit.Euros,
            "84" => VolumeUnit.PiecesEffort,
            _ => VolumeUnit.Unspecified,
        };
        var frequency = omvang.Element(b + "Frequentie")?.Value switch
        {
            "1" => VolumeFrequency.PerDay,
            "2" => VolumeFrequency.PerWeek,
            "4" => VolumeFrequency.PerMonth,
            "6" => VolumeFrequency.Total,
            _ => VolumeFrequency.Unspecified,
        };
        return unit == VolumeUnit.Unspecified || frequency == VolumeFrequency.Unspecified || !int.TryParse(omvang.Element(b + "Volume")?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var quantity)
            ? null
            : new SupportVolume { Quantity = quantity, Unit = unit, Frequency = frequency };
    }

    private void ReadToewijzingen(XNamespace ns, XElement client, IWmoParty municipality, IWmoParty provider, Mention mention, string identity, Dictionary<XElement, List<string>> codes, List<InboundCommand> commands)
    {
        var index = 0;
        foreach (var product in client.Element(ns + "ToegewezenProducten")!.Elements(ns + "ToegewezenProduct"))
        {
            index++;
            var reference = product.Element(ns + "ReferentieAanbieder")?.Value;
            var verzoek = IsReferralId(reference) ? directory.FindVerzoek(municipality.Name, "referrals/" + reference) : null;

            // TR379: ReferentieAanbieder must refer to a verzoek om toewijzing. The hub reads "refer to" strictly: the
            // verzoek the hub sent for this client (BSN), from this provider (Ontvanger), to this municipality
            // (Afzender), for this product category. A toewijzing that refers to another client's or another
            // provider's verzoek, or that does not answer one at all, accepts nothing.
            if (verzoek is null
                || verzoek.Requester != provider.Name
                || !verzoek.IsClient(mention.Bsn)
                || verzoek.MunicipalityCode != mention.Gemeente
                || !SameCategory(verzoek, mention.Standaard, ns, product))
            {
                codes[product] = [RetourCodes.ReferentieOnbekend];
                continue;
            }

            commands.Add(new InboundCommand(
                municipality.Name,
                new AcceptReferralRequest { RequestId = RequestId(identity, index), Name = verzoek.Referral },
                product)
            { Toewijzing = verzoek });
        }
    }

    /// <summary>The facts of a heenbericht that every product in it must agree with.</summary>
    /// <param name="Standaard">iWmo or iJw.</param>
    /// <param name="Bsn">The client's BSN (Client/Bsn).</param>
    /// <param name="Gemeente">The municipality in the header (the Ontvanger of a 305/307, the Afzender of a 301).</param>
    private sealed record Mention(IStandaard Standaard, string Bsn, string Gemeente);

    /// <summary>
    /// TR019: a start or stop must be linked to a toewijzing. The hub links it by the key the standard gives a
    /// toewijzing and its product: the ToewijzingNummer of a toewijzing given to the sending provider, by the
    /// municipality in the header (a ToewijzingNummer is unique only within the municipality, TR332), for the client
    /// with this BSN, for the same product category (when the message names one), with the period in the message
    /// (Begindatum, and Einddatum of a stop) inside the toewijzing's (Ingangsdatum up to Einddatum). WJ001 has no other
    /// code for a start or stop that names a toewijzing but disagrees with it, so each of these is 9019.
    /// </summary>
    private static bool Links(IWmoToewijzing toewijzing, Mention mention, XNamespace ns, XElement product, DateOnly begin, DateOnly? end) =>
        toewijzing.IsClient(mention.Bsn)
        && toewijzing.MunicipalityCode == mention.Gemeente
        && SameCategory(toewijzing, mention.Standaard, ns, product)
        && begin >= toewijzing.Ingangsdatum
        && !(toewijzing.Einddatum is { } last && (begin > last || end > last));

    /// <summary>Whether the product's category (if it names one) is the category of the referral's service in this standard.</summary>
    private static bool SameCategory(IWmoToewijzing toewijzing, IStandaard standaard, XNamespace ns, XElement product)
    {
        var categorie = product.Element(ns + "Product")?.Elements().FirstOrDefault(e => e.Name.LocalName == "Categorie")?.Value;
        return categorie is null || ProductCategories.For(toewijzing.Service, standaard) == categorie;
    }

    private static DateOnly DateOf(Date date) => new(date.Year, date.Month, date.Day);

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
        var partner = bericht is Bericht.ToewijzingRetour or Bericht.AntwoordRetour ? directory.FindProvider(ontvanger) : directory.FindMunicipalityParty(ontvanger);
        if (partner is null)
        {
            return Refused(FoutCodes.PartijOnbekend, [], today, standaard, bericht);
        }

        var identity = $"{standaard}|{(int)bericht}|{header.Element(ns + "IdentificatieRetour")!.Value}";
        var delivery = directory.FindDelivery(partner.Name, identificatie);
        if (delivery is not null && !RetourFits(bericht, root, ns, header, identificatie, partner))
        {
            // A retour echoes the hub's message: one that names the hub's message but carries another client, another
            // municipality or another toewijzing or verzoek answers no message of the hub, and changes nothing.
            delivery = null;
        }

        if (delivery is not null)
        {
            commands.Add(received.Accepted
                ? new InboundCommand(partner.Name, new AcknowledgeDeliveryRequest { RequestId = RequestId(identity, 0), Name = delivery }, header)
                : new InboundCommand(partner.Name, new RejectDeliveryRequest { RequestId = RequestId(identity, 0), Name = delivery, ReasonCode = "WJ001_" + notOk[0] }, header));
        }

        if (delivery is not null && !received.Accepted && bericht != Bericht.AntwoordRetour)
        {
            // A rejecting retour refuses the toewijzing (302) or the verzoek om toewijzing (316): the partner declines the
            // referral with the retour's codes, which reaches the requester as any decline does.
            var reasons = notOk.Where(c => c != RetourCodes.NietBeoordeeld).Distinct(StringComparer.Ordinal).ToList();
            var reason = "WJ001-" + string.Join('-', (reasons.Count > 0 ? reasons : notOk.Distinct(StringComparer.Ordinal)).Take(8));
            var referrals = bericht == Bericht.ToewijzingRetour
                ? root.Descendants(ns + "ToegewezenProduct").Select(p => FindToewijzing(ns, p, partner)?.Referral)
                : root.Descendants(ns + "AangevraagdProduct").Select(p => p.Element(ns + "ReferentieAanbieder")?.Value is { } r && IsReferralId(r) ? directory.FindVerzoek(partner.Name, "referrals/" + r)?.Referral : null);
            var index = 0;
            foreach (var referral in referrals.OfType<string>().Distinct(StringComparer.Ordinal))
            {
                index++;
                commands.Add(new InboundCommand(partner.Name, new DeclineReferralRequest { RequestId = RequestId(identity, index), Name = referral, ReasonCode = reason }, header));
            }
        }

        if (delivery is not null && bericht == Bericht.ToewijzingRetour && received.Accepted)
        {
            // iWmo has no accept message: a provider's retour without remarks on a toewijzing is its acceptance.
            var index = 0;
            foreach (var product in root.Descendants(ns + "ToegewezenProduct"))
            {
                index++;
                var toewijzing = FindToewijzing(ns, product, partner);
                if (toewijzing is not null)
                {
                    commands.Add(new InboundCommand(partner.Name, new AcceptReferralRequest { RequestId = RequestId(identity, index), Name = toewijzing.Referral }, product) { Toewijzing = toewijzing });
                }
            }
        }

        return new InboundReading(null, [], standaard, bericht, document, commands, [], received, today);
    }

    /// <summary>
    /// Whether a retour agrees with the hub's message it names: for a 302 every ToegewezenProduct is the toewijzing of
    /// that message (ToewijzingNummer = its identification) for the client with the retour's BSN from the municipality in
    /// Afzender; for a 316 every AangevraagdProduct names a verzoek the hub sent this party for that client and the
    /// municipality in Ontvanger. A retour whose client was not assessed (a rejected header) carries no client to compare.
    /// </summary>
    private bool RetourFits(Bericht bericht, XElement root, XNamespace ns, XElement header, string identificatie, IWmoParty partner)
    {
        if (root.Element(ns + "Client")?.Element(ns + "Bsn")?.Value.Trim() is not { } bsn)
        {
            return true;
        }

        if (bericht == Bericht.AntwoordRetour)
        {
            // A 320 carries no client; it answers the 319 it names, which went from the municipality in Afzender.
            return true;
        }

        if (bericht == Bericht.ToewijzingRetour)
        {
            var afzender = header.Element(ns + "Afzender")!.Value;
            return root.Descendants(ns + "ToegewezenProduct").All(p =>
                p.Element(ns + "ToewijzingNummer")?.Value.Trim().TrimStart('0') == identificatie.TrimStart('0')
                && FindToewijzing(ns, p, partner) is { } t && t.IsClient(bsn) && t.MunicipalityCode == afzender);
        }

        var gemeente = header.Element(ns + "Ontvanger")!.Value;
        return root.Descendants(ns + "AangevraagdProduct").All(p =>
            p.Element(ns + "ReferentieAanbieder")?.Value is { } r && IsReferralId(r)
            && directory.FindVerzoek(partner.Name, "referrals/" + r) is { } v && v.IsClient(bsn) && v.MunicipalityCode == gemeente);
    }

    private IWmoToewijzing? FindToewijzing(XNamespace ns, XElement product, IWmoParty provider)
    {
        var text = product.Element(ns + "ToewijzingNummer")?.Value.Trim();
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var nummer)
            ? directory.FindToewijzing(provider.Name, nummer)
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
        .. new[] { IStandaard.IWmo, IStandaard.IJw }.SelectMany(s => new[] { Bericht.Toewijzing, Bericht.ToewijzingRetour, Bericht.Start, Bericht.Stop, Bericht.VerzoekOmToewijzing, Bericht.VerzoekOmToewijzingRetour, Bericht.AntwoordRetour }.Select(b => Name(s, b))),
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

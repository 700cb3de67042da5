using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using Ketenhub.Adapters.IWmo.Codes;
using Ketenhub.Adapters.IWmo.Schemas;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Adapters.IWmo.Outbound;

/// <summary>Everything one outbound translation needs; the translation reads nothing else.</summary>
/// <param name="Delivery">The committed delivery (a referral, or a referral update to its requester).</param>
/// <param name="Client">What the recipient may know of the client.</param>
/// <param name="Recipient">The recipient party.</param>
/// <param name="Requester">The referral's requester.</param>
/// <param name="MessageTime">The moment the message is written; its Dutch calendar date is the Dagtekening and decides the client's age.</param>
public sealed record OutboundRequest(Delivery Delivery, IWmoClient Client, IWmoParty Recipient, IWmoParty Requester, DateTimeOffset MessageTime);

/// <summary>The outcome of translating one delivery: a message, or a coded reason why there is none.</summary>
public abstract record OutboundResult
{
    private OutboundResult()
    {
    }

    /// <summary>A schema-valid message.</summary>
    /// <param name="Standaard">iWmo or iJw.</param>
    /// <param name="Bericht">301 (toewijzing to a provider), 315 (verzoek om toewijzing to a municipality) or 319 (a refused verzoek, to the provider).</param>
    /// <param name="Identificatie">The message's BerichtIdentificatie/Identificatie.</param>
    /// <param name="Document">The message.</param>
    public sealed record Message(IStandaard Standaard, Bericht Bericht, string Identificatie, XDocument Document) : OutboundResult
    {
        /// <summary>The message as UTF-8 bytes.</summary>
        public byte[] ToBytes() => IWmoXml.ToBytes(Document);
    }

    /// <summary>No message can be made.</summary>
    /// <param name="Code">One of <see cref="IWmoErrors"/>.</param>
    /// <param name="Detail">A sentence for an operator; never personal data.</param>
    public sealed record Failed(string Code, string Detail) : OutboundResult;
}

/// <summary>
/// Turns a referral delivery into the iStandaarden message its recipient expects. The hub stands on the
/// municipality's side of the exchange: a care provider that performs the referral receives a 301 toewijzing
/// from the client's municipality; a municipality-side party (municipality, social service, wijkteam) that is
/// asked to decide on a care provider's referral receives that provider's 315 verzoek om toewijzing.
/// </summary>
public static class OutboundTranslator
{
    /// <summary>Translates one delivery. Every message it returns validates against the official schema.</summary>
    public static OutboundResult Translate(OutboundRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var delivery = request.Delivery;
        if (delivery.PayloadCase == Delivery.PayloadOneofCase.ReferralUpdate)
        {
            return TranslateUpdate(request);
        }

        if (delivery.PayloadCase != Delivery.PayloadOneofCase.Referral)
        {
            return new OutboundResult.Failed(IWmoErrors.PayloadNotSupported, $"A {delivery.PayloadCase} delivery has no iWmo or iJw message.");
        }

        var referral = delivery.Referral;
        var recipient = request.Recipient;
        var performs = referral.Performers.Any(p => p.Party == recipient.Name);
        if (!performs)
        {
            return new OutboundResult.Failed(IWmoErrors.RecipientNotInvolved, "The recipient is not a performer of the referral.");
        }

        var client = request.Client;
        if (string.IsNullOrEmpty(client.Bsn))
        {
            return new OutboundResult.Failed(IWmoErrors.BsnRequired, "iWmo and iJw identify the client by BSN, and this recipient may not receive it.");
        }

        if (!Elfproef.IsValidBsn(client.Bsn))
        {
            return new OutboundResult.Failed(IWmoErrors.BsnInvalid, "The client's BSN fails the elfproef.");
        }

        if (!CbsMunicipalities.IsKnown(client.MunicipalityCode))
        {
            return new OutboundResult.Failed(IWmoErrors.MunicipalityInvalid, "The client's municipality is not a CBS municipality code.");
        }

        var today = IWmoXml.DutchDate(request.MessageTime);
        var standaard = StandaardKeuze.For(client.BirthDate, today, referral.Service, recipient.Speaks);
        if (standaard is not { } s)
        {
            return new OutboundResult.Failed(IWmoErrors.ServiceNotCovered, $"No standard the recipient speaks covers {referral.Service} for a client of this age.");
        }

        if (recipient.IsMunicipalitySide)
        {
            if (!recipient.MunicipalityCodes.Contains(client.MunicipalityCode))
            {
                return new OutboundResult.Failed(IWmoErrors.MunicipalityInvalid, "The recipient does not act for the client's municipality.");
            }

            if (!IsAgb(request.Requester.Agb))
            {
                return new OutboundResult.Failed(IWmoErrors.AgbMissing, "A verzoek om toewijzing comes from a care provider, and the requester has no AGB code.");
            }

            return Build(s, Bericht.VerzoekOmToewijzing, delivery, request, today, VerzoekOmToewijzing);
        }

        // A 301 is the municipality's decision (Wmo 2015 art. 2.3.5, Jeugdwet art. 2.3): the requester must be the
        // municipality or a party that decides for it, for the client's municipality. Anything else would be a
        // toewijzing the municipality never gave.
        if (!request.Requester.IsMunicipalitySide || !request.Requester.MunicipalityCodes.Contains(client.MunicipalityCode))
        {
            return new OutboundResult.Failed(IWmoErrors.NoMunicipalDecision, "A toewijzing needs a decision of the client's municipality, and the referral's requester does not decide for it.");
        }

        if (!IsAgb(recipient.Agb))
        {
            return new OutboundResult.Failed(IWmoErrors.AgbMissing, "A toewijzing goes to a care provider, and the recipient has no AGB code.");
        }

        if (delivery.Sequence is < 1 or > 999_999_999)
        {
            return new OutboundResult.Failed(IWmoErrors.NumberOutOfRange, "The delivery's sequence does not fit a nine-digit ToewijzingNummer.");
        }

        return Build(s, Bericht.Toewijzing, delivery, request, today, Toewijzing);
    }

    /// <summary>
    /// A referral's lifecycle step. The one the standards carry is a municipality refusing a provider's verzoek om
    /// toewijzing: the 319 antwoordbericht (VerzoekAntwoord 1, verzoek afgewezen) to the requesting provider, from the
    /// client's municipality, naming the provider's reference and the WJ759 reason when the decline's reason code is one.
    /// (An accepted verzoek reaches the provider as the toewijzing the hub issues for it, a 301 of its own.) Other steps
    /// have no message.
    /// </summary>
    private static OutboundResult TranslateUpdate(OutboundRequest request)
    {
        var update = request.Delivery.ReferralUpdate;
        if (update.Kind != ReferralKind.AllocationRequest || update.Status != PerformerStatus.Declined || request.Recipient.Kind != PartyKind.CareProvider)
        {
            return new OutboundResult.Failed(IWmoErrors.NotInFormat, "Only a refused verzoek om toewijzing has an iWmo or iJw message among referral updates; the partner learns the others from the chain's own messages.");
        }

        var client = request.Client;
        if (!CbsMunicipalities.IsKnown(client.MunicipalityCode))
        {
            return new OutboundResult.Failed(IWmoErrors.MunicipalityInvalid, "The client's municipality is not a CBS municipality code.");
        }

        if (!IsAgb(request.Recipient.Agb))
        {
            return new OutboundResult.Failed(IWmoErrors.AgbMissing, "An antwoordbericht goes to a care provider, and the recipient has no AGB code.");
        }

        var today = IWmoXml.DutchDate(request.MessageTime);
        if (StandaardKeuze.For(client.BirthDate, today, update.Service, request.Recipient.Speaks) is not { } s)
        {
            return new OutboundResult.Failed(IWmoErrors.ServiceNotCovered, $"No standard the recipient speaks covers {update.Service} for a client of this age.");
        }

        var x = new IWmoXml(s, Bericht.Antwoord);
        var identificatie = Identificatie(request.Delivery);
        var reference = string.IsNullOrEmpty(update.RequesterReference) ? update.Referral.Replace("referrals/", string.Empty, StringComparison.Ordinal) : update.RequesterReference;
        var document = new XDocument(
            new XDeclaration("1.0", "UTF-8", null),
            x.E(
                "Bericht",
                x.Header(client.MunicipalityCode, request.Recipient.Agb, identificatie, today),
                x.E("Antwoord", x.E("ReferentieAanbieder", reference), x.E("VerzoekAntwoord", "1"), RedenAfwijzing(update.ReasonCode) is { } reden ? x.E("RedenAfwijzingVerzoek", reden) : null)));
        return Checked(s, Bericht.Antwoord, identificatie, document);
    }

    /// <summary>
    /// The WJ759 reason (1 to 9, one digit in the schema) of a decline whose reason code is that code written with two
    /// digits (<c>01</c>–<c>09</c>, as the hub writes reason codes); null for any other code (a retour's codes, say).
    /// </summary>
    public static string? RedenAfwijzing(string? reasonCode) =>
        reasonCode is { Length: 2 } code && code[0] == '0' && code[1] is >= '1' and <= '9' ? code[1..] : null;

    /// <summary>The ToewijzingNummer the adapter gives a referral delivered to a provider: the delivery's sequence (unique in the hub, stable across redeliveries).</summary>
    public static long ToewijzingNummer(Delivery delivery)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        return delivery.Sequence;
    }

    /// <summary>The BerichtIdentificatie of a delivery's message: its sequence, which is stable across redeliveries, so a partner can discard duplicates.</summary>
    public static string Identificatie(Delivery delivery)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        return delivery.Sequence.ToString(CultureInfo.InvariantCulture);
    }

    private static bool IsAgb(string? agb) => agb is { Length: 8 } && agb.All(char.IsAsciiDigit);

    private static OutboundResult Build(IStandaard s, Bericht bericht, Delivery delivery, OutboundRequest request, DateOnly today, Func<IWmoXml, OutboundRequest, DateOnly, XElement> client)
    {
        var x = new IWmoXml(s, bericht);
        var (afzender, ontvanger) = bericht == Bericht.Toewijzing
            ? (request.Client.MunicipalityCode, request.Recipient.Agb)
            : (request.Requester.Agb, request.Client.MunicipalityCode);
        var identificatie = Identificatie(delivery);
        var document = new XDocument(
            new XDeclaration("1.0", "UTF-8", null),
            x.E("Bericht", x.Header(afzender, ontvanger, identificatie, today), client(x, request, today)));
        return Checked(s, bericht, identificatie, document);
    }

    private static OutboundResult.Message Checked(IStandaard s, Bericht bericht, string identificatie, XDocument document)
    {
        var problems = SchemaCatalog.Validate(document, s);
        if (problems.Count > 0)
        {
            // A bug in the writer, never a partner's fault: fail loudly with the places (no values).
            throw new InvalidOperationException($"The adapter wrote an invalid {Berichten.SchemaFile(s, bericht)}: {string.Join(", ", problems.Select(p => p.Path))}.");
        }

        return new OutboundResult.Message(s, bericht, identificatie, document);
    }

    private static XElement Toewijzing(IWmoXml x, OutboundRequest request, DateOnly today)
    {
        var delivery = request.Delivery;
        var referral = delivery.Referral;
        var client = request.Client;
        var local = IWmoXml.DutchTime(request.MessageTime);
        return x.E(
            "Client",
            x.E("Bsn", client.Bsn),
            x.E("Geboortedatum", x.B("Datum", IWmoXml.Date(client.BirthDate))),
            x.E("Geslacht", "0"),
            x.E("Naam", x.B("Geslachtsnaam", x.B("Achternaam", IWmoXml.Clip(client.Pseudonym, 200))), x.B("NaamGebruik", "5")),
            client.WettelijkeVertegenwoordiging is { } vertegenwoordiging ? x.E("WettelijkeVertegenwoordiging", vertegenwoordiging) : null,
            Coach(x, delivery.Coach ?? referral.Coach),
            x.E("Contactgegevens", x.E("Contact", x.E("Soort", "01"))),
            x.E(
                "ToegewezenProducten",
                x.E(
                    "ToegewezenProduct",
                    x.E("ToewijzingNummer", ToewijzingNummer(delivery).ToString(CultureInfo.InvariantCulture)),
                    // TR379: ReferentieAanbieder only in answer to a verzoek om toewijzing, and then the provider's own
                    // reference for it: the toewijzing the hub issued for an accepted request carries it.
                    string.IsNullOrEmpty(referral.AllocationReference) ? null : x.E("ReferentieAanbieder", referral.AllocationReference),
                    Product(x, referral),
                    x.E("Toewijzingsdatum", IWmoXml.Date(today)),
                    x.E("Toewijzingstijd", local.ToString("HH:mm:ss", CultureInfo.InvariantCulture)),
                    x.E("Ingangsdatum", IWmoXml.Date(today)),
                    EndDate(x, "Einddatum", referral),
                    Omvang(x, referral),
                    Commentaar(x, referral))));
    }

    /// <summary>The product: its category from the service, and the municipality's product code when the referral has one.</summary>
    private static XElement Product(IWmoXml x, Referral referral) =>
        x.E("Product", x.B("Categorie", ProductCategories.For(referral.Service, x.Standaard)), string.IsNullOrEmpty(referral.ProductCode) ? null : x.B("Code", referral.ProductCode));

    /// <summary>The end date the referral asks for, if any.</summary>
    private static XElement? EndDate(IWmoXml x, string element, Referral referral) =>
        referral.RequestedEndDate is { } end && end.Year > 0 ? x.E(element, IWmoXml.Date(new DateOnly(end.Year, end.Month, end.Day))) : null;

    /// <summary>The volume (Omvang: Volume, Eenheid WJ756, Frequentie WJ757), if the referral has one.</summary>
    private static XElement? Omvang(IWmoXml x, Referral referral) =>
        referral.Volume is not { } volume
            ? null
            : x.E(
                "Omvang",
                x.B("Volume", volume.Quantity.ToString(CultureInfo.InvariantCulture)),
                x.B("Eenheid", volume.Unit switch
                {
                    VolumeUnit.Minute => "01",
                    VolumeUnit.Hour => "04",
                    VolumeUnit.DayAndNight => "14",
                    VolumeUnit.DayPart => "16",
                    VolumeUnit.PiecesOutput => "82",
                    VolumeUnit.Euros => "83",
                    VolumeUnit.PiecesEffort => "84",
                    _ => throw new ArgumentOutOfRangeException(nameof(referral), volume.Unit, "A volume without its unit."),
                }),
                x.B("Frequentie", volume.Frequency switch
                {
                    VolumeFrequency.PerDay => "1",
                    VolumeFrequency.PerWeek => "2",
                    VolumeFrequency.PerMonth => "4",
                    VolumeFrequency.Total => "6",
                    _ => throw new ArgumentOutOfRangeException(nameof(referral), volume.Frequency, "A volume without its frequency."),
                }));

    private static XElement VerzoekOmToewijzing(IWmoXml x, OutboundRequest request, DateOnly today)
    {
        var referral = request.Delivery.Referral;
        var client = request.Client;
        return x.E(
            "Client",
            x.E("Bsn", client.Bsn),
            x.E("Geboortedatum", x.B("Datum", IWmoXml.Date(client.BirthDate))),
            x.E("Geslacht", "0"),
            x.E("Naam", x.B("Geslachtsnaam", x.B("Achternaam", IWmoXml.Clip(client.Pseudonym, 200)))),
            x.E(
                "AangevraagdeProducten",
                x.E(
                    "AangevraagdProduct",
                    x.E("ReferentieAanbieder", referral.Name.Replace("referrals/", string.Empty, StringComparison.Ordinal)),
                    Product(x, referral),
                    x.E("ToewijzingIngangsdatum", IWmoXml.Date(today)),
                    EndDate(x, "ToewijzingEinddatum", referral),
                    Omvang(x, referral),
                    x.E(
                        "Verwijzer",
                        x.B("Type", VerwijzerTypes.For(request.Requester.Kind)),
                        string.IsNullOrWhiteSpace(request.Requester.DisplayName) ? null : x.B("Naam", IWmoXml.Clip(request.Requester.DisplayName, 64))),
                    Commentaar(x, referral))));
    }

    /// <summary>The coach as a relation of type 07 (hulpverlener), so the provider knows whom to call.</summary>
    private static XElement? Coach(IWmoXml x, Coach? coach)
    {
        if (coach is null || string.IsNullOrWhiteSpace(coach.DisplayName))
        {
            return null;
        }

        var phone = IWmoXml.DutchPhone(coach.Phone);
        return x.E(
            "Relaties",
            x.E(
                "Relatie",
                x.E("Nummer", "1"),
                x.E("Soort", "07"),
                x.E("Naam", x.B("Geslachtsnaam", x.B("Achternaam", IWmoXml.Clip(coach.DisplayName, 200))), x.B("NaamGebruik", "1")),
                x.E(
                    "Contact",
                    x.E("Soort", "02"),
                    phone is null ? null : x.E("Telefoon", x.B("Telefoon01", x.B("Telefoonnummer", phone), x.B("Landnummer", "0031"))),
                    string.IsNullOrWhiteSpace(coach.Email) || coach.Email.Length > 80 ? null : x.E("Emailadres", coach.Email.Trim()))));
    }

    /// <summary>The referral's reason and strengths as Commentaar (free text the recipient may see: the hub decided it may).</summary>
    private static XElement? Commentaar(IWmoXml x, Referral referral)
    {
        var text = new StringBuilder();
        if (!string.IsNullOrWhiteSpace(referral.Reason))
        {
            text.Append(referral.Reason.Trim());
        }

        if (!string.IsNullOrWhiteSpace(referral.Strengths))
        {
            text.Append(text.Length > 0 ? "\n" : string.Empty).Append(IWmoXml.StrengthsPrefix).Append(referral.Strengths.Trim());
        }

        return text.Length == 0 ? null : x.E("Commentaar", text.ToString());
    }
}

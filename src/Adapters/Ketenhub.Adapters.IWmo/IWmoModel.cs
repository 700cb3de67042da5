using Ketenhub.Contracts.V1;

namespace Ketenhub.Adapters.IWmo;

/// <summary>
/// What the adapter may know of the client for one recipient: the recipient's pseudonym always, the BSN only
/// when the recipient has a legal need for it.
/// </summary>
/// <param name="Bsn">The BSN, or null when the recipient may not have it.</param>
/// <param name="BirthDate">The birth date.</param>
/// <param name="MunicipalityCode">The CBS code of the client's municipality.</param>
/// <param name="Pseudonym">The client's pseudonym for this recipient. The hub holds no names; iStandaarden require one, so the name field carries this pseudonym (with NaamGebruik 5, pseudoniem, where the message has it).</param>
public sealed record IWmoClient(string? Bsn, DateOnly BirthDate, string MunicipalityCode, string Pseudonym)
{
    /// <summary>The kinds of legal representation that hold for the client (the measure, never the representative).</summary>
    public IReadOnlyList<RepresentationKind> Representations { get; init; } = [];

    /// <summary>
    /// The WJ003 code of the client's legal representation for the message, or null: voogdij 06 (a minor without a
    /// parent with authority), onder curatele 09, mentorschap 08, bewindvoering 07, the fullest first, as the element holds
    /// one code. Parental authority has no WJ003 code: a minor under it gets none, as in the official examples.
    /// </summary>
    public string? WettelijkeVertegenwoordiging =>
        Representations.Contains(RepresentationKind.Guardianship) ? "06"
        : Representations.Contains(RepresentationKind.Curatorship) ? "09"
        : Representations.Contains(RepresentationKind.Mentorship) ? "08"
        : Representations.Contains(RepresentationKind.Administration) ? "07"
        : null;

    /// <summary>
    /// The adapter's view of the client details a delivery carries for its recipient, or null when they are absent
    /// or incomplete (no birth date or no pseudonym).
    /// </summary>
    public static IWmoClient? From(DeliveredClient? details)
    {
        if (details?.BirthDate is not { Year: > 0, Month: > 0, Day: > 0 } date || string.IsNullOrEmpty(details.Pseudonym))
        {
            return null;
        }

        return new IWmoClient(
            string.IsNullOrEmpty(details.Bsn) ? null : details.Bsn,
            new DateOnly(date.Year, date.Month, date.Day),
            details.MunicipalityCode,
            details.Pseudonym)
        {
            Representations = [.. details.LegalRepresentations],
        };
    }
}

/// <summary>A party as the adapter needs it.</summary>
/// <param name="Name">Resource name, <c>parties/{party}</c>.</param>
/// <param name="Kind">The party's kind.</param>
/// <param name="DisplayName">The organisation's name.</param>
/// <param name="Agb">AGB code (eight digits) of a care provider; empty otherwise.</param>
/// <param name="MunicipalityCodes">CBS codes of the municipalities this party acts for.</param>
/// <param name="Speaks">Which iStandaarden the party's system exchanges.</param>
public sealed record IWmoParty(string Name, PartyKind Kind, string DisplayName, string Agb, IReadOnlyList<string> MunicipalityCodes, IStandaarden Speaks)
{
    /// <summary>Builds the adapter's view of a configured party.</summary>
    public static IWmoParty From(Party party, IStandaarden speaks)
    {
        ArgumentNullException.ThrowIfNull(party);
        return new(party.Name, party.Kind, party.DisplayName, party.Agb, [.. party.MunicipalityCodes], speaks);
    }

    /// <summary>Whether the party stands on the municipality's side of the iStandaarden (municipality, social service, wijkteam).</summary>
    public bool IsMunicipalitySide => Kind is PartyKind.Municipality or PartyKind.SocialService or PartyKind.Wijkteam;
}

/// <summary>Coded reasons why the adapter cannot translate or accept something. Stable: partners and operators match on them.</summary>
public static class IWmoErrors
{
    /// <summary>The delivery's payload has no iWmo/iJw counterpart (only referrals do).</summary>
    public const string PayloadNotSupported = "IWMO_PAYLOAD_NOT_SUPPORTED";

    /// <summary>
    /// A referral update the standards carry by other messages (an acceptance, a start or an end reaches the municipality
    /// as the provider's own 305 or 307): nothing to send.
    /// </summary>
    public const string NotInFormat = "IWMO_NOT_IN_FORMAT";

    /// <summary>The recipient is neither a performer of the referral nor a municipality-side party that decides on it.</summary>
    public const string RecipientNotInvolved = "IWMO_RECIPIENT_NOT_INVOLVED";

    /// <summary>The iStandaarden require the BSN, and the recipient may not have it (or it was not provided).</summary>
    public const string BsnRequired = "IWMO_BSN_REQUIRED";

    /// <summary>The BSN fails the elfproef.</summary>
    public const string BsnInvalid = "IWMO_BSN_INVALID";

    /// <summary>No standard the partner speaks covers the service at the client's age (for example debt counselling, or an adult for a partner that speaks only iJw).</summary>
    public const string ServiceNotCovered = "IWMO_SERVICE_NOT_COVERED";

    /// <summary>A provider in the exchange has no AGB code.</summary>
    public const string AgbMissing = "IWMO_AGB_MISSING";

    /// <summary>The client's municipality is not a CBS municipality code, or not one the municipality-side recipient acts for.</summary>
    public const string MunicipalityInvalid = "IWMO_MUNICIPALITY_INVALID";

    /// <summary>
    /// A toewijzing (301) is the municipality's decision: it goes to a provider only for a referral requested by the
    /// municipality or by a party that decides for it (a social service or wijkteam acting for the client's
    /// municipality). A referral from a provider or a school to an iWmo provider takes the standard's route instead
    /// (docs/adapters.md, "Roles").
    /// </summary>
    public const string NoMunicipalDecision = "IWMO_NO_MUNICIPAL_DECISION";

    /// <summary>The delivery's sequence no longer fits a ToewijzingNummer (nine digits).</summary>
    public const string NumberOutOfRange = "IWMO_TOEWIJZINGNUMMER_OUT_OF_RANGE";
}

/// <summary>
/// What the hub knows of a toewijzing it gave (a referral delivered to a provider as a 301) or of a verzoek om
/// toewijzing it sent (a provider's referral delivered to a municipality-side party as a 315): what an inbound message
/// that refers to it must agree with.
/// </summary>
/// <param name="Referral">The referral, <c>referrals/{id}</c>.</param>
/// <param name="Requester">The referral's requester, <c>parties/{party}</c>.</param>
/// <param name="MunicipalityCode">The CBS code of the client's municipality when the message went out (the 301's Afzender, the 315's Ontvanger).</param>
/// <param name="Service">The referral's service; its product category depends on the standard (<see cref="Codes.ProductCategories"/>).</param>
/// <param name="Ingangsdatum">The first day of the toewijzing (the date of the hub's message).</param>
/// <param name="Einddatum">The last day of the toewijzing, when it has one.</param>
/// <param name="Status">The performer's state on the referral now.</param>
/// <param name="StartDate">The performer's start date, once started.</param>
/// <param name="EndDate">The performer's end date, once ended.</param>
/// <param name="IsClient">Whether a BSN is the referral's client's (the hub keeps BSNs only as a keyed hash).</param>
public sealed record IWmoToewijzing(
    string Referral,
    string Requester,
    string MunicipalityCode,
    ServiceKind Service,
    DateOnly Ingangsdatum,
    DateOnly? Einddatum,
    PerformerStatus Status,
    DateOnly? StartDate,
    DateOnly? EndDate,
    Func<string, bool> IsClient);

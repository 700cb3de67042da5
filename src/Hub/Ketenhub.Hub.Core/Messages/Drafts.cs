using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Journeys;

namespace Ketenhub.Hub.Messages;

/// <summary>A coach as a caller names them: party by resource name.</summary>
public sealed record CoachDraft(string? PartyName, string? CoachId, string? DisplayName, string? Phone, string? Email);

/// <summary>A referral as submitted.</summary>
public sealed record ReferralDraft(
    string? ClientName,
    ServiceKind Service,
    string? Reason,
    IReadOnlyList<LifeDomain> LifeDomains,
    ReferralUrgency Urgency,
    string? Strengths,
    IReadOnlyList<string> PerformerNames)
{
    /// <summary>The product code of the municipality's contracts (iWmo/iJw <c>ProductCode</c>), if the requester knows it.</summary>
    public string? ProductCode { get; init; }

    /// <summary>How much support is asked for.</summary>
    public SupportVolume? Volume { get; init; }

    /// <summary>Until when the support is asked for.</summary>
    public DateOnly? RequestedEndDate { get; init; }

    /// <summary>What the referral asks; unspecified is care.</summary>
    public ReferralKind Kind { get; init; }

    /// <summary>The requester's own reference (iWmo/iJw <c>ReferentieAanbieder</c>), if any.</summary>
    public string? RequesterReference { get; init; }
}

/// <summary>A transition as submitted.</summary>
public sealed record TransitionDraft(
    string? ClientName,
    TransitionKind Kind,
    string? FromPartyName,
    string? ToPartyName,
    DateOnly? EffectiveDate,
    string? HandoverSummary,
    CoachDraft? CoachAfter,
    IReadOnlyList<ReferralDraft> Referrals)
{
    /// <summary>For a relocation: the CBS code of the municipality the client moves to.</summary>
    public string? NewMunicipalityCode { get; init; }
}

/// <summary>A signal as submitted.</summary>
public sealed record SignalDraft(
    string? ClientName,
    SignalKind Kind,
    LifeDomain Domain,
    SignalSeverity Severity,
    string? Description);

/// <summary>The data categories a message carries, derived from its content so routing never trusts the sender for it.</summary>
public static class MessageCategories
{
    public static DataCategory ForDomain(LifeDomain domain) => domain switch
    {
        LifeDomain.Care => DataCategory.Health,
        LifeDomain.Housing => DataCategory.Housing,
        LifeDomain.Finances => DataCategory.Finances,
        LifeDomain.Safety => DataCategory.Safety,
        LifeDomain.Parenting => DataCategory.Family,
        LifeDomain.Work => DataCategory.Work,
        LifeDomain.Education => DataCategory.Education,
        _ => DataCategory.Unspecified,
    };

    public static IReadOnlyList<DataCategory> ForReferral(IEnumerable<LifeDomain> domains) =>
        [DataCategory.SupportPlan, DataCategory.ContactDetails, .. domains.Select(ForDomain).Where(c => c != DataCategory.Unspecified).Distinct()];

    public static IReadOnlyList<DataCategory> ForTransition() => [DataCategory.SupportPlan, DataCategory.ContactDetails];

    public static IReadOnlyList<DataCategory> ForSignal(LifeDomain domain) => [ForDomain(domain)];

    /// <summary>A referral update says only who did which step; it still names the client.</summary>
    public static IReadOnlyList<DataCategory> ForReferralUpdate() => [DataCategory.ContactDetails];
}

/// <summary>Coach validation shared by assignment and transitions.</summary>
internal static class CoachRules
{
    public static CoachInfo? Validate(Validator validator, CoachDraft? draft, string field, Parties.PartyDirectory parties)
    {
        if (draft is null)
        {
            return null;
        }

        Parties.Party? party = null;
        var partyId = Ids.Parse(draft.PartyName, "parties");
        if (partyId is null)
        {
            validator.Add(string.IsNullOrEmpty(draft.PartyName) ? ErrorReasons.FieldRequired : ErrorReasons.InvalidResourceName, field + ".party", $"{field}.party must name a party (parties/{{id}}).");
        }
        else if ((party = parties.Find(partyId)) is null)
        {
            validator.Add(ErrorReasons.UnknownParty, field + ".party", $"{field}.party names a party the hub does not know.");
        }
        else if (!RelationshipRules.MayEmployCoach(party.Kind))
        {
            validator.Add(ErrorReasons.CoachPartyNotProvider, field + ".party", $"{field}.party must be a care provider.");
        }

        TextRules.Check(validator, draft.CoachId, field + ".coach_id", TextRules.ShortTextMax, required: true);
        TextRules.Check(validator, draft.DisplayName, field + ".display_name", TextRules.ShortTextMax, required: true);
        TextRules.Check(validator, draft.Phone, field + ".phone", 40);
        TextRules.Check(validator, draft.Email, field + ".email", TextRules.ShortTextMax);
        return party is null ? null : new CoachInfo(party.Id, draft.CoachId ?? string.Empty, draft.DisplayName ?? string.Empty, draft.Phone ?? string.Empty, draft.Email ?? string.Empty);
    }
}

using Ketenhub.Hub.Common;
using Ketenhub.Hub.Journeys;

namespace Ketenhub.Hub.Messages;

/// <summary>Where one performer of a referral stands.</summary>
public sealed record PerformerState(
    string PartyId,
    PerformerStatus Status,
    string? ReasonCode,
    DateTimeOffset UpdateTime,
    DateOnly? StartDate = null,
    DateOnly? EndDate = null);

/// <summary>A referral (verwijzing). Reason and strengths are free text about the client.</summary>
public sealed record ReferralRecord(
    string Id,
    string ClientId,
    string Requester,
    ServiceKind Service,
    string Reason,
    IReadOnlyList<LifeDomain> LifeDomains,
    ReferralUrgency Urgency,
    string Strengths,
    IReadOnlyList<PerformerState> Performers,
    CoachInfo? Coach,
    DateTimeOffset CreateTime,
    string? TransitionId)
{
    public string Name => "referrals/" + Id;

    /// <summary>
    /// Whether the requester had a care relationship with the client when it requested the referral. Only then does a
    /// performer that starts care gain a provider role, and do its recipients gain a relationship (see
    /// <c>CareRelationships</c>): a referral is open to any party, so a stranger's referral must not open the client to
    /// the provider it names. Null for referrals stored before this was recorded, which count as requested with one.
    /// </summary>
    public bool? RequesterHadRelationship { get; init; }

    /// <summary>
    /// The client's other open referrals for the same service when this one was requested (one client, one plan: the
    /// hub flags it as <c>OPEN_REFERRAL_EXISTS</c>). A reader sees those it is requester or performer of.
    /// </summary>
    public IReadOnlyList<RelatedReferral> OpenReferralsAtRequest { get; init; } = [];

    /// <summary>The product code of the municipality's contracts (iWmo/iJw <c>ProductCode</c>); null when not given.</summary>
    public string? ProductCode { get; init; }

    /// <summary>How much support was asked for; null when not given.</summary>
    public SupportVolume? Volume { get; init; }

    /// <summary>Until when the support was asked for; null when open-ended.</summary>
    public DateOnly? RequestedEndDate { get; init; }

    /// <summary>What the referral asks: care, or a toewijzing for its requester. Referrals stored before this was recorded are care.</summary>
    public ReferralKind Kind { get; init; } = ReferralKind.Care;

    /// <summary>The requester's own reference (iWmo/iJw <c>ReferentieAanbieder</c>); null when it gave none.</summary>
    public string? RequesterReference { get; init; }

    /// <summary>On a toewijzing the hub issued for an accepted request for one: that request's id; null otherwise.</summary>
    public string? AllocationRequestId { get; init; }

    /// <summary>
    /// On a toewijzing the hub issued: the requesting provider's reference for its request (its <see cref="RequesterReference"/>,
    /// else the request's id), which an iWmo/iJw 301 returns as <c>ReferentieAanbieder</c>; null otherwise.
    /// </summary>
    public string? AllocationReference { get; init; }

    /// <summary>When the hub erased the referral's content (<see cref="Retention.MessageContent"/>); null while it holds it.</summary>
    public DateTimeOffset? ContentEraseTime { get; init; }
}

/// <summary>How much support a referral asks for: a quantity in a unit, per period (iWmo/iJw <c>Omvang</c>).</summary>
public sealed record SupportVolume(int Quantity, VolumeUnit Unit, VolumeFrequency Frequency)
{
    /// <summary>The largest quantity the standards carry (eight digits).</summary>
    public const int MaxQuantity = 99_999_999;
}

/// <summary>Another referral of the same client and service, as it stood when a referral was requested.</summary>
public sealed record RelatedReferral(string Id, string Requester, IReadOnlyList<string> Performers)
{
    public string Name => "referrals/" + Id;

    /// <summary>May <paramref name="partyId"/> know of it: its requester or one of its performers.</summary>
    public bool IsKnownTo(string? partyId) => partyId is not null && (Requester == partyId || Performers.Contains(partyId));
}

/// <summary>
/// Something the hub noticed about a message that does not stop it, for the sender to act on. <paramref name="Resource"/>
/// is what it concerns when the sender may know it (null otherwise); the explanation carries no personal data.
/// </summary>
public sealed record Finding(string Reason, string? Resource, string Explanation);

/// <summary>A transition (overgang). The handover summary is free text about the client.</summary>
public sealed record TransitionRecord(
    string Id,
    string ClientId,
    string Sender,
    TransitionKind Kind,
    string? FromParty,
    string? ToParty,
    DateOnly EffectiveDate,
    string HandoverSummary,
    CoachInfo? Coach,
    IReadOnlyList<string> ReferralIds,
    DateTimeOffset CreateTime)
{
    public string Name => "transitions/" + Id;

    /// <summary>For a relocation: the municipality the client moves to.</summary>
    public string? NewMunicipalityCode { get; init; }

    /// <summary>When the hub erased the transition's content (<see cref="Retention.MessageContent"/>); null while it holds it.</summary>
    public DateTimeOffset? ContentEraseTime { get; init; }
}

/// <summary>A signal (signaal). The description is free text about the client.</summary>
public sealed record SignalRecord(
    string Id,
    string ClientId,
    string Sender,
    SignalKind Kind,
    LifeDomain Domain,
    SignalSeverity Severity,
    string Description,
    DateTimeOffset CreateTime)
{
    public string Name => "signals/" + Id;

    /// <summary>When the hub erased the signal's content (<see cref="Retention.MessageContent"/>); null while it holds it.</summary>
    public DateTimeOffset? ContentEraseTime { get; init; }
}

/// <summary>A content-free notice: who to contact about which domain.</summary>
public sealed record ThinNoticePayload(MessageType MessageType, string ContactParty, LifeDomain Domain, SignalSeverity Severity);

/// <summary>A task for a coach's organisation.</summary>
public sealed record CoachTaskPayload(TaskKind Kind, CoachInfo? Coach, IReadOnlyList<string> Resources, CoachInfo? NewCoach)
{
    /// <summary>What the client asked to correct, for <see cref="TaskKind.CorrectionRequested"/>.</summary>
    public CorrectionTopic? Topic { get; init; }
}

/// <summary>A step in a referral's lifecycle.</summary>
public sealed record ReferralUpdatePayload(string ReferralId, string Performer, PerformerStatus Status, string? ReasonCode, ServiceKind Service)
{
    /// <summary>What the referral asks (older stored payloads: care).</summary>
    public ReferralKind Kind { get; init; } = ReferralKind.Care;

    /// <summary>The requester's own reference for the referral, if it gave one.</summary>
    public string? RequesterReference { get; init; }
}

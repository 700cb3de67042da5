using Ketenhub.Hub.Common;

namespace Ketenhub.Hub.Routing;

/// <summary>Who a routing target resolves to for a message.</summary>
public enum TargetKind
{
    /// <summary>A named party.</summary>
    Party,

    /// <summary>The party of the client's current coach.</summary>
    Coach,

    /// <summary>Every provider with a current role for the client.</summary>
    CurrentProviders,

    /// <summary>The social service of the client's municipality.</summary>
    SocialService,

    /// <summary>The client's current school of record.</summary>
    SchoolOfRecord,

    /// <summary>The performers a referral names.</summary>
    Performers,

    /// <summary>The party a transition moves the client to.</summary>
    TransitionTo,

    /// <summary>The party a transition moves the client from.</summary>
    TransitionFrom,

    /// <summary>The party that requested a referral (for referral updates).</summary>
    Requester,

    /// <summary>The wijkteam of the client's municipality.</summary>
    Wijkteam,

    /// <summary>For a relocation: the social service of the municipality the client leaves.</summary>
    PreviousSocialService,

    /// <summary>For a relocation: the wijkteam of the municipality the client leaves.</summary>
    PreviousWijkteam,
}

/// <summary>What a rule matches on. Empty lists match anything.</summary>
public sealed record RuleMatch(
    IReadOnlySet<MessageType> MessageTypes,
    IReadOnlySet<TransitionKind> TransitionKinds,
    IReadOnlySet<SignalKind> SignalKinds,
    IReadOnlySet<SignalSeverity> Severities,
    IReadOnlySet<LifeDomain> LifeDomains,
    IReadOnlySet<ServiceKind> Services,
    IReadOnlySet<string> Municipalities,
    int? MinAge,
    int? MaxAge);

/// <summary>One target of a rule and the terms of its delivery.</summary>
/// <param name="Kind">Who the target resolves to.</param>
/// <param name="PartyId">The party, for <see cref="TargetKind.Party"/>.</param>
/// <param name="Purpose">The purpose the delivery serves; consents must name it.</param>
/// <param name="LegalBasis">When set, content is allowed without consent on this legal basis (cited in the decision).</param>
/// <param name="ThinNotice">When content is not covered, a content-free notice may be sent instead.</param>
/// <param name="AwaitConsent">When content is not covered, it waits this long for a consent; null blocks it at once.</param>
public sealed record RuleTarget(
    TargetKind Kind,
    string? PartyId,
    Purpose Purpose,
    string? LegalBasis,
    bool ThinNotice,
    TimeSpan? AwaitConsent)
{
    /// <summary>The target gets a content-free notice only, whatever the consents say (routing file: <c>"noticeOnly": true</c>).</summary>
    public bool NoticeOnly { get; init; }
}

/// <summary>An escalation target: a party or the coach.</summary>
public sealed record EscalationTarget(TargetKind Kind, string? PartyId)
{
    public string Code => Kind == TargetKind.Coach ? "coach" : PartyId!;
}

/// <summary>A routing rule from the routing file.</summary>
public sealed record RoutingRule(
    string Id,
    string Description,
    RuleMatch Match,
    IReadOnlyList<RuleTarget> Targets,
    TimeSpan? AcknowledgeWithin,
    EscalationTarget? EscalateTo);

/// <summary>The validated rule set the hub routes by.</summary>
public sealed class RoutingRuleSet(IReadOnlyList<RoutingRule> rules)
{
    /// <summary>The id of the built-in rule that includes the client's coach for every transition and signal.</summary>
    public const string CoachContinuityRuleId = "coach-continuity";

    public IReadOnlyList<RoutingRule> Rules { get; } = rules;

    /// <summary>Whether the rules file marks itself as the demo configuration (<c>"demo": true</c>), which runs only in Development.</summary>
    public bool IsDemo { get; init; }
}

namespace Ketenhub.Hub.Audit;

/// <summary>The NEN 7513 action of an audit event.</summary>
public enum AuditAction
{
    /// <summary>C: client data was created (a registration, a message, a consent).</summary>
    Create,

    /// <summary>R: client data was read or handed to a party.</summary>
    Read,

    /// <summary>U: client data was changed (a step, an acknowledgement, a withdrawal).</summary>
    Update,

    /// <summary>D: client data was deleted.</summary>
    Delete,

    /// <summary>E: something was carried out on client data that is none of the above (an export, a verification).</summary>
    Execute,
}

/// <summary>How a call ended, as the audit trail records it.</summary>
public enum AuditOutcome
{
    /// <summary>The call did what it was asked.</summary>
    Success,

    /// <summary>The hub refused the call: the caller may not do this (the refusal is logged, the data was not touched).</summary>
    Refused,
}

/// <summary>What kind of check allowed (or refused) an access.</summary>
public enum AuditCheckKind
{
    /// <summary>The caller's identity and what it may do as itself (for example: a party submits as itself, a recipient reads its own deliveries, an admin role).</summary>
    Authorisation,

    /// <summary>A care relationship: a current role of the caller for the client (school, provider, social service, coach).</summary>
    Relationship,

    /// <summary>A consent of the client (or a representative), by consent id.</summary>
    Consent,

    /// <summary>A legal-basis rule from the routing configuration, by rule id.</summary>
    LegalBasis,

    /// <summary>A routing rule that allowed a content-free notice or a task of the hub, by rule id.</summary>
    Rule,

    /// <summary>Emergency access. The hub has no emergency access today; the kind exists so the trail can record it.</summary>
    Emergency,
}

/// <summary>One check behind an access. <see cref="Reference"/> is an id or a code, never personal data.</summary>
public sealed record AuditCheck(AuditCheckKind Kind, string Reference);

/// <summary>
/// One audit event (NEN 7513): who did what with whose data, why, on which checks, with what outcome.
/// The client appears only as a keyed pseudonym (<see cref="AuditPseudonyms"/>); no field holds a BSN, a
/// name or free text.
/// </summary>
public sealed record AuditEvent
{
    /// <summary>The event's id, <c>aud_…</c>.</summary>
    public required string Id { get; init; }

    /// <summary>When it happened (UTC).</summary>
    public required DateTimeOffset Time { get; init; }

    /// <summary>The operation, for example <c>CreateTransition</c>, <c>ListJourneyEvents</c>, <c>DeliverContent</c>.</summary>
    public required string EventType { get; init; }

    public required AuditAction Action { get; init; }

    /// <summary>The calling party's id (<c>ketenhub</c> for the hub's own scheduled work).</summary>
    public required string ActorParty { get; init; }

    /// <summary>The person acting through the party, when the identity names one.</summary>
    public string? ActorUser { get; init; }

    /// <summary>The roles the identity granted.</summary>
    public IReadOnlyList<string> ActorRoles { get; init; } = [];

    /// <summary>The client's audit pseudonym, or null when the call concerned no single known client.</summary>
    public string? Client { get; init; }

    /// <summary>The purpose of the access, a contract code such as <c>COACHING</c>; several joined by commas.</summary>
    public string? Purpose { get; init; }

    /// <summary>The checks that allowed the access (or, for a refusal, the check that failed).</summary>
    public IReadOnlyList<AuditCheck> Checks { get; init; } = [];

    public required AuditOutcome Outcome { get; init; }

    /// <summary>For a refusal: the error reason from the catalogue (docs/errors.md).</summary>
    public string? Reason { get; init; }

    /// <summary>The resources the access concerned (<c>transitions/…</c>, <c>deliveries/…</c>), hub names without personal data.</summary>
    public IReadOnlyList<string> Resources { get; init; } = [];

    /// <summary>The caller's request id (mutating calls), if any.</summary>
    public string? RequestId { get; init; }

    /// <summary>The W3C trace id of the call (<see cref="System.Diagnostics.Activity"/>), if any.</summary>
    public string? TraceId { get; init; }

    /// <summary>Where the call came from: the remote address and port, if the transport knows it.</summary>
    public string? Source { get; init; }

    /// <summary>The single-letter NEN 7513 code of <see cref="Action"/>.</summary>
    public string ActionCode => AuditCodes.Of(Action);
}

/// <summary>An audit event at its place in the chain.</summary>
/// <param name="Sequence">The position in the chain, 1 for the first event, without gaps.</param>
/// <param name="Event">The event.</param>
/// <param name="PreviousHash">The hash of the event before it (<see cref="AuditChain.Genesis"/> for the first).</param>
/// <param name="Hash">The hash over <paramref name="PreviousHash"/> and the event's canonical form.</param>
public sealed record ChainedAuditEvent(long Sequence, AuditEvent Event, string PreviousHash, string Hash);

/// <summary>The codes the canonical form and the contract use for the audit enumerations.</summary>
public static class AuditCodes
{
    public static string Of(AuditAction action) => action switch
    {
        AuditAction.Create => "C",
        AuditAction.Read => "R",
        AuditAction.Update => "U",
        AuditAction.Delete => "D",
        _ => "E",
    };

    public static AuditAction ActionOf(string code) => code switch
    {
        "C" => AuditAction.Create,
        "R" => AuditAction.Read,
        "U" => AuditAction.Update,
        "D" => AuditAction.Delete,
        "E" => AuditAction.Execute,
        _ => throw new FormatException("Unknown audit action code."),
    };

    public static string Of(AuditOutcome outcome) => outcome == AuditOutcome.Success ? "SUCCESS" : "REFUSED";

    public static AuditOutcome OutcomeOf(string code) => code switch
    {
        "SUCCESS" => AuditOutcome.Success,
        "REFUSED" => AuditOutcome.Refused,
        _ => throw new FormatException("Unknown audit outcome code."),
    };

    public static string Of(AuditCheckKind kind) => kind switch
    {
        AuditCheckKind.Authorisation => "AUTHORISATION",
        AuditCheckKind.Relationship => "RELATIONSHIP",
        AuditCheckKind.Consent => "CONSENT",
        AuditCheckKind.LegalBasis => "LEGAL_BASIS",
        AuditCheckKind.Rule => "RULE",
        _ => "EMERGENCY",
    };

    public static AuditCheckKind CheckKindOf(string code) => code switch
    {
        "AUTHORISATION" => AuditCheckKind.Authorisation,
        "RELATIONSHIP" => AuditCheckKind.Relationship,
        "CONSENT" => AuditCheckKind.Consent,
        "LEGAL_BASIS" => AuditCheckKind.LegalBasis,
        "RULE" => AuditCheckKind.Rule,
        "EMERGENCY" => AuditCheckKind.Emergency,
        _ => throw new FormatException("Unknown audit check code."),
    };
}

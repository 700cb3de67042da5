namespace Ketenhub.Hub.Audit;

/// <summary>
/// One processing of one client's personal data, as the Logboek Dataverwerkingen (Logius) records it: the operation, its
/// data subject, who asked, how it ended, when it started and ended, where it stood in the call's trace and, when the
/// call came from another organisation's system with a W3C <c>traceparent</c>, that system's operation. Made from an
/// audit event after it was committed, so a record stands for a processing that happened. Carries the hub's client id;
/// the log that writes it encrypts it.
/// </summary>
/// <param name="Operation">The audit event type (for example <c>CreateReferral</c>, <c>DeliverContent</c>).</param>
/// <param name="ClientId">The data subject: the hub's client id.</param>
/// <param name="ActorParty">The party on whose behalf it ran (<c>ketenhub</c> for the hub's own work).</param>
/// <param name="Outcome">Success, or refused.</param>
/// <param name="Start">When the call began (its audit note was made).</param>
/// <param name="End">When its audit event was written.</param>
/// <param name="TraceParent">The W3C <c>traceparent</c> of the call's span; null outside a trace.</param>
/// <param name="ForeignSpanId">The span id of the calling system's operation, when the call continued a trace it began.</param>
/// <param name="AuditEventId">The audit event the record was made from, linking the two.</param>
/// <param name="Purposes">The purposes the audit event names (for example <c>CARE_DELIVERY</c>), which place it in the register.</param>
public sealed record ProcessingRecord(
    string Operation,
    string ClientId,
    string ActorParty,
    AuditOutcome Outcome,
    DateTimeOffset Start,
    DateTimeOffset End,
    string? TraceParent,
    string? ForeignSpanId,
    string AuditEventId,
    IReadOnlyList<string> Purposes)
{
    /// <summary>The audit event's action, its NEN 7513 code (C, R, U, D, E).</summary>
    public string ActionCode { get; init; } = string.Empty;

    /// <summary>The person who acted for the party, as the party identifies them (no name); null for a system.</summary>
    public string? ActorUser { get; init; }

    /// <summary>The roles the actor acted in.</summary>
    public IReadOnlyList<string> ActorRoles { get; init; } = [];

    /// <summary>The checks that allowed the processing (authorisation, relationship, consent, legal basis, rule).</summary>
    public IReadOnlyList<AuditCheck> Checks { get; init; } = [];
}

/// <summary>Where the hub writes its Logboek Dataverwerkingen records (the host exports them over OpenTelemetry).</summary>
public interface IProcessingLog
{
    /// <summary>Writes one record. Must not throw: the processing it records has already happened.</summary>
    void Record(ProcessingRecord record);
}

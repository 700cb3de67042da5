using Ketenhub.Hub.Common;

namespace Ketenhub.Hub.Delivery;

/// <summary>The hub's decision for one recipient of one message, and why. Stored with the delivery.</summary>
public sealed record Decision(
    string Recipient,
    RecipientOutcome Outcome,
    IReadOnlyList<string> RuleIds,
    Purpose Purpose,
    IReadOnlyList<DataCategory> Categories,
    string? ConsentId,
    string? LegalBasisRuleId,
    string Reason,
    string Explanation,
    DateTimeOffset? AckDeadline = null,
    string? EscalationTarget = null,
    DateTimeOffset? AwaitUntil = null,
    string? DeliveryId = null);

/// <summary>
/// One message to one recipient. <see cref="Sequence"/> is assigned by the store at insert and increases
/// with every delivery. Payload is either a message (<see cref="MessageId"/>) or an inline JSON payload
/// (thin notice, task, referral update).
/// </summary>
public sealed record DeliveryRecord
{
    public required string Id { get; init; }
    public long Sequence { get; init; }
    public required string Recipient { get; init; }
    public required string ClientId { get; init; }
    public required string Sender { get; init; }
    public required PayloadKind PayloadKind { get; init; }
    public string? MessageId { get; init; }
    public string? PayloadJson { get; init; }
    public required DeliveryStatus Status { get; init; }
    public required Decision Decision { get; init; }
    public int AttemptCount { get; init; }
    public required DateTimeOffset CreateTime { get; init; }
    public required DateTimeOffset UpdateTime { get; init; }

    /// <summary>Why the status is what it is (a decision reason or a rejection code).</summary>
    public string? StatusReason { get; init; }

    /// <summary>When a person must have acknowledged the signal (not the delivery) before it escalates.</summary>
    public DateTimeOffset? AckDeadline { get; init; }

    /// <summary>The escalation target: a party id, or <c>coach</c>.</summary>
    public string? EscalationTarget { get; init; }

    public bool Escalated { get; init; }

    /// <summary>The delivery this one escalates, if it is an escalation.</summary>
    public string? EscalationOf { get; init; }

    /// <summary>Until when an AWAITING_CONSENT delivery waits before it expires.</summary>
    public DateTimeOffset? AwaitUntil { get; init; }

    /// <summary>When the recipient acknowledged the delivery (technical receipt).</summary>
    public DateTimeOffset? AckTime { get; init; }

    /// <summary>When a person at the recipient acknowledged the signal it carries.</summary>
    public DateTimeOffset? SignalAckTime { get; init; }

    /// <summary>
    /// The delivery stream (<see cref="DeliveryStreams"/>) this delivery was claimed for in the write that created it:
    /// its first attempt and its audit event were committed with the message, so that stream sends it without a
    /// write of its own. Any other stream claims it as usual.
    /// </summary>
    public string? ClaimedFor { get; init; }

    /// <summary>
    /// The shared delivery stream that holds the delivery (its token, <see cref="DeliveryStreams"/>), written with the claim
    /// that sent it there, and <see cref="LeaseUntil"/> when that hold ends (the stream's ack deadline and a margin). Hub
    /// instances that share the database do not see each other's streams: a stream of another instance passes over a
    /// delivery leased elsewhere until the lease ends. Null when no shared stream holds it.
    /// </summary>
    public string? LeaseHolder { get; init; }

    /// <summary>When the hold of <see cref="LeaseHolder"/> ends.</summary>
    public DateTimeOffset? LeaseUntil { get; init; }

    /// <summary>
    /// The W3C <c>traceparent</c> of the call that created the delivery, if it was traced: a push of the delivery continues
    /// that trace, so a partner's call and the push it caused share a trace id. Carries no data about the client.
    /// </summary>
    public string? TraceParent { get; init; }

    /// <summary>
    /// When the hub erased the delivery's inline payload (<see cref="PayloadJson"/>, see <see cref="Retention.MessageContent"/>);
    /// null while it holds it.
    /// </summary>
    public DateTimeOffset? ContentEraseTime { get; init; }

    public string Name => "deliveries/" + Id;

    public bool IsOpen => Status is DeliveryStatus.Pending or DeliveryStatus.AwaitingConsent or DeliveryStatus.SetAside;
}

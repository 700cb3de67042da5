using System.Text.Json;
using Ketenhub.Hub.Audit;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Messages;
using Ketenhub.Hub.Parties;
using Ketenhub.Hub.Storage;
using Microsoft.Extensions.Options;

namespace Ketenhub.Hub.Delivery;

/// <summary>What a write did for delivery: the decisions (with delivery ids) and whom to wake up after commit.</summary>
public sealed record Dispatched(IReadOnlyList<Decision> Decisions, IReadOnlyList<string> Wake);

/// <summary>The message a set of deliveries carries.</summary>
public sealed record MessageRef(PayloadKind Kind, string Id, string ClientId, string Sender, ThinNoticePayload? ThinNotice);

/// <summary>
/// Turns routing decisions into delivery records inside the submit's transaction, so an OK reply means the
/// message and all its deliveries are committed together (docs/architecture.md, rule 8).
/// </summary>
/// <remarks>
/// A pending delivery for a party with one delivery stream open is claimed for that stream in the same
/// transaction: its first attempt is counted and its <c>DeliverContent</c> audit event follows the submit's own
/// event (<see cref="AuditNote.Then"/>), so the stream can send it as soon as the submit is durable, without a
/// write of its own ("log before you act" holds: the event is committed with the delivery).
/// </remarks>
public sealed class Dispatcher(TimeProvider time, DeliveryStreams streams, PartyDirectory parties, AuditTrail audit, IOptions<HubOptions> options)
{
    /// <param name="session">The submit's write.</param>
    /// <param name="message">What the deliveries carry.</param>
    /// <param name="decisions">One per recipient.</param>
    /// <param name="now">The submit's time.</param>
    /// <param name="submit">The submit's audit note; deliveries claimed for a stream add their events to it. Null: none are claimed here.</param>
    public Dispatched Dispatch(IHubSession session, MessageRef message, IReadOnlyList<Decision> decisions, DateTimeOffset now, AuditNote? submit = null)
    {
        var result = new List<Decision>(decisions.Count);
        var wake = new List<string>();
        foreach (var decision in decisions)
        {
            HubMetrics.Decision(decision.Outcome);
            if (decision.Recipient.Length == 0)
            {
                // A decision without a recipient (NO_SOCIAL_SERVICE, say) tells the sender; there is nobody to deliver to.
                result.Add(decision);
                continue;
            }

            var (kind, payload) = decision.Outcome == RecipientOutcome.ThinNotice && message.ThinNotice is not null
                ? (PayloadKind.ThinNotice, JsonSerializer.Serialize(message.ThinNotice, Idempotency.Json))
                : (message.Kind, (string?)null);
            var status = decision.Outcome switch
            {
                RecipientOutcome.Content or RecipientOutcome.ThinNotice => DeliveryStatus.Pending,
                RecipientOutcome.AwaitingConsent => DeliveryStatus.AwaitingConsent,
                _ => DeliveryStatus.Withheld,
            };
            // Not with a single attempt allowed: a stream that went away before sending would leave the delivery
            // with its one attempt used up, set aside unsent.
            var sole = status == DeliveryStatus.Pending && submit is not null && options.Value.MaxDeliveryAttempts > 1 ? streams.SoleLease(decision.Recipient) : null;
            var claimedFor = sole?.Token;
            var recipient = claimedFor is null ? null : parties.Find(decision.Recipient);
            var record = session.InsertDelivery(new DeliveryRecord
            {
                Id = Ids.New("dlv", time),
                Recipient = decision.Recipient,
                ClientId = message.ClientId,
                Sender = message.Sender,
                PayloadKind = kind,
                MessageId = message.Id,
                PayloadJson = payload,
                Status = status,
                Decision = decision,
                CreateTime = now,
                UpdateTime = now,
                StatusReason = decision.Reason,
                AckDeadline = decision.AckDeadline,
                EscalationTarget = decision.EscalationTarget,
                AwaitUntil = decision.AwaitUntil,
                AttemptCount = recipient is null ? 0 : 1,
                ClaimedFor = recipient is null ? null : claimedFor,
                LeaseHolder = recipient is null || sole is not { WritesLeases: true } ? null : sole.Token,
                LeaseUntil = recipient is null || sole is not { WritesLeases: true } ? null : now + sole.LeaseTime,
                TraceParent = submit?.TraceParent,
            });
            if (recipient is not null)
            {
                submit!.Then(audit.DeliveryNote(recipient).About(record.ClientId).Check(AuditCheckKind.Authorisation, AuditChecks.Recipient).Resource(record.Name).Decided(record.Decision));
            }

            result.Add(Annotate(decision, record));
            if (status == DeliveryStatus.Pending)
            {
                wake.Add(decision.Recipient);
            }
        }

        return new Dispatched(result, wake);
    }

    /// <summary>Creates one delivery that no routing rule decided: a hub task, a referral update to a fixed party, an escalation.</summary>
    public DeliveryRecord Direct(IHubSession session, string recipient, string clientId, string sender, PayloadKind kind, string? messageId, object? payload, Decision decision, DateTimeOffset now, string? escalationOf = null)
    {
        var status = decision.Outcome switch
        {
            RecipientOutcome.Content or RecipientOutcome.ThinNotice => DeliveryStatus.Pending,
            RecipientOutcome.AwaitingConsent => DeliveryStatus.AwaitingConsent,
            _ => DeliveryStatus.Withheld,
        };
        return session.InsertDelivery(new DeliveryRecord
        {
            Id = Ids.New("dlv", time),
            Recipient = recipient,
            ClientId = clientId,
            Sender = sender,
            PayloadKind = kind,
            MessageId = messageId,
            PayloadJson = payload is null ? null : JsonSerializer.Serialize(payload, payload.GetType(), Idempotency.Json),
            Status = status,
            Decision = decision,
            CreateTime = now,
            UpdateTime = now,
            StatusReason = decision.Reason,
            AwaitUntil = decision.AwaitUntil,
            EscalationOf = escalationOf,
        });
    }

    // The decision as returned to the sender carries the delivery's name.
    private static Decision Annotate(Decision decision, DeliveryRecord record) => decision with { DeliveryId = record.Id };
}

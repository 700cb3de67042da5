using Ketenhub.Hub.Common;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Messages;

namespace Ketenhub.Hub.Retention;

/// <summary>
/// What the content of a message is, and when a delivery has ended (docs/privacy.md, "What content is"). The hub is a
/// conduit, not the file of record: once every delivery of a message has ended, its content is kept for
/// <see cref="RetentionOptions.MessageContent"/> and then erased. What the hub still needs to route, list and show
/// state stays: ids, types, parties, states, codes, dates and times, the coach's work contact.
/// <list type="bullet">
/// <item>A referral's content is its reason and strengths (free text about the client).</item>
/// <item>A transition's content is its handover summary.</item>
/// <item>A signal's content is its description.</item>
/// <item>A delivery's content is its inline payload (a content-free notice's domain and severity, a task, a referral
/// update); a delivery of a message carries no copy of the message's content.</item>
/// </list>
/// </summary>
public static class MessageContent
{
    /// <summary>Whether a delivery in <paramref name="status"/> has ended: it is no longer on its way (acknowledged, withheld, set aside, expired).</summary>
    public static bool HasEnded(DeliveryStatus status) =>
        status is not (DeliveryStatus.Pending or DeliveryStatus.AwaitingConsent or DeliveryStatus.AwaitingRetour or DeliveryStatus.Unspecified);

    /// <summary>When the delivery ended (its last update in an ended status), or null while it is open. Stores index it.</summary>
    public static DateTimeOffset? EndOf(DeliveryRecord delivery)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        return HasEnded(delivery.Status) ? delivery.UpdateTime : null;
    }

    /// <summary>Whether the delivery still holds an inline payload. Stores index it.</summary>
    public static bool HoldsPayload(DeliveryRecord delivery)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        return delivery.PayloadJson is not null;
    }

    public static ReferralRecord Erase(ReferralRecord referral, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(referral);
        return referral with { Reason = string.Empty, Strengths = string.Empty, ContentEraseTime = referral.ContentEraseTime ?? now };
    }

    public static TransitionRecord Erase(TransitionRecord transition, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(transition);
        return transition with { HandoverSummary = string.Empty, ContentEraseTime = transition.ContentEraseTime ?? now };
    }

    public static SignalRecord Erase(SignalRecord signal, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(signal);
        return signal with { Description = string.Empty, ContentEraseTime = signal.ContentEraseTime ?? now };
    }

    public static DeliveryRecord Erase(DeliveryRecord delivery, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        return delivery with { PayloadJson = null, ContentEraseTime = delivery.ContentEraseTime ?? now };
    }

    /// <summary>
    /// Erases the content of the message <paramref name="key"/> in the session; returns the client it concerned, or null
    /// when it is not stored or held no content any more.
    /// </summary>
    public static string? EraseMessage(Storage.IHubSession session, Storage.MessageKey key, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(key);
        switch (key.Type)
        {
            case MessageType.Referral when session.FindReferral(key.Id) is { ContentEraseTime: null } referral:
                session.UpdateReferral(Erase(referral, now));
                return referral.ClientId;
            case MessageType.Transition when session.FindTransition(key.Id) is { ContentEraseTime: null } transition:
                session.UpdateTransition(Erase(transition, now));
                return transition.ClientId;
            case MessageType.Signal when session.FindSignal(key.Id) is { ContentEraseTime: null } signal:
                session.UpdateSignal(Erase(signal, now));
                return signal.ClientId;
            default:
                return null;
        }
    }
}

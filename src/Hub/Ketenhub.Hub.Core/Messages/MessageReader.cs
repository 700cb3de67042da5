using Ketenhub.Hub.Common;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Parties;
using Ketenhub.Hub.Storage;

namespace Ketenhub.Hub.Messages;

/// <summary>
/// Reads a referral, transition or signal for a caller that may see its content: its sender, a performer,
/// or a recipient that received the content (not a thin notice, not a withheld delivery).
/// </summary>
public sealed class MessageReader(IHubStore store)
{
    public Task<ReferralRecord> GetReferralAsync(Party caller, string? name, CancellationToken cancellationToken)
    {
        var id = Ids.Require(name, "referrals", "name");
        return store.ReadAsync(
            session =>
            {
                var referral = session.FindReferral(id) ?? throw HubException.NotFound(ErrorReasons.ReferralNotFound, "The referral");
                if (referral.Requester != caller.Id && referral.Performers.All(p => p.PartyId != caller.Id) && !ReceivedContent(session, caller, id))
                {
                    throw HubException.NotFound(ErrorReasons.ReferralNotFound, "The referral");
                }

                return referral;
            },
            cancellationToken);
    }

    public Task<TransitionRecord> GetTransitionAsync(Party caller, string? name, CancellationToken cancellationToken)
    {
        var id = Ids.Require(name, "transitions", "name");
        return store.ReadAsync(
            session =>
            {
                var transition = session.FindTransition(id) ?? throw HubException.NotFound(ErrorReasons.TransitionNotFound, "The transition");
                if (transition.Sender != caller.Id && !ReceivedContent(session, caller, id))
                {
                    throw HubException.NotFound(ErrorReasons.TransitionNotFound, "The transition");
                }

                return transition;
            },
            cancellationToken);
    }

    public Task<SignalRecord> GetSignalAsync(Party caller, string? name, CancellationToken cancellationToken)
    {
        var id = Ids.Require(name, "signals", "name");
        return store.ReadAsync(
            session =>
            {
                var signal = session.FindSignal(id) ?? throw HubException.NotFound(ErrorReasons.SignalNotFound, "The signal");
                if (signal.Sender != caller.Id && !ReceivedContent(session, caller, id))
                {
                    throw HubException.NotFound(ErrorReasons.SignalNotFound, "The signal");
                }

                return signal;
            },
            cancellationToken);
    }

    // Someone who may not see the message is told it does not exist, so names cannot be probed.
    private static bool ReceivedContent(IHubSession session, Party caller, string messageId) =>
        session.GetDeliveriesForMessage(messageId).Any(d =>
            d.Recipient == caller.Id
            && d.PayloadKind is PayloadKind.Referral or PayloadKind.Transition or PayloadKind.Signal
            && d.Status is DeliveryStatus.Pending or DeliveryStatus.Acknowledged or DeliveryStatus.SetAside);
}

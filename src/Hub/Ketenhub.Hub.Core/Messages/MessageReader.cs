using Ketenhub.Hub.Audit;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Parties;
using Ketenhub.Hub.Storage;

namespace Ketenhub.Hub.Messages;

/// <summary>
/// Reads a referral, transition or signal for a caller that may see its content: its sender, a performer,
/// or a recipient that received the content (not a thin notice, not a withheld delivery).
/// </summary>
public sealed class MessageReader(AuditTrail audit)
{
    public Task<ReferralRecord> GetReferralAsync(Party caller, string? name, CancellationToken cancellationToken) =>
        ReadAsync(caller, name, "referrals", ErrorReasons.ReferralNotFound, "The referral", (s, id) => s.FindReferral(id), r => r.ClientId,
            r => MessageParties.IsPartyTo(r, caller.Id), cancellationToken);

    public Task<TransitionRecord> GetTransitionAsync(Party caller, string? name, CancellationToken cancellationToken) =>
        ReadAsync(caller, name, "transitions", ErrorReasons.TransitionNotFound, "The transition", (s, id) => s.FindTransition(id), t => t.ClientId,
            t => MessageParties.IsPartyTo(t, caller.Id), cancellationToken);

    public Task<SignalRecord> GetSignalAsync(Party caller, string? name, CancellationToken cancellationToken) =>
        ReadAsync(caller, name, "signals", ErrorReasons.SignalNotFound, "The signal", (s, id) => s.FindSignal(id), s => s.ClientId,
            s => MessageParties.IsPartyTo(s, caller.Id), cancellationToken);

    // Someone who has no part in the message is told it does not exist, so names cannot be probed (docs/errors.md,
    // "Not found or not allowed"). A refused read is audited as a refusal although the caller hears "not found".
    private Task<T> ReadAsync<T>(Party caller, string? name, string collection, string notFound, string what, Func<IHubSession, string, T?> find, Func<T, string> clientOf, Func<T, bool> isParty, CancellationToken cancellationToken)
        where T : class
    {
        var id = Ids.Require(name, collection, "name");
        var note = audit.Note(caller, "Get" + char.ToUpperInvariant(what[4]) + what[5..], AuditAction.Read).Check(AuditCheckKind.Authorisation, AuditChecks.MessageParty).Resource(collection + "/" + id);
        return audit.ReadAsync(
            note,
            session =>
            {
                var message = find(session, id) ?? throw HubException.NotFound(notFound, what);
                note.About(clientOf(message));
                if (!(isParty(message) || ReceivedContent(session, caller, id)))
                {
                    note.Refuse();
                    throw HubException.NotFound(notFound, what);
                }

                return message;
            },
            cancellationToken);
    }

    /// <summary>Whether the caller was sent the message's content (not a thin notice, not a withheld delivery).</summary>
    internal static bool ReceivedContent(IHubSession session, Party caller, string messageId) =>
        session.GetDeliveriesForMessage(messageId).Any(d =>
            d.Recipient == caller.Id
            && d.PayloadKind is PayloadKind.Referral or PayloadKind.Transition or PayloadKind.Signal
            && d.Status is DeliveryStatus.Pending or DeliveryStatus.Acknowledged or DeliveryStatus.SetAside or DeliveryStatus.AwaitingRetour);
}

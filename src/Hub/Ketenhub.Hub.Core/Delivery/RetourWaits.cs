using Ketenhub.Hub.Audit;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Journeys;
using Ketenhub.Hub.Messages;
using Ketenhub.Hub.Parties;
using Ketenhub.Hub.Routing;
using Ketenhub.Hub.Storage;

namespace Ketenhub.Hub.Delivery;

/// <summary>
/// Deliveries that wait for a partner's retour (<see cref="DeliveryStatus.AwaitingRetour"/>): one whose wait ran out
/// (<see cref="DeliveryRecord.AwaitUntil"/>) is set aside with <see cref="Overdue"/>, the journey records it, and the
/// sender (the referral's requester) gets a <see cref="TaskKind.RetourOverdue"/> task naming the referral and the
/// delivery. The recipient or an administrator can replay it as any set-aside delivery.
/// </summary>
public sealed class RetourWaits(IHubStore store, Dispatcher dispatcher, AuditTrail audit, DeliveryNotifier notifier, TimeProvider time)
{
    /// <summary>The set-aside reason of a delivery whose retour did not come in time.</summary>
    public const string Overdue = "RETOUR_OVERDUE";

    private const int BatchSize = 100;

    /// <summary>Sets aside <paramref name="recipient"/>'s deliveries whose retour is overdue; returns how many.</summary>
    public async Task<int> SetAsideOverdueAsync(Party recipient, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        var now = time.GetUtcNow();
        var waiting = await store.ReadAsync(
            session => session.ListDeliveries(new DeliveryQuery(Recipient: recipient.Id, Status: DeliveryStatus.AwaitingRetour, Limit: BatchSize)),
            cancellationToken).ConfigureAwait(false);
        var due = waiting.Where(d => d.AwaitUntil is { } until && until <= now).ToList();
        if (due.Count == 0)
        {
            return 0;
        }

        var wake = new List<string>();
        var count = 0;
        foreach (var delivery in due)
        {
            var note = audit.HubNote("SetAsideDelivery", AuditAction.Update).About(delivery.ClientId).Resource(delivery.Name);
            var woken = await store.WriteAsync(
                session =>
                {
                    var stored = session.FindDelivery(delivery.Id);
                    if (stored is not { Status: DeliveryStatus.AwaitingRetour, AwaitUntil: { } until } || until > now)
                    {
                        return null;
                    }

                    session.UpdateDelivery(stored with { Status = DeliveryStatus.SetAside, StatusReason = Overdue, UpdateTime = now });
                    string? told = null;
                    if (stored.PayloadKind == PayloadKind.Referral && stored.MessageId is { } id && session.FindReferral(id) is { } referral)
                    {
                        session.AppendJourneyEvent(new JourneyEvent(0, stored.ClientId, now, JourneyEventType.RetourOverdue, stored.Recipient, referral.Name, Explain.Code(referral.Service)));
                        var task = new CoachTaskPayload(TaskKind.RetourOverdue, null, [referral.Name, stored.Name], null);
                        var decision = CoachChanges.HubTask(stored.Sender, $"The partner did not answer {stored.Name} with its retour in time: the delivery is set aside; ask the partner.");
                        var record = dispatcher.Direct(session, stored.Sender, stored.ClientId, AuditTrail.HubParty, PayloadKind.Task, null, task, decision, now);
                        told = record.Status == DeliveryStatus.Pending ? record.Recipient : null;
                    }

                    audit.Append(session, note, AuditOutcome.Success, null);
                    return told ?? string.Empty;
                },
                cancellationToken).ConfigureAwait(false);
            audit.Processed(note);
            if (woken is null)
            {
                continue;
            }

            count++;
            HubMetrics.SetAsideDelivery(recipient.Channel);
            if (woken.Length > 0)
            {
                wake.Add(woken);
            }
        }

        notifier.Notify(wake);
        return count;
    }
}

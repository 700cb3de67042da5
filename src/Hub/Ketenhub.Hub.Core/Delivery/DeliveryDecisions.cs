using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Storage;
using Ketenhub.Hub.Parties;
using Ketenhub.Hub.Routing;

namespace Ketenhub.Hub.Delivery;

/// <summary>Re-decides an open content delivery when consents or the clock changed.</summary>
public static class DeliveryDecisions
{
    /// <summary>True for open deliveries whose content depends on consent: messages, not thin notices, tasks or legal-basis content.</summary>
    public static bool DependsOnConsent(DeliveryRecord delivery) =>
        ContentDependsOnConsent(delivery) && delivery.Status is DeliveryStatus.Pending or DeliveryStatus.AwaitingConsent;

    /// <summary>True for deliveries whose content depends on consent, whatever their status: messages, not thin notices, tasks or legal-basis content.</summary>
    public static bool ContentDependsOnConsent(DeliveryRecord delivery) =>
        delivery.PayloadKind is PayloadKind.Referral or PayloadKind.Transition or PayloadKind.Signal or PayloadKind.ReferralUpdate
        && delivery.Decision.Reason != DecisionReasons.HubTask
        && delivery.Decision.LegalBasisRuleId is null
        && delivery.Decision.Outcome != RecipientOutcome.ThinNotice;

    /// <summary>The delivery with its new status and decision, or null when nothing changes.</summary>
    public static DeliveryRecord? Reconsider(Router router, PartyDirectory parties, DeliveryRecord delivery, ClientContext context, DateTimeOffset now)
    {
        if (!DependsOnConsent(delivery) || parties.Find(delivery.Recipient) is not { } recipient)
        {
            return null;
        }

        var decision = router.Reconsider(delivery.Decision, recipient, context, now);
        var status = decision.Outcome switch
        {
            RecipientOutcome.Content => DeliveryStatus.Pending,
            RecipientOutcome.AwaitingConsent => DeliveryStatus.AwaitingConsent,
            _ => DeliveryStatus.Withheld,
        };

        // A withdrawal keeps, for the audit trail, the consent that had allowed the delivery.
        if (status == DeliveryStatus.Withheld)
        {
            decision = decision with { ConsentId = delivery.Decision.ConsentId };
        }

        if (status == delivery.Status && decision.ConsentId == delivery.Decision.ConsentId && decision.Reason == delivery.Decision.Reason)
        {
            return null;
        }

        return delivery with
        {
            Status = status,
            Decision = decision,
            StatusReason = decision.Reason,
            AwaitUntil = status == DeliveryStatus.AwaitingConsent ? decision.AwaitUntil : null,
            UpdateTime = now,
        };
    }

    /// <summary>
    /// Decides every open delivery about the client again under the consents as they are now. Runs in the
    /// same transaction as the consent change, so a withdrawal takes effect before anything else is sent.
    /// </summary>
    public static (int Released, int Withheld, IReadOnlyList<string> Wake) ReconsiderClient(IHubSession session, Router router, PartyDirectory parties, ClientRecord client, DateTimeOffset now)
    {
        var context = ClientContexts.Load(session, client, now);
        var released = 0;
        var withheld = 0;
        var wake = new List<string>();
        foreach (var delivery in session.GetOpenDeliveriesForClient(client.Id))
        {
            var change = Reconsider(router, parties, delivery, context, now);
            if (change is null)
            {
                continue;
            }

            if (change.Status == DeliveryStatus.Pending && delivery.Status != DeliveryStatus.Pending)
            {
                // Back in the queue: at its end, so recipients resuming from a later cursor receive it too.
                session.RequeueDelivery(change);
                released++;
                wake.Add(change.Recipient);
            }
            else
            {
                session.UpdateDelivery(change);
                if (change.Status == DeliveryStatus.Withheld)
                {
                    withheld++;
                }
            }
        }

        return (released, withheld, wake.Distinct().ToList());
    }
}

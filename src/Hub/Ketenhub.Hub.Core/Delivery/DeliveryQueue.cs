using System.Text.Json;
using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Journeys;
using Ketenhub.Hub.Messages;
using Ketenhub.Hub.Parties;
using Ketenhub.Hub.Routing;
using Ketenhub.Hub.Storage;
using Microsoft.Extensions.Options;

namespace Ketenhub.Hub.Delivery;

/// <summary>
/// A delivery ready to send, with what it carries: a <see cref="ReferralRecord"/>, <see cref="TransitionRecord"/>,
/// <see cref="SignalRecord"/>, <see cref="ThinNoticePayload"/>, <see cref="CoachTaskPayload"/> or
/// <see cref="ReferralUpdatePayload"/>; and the client's coach at the time of sending.
/// </summary>
public sealed record OutboundDelivery(DeliveryRecord Delivery, object? Payload, CoachInfo? Coach);

/// <summary>One page of deliveries.</summary>
public sealed record DeliveryPage(IReadOnlyList<DeliveryRecord> Deliveries, long? NextAfterSequence);

/// <summary>
/// The recipient's side of delivery (DESIGN rule 8): claim pending deliveries in order, acknowledge,
/// reject, and replay what was set aside. Consent is checked again at the moment of sending.
/// </summary>
public sealed class DeliveryQueue(
    IHubStore store,
    PartyDirectory parties,
    Router router,
    DeliveryNotifier notifier,
    IOptions<HubOptions> options,
    TimeProvider time)
{
    /// <summary>
    /// Claims up to <paramref name="max"/> pending deliveries of the caller with a sequence above
    /// <paramref name="afterSequence"/>, in sequence order, counting an attempt for each, and leaving out
    /// those in <paramref name="skip"/> (already sent on this connection). A delivery that reached the attempt
    /// limit is set aside instead; one that consent no longer covers is held or withheld.
    /// </summary>
    public async Task<IReadOnlyList<OutboundDelivery>> ClaimAsync(Party caller, long afterSequence, int max, IReadOnlySet<string>? skip, CancellationToken cancellationToken)
    {
        var skipCount = skip?.Count ?? 0;
        var query = new DeliveryQuery(caller.Id, DeliveryStatus.Pending, null, afterSequence, (int)Math.Min(max + (long)skipCount, 10_000));

        // Most reads find nothing; only take the writer when there is something to claim.
        var any = await store.ReadAsync(s => s.ListDeliveries(query with { Limit = skipCount + 1 }).Any(d => skip is null || !skip.Contains(d.Id)), cancellationToken).ConfigureAwait(false);
        if (!any)
        {
            return [];
        }

        var maxAttempts = options.Value.MaxDeliveryAttempts;
        return await store.WriteAsync<IReadOnlyList<OutboundDelivery>>(
            session =>
            {
                var now = time.GetUtcNow();
                var contexts = new Dictionary<string, ClientContext>(StringComparer.Ordinal);
                var messages = new Dictionary<string, object?>(StringComparer.Ordinal);
                var result = new List<OutboundDelivery>();
                foreach (var delivery in PendingFrom(session, query))
                {
                    if (result.Count == max)
                    {
                        break;
                    }

                    if (skip is not null && skip.Contains(delivery.Id))
                    {
                        continue;
                    }

                    if (delivery.AttemptCount >= maxAttempts)
                    {
                        session.UpdateDelivery(delivery with { Status = DeliveryStatus.SetAside, StatusReason = "MAX_ATTEMPTS", UpdateTime = now });
                        continue;
                    }

                    if (!contexts.TryGetValue(delivery.ClientId, out var context))
                    {
                        context = ClientContexts.Load(session, session.FindClient(delivery.ClientId)!, now);
                        contexts[delivery.ClientId] = context;
                    }

                    var change = DeliveryDecisions.Reconsider(router, parties, delivery, context, now);
                    if (change is not null && change.Status != DeliveryStatus.Pending)
                    {
                        session.UpdateDelivery(change);
                        continue;
                    }

                    var sending = (change ?? delivery) with { AttemptCount = delivery.AttemptCount + 1, UpdateTime = now };
                    session.UpdateDelivery(sending);
                    result.Add(new OutboundDelivery(sending, LoadPayload(session, sending, messages), context.Coach?.Coach));
                }

                return result;
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>See <see cref="DeliveryNotifier.ReleaseVersion"/>.</summary>
    public long ReleaseVersion(Party caller) => notifier.ReleaseVersion(caller.Id);

    /// <summary>Waits until the caller may have new deliveries. Take the task before reading, so no wake-up is lost.</summary>
    public Task WaitForNewAsync(Party caller, CancellationToken cancellationToken) => notifier.WaitAsync(caller.Id, cancellationToken);

    public Task<DeliveryStatus> AcknowledgeAsync(Party caller, string? deliveryName, RequestKey key, CancellationToken cancellationToken)
    {
        var id = Ids.Require(deliveryName, "deliveries", "name");
        return store.WriteAsync(
            session =>
            {
                var now = time.GetUtcNow();
                return Idempotency.Run(session, caller.Id, "AcknowledgeDelivery", key, now, () =>
                {
                    var delivery = Mine(session, caller, id);
                    switch (delivery.Status)
                    {
                        case DeliveryStatus.Acknowledged:
                            return delivery.Status;
                        case DeliveryStatus.Pending or DeliveryStatus.SetAside:
                            // For anything but a signal, receipt is the acknowledgement that stops an escalation;
                            // a signal needs a person's AcknowledgeSignal.
                            session.UpdateDelivery(delivery with
                            {
                                Status = DeliveryStatus.Acknowledged,
                                AckTime = now,
                                SignalAckTime = delivery.PayloadKind == PayloadKind.Signal ? delivery.SignalAckTime : delivery.SignalAckTime ?? now,
                                UpdateTime = now,
                            });
                            return DeliveryStatus.Acknowledged;
                        default:
                            throw HubException.Precondition(ErrorReasons.DeliveryClosed, "The delivery was never sent or is closed; it cannot be acknowledged.");
                    }
                });
            },
            cancellationToken);
    }

    public Task<(DeliveryStatus Status, int Attempts)> RejectAsync(Party caller, string? deliveryName, string? reasonCode, RequestKey key, CancellationToken cancellationToken)
    {
        var id = Ids.Require(deliveryName, "deliveries", "name");
        var v = new Validator();
        TextRules.Check(v, reasonCode, "reason_code", 64, required: true);
        v.ThrowIfAny();
        return store.WriteAsync(
            session =>
            {
                var now = time.GetUtcNow();
                return Idempotency.Run(session, caller.Id, "RejectDelivery", key, now, () =>
                {
                    var delivery = Mine(session, caller, id);
                    if (delivery.Status != DeliveryStatus.Pending)
                    {
                        throw HubException.Precondition(ErrorReasons.DeliveryClosed, "Only a pending delivery can be rejected.");
                    }

                    var status = delivery.AttemptCount >= options.Value.MaxDeliveryAttempts ? DeliveryStatus.SetAside : DeliveryStatus.Pending;
                    session.UpdateDelivery(delivery with { Status = status, StatusReason = "REJECTED:" + reasonCode, UpdateTime = now });
                    return (status, delivery.AttemptCount);
                });
            },
            cancellationToken);
    }

    public async Task<DeliveryStatus> ReplayAsync(Party caller, string? deliveryName, RequestKey key, CancellationToken cancellationToken)
    {
        var id = Ids.Require(deliveryName, "deliveries", "name");
        var status = await store.WriteAsync(
            session =>
            {
                var now = time.GetUtcNow();
                return Idempotency.Run(session, caller.Id, "ReplayDelivery", key, now, () =>
                {
                    var delivery = Mine(session, caller, id);
                    if (delivery.Status != DeliveryStatus.SetAside)
                    {
                        throw HubException.Precondition(ErrorReasons.DeliveryNotSetAside, "Only a set-aside delivery can be replayed.");
                    }

                    session.UpdateDelivery(delivery with { Status = DeliveryStatus.Pending, AttemptCount = 0, StatusReason = "REPLAYED", UpdateTime = now });
                    return DeliveryStatus.Pending;
                });
            },
            cancellationToken).ConfigureAwait(false);
        notifier.NotifyReleased([caller.Id]);
        return status;
    }

    public Task<DeliveryPage> ListAsync(Party caller, DeliveryStatus? status, string? clientName, int pageSize, long afterSequence, CancellationToken cancellationToken)
    {
        string? clientId = null;
        if (!string.IsNullOrEmpty(clientName))
        {
            clientId = Ids.Require(clientName, "clients", "client");
        }

        var size = pageSize <= 0 ? 100 : Math.Min(pageSize, 1000);
        return store.ReadAsync(
            session =>
            {
                var page = session.ListDeliveries(new DeliveryQuery(caller.Id, status, clientId, afterSequence, size + 1));
                var items = page.Take(size).ToList();
                return new DeliveryPage(items, page.Count > size ? items[^1].Sequence : null);
            },
            cancellationToken);
    }

    /// <summary>
    /// The query's pending deliveries, page after page: deliveries set aside, held or skipped on the way do not
    /// fill the claim's window and hold back those behind them.
    /// </summary>
    private static IEnumerable<DeliveryRecord> PendingFrom(IHubSession session, DeliveryQuery query)
    {
        while (true)
        {
            var page = session.ListDeliveries(query);
            foreach (var delivery in page)
            {
                yield return delivery;
            }

            if (page.Count < query.Limit)
            {
                yield break;
            }

            query = query with { AfterSequence = page[^1].Sequence };
        }
    }

    private static DeliveryRecord Mine(IHubSession session, Party caller, string id)
    {
        var delivery = session.FindDelivery(id) ?? throw HubException.NotFound(ErrorReasons.DeliveryNotFound, "The delivery");
        if (delivery.Recipient != caller.Id)
        {
            throw HubException.Denied(ErrorReasons.NotTheRecipient, "The delivery is addressed to another party.");
        }

        return delivery;
    }

    internal static object? LoadPayload(IHubSession session, DeliveryRecord delivery, Dictionary<string, object?> cache)
    {
        switch (delivery.PayloadKind)
        {
            case PayloadKind.ThinNotice:
                return JsonSerializer.Deserialize<ThinNoticePayload>(delivery.PayloadJson!, Idempotency.Json);
            case PayloadKind.Task:
                return JsonSerializer.Deserialize<CoachTaskPayload>(delivery.PayloadJson!, Idempotency.Json);
            case PayloadKind.ReferralUpdate:
                return JsonSerializer.Deserialize<ReferralUpdatePayload>(delivery.PayloadJson!, Idempotency.Json);
        }

        var id = delivery.MessageId!;
        if (!cache.TryGetValue(id, out var message))
        {
            message = delivery.PayloadKind switch
            {
                PayloadKind.Referral => session.FindReferral(id),
                PayloadKind.Transition => session.FindTransition(id),
                PayloadKind.Signal => session.FindSignal(id),
                _ => null,
            };
            cache[id] = message;
        }

        return message;
    }
}

using System.Runtime.CompilerServices;
using System.Text.Json;
using Ketenhub.Hub.Audit;
using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Consent;
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
/// <see cref="ReferralUpdatePayload"/>; the client's coach at the time of sending; and what the recipient may
/// know about the client (<see cref="ClientDisclosure"/>); and, for content a consent allows, that consent as it
/// stands at the moment of sending (adapters whose format carries it, such as FHIR, send it along).
/// </summary>
public sealed record OutboundDelivery(DeliveryRecord Delivery, object? Payload, CoachInfo? Coach, DeliveredClient? Client = null, ConsentView? Consent = null);

/// <summary>One page of deliveries.</summary>
public sealed record DeliveryPage(IReadOnlyList<DeliveryRecord> Deliveries, long? NextAfterSequence);

/// <summary>
/// The recipient's side of delivery (docs/architecture.md, rule 8): claim pending deliveries in order, acknowledge,
/// reject, and replay what was set aside. Consent is checked again at the moment of sending.
/// </summary>
public sealed class DeliveryQueue(
    IHubStore store,
    PartyDirectory parties,
    Router router,
    DeliveryNotifier notifier,
    ClientDisclosure disclosure,
    IOptions<HubOptions> options,
    AuditTrail audit,
    ConsentEvaluator consents,
    DeliveryStreams streams,
    TimeProvider time)
{

    /// <summary>
    /// Claims up to <paramref name="max"/> pending deliveries of the caller with a sequence above
    /// <paramref name="afterSequence"/>, in sequence order, counting an attempt for each, and leaving out
    /// those in <paramref name="skip"/> (already sent on this connection). A delivery that reached the attempt
    /// limit is set aside instead; one that consent no longer covers is held or withheld.
    /// </summary>
    /// <remarks>
    /// The deliveries are chosen on a read snapshot (it holds only durably committed writes, and consent is
    /// decided again on it). Before anything is sent one write commits the disclosure's audit events and the
    /// attempt counts together. Status changes found on the way (set aside, held, withheld) are committed
    /// before the claim returns, and only if the delivery is still as it was read. A delivery the submit already
    /// claimed for this stream needs neither: its attempt and audit event were committed with the submit, and the
    /// read waited until that commit was durable.
    /// </remarks>
    /// <param name="caller">The recipient.</param>
    /// <param name="afterSequence">The cursor: only deliveries after it.</param>
    /// <param name="max">At most this many.</param>
    /// <param name="skip">Deliveries already sent on this connection.</param>
    /// <param name="stream">
    /// The claiming stream's token (<see cref="DeliveryStreams"/>): a delivery the submit already claimed for this
    /// stream (its attempt and audit event committed with the message) is sent without another write. Null for
    /// claims that are not a stream's (push).
    /// </param>
    /// <param name="cancellationToken">Stops the claim.</param>
    public async Task<IReadOnlyList<OutboundDelivery>> ClaimAsync(Party caller, long afterSequence, int max, IReadOnlySet<string>? skip, string? stream, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        Func<DeliveryRecord, bool>? leaveOut = skip is null ? null : d => skip.Contains(d.Id);
        var selection = await SelectAsync(caller, afterSequence, max, leaveOut, null, skip?.Count ?? 0, stream, now, cancellationToken).ConfigureAwait(false);
        await CommitAsync(caller, selection, null, now, cancellationToken).ConfigureAwait(false);
        return selection.Sending.Select(s => s.Outbound).ToList();
    }

    /// <summary>
    /// A delivery stream's claim: as <see cref="ClaimAsync"/>, but each delivery chosen to send must first be leased to
    /// the stream (<see cref="DeliveryStreams.Lease.TryTake"/>); one that a stream of its group (this one included)
    /// holds is passed over without being reconsidered. Also says whether the walk reached the end of the caller's pending deliveries (<c>Drained</c>) and the
    /// highest pending sequence it saw. Leases taken for a claim that fails are freed again.
    /// </summary>
    /// <param name="caller">The recipient.</param>
    /// <param name="afterSequence">Where the walk starts (the stream's own position; zero to look back over everything).</param>
    /// <param name="max">At most this many.</param>
    /// <param name="lease">The stream's registration and its group's leases.</param>
    /// <param name="sentBefore">
    /// True for a delivery this stream sent before: sending it again counts a new attempt even when the submit claimed it
    /// for this stream.
    /// </param>
    /// <param name="cancellationToken">Stops the claim.</param>
    internal async Task<StreamClaim> ClaimForStreamAsync(Party caller, long afterSequence, int max, DeliveryStreams.Lease lease, Func<string, bool> sentBefore, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();

        // A shared stream passes over what another instance's stream of the party holds (the lease in the record), and
        // remembers when the first such lease ends, to look again then.
        DateTimeOffset? foreignEnds = null;
        bool Skip(DeliveryRecord d)
        {
            if (lease.Held(d.Id))
            {
                return true;
            }

            if (lease.WritesLeases && streams.LeasedElsewhere(d, now))
            {
                foreignEnds = foreignEnds is { } earlier && earlier < d.LeaseUntil!.Value ? earlier : d.LeaseUntil;
                return true;
            }

            return false;
        }

        var selection = await SelectAsync(caller, afterSequence, max, Skip, d => lease.TryTake(d.Id), lease.GroupLeaseCount, lease.Token, now, cancellationToken, sentBefore).ConfigureAwait(false);
        IReadOnlyDictionary<string, DateTimeOffset> lost;
        try
        {
            lost = await CommitAsync(caller, selection, lease, now, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            foreach (var (read, _, _) in selection.Sending)
            {
                lease.Release(read.Id);
            }

            throw;
        }

        foreach (var (id, until) in lost)
        {
            lease.Release(id);
            foreignEnds = foreignEnds is { } earlier && earlier < until ? earlier : until;
        }

        return new StreamClaim(
            [.. selection.Sending.Where(s => !lost.ContainsKey(s.Read.Id)).Select(s => s.Outbound)],
            selection.Drained,
            selection.HighWater,
            foreignEnds);
    }

    /// <summary>
    /// What a stream's claim gave: the deliveries to send, whether the walk reached the end, the highest pending sequence
    /// it saw, and when the first lease of another instance's stream that it passed over ends (null for none).
    /// </summary>
    internal sealed record StreamClaim(IReadOnlyList<OutboundDelivery> Sending, bool Drained, long HighWater, DateTimeOffset? ForeignLeaseEnds);

    /// <summary>
    /// What a claim read: the deliveries to send (each with the record as read, and whether its submit already
    /// claimed it for this stream) and the status changes found on the way (set aside, held, withheld).
    /// </summary>
    private sealed record ClaimSelection(
        List<(DeliveryRecord Read, OutboundDelivery Outbound, bool Claimed)> Sending,
        List<(DeliveryRecord Read, DeliveryRecord Change)> Changes)
    {
        /// <summary>The walk reached the end of the pending deliveries after the cursor.</summary>
        public bool Drained { get; set; }

        /// <summary>The highest sequence of a pending delivery the walk saw (0 for none).</summary>
        public long HighWater { get; set; }
    }

    /// <summary>What reconsidering one pending delivery decided: send it (<c>Outbound</c>), or change its status (<c>Change</c>).</summary>
    private readonly record struct Reconsidered(OutboundDelivery? Outbound, bool Claimed, DeliveryRecord? Change);

    /// <summary>
    /// The claim's first step: on one read snapshot, walks the caller's pending deliveries after the cursor in
    /// sequence order, leaves out those <paramref name="skip"/> names, reconsiders each, and keeps those to send that
    /// <paramref name="take"/> (a stream's lease) allows, until
    /// <paramref name="max"/> are chosen to send. Writes nothing.
    /// </summary>
    private Task<ClaimSelection> SelectAsync(Party caller, long afterSequence, int max, Func<DeliveryRecord, bool>? skip, Func<DeliveryRecord, bool>? take, int skipCount, string? stream, DateTimeOffset now, CancellationToken cancellationToken, Func<string, bool>? sentBefore = null)
    {
        var query = new DeliveryQuery(caller.Id, DeliveryStatus.Pending, null, afterSequence, (int)Math.Min(max + (long)skipCount, 10_000));
        var maxAttempts = options.Value.MaxDeliveryAttempts;
        return store.ReadAsync(
            session =>
            {
                var contexts = new Dictionary<string, ClientContext>(StringComparer.Ordinal);
                var messages = new Dictionary<string, object?>(StringComparer.Ordinal);
                var selection = new ClaimSelection([], []) { Drained = true };
                foreach (var delivery in PendingFrom(session, query))
                {
                    if (selection.Sending.Count == max)
                    {
                        selection.Drained = false;
                        break;
                    }

                    selection.HighWater = Math.Max(selection.HighWater, delivery.Sequence);
                    if (skip is not null && skip(delivery))
                    {
                        continue;
                    }

                    var claimingStream = sentBefore is not null && sentBefore(delivery.Id) ? null : stream;
                    var reconsidered = Reconsider(session, caller, delivery, claimingStream, maxAttempts, contexts, messages, now);
                    if (reconsidered.Change is { } change)
                    {
                        selection.Changes.Add((delivery, change));
                    }
                    else if (take is null || take(delivery))
                    {
                        selection.Sending.Add((delivery, reconsidered.Outbound!, reconsidered.Claimed));
                    }
                }

                return selection;
            },
            cancellationToken);
    }

    /// <summary>
    /// The claim's second step, for one pending delivery on the read snapshot: set aside once it reached the
    /// attempt limit, held or withheld when consent no longer covers it, otherwise sent with its attempt counted
    /// (unless its submit already claimed it for this stream) and what the recipient may know at this moment.
    /// <paramref name="contexts"/> and <paramref name="messages"/> cache what the snapshot gave for earlier deliveries.
    /// </summary>
    private Reconsidered Reconsider(
        IHubSession session,
        Party caller,
        DeliveryRecord delivery,
        string? stream,
        int maxAttempts,
        Dictionary<string, ClientContext> contexts,
        Dictionary<string, object?> messages,
        DateTimeOffset now)
    {
        // Claimed for this stream by the write that created it, and not sent since (this connection skips what it
        // sent; a delivery sent and then forgotten, after 100,000 unacknowledged, may be sent again on it without
        // a second event): its attempt is counted but not yet made.
        var claimedHere = stream is not null && delivery.ClaimedFor == stream && delivery.AttemptCount == 1;
        if (delivery.AttemptCount >= maxAttempts && !claimedHere)
        {
            return new Reconsidered(null, false, delivery with { Status = DeliveryStatus.SetAside, StatusReason = "MAX_ATTEMPTS", UpdateTime = now });
        }

        if (!contexts.TryGetValue(delivery.ClientId, out var context))
        {
            context = ClientContexts.Load(session, session.FindClient(delivery.ClientId)!, now);
            contexts[delivery.ClientId] = context;
        }

        var change = DeliveryDecisions.Reconsider(router, parties, delivery, context, now);
        if (change is not null && change.Status != DeliveryStatus.Pending)
        {
            return new Reconsidered(null, false, change);
        }

        // Unchanged since its submit claimed it: its attempt and audit event are committed already.
        var claimed = claimedHere && change is null;
        var sent = claimed ? delivery : (change ?? delivery) with { AttemptCount = delivery.AttemptCount + 1, UpdateTime = now };
        var payload = LoadPayload(session, sent, messages);
        var client = disclosure.For(context.Client, caller, withDetails: payload is not ThinNoticePayload, now);
        var consent = payload is ThinNoticePayload || sent.Decision.ConsentId is not { } consentId
            ? null
            : context.Consents.FirstOrDefault(c => c.Id == consentId);
        return new Reconsidered(new OutboundDelivery(sent, payload, context.Coach?.Coach, client, consent is null ? null : new ConsentView(consent, consents.StateOf(consent, context.Client, now))), claimed, null);
    }

    /// <summary>
    /// The claim's last step: commits the status changes found on the way (each only if the delivery is still as
    /// it was read), then, before anything is sent, the disclosure's audit events together with the attempt
    /// counts of the deliveries not already claimed by their submit.
    /// </summary>
    /// <returns>The deliveries a stream of another instance leased between the read and this write (not to be sent), with when those leases end.</returns>
    private async Task<IReadOnlyDictionary<string, DateTimeOffset>> CommitAsync(Party caller, ClaimSelection selection, DeliveryStreams.Lease? lease, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var changes = selection.Changes;
        var setAside = 0;
        if (changes.Count > 0)
        {
            await store.WriteReplayableAsync(
                session =>
                {
                    setAside = 0;
                    foreach (var (read, change) in changes)
                    {
                        if (Unchanged(session.FindDelivery(read.Id), read))
                        {
                            session.UpdateDelivery(change);
                            setAside += change.Status == DeliveryStatus.SetAside ? 1 : 0;
                        }
                    }

                    return 0;
                },
                cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < setAside; i++)
            {
                HubMetrics.SetAsideDelivery(caller.Channel);
            }
        }

        var claiming = selection.Sending.Where(s => !s.Claimed).Select(s => (s.Read, s.Outbound)).ToList();
        if (claiming.Count == 0)
        {
            return new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        }

        var writesLease = lease is { WritesLeases: true };
        var disclosed = new Dictionary<string, AuditNote>(StringComparer.Ordinal);
        var claimed = await store.WriteReplayableAsync(
            session =>
            {
                // A delivery that a stream of another instance leased since the read is not this claim's: its write (all
                // instances' writes are serialised) came first.
                var lost = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
                if (writesLease)
                {
                    foreach (var (read, _) in claiming)
                    {
                        if (session.FindDelivery(read.Id) is { } stored && streams.LeasedElsewhere(stored, now))
                        {
                            lost[read.Id] = stored.LeaseUntil!.Value;
                        }
                    }
                }

                var kept = lost.Count == 0 ? claiming : [.. claiming.Where(c => !lost.ContainsKey(c.Read.Id))];

                // Handing deliveries to their recipient discloses client data: one audit event per client, committed
                // before anything is sent, in the same commit as the attempt counts.
                var call = audit.Note(caller, AuditTrail.DeliverContent, AuditAction.Read);
                var notes = new Dictionary<string, AuditNote>(StringComparer.Ordinal);
                disclosed = notes;
                foreach (var (_, outbound) in kept)
                {
                    var delivery = outbound.Delivery;
                    if (!notes.TryGetValue(delivery.ClientId, out var note))
                    {
                        note = call.Another().About(delivery.ClientId).Check(AuditCheckKind.Authorisation, AuditChecks.Recipient);
                        notes[delivery.ClientId] = note;
                    }

                    note.Resource(delivery.Name).Decided(delivery.Decision);
                }

                foreach (var note in notes.Values)
                {
                    audit.Append(session, note, AuditOutcome.Success, null);
                }

                CountAttempts(session, kept, writesLease ? lease : null, now);
                return (IReadOnlyDictionary<string, DateTimeOffset>)lost;
            },
            cancellationToken).ConfigureAwait(false);

        // The run that committed made the last notes: their disclosures go to the Logboek now that they happened.
        audit.Processed(disclosed.Values);
        return claimed;
    }

    /// <summary>Waits until the caller may have new deliveries. Take the task before reading, so no wake-up is lost.</summary>
    public Task WaitForNewAsync(Party caller, CancellationToken cancellationToken) => notifier.WaitAsync(caller.Id, cancellationToken);

    /// <summary>
    /// The content of one delivery, for its recipient, outside a claim: what a lean webhook event (a <c>dataref</c>
    /// instead of the content) points at. Only the recipient, only a delivery that was sent (pending or acknowledged), and
    /// only while consent still covers it, decided again now as at a claim; what the recipient may know of the client is
    /// its view at this moment. Every fetch is a disclosure with its own audit event, committed before the content is
    /// returned; no attempt is counted and the status does not change.
    /// </summary>
    public async Task<OutboundDelivery> FetchAsync(Party caller, string? deliveryName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var id = Ids.Require(deliveryName, "deliveries", "name");
        var now = time.GetUtcNow();
        var note = audit.Note(caller, AuditTrail.DeliverContent, AuditAction.Read).Check(AuditCheckKind.Authorisation, AuditChecks.Recipient);
        var fetched = await store.ReadAsync(
            session =>
            {
                var delivery = Mine(session, caller, id, note);
                if (delivery.Status is not (DeliveryStatus.Pending or DeliveryStatus.Acknowledged))
                {
                    throw HubException.Precondition(ErrorReasons.DeliveryClosed, "The delivery was never sent or is closed; its content cannot be fetched.");
                }

                var context = ClientContexts.Load(session, session.FindClient(delivery.ClientId)!, now);
                var decision = delivery.Decision;
                if (DeliveryDecisions.ContentDependsOnConsent(delivery))
                {
                    decision = router.Reconsider(delivery.Decision, caller, context, now);
                    if (decision.Outcome != RecipientOutcome.Content)
                    {
                        throw HubException.Denied(ErrorReasons.ConsentRequired, "No consent covers this delivery's content any more.");
                    }
                }

                var payload = LoadPayload(session, delivery, new Dictionary<string, object?>(StringComparer.Ordinal));
                var client = disclosure.For(context.Client, caller, withDetails: payload is not ThinNoticePayload, now);
                var consent = payload is ThinNoticePayload || decision.ConsentId is not { } consentId
                    ? null
                    : context.Consents.FirstOrDefault(c => c.Id == consentId);
                note.Decided(decision);
                return new OutboundDelivery(delivery, payload, context.Coach?.Coach, client, consent is null ? null : new ConsentView(consent, consents.StateOf(consent, context.Client, now)));
            },
            cancellationToken).ConfigureAwait(false);

        await store.WriteReplayableAsync(
            session =>
            {
                note.Processed.Clear();
                audit.Append(session, note, AuditOutcome.Success, null);
                return 0;
            },
            cancellationToken).ConfigureAwait(false);
        audit.Processed(note);
        return fetched;
    }

    public async Task<DeliveryStatus> AcknowledgeAsync(Party caller, string? deliveryName, RequestKey key, CancellationToken cancellationToken)
    {
        var acknowledged = new StrongBox<TimeSpan?>();
        var status = await AcknowledgeCommandAsync(caller, deliveryName, key, acknowledged, cancellationToken).ConfigureAwait(false);
        if (acknowledged.Value is { } latency)
        {
            HubMetrics.Acknowledge(caller.Channel, latency);
        }

        // The stream that holds the delivery frees its place (max_outstanding) for the next one.
        notifier.Notify([caller.Id]);
        return status;
    }

    private Task<DeliveryStatus> AcknowledgeCommandAsync(Party caller, string? deliveryName, RequestKey key, StrongBox<TimeSpan?> acknowledged, CancellationToken cancellationToken)
    {
        var id = Ids.Require(deliveryName, "deliveries", "name");
        var note = Changing(caller, "AcknowledgeDelivery", key);
        return audit.ReplayableCommandAsync(
            note,
            key,
            (session, now) =>
            {
                // Set by the run that changes the delivery (the last run counts; a repeated request runs nothing).
                acknowledged.Value = null;
                var delivery = Mine(session, caller, id, note);
                switch (delivery.Status)
                {
                    case DeliveryStatus.Acknowledged:
                        return delivery.Status;
                    case DeliveryStatus.Pending or DeliveryStatus.SetAside or DeliveryStatus.AwaitingRetour:
                        // An AWAITING_RETOUR delivery is acknowledged by the partner's accepting retour, which comes
                        // after the answer to the push, as a message of its own.
                        // For anything but a signal, receipt is the acknowledgement that stops an escalation;
                        // a signal needs a person's AcknowledgeSignal.
                        session.UpdateDelivery(delivery with
                        {
                            Status = DeliveryStatus.Acknowledged,
                            AckTime = now,
                            SignalAckTime = delivery.PayloadKind == PayloadKind.Signal ? delivery.SignalAckTime : delivery.SignalAckTime ?? now,
                            UpdateTime = now,
                        });
                        acknowledged.Value = now - delivery.CreateTime;
                        return DeliveryStatus.Acknowledged;
                    default:
                        throw HubException.Precondition(ErrorReasons.DeliveryClosed, "The delivery was never sent or is closed; it cannot be acknowledged.");
                }
            },
            cancellationToken);
    }

    public async Task<(DeliveryStatus Status, int Attempts)> RejectAsync(Party caller, string? deliveryName, string? reasonCode, RequestKey key, CancellationToken cancellationToken)
    {
        var result = await RejectCommandAsync(caller, deliveryName, reasonCode, key, cancellationToken).ConfigureAwait(false);

        // The stream that holds the delivery offers it again after its backoff (docs/clients.md, "Delivery streams").
        streams.NoteRejected(caller.Id, Ids.Require(deliveryName, "deliveries", "name"));
        notifier.Notify([caller.Id]);
        return result;
    }

    private Task<(DeliveryStatus Status, int Attempts)> RejectCommandAsync(Party caller, string? deliveryName, string? reasonCode, RequestKey key, CancellationToken cancellationToken)
    {
        var id = Ids.Require(deliveryName, "deliveries", "name");
        var v = new Validator();
        TextRules.Check(v, reasonCode, "reason_code", 64, required: true);
        v.ThrowIfAny();
        var note = Changing(caller, "RejectDelivery", key);
        return audit.ReplayableCommandAsync(
            note,
            key,
            (session, now) =>
            {
                var delivery = Mine(session, caller, id, note);
                if (delivery.Status == DeliveryStatus.AwaitingRetour)
                {
                    // The partner's rejecting retour: the message was received and refused. It is answered, so it closes
                    // (no retry would change the answer); the refusal itself reaches the requester as a decline.
                    session.UpdateDelivery(delivery with { Status = DeliveryStatus.Acknowledged, AckTime = now, StatusReason = RetourRejectedPrefix + reasonCode, UpdateTime = now });
                    return (DeliveryStatus.Acknowledged, delivery.AttemptCount);
                }

                if (delivery.Status != DeliveryStatus.Pending)
                {
                    throw HubException.Precondition(ErrorReasons.DeliveryClosed, "Only a pending delivery, or one awaiting its retour, can be rejected.");
                }

                var status = delivery.AttemptCount >= options.Value.MaxDeliveryAttempts ? DeliveryStatus.SetAside : DeliveryStatus.Pending;
                session.UpdateDelivery(delivery with { Status = status, StatusReason = "REJECTED:" + reasonCode, UpdateTime = now });
                return (status, delivery.AttemptCount);
            },
            cancellationToken);
    }

    public Task<DeliveryStatus> ReplayAsync(Party caller, string? deliveryName, RequestKey key, CancellationToken cancellationToken) =>
        ReplayAsync(caller, anyRecipient: false, deliveryName, key, cancellationToken);

    /// <summary>Replays a set-aside delivery of the caller, or of any recipient when <paramref name="anyRecipient"/> (the admin role).</summary>
    public async Task<DeliveryStatus> ReplayAsync(Party caller, bool anyRecipient, string? deliveryName, RequestKey key, CancellationToken cancellationToken)
    {
        var id = Ids.Require(deliveryName, "deliveries", "name");
        var note = anyRecipient
            ? audit.Note(caller, "ReplayDelivery", AuditAction.Update, key).Check(AuditCheckKind.Authorisation, AuditChecks.AdminRole)
            : Changing(caller, "ReplayDelivery", key);
        string? recipient = null;
        var status = await audit.CommandAsync(
            note,
            key,
            (session, now) =>
            {
                var delivery = Mine(session, caller, id, note, anyRecipient);
                recipient = delivery.Recipient;
                if (delivery.Status != DeliveryStatus.SetAside)
                {
                    throw HubException.Precondition(ErrorReasons.DeliveryNotSetAside, "Only a set-aside delivery can be replayed.");
                }

                session.RequeueDelivery(delivery with { Status = DeliveryStatus.Pending, AttemptCount = 0, StatusReason = "REPLAYED", UpdateTime = now });
                return DeliveryStatus.Pending;
            },
            cancellationToken).ConfigureAwait(false);
        notifier.NotifyReleased([recipient ?? caller.Id]);
        return status;
    }

    /// <summary>
    /// One delivery of <paramref name="caller"/>'s, with its status and decision. Another party's delivery does not exist
    /// for the caller (DELIVERY_NOT_FOUND); the read and its refusal are audited.
    /// </summary>
    public Task<DeliveryRecord> GetAsync(Party caller, string? deliveryName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var id = Ids.Require(deliveryName, "deliveries", "name");
        var note = audit.Note(caller, "GetDelivery", AuditAction.Read).Check(AuditCheckKind.Authorisation, AuditChecks.Recipient).Resource("deliveries/" + id);
        return audit.ReadAsync(
            note,
            session =>
            {
                var delivery = session.FindDelivery(id) ?? throw HubException.NotFound(ErrorReasons.DeliveryNotFound, "The delivery");
                note.About(delivery.ClientId);
                if (delivery.Recipient != caller.Id)
                {
                    note.Refuse();
                    throw HubException.NotFound(ErrorReasons.DeliveryNotFound, "The delivery");
                }

                return delivery;
            },
            cancellationToken);
    }

    public Task<DeliveryPage> ListAsync(Party caller, DeliveryStatus? status, string? clientName, int pageSize, long afterSequence, CancellationToken cancellationToken) =>
        ListAsync(caller, caller, status, clientName, pageSize, afterSequence, cancellationToken);

    /// <summary>
    /// Lists <paramref name="recipient"/>'s deliveries for <paramref name="caller"/>: the recipient itself, or a
    /// caller whose admin role the transport has checked. The audit trail names the caller.
    /// </summary>
    public async Task<DeliveryPage> ListAsync(Party caller, Party recipient, DeliveryStatus? status, string? clientName, int pageSize, long afterSequence, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(recipient);
        string? clientId = null;
        if (!string.IsNullOrEmpty(clientName))
        {
            clientId = Ids.Require(clientName, "clients", "client");
        }

        var size = pageSize <= 0 ? 100 : Math.Min(pageSize, 1000);
        var call = audit.Note(caller, "ListDeliveries", AuditAction.Read);
        var page = await store.ReadAsync(
            session =>
            {
                var page = session.ListDeliveries(new DeliveryQuery(recipient.Id, status, clientId, afterSequence, size + 1));
                var items = page.Take(size).ToList();
                return new DeliveryPage(items, page.Count > size ? items[^1].Sequence : null);
            },
            cancellationToken).ConfigureAwait(false);

        // The listing shows the recipient's deliveries about each client: one audit event per client, committed
        // before the page is returned.
        var check = recipient.Id == caller.Id ? AuditChecks.Recipient : AuditChecks.AdminRole;
        var notes = page.Deliveries.GroupBy(d => d.ClientId, StringComparer.Ordinal)
            .Select(g => g.Aggregate(
                call.Another().About(g.Key).Check(AuditCheckKind.Authorisation, check),
                (note, d) => note.Resource(d.Name)))
            .ToList();
        await audit.RecordAsync(notes, cancellationToken).ConfigureAwait(false);
        return page;
    }

    /// <summary>The status reason of a delivery a partner's retour refused; the retour's reason follows (for example <c>WJ001_9332</c>).</summary>
    public const string RetourRejectedPrefix = "REJECTED:";

    /// <summary>
    /// Records the outcome of one push attempt (the hub handed a claimed delivery to the recipient's adapter): a
    /// delivery the partner took is acknowledged, or, when the partner answers it later with a message of its own (an
    /// iWmo or iJw retour), waits <paramref name="awaitRetourFor"/> for that answer (<see cref="DeliveryStatus.AwaitingRetour"/>,
    /// with a journey event for a referral); one it refused for good, that could not be expressed in its format, or that
    /// used up its attempts is set aside with <paramref name="setAsideReason"/>. Only a delivery still pending changes:
    /// one withheld, replayed or already answered meanwhile keeps its new state. The hub's own audit event goes in the
    /// same commit.
    /// </summary>
    /// <param name="delivery">The delivery as the claim returned it.</param>
    /// <param name="delivered">The partner took it.</param>
    /// <param name="setAsideReason">When not delivered: the reason to set it aside with, for example
    /// <c>PUSH_REJECTED:HTTP_422</c>; <see langword="null"/> leaves it pending for the next attempt.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <param name="awaitRetourFor">When delivered and the partner answers later: how long to wait for that answer.</param>
    /// <param name="closedReason">
    /// When delivered: the status reason of a delivery the hub closes for the partner without sending it, because the
    /// partner's standard has no message for it (<c>NOT_IN_FORMAT</c>). It is closed as acknowledged, counted by
    /// <see cref="HubMetrics"/> as closed rather than as an acknowledgement, and never set aside.
    /// </param>
    /// <returns>The delivery's status afterwards, or <see langword="null"/> if it was no longer pending.</returns>
    public async Task<DeliveryStatus?> RecordPushAsync(DeliveryRecord delivery, bool delivered, string? setAsideReason, CancellationToken cancellationToken, TimeSpan? awaitRetourFor = null, string? closedReason = null)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        if (!delivered && setAsideReason is null)
        {
            return DeliveryStatus.Pending;
        }

        var note = audit.HubNote(closedReason is not null ? "CloseDeliveryNotInFormat" : delivered ? "PushDelivery" : "SetAsideDelivery", AuditAction.Update).About(delivery.ClientId).Resource(delivery.Name);
        var status = await store.WriteAsync(
            session =>
            {
                var now = time.GetUtcNow();
                var stored = session.FindDelivery(delivery.Id);
                if (stored is null || stored.Status != DeliveryStatus.Pending || stored.AttemptCount != delivery.AttemptCount)
                {
                    return (DeliveryStatus?)null;
                }

                if (delivered && awaitRetourFor is { } wait)
                {
                    var waiting = stored with { Status = DeliveryStatus.AwaitingRetour, AwaitUntil = now + wait, UpdateTime = now };
                    session.UpdateDelivery(waiting);
                    if (stored.PayloadKind == PayloadKind.Referral && stored.MessageId is { } id && session.FindReferral(id) is { } referral)
                    {
                        session.AppendJourneyEvent(new JourneyEvent(0, stored.ClientId, now, JourneyEventType.AwaitingRetour, stored.Recipient, referral.Name, Explain.Code(referral.Service)));
                    }

                    audit.Append(session, note, AuditOutcome.Success, null);
                    return waiting.Status;
                }

                var changed = delivered
                    ? stored with
                    {
                        Status = DeliveryStatus.Acknowledged,
                        AckTime = now,
                        SignalAckTime = stored.PayloadKind == PayloadKind.Signal ? stored.SignalAckTime : stored.SignalAckTime ?? now,
                        StatusReason = closedReason,
                        UpdateTime = now,
                    }
                    : stored with { Status = DeliveryStatus.SetAside, StatusReason = setAsideReason, UpdateTime = now };
                session.UpdateDelivery(changed);
                audit.Append(session, note, AuditOutcome.Success, null);
                return changed.Status;
            },
            cancellationToken).ConfigureAwait(false);
        audit.Processed(note);
        var channel = parties.Find(delivery.Recipient)?.Channel ?? DeliveryChannel.Unspecified;
        if (status == DeliveryStatus.Acknowledged && closedReason is not null)
        {
            HubMetrics.ClosedNotInFormat(channel);
        }
        else if (status == DeliveryStatus.Acknowledged)
        {
            HubMetrics.Acknowledge(channel, time.GetUtcNow() - delivery.CreateTime);
        }
        else if (status == DeliveryStatus.SetAside)
        {
            HubMetrics.SetAsideDelivery(channel);
        }

        return status;
    }

    private AuditNote Changing(Party caller, string eventType, RequestKey key) =>
        audit.Note(caller, eventType, AuditAction.Update, key).Check(AuditCheckKind.Authorisation, AuditChecks.Recipient);

    /// <summary>
    /// Counts one attempt for each delivery about to be sent. A delivery that changed since it was read
    /// (acknowledged, rejected, withheld) keeps its new state; one still pending gets its attempt counted either way.
    /// </summary>
    /// <summary>Counts the attempt of each delivery sent; for a shared stream also writes its lease into the delivery.</summary>
    private static void CountAttempts(IHubSession session, List<(DeliveryRecord Read, OutboundDelivery Outbound)> sending, DeliveryStreams.Lease? lease, DateTimeOffset now)
    {
        foreach (var (read, outbound) in sending)
        {
            var stored = session.FindDelivery(read.Id);
            if (stored is null || stored.Status != DeliveryStatus.Pending)
            {
                continue;
            }

            var updated = Unchanged(stored, read)
                ? outbound.Delivery
                : stored with { AttemptCount = stored.AttemptCount + 1, UpdateTime = outbound.Delivery.UpdateTime };
            session.UpdateDelivery(lease is null ? updated : updated with { LeaseHolder = lease.Token, LeaseUntil = now + lease.LeaseTime });
        }
    }

    private static bool Unchanged(DeliveryRecord? stored, DeliveryRecord read) =>
        stored is not null && stored.Status == read.Status && stored.AttemptCount == read.AttemptCount && stored.UpdateTime == read.UpdateTime;

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

    private static DeliveryRecord Mine(IHubSession session, Party caller, string id, AuditNote note, bool anyRecipient = false)
    {
        var delivery = session.FindDelivery(id) ?? throw HubException.NotFound(ErrorReasons.DeliveryNotFound, "The delivery");
        note.About(delivery.ClientId).Resource(delivery.Name);
        if (!anyRecipient && delivery.Recipient != caller.Id)
        {
            // A party knows another's delivery only as the sender of its message (the decisions it was answered name
            // the deliveries) or from an escalation of it sent to that party; to anyone else it does not exist
            // (docs/errors.md, "Not found or not allowed").
            note.Refuse();
            var known = delivery.Sender == caller.Id
                || (delivery.MessageId is { } message
                    && session.GetDeliveriesForMessage(message).Any(d => d.Recipient == caller.Id && d.EscalationOf == delivery.Id));
            throw known
                ? HubException.Denied(ErrorReasons.NotTheRecipient, "The delivery is addressed to another party.")
                : HubException.NotFound(ErrorReasons.DeliveryNotFound, "The delivery");
        }

        return delivery;
    }

    internal static object? LoadPayload(IHubSession session, DeliveryRecord delivery, Dictionary<string, object?> cache)
    {
        if (delivery.PayloadJson is null && delivery.PayloadKind is PayloadKind.ThinNotice or PayloadKind.Task or PayloadKind.ReferralUpdate)
        {
            // Erased after its term (docs/privacy.md): the delivery shows its state, without a payload.
            return null;
        }

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

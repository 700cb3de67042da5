using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Consent;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Journeys;
using Ketenhub.Hub.Messages;

namespace Ketenhub.Hub.Storage;

/// <summary>
/// The hub's one storage seam. Its production implementations are the embedded SQLite store
/// (<c>Ketenhub.Hub.Storage.Sqlite</c>, the default) and the PostgreSQL store (<c>Ketenhub.Hub.Storage.Postgres</c>), which
/// several hub instances may share; the tests also run the domain on an in-memory one (<c>tests/Ketenhub.Testing/InMemory</c>).
/// <para>
/// <see cref="WriteAsync{T}"/> runs <c>work</c> serialised with every other write, inside a transaction;
/// the returned task completes only after that transaction is durably committed. Concurrent writes may
/// share one commit (group commit). If <c>work</c> throws, its changes are rolled back and the exception
/// is rethrown to its caller alone; the other writes in the same group are unaffected.
/// </para>
/// <para>
/// <see cref="WriteReplayableAsync{T}"/> is <see cref="WriteAsync{T}"/> for work that may run more than once: work
/// whose only effects are through the session (and on objects it resets itself at the start of each run). To undo
/// another write's failure the store may roll back and run it again before the commit; only the last run's result
/// counts. That spares a store the cost of isolating each write on its own.
/// </para>
/// <para><see cref="ReadAsync{T}"/> runs <c>work</c> on a consistent read snapshot; writes through it throw. It may run
/// <c>work</c> on the calling thread before it returns, so <c>work</c> must not wait for anything its caller does
/// after the call.</para>
/// </summary>
public interface IHubStore
{
    Task<T> WriteAsync<T>(Func<IHubSession, T> work, CancellationToken cancellationToken = default);

    Task<T> WriteReplayableAsync<T>(Func<IHubSession, T> work, CancellationToken cancellationToken = default) =>
        WriteAsync(work, cancellationToken);

    Task<T> ReadAsync<T>(Func<IHubSession, T> work, CancellationToken cancellationToken = default);

    /// <summary>
    /// Rewrites every stored document sealed under a key other than the active one (see <see cref="IDocumentProtector"/>),
    /// a page per transaction, after a new key was made active. Safe to run while the hub serves and to repeat.
    /// </summary>
    Task<DocumentResealing> ResealDocumentsAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// After an erasure: removes the older versions of pages the store may still keep outside its live data, so what was
    /// erased is not left there (the SQLite store: every committed page copied into the file and the WAL truncated).
    /// False when that could not be done now (the store is busy); the next full checkpoint does it. The default does
    /// nothing: a store without such copies has nothing to remove.
    /// </summary>
    Task<bool> ScrubAsync(CancellationToken cancellationToken = default) => Task.FromResult(true);
}

/// <summary>The outcome of <see cref="IHubStore.ResealDocumentsAsync"/>: documents looked at and rewritten.</summary>
public sealed record DocumentResealing(int Examined, int Rewritten);

/// <summary>A recipient's pending deliveries: how many, and the oldest (first in its queue), if any.</summary>
public sealed record PendingQueue(int Count, DeliveryRecord? Oldest);

/// <summary>
/// A stored answer to an idempotent request. <see cref="ClientId"/> is the client the request concerned, when it
/// concerned one, so that erasing the client also removes the answers that repeat its data.
/// </summary>
public sealed record StoredRequest(string BodyHash, string ResultJson)
{
    public string? ClientId { get; init; }
}

/// <summary>A referral, transition or signal by type and id.</summary>
public sealed record MessageKey(MessageType Type, string Id);

/// <summary>Filter for listing deliveries.</summary>
public sealed record DeliveryQuery(
    string? Recipient = null,
    DeliveryStatus? Status = null,
    string? ClientId = null,
    long AfterSequence = 0,
    int Limit = 100);

/// <summary>
/// Where a listing of messages stands: the create time and id of the last message it returned. Messages are listed by
/// create time, then id.
/// </summary>
public sealed record MessagePosition(DateTimeOffset CreateTime, string MessageId);

/// <summary>
/// Listing the referrals, transitions or signals (<paramref name="Type"/>) that concern a party: those it sent or
/// requested, those it performs, and those it was the recipient of a delivery of (whatever that delivery's state), each
/// once. <paramref name="ClientId"/> narrows to one client. Ordered by create time, then id; newest first when
/// <paramref name="Descending"/>; after <paramref name="After"/> in that order.
/// </summary>
public sealed record PartyMessageQuery(
    string PartyId,
    MessageType Type,
    string? ClientId = null,
    MessagePosition? After = null,
    bool Descending = false,
    int Limit = 100);

/// <summary>
/// What the stores index for <see cref="IHubSession.ListPartyMessages"/>, written once so that every store indexes the
/// same parties: a referral's requester and performers, a transition's or signal's sender, and the recipient of a
/// delivery whose payload is the message itself.
/// </summary>
public static class PartyMessageIndex
{
    public static IEnumerable<string> PartiesOf(ReferralRecord referral)
    {
        ArgumentNullException.ThrowIfNull(referral);
        return [referral.Requester, .. referral.Performers.Select(p => p.PartyId)];
    }

    /// <summary>
    /// The create time and client of a stored message, for the index row of a delivery made in a later write than the
    /// message (an escalation, say); null when no such message is stored.
    /// </summary>
    public static (DateTimeOffset Time, string ClientId)? MessageOf(IHubSession session, string messageId, MessageType type)
    {
        ArgumentNullException.ThrowIfNull(session);
        return type switch
        {
            MessageType.Referral => session.FindReferral(messageId) is { } r ? (r.CreateTime, r.ClientId) : null,
            MessageType.Transition => session.FindTransition(messageId) is { } t ? (t.CreateTime, t.ClientId) : null,
            _ => session.FindSignal(messageId) is { } g ? (g.CreateTime, g.ClientId) : null,
        };
    }

    /// <summary>The message type a delivery's payload kind lists under, or null for payloads that are not a message.</summary>
    public static MessageType? TypeOf(PayloadKind kind) => kind switch
    {
        PayloadKind.Referral => MessageType.Referral,
        PayloadKind.Transition => MessageType.Transition,
        PayloadKind.Signal => MessageType.Signal,
        _ => null,
    };
}

/// <summary>
/// One stored audit event: its chain position, the columns to find it by, the chain hashes and the canonical
/// body the hash covers (see <c>Audit/AuditCanonical</c>). Stores keep it exactly as given.
/// </summary>
public sealed record AuditRecord(long Sequence, DateTimeOffset Time, string? ClientPseudonym, string PreviousHash, string Hash, string Body);

/// <summary>The last event of the audit chain: where the next one links on.</summary>
public sealed record AuditHead(long Sequence, string Hash);

/// <summary>
/// Where the audit trail starts after its oldest events were removed (<see cref="IHubSession.SetAuditStart"/>): the
/// sequence and hash of the last removed event. The trail's first kept event links to <see cref="Hash"/>.
/// </summary>
public sealed record AuditStart(long Sequence, string Hash);

/// <summary>A message whose record may have reached its term (<see cref="IHubSession.ListMessageRecordsEnded"/>).</summary>
public sealed record EndedMessage(MessageKey Key, string ClientId, DateTimeOffset CreateTime)
{
    /// <summary>Its place in the listing, to continue after it.</summary>
    public MessagePosition Position => new(CreateTime, Key.Id);
}

/// <summary>Filter for reading the audit trail, in chain order. <see cref="Until"/> is exclusive.</summary>
public sealed record AuditQuery(
    long AfterSequence = 0,
    int Limit = 100,
    DateTimeOffset? From = null,
    DateTimeOffset? Until = null,
    string? ClientPseudonym = null);

/// <summary>
/// Operations inside one read or write. Synchronous on purpose: a write runs on the store's writer and
/// must not wait on anything else.
/// </summary>
public interface IHubSession
{
    // Idempotency
    StoredRequest? FindRequest(string caller, string operation, string requestId);
    void SaveRequest(string caller, string operation, string requestId, StoredRequest request, DateTimeOffset time);

    // Clients and roles
    ClientRecord? FindClient(string clientId);
    ClientRecord? FindClientByBsnHash(string bsnHash);
    void InsertClient(ClientRecord client);
    void UpdateClient(ClientRecord client);
    /// <summary>Clients whose 18th birthday is on or before <paramref name="onOrBefore"/> and not yet handled.</summary>
    IReadOnlyList<ClientRecord> ListClientsComingOfAge(DateOnly onOrBefore, int limit);
    /// <summary>Clients with an id after <paramref name="afterId"/> (empty: from the first), in id order.</summary>
    IReadOnlyList<ClientRecord> ListClients(string afterId, int limit);
    IReadOnlyList<ClientRole> GetRoles(string clientId);
    void InsertRole(ClientRole role);
    void UpdateRole(ClientRole role);

    // Coach
    IReadOnlyList<CoachAssignment> GetCoachAssignments(string clientId);

    /// <summary>
    /// The current assignments (no end) of coaches who work for <paramref name="partyId"/>, of the one coach
    /// <paramref name="coachId"/> when it is set, with a client id above <paramref name="afterClientId"/>, by client id.
    /// </summary>
    IReadOnlyList<CoachAssignment> ListCurrentCoachAssignments(string partyId, string? coachId, string afterClientId, int limit);
    void InsertCoachAssignment(CoachAssignment assignment);
    void UpdateCoachAssignment(CoachAssignment assignment);

    // Consents
    IReadOnlyList<ConsentRecord> GetConsents(string clientId);
    ConsentRecord? FindConsent(string consentId);
    void InsertConsent(ConsentRecord consent);
    void UpdateConsent(ConsentRecord consent);

    // Messages
    ReferralRecord? FindReferral(string id);
    void InsertReferral(ReferralRecord referral);
    void UpdateReferral(ReferralRecord referral);
    TransitionRecord? FindTransition(string id);
    void InsertTransition(TransitionRecord transition);
    SignalRecord? FindSignal(string id);
    void InsertSignal(SignalRecord signal);
    IReadOnlyList<ReferralRecord> GetReferralsForClient(string clientId);
    IReadOnlyList<SignalRecord> GetSignalsForClient(string clientId);

    /// <summary>
    /// The positions of the messages that concern a party (see <see cref="PartyMessageQuery"/>). Stores keep this index
    /// themselves from what they store: a referral's requester and performers, a transition's or signal's sender, and the
    /// recipient of every delivery that carries a message (<see cref="DeliveryRecord.MessageId"/> with a referral,
    /// transition or signal payload). Whether the party may read the message is the caller's check.
    /// </summary>
    IReadOnlyList<MessagePosition> ListPartyMessages(PartyMessageQuery query);

    // Deliveries
    /// <summary>Inserts a delivery and returns it with its assigned sequence.</summary>
    DeliveryRecord InsertDelivery(DeliveryRecord delivery);
    DeliveryRecord? FindDelivery(string id);
    void UpdateDelivery(DeliveryRecord delivery);

    /// <summary>
    /// Updates a delivery that goes back into its recipient's queue (released by a consent, replayed) and moves it to
    /// the end of that queue: it gets a new sequence, higher than every sequence given so far, and is returned with it.
    /// A recipient that resumes from a cursor past the delivery's old place therefore still receives it.
    /// </summary>
    DeliveryRecord RequeueDelivery(DeliveryRecord delivery);
    IReadOnlyList<DeliveryRecord> ListDeliveries(DeliveryQuery query);
    /// <summary>
    /// How many deliveries to <paramref name="recipient"/> are pending (not yet acknowledged, rejected for good or set
    /// aside), and the oldest of them (by sequence), if any: the recipient's queue, for the operator's metrics.
    /// </summary>
    PendingQueue GetPendingQueue(string recipient);

    /// <summary>Open deliveries (pending or awaiting consent) about a client, by sequence.</summary>
    IReadOnlyList<DeliveryRecord> GetOpenDeliveriesForClient(string clientId);
    IReadOnlyList<DeliveryRecord> GetDeliveriesForMessage(string messageId);
    /// <summary>Deliveries whose acknowledgement deadline passed without a signal acknowledgement and that were not escalated.</summary>
    IReadOnlyList<DeliveryRecord> GetDueEscalations(DateTimeOffset now, int limit);
    /// <summary>AWAITING_CONSENT deliveries whose wait ended.</summary>
    IReadOnlyList<DeliveryRecord> GetExpiredAwaiting(DateTimeOffset now, int limit);

    // Journey
    void AppendJourneyEvent(JourneyEvent journeyEvent);
    IReadOnlyList<JourneyEvent> GetJourney(string clientId, long afterSequence, int limit);

    // Retention and erasure (see Retention/MessageContent for what a message's content is and when a delivery ended)
    void UpdateTransition(TransitionRecord transition);
    void UpdateSignal(SignalRecord signal);
    IReadOnlyList<TransitionRecord> GetTransitionsForClient(string clientId);

    /// <summary>
    /// Up to <paramref name="limit"/> messages that still hold their content (no <c>ContentEraseTime</c>), were created
    /// at or before <paramref name="endedBefore"/>, and whose deliveries all ended at or before it
    /// (<see cref="Retention.MessageContent.EndOf"/>; a message without deliveries counts from its create time), oldest first.
    /// </summary>
    IReadOnlyList<MessageKey> ListMessagesContentEnded(DateTimeOffset endedBefore, int limit);

    /// <summary>
    /// Up to <paramref name="limit"/> deliveries that still hold an inline payload (<see cref="DeliveryRecord.PayloadJson"/>)
    /// and ended at or before <paramref name="endedBefore"/>, by end time.
    /// </summary>
    IReadOnlyList<DeliveryRecord> ListDeliveriesContentEnded(DateTimeOffset endedBefore, int limit);

    /// <summary>Removes up to <paramref name="limit"/> stored answers of idempotent requests saved before <paramref name="before"/>; returns how many.</summary>
    int DeleteRequestsBefore(DateTimeOffset before, int limit);

    /// <summary>Removes up to <paramref name="limit"/> journey events (any client) that happened before <paramref name="before"/>; returns how many.</summary>
    int DeleteJourneyEventsBefore(DateTimeOffset before, int limit);

    /// <summary>
    /// Removes what the hub keeps about a client besides the client record and the messages: its roles, coach
    /// assignments, consents, journey events and the stored answers of requests about it. Returns how many rows went.
    /// </summary>
    int DeleteClientRelations(string clientId);

    // Audit trail: append-only; the store never changes a record, and removes one only up to a recorded start (below).
    /// <summary>The last record of the chain, or null when the trail is empty.</summary>
    AuditHead? GetAuditHead();
    /// <summary>Appends a record at <see cref="AuditRecord.Sequence"/>, which must be the head's sequence plus one.</summary>
    void AppendAuditRecord(AuditRecord record);
    /// <summary>Records matching the query, by sequence.</summary>
    IReadOnlyList<AuditRecord> ListAuditRecords(AuditQuery query);

    // Terms of the records (Retention/RetentionWork, docs/privacy.md): message and delivery records, the audit trail.

    /// <summary>
    /// Up to <paramref name="limit"/> messages whose content was erased (<c>ContentEraseTime</c>), created at or before
    /// <paramref name="endedBefore"/>, none of whose deliveries is open, ended after it, or a signal still waiting for its
    /// acknowledgement (<see cref="IHubSession.GetDueEscalations"/>); after <paramref name="after"/> (null: from the
    /// first), by create time, then id. Whether a referral is still open or a client held is the caller's check.
    /// </summary>
    IReadOnlyList<EndedMessage> ListMessageRecordsEnded(DateTimeOffset endedBefore, MessagePosition? after, int limit);

    /// <summary>Removes a message's record, its deliveries and its rows in the party index; returns how many rows went (0: not stored).</summary>
    int DeleteMessageRecord(MessageKey key);

    /// <summary>
    /// Removes up to <paramref name="limit"/> deliveries that carry no message (<see cref="DeliveryRecord.MessageId"/>
    /// null), ended at or before <paramref name="endedBefore"/>, about a client not in <paramref name="keepClients"/>;
    /// returns how many.
    /// </summary>
    int DeleteDeliveriesEnded(DateTimeOffset endedBefore, IReadOnlyCollection<string> keepClients, int limit);

    /// <summary>Where the audit trail starts after its oldest events were removed; null while none were.</summary>
    AuditStart? GetAuditStart();

    /// <summary>
    /// Records that the trail starts after <paramref name="start"/>: the event at its sequence must be stored with its
    /// hash, and the start may only move forward. Only then may <see cref="DeleteAuditRecordsToStart"/> remove events,
    /// and only those up to it; the stores refuse any other change or removal of an audit event.
    /// </summary>
    void SetAuditStart(AuditStart start);

    /// <summary>Removes up to <paramref name="limit"/> audit events at or before the recorded start, oldest first; returns how many.</summary>
    int DeleteAuditRecordsToStart(int limit);
}

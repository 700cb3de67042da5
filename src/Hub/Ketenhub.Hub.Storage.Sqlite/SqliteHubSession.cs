using System.Globalization;
using System.Text.Json.Serialization.Metadata;
using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Consent;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Journeys;
using Ketenhub.Hub.Messages;

namespace Ketenhub.Hub.Storage.Sqlite;

/// <summary>
/// The operations of one read or one write, on the connection of that read or of the writer. Valid only
/// while the work it was handed to runs; afterwards every call throws.
/// </summary>
internal sealed class SqliteHubSession : IHubSession
{
    private readonly ConnectionContext _db;
    private readonly bool _readOnly;
    private readonly ClientCache? _cache;
    private readonly IDocumentProtector? _protector;

    // The messages this write stored, with their create time and client: their deliveries' index rows need them, and
    // are almost always stored in the same write (see IndexRecipient).
    private Dictionary<(string Id, MessageType Type), (DateTimeOffset Time, string ClientId)>? _storedMessages;
    private bool _closed;

    /// <param name="db">The connection of this read or of the writer.</param>
    /// <param name="readOnly">A read session: writes throw.</param>
    /// <param name="cache">The writer's client cache; null for reads.</param>
    /// <param name="protector">Seals documents with free text about a client; null stores them plain.</param>
    internal SqliteHubSession(ConnectionContext db, bool readOnly, ClientCache? cache = null, IDocumentProtector? protector = null)
    {
        _db = db;
        _readOnly = readOnly;
        _cache = cache;
        _protector = protector;
    }

    /// <summary>Ends the session: the work it was given has returned.</summary>
    internal void Close() => _closed = true;

    /// <summary>Whether the session has started a statement that changes the database (its work may need undoing).</summary>
    internal bool Wrote { get; private set; }

    // ----- Idempotency

    public StoredRequest? FindRequest(string caller, string operation, string requestId)
    {
        using var rows = Read().Query(
            "SELECT body_hash, result_json FROM requests WHERE caller = $caller AND operation = $operation AND request_id = $request_id;",
            caller, operation, requestId);
        return rows.Next() ? new StoredRequest(rows.Text(0), rows.OpenedText(1, _protector, RequestPlace(caller, operation, requestId))) : null;
    }

    public void SaveRequest(string caller, string operation, string requestId, StoredRequest request, DateTimeOffset time)
    {
        ArgumentNullException.ThrowIfNull(request);
        var db = Write();
        db.Execute(
            """
            INSERT INTO requests (caller, operation, request_id, body_hash, result_json, create_time, client_id)
            VALUES ($caller, $operation, $request_id, $body_hash, $result_json, $create_time, $client_id)
            ON CONFLICT (caller, operation, request_id) DO UPDATE SET
                body_hash = excluded.body_hash, result_json = excluded.result_json, create_time = excluded.create_time, client_id = excluded.client_id;
            """,
            caller, operation, requestId, request.BodyHash, Seal(RequestPlace(caller, operation, requestId), request.ResultJson), time.UtcTicks, request.ClientId);
    }

    // ----- Clients and roles

    public ClientRecord? FindClient(string clientId) =>
        _cache is null ? LoadClient(clientId) : _cache.Client(clientId, LoadClient);

    private ClientRecord? LoadClient(string clientId) =>
        Read().QueryOne(StoreJson.Default.ClientRecord, "SELECT json FROM clients WHERE id = $id;", clientId);

    public ClientRecord? FindClientByBsnHash(string bsnHash) =>
        Read().QueryOne(StoreJson.Default.ClientRecord, "SELECT json FROM clients WHERE bsn_hash = $bsn_hash;", bsnHash);

    public void InsertClient(ClientRecord client)
    {
        ArgumentNullException.ThrowIfNull(client);
        var db = Write();
        _cache?.Forget(client.Id);
        db.Execute(
            """
            INSERT INTO clients (id, bsn_hash, birth_date, eighteenth_birthday, coming_of_age_handled, json)
            VALUES ($id, $bsn_hash, $birth_date, $eighteenth_birthday, $handled, $json);
            """,
            client.Id, client.BsnHash, Date(client.BirthDate), Date(client.EighteenthBirthday), Flag(client.ComingOfAgeHandled),
            db.Json(client, StoreJson.Default.ClientRecord));
    }

    public void UpdateClient(ClientRecord client)
    {
        ArgumentNullException.ThrowIfNull(client);
        var db = Write();
        _cache?.Forget(client.Id);
        var changed = db.Execute(
            """
            UPDATE clients SET bsn_hash = $bsn_hash, birth_date = $birth_date, eighteenth_birthday = $eighteenth_birthday,
                coming_of_age_handled = $handled, json = $json
            WHERE id = $id;
            """,
            client.BsnHash, Date(client.BirthDate), Date(client.EighteenthBirthday), Flag(client.ComingOfAgeHandled),
            db.Json(client, StoreJson.Default.ClientRecord), client.Id);
        EnsureUpdated(changed, "client", client.Id);
    }

    public IReadOnlyList<ClientRecord> ListClientsComingOfAge(DateOnly onOrBefore, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return Read().QueryList(
            StoreJson.Default.ClientRecord,
            """
            SELECT json FROM clients
            WHERE coming_of_age_handled = 0 AND eighteenth_birthday <= $on_or_before
            ORDER BY eighteenth_birthday, id
            LIMIT $limit;
            """,
            Date(onOrBefore), limit);
    }

    public IReadOnlyList<ClientRecord> ListClients(string afterId, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return Read().QueryList(StoreJson.Default.ClientRecord, "SELECT json FROM clients WHERE id > $after ORDER BY id LIMIT $limit;", afterId, limit);
    }

    public IReadOnlyList<ClientRole> GetRoles(string clientId) =>
        _cache is null ? LoadRoles(clientId) : _cache.Roles(clientId, LoadRoles);

    private IReadOnlyList<ClientRole> LoadRoles(string clientId) =>
        Read().QueryList(StoreJson.Default.ClientRole, "SELECT json FROM roles WHERE client_id = $client_id ORDER BY rowid;", clientId);

    public void InsertRole(ClientRole role)
    {
        ArgumentNullException.ThrowIfNull(role);
        _cache?.Forget(role.ClientId);
        InsertDocument("roles", role.Id, role.ClientId, role, StoreJson.Default.ClientRole);
    }

    public void UpdateRole(ClientRole role)
    {
        ArgumentNullException.ThrowIfNull(role);
        _cache?.Forget(role.ClientId);
        UpdateDocument("roles", "role", role.Id, role.ClientId, role, StoreJson.Default.ClientRole);
    }

    // ----- Coach

    public IReadOnlyList<CoachAssignment> GetCoachAssignments(string clientId) =>
        _cache is null ? LoadCoachAssignments(clientId) : _cache.CoachAssignments(clientId, LoadCoachAssignments);

    private IReadOnlyList<CoachAssignment> LoadCoachAssignments(string clientId) =>
        Read().QueryList(StoreJson.Default.CoachAssignment, "SELECT json FROM coach_assignments WHERE client_id = $client_id ORDER BY rowid;", clientId);

    public IReadOnlyList<CoachAssignment> ListCurrentCoachAssignments(string partyId, string? coachId, string afterClientId, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return Read().QueryList(
            StoreJson.Default.CoachAssignment,
            """
            SELECT json FROM coach_assignments
            WHERE json_extract(json, '$.until') IS NULL
              AND json_extract(json, '$.coach.partyId') = $party
              AND ($coach IS NULL OR json_extract(json, '$.coach.coachId') = $coach)
              AND client_id > $after
            ORDER BY client_id
            LIMIT $limit;
            """,
            partyId,
            coachId,
            afterClientId,
            limit);
    }

    public void InsertCoachAssignment(CoachAssignment assignment)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        _cache?.Forget(assignment.ClientId);
        InsertDocument("coach_assignments", assignment.Id, assignment.ClientId, assignment, StoreJson.Default.CoachAssignment);
    }

    public void UpdateCoachAssignment(CoachAssignment assignment)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        _cache?.Forget(assignment.ClientId);
        UpdateDocument("coach_assignments", "coach assignment", assignment.Id, assignment.ClientId, assignment, StoreJson.Default.CoachAssignment);
    }

    // ----- Consents

    public IReadOnlyList<ConsentRecord> GetConsents(string clientId) =>
        _cache is null ? LoadConsents(clientId) : _cache.Consents(clientId, LoadConsents);

    private IReadOnlyList<ConsentRecord> LoadConsents(string clientId) =>
        Read().QueryList(StoreJson.Default.ConsentRecord, "SELECT json FROM consents WHERE client_id = $client_id ORDER BY rowid;", clientId);

    public ConsentRecord? FindConsent(string consentId) =>
        Read().QueryOne(StoreJson.Default.ConsentRecord, "SELECT json FROM consents WHERE id = $id;", consentId);

    public void InsertConsent(ConsentRecord consent)
    {
        ArgumentNullException.ThrowIfNull(consent);
        _cache?.Forget(consent.ClientId);
        InsertDocument("consents", consent.Id, consent.ClientId, consent, StoreJson.Default.ConsentRecord);
    }

    public void UpdateConsent(ConsentRecord consent)
    {
        ArgumentNullException.ThrowIfNull(consent);
        _cache?.Forget(consent.ClientId);
        UpdateDocument("consents", "consent", consent.Id, consent.ClientId, consent, StoreJson.Default.ConsentRecord);
    }

    // ----- Messages

    public ReferralRecord? FindReferral(string id) =>
        FindSealed("referrals", id, StoreJson.Default.ReferralRecord);

    public void InsertReferral(ReferralRecord referral)
    {
        ArgumentNullException.ThrowIfNull(referral);
        InsertMessage("referrals", referral.Id, referral.ClientId, referral.CreateTime, referral.ContentEraseTime is not null, referral, StoreJson.Default.ReferralRecord);
        IndexReferral(referral);
    }

    public void UpdateReferral(ReferralRecord referral)
    {
        ArgumentNullException.ThrowIfNull(referral);
        UpdateMessage("referrals", "referral", referral.Id, referral.ClientId, referral.ContentEraseTime is not null, referral, StoreJson.Default.ReferralRecord);
        IndexReferral(referral);
    }

    private void IndexReferral(ReferralRecord referral)
    {
        foreach (var party in PartyMessageIndex.PartiesOf(referral))
        {
            IndexMessage(party, MessageType.Referral, referral.CreateTime, referral.Id, referral.ClientId);
        }
    }

    private void IndexMessage(string party, MessageType type, DateTimeOffset createTime, string id, string clientId)
    {
        Write().Execute(PartyMessages.Insert, party, (long)type, createTime.UtcTicks, id, clientId);
        (_storedMessages ??= [])[(id, type)] = (createTime, clientId);
    }

    /// <summary>Adds a delivery's recipient to the index rows of the message it carries, at the message's create time.</summary>
    private void IndexRecipient(string recipient, string messageId, MessageType type)
    {
        if (_storedMessages is null || !_storedMessages.TryGetValue((messageId, type), out var message))
        {
            // A delivery made in a later write (an escalation, say): the message's own record has its time.
            if (PartyMessageIndex.MessageOf(this, messageId, type) is not { } stored)
            {
                return;
            }

            message = stored;
        }

        Write().Execute(PartyMessages.Insert, recipient, (long)type, message.Time.UtcTicks, messageId, message.ClientId);
    }

    public TransitionRecord? FindTransition(string id) =>
        FindSealed("transitions", id, StoreJson.Default.TransitionRecord);

    public void InsertTransition(TransitionRecord transition)
    {
        ArgumentNullException.ThrowIfNull(transition);
        InsertMessage("transitions", transition.Id, transition.ClientId, transition.CreateTime, transition.ContentEraseTime is not null, transition, StoreJson.Default.TransitionRecord);
        IndexMessage(transition.Sender, MessageType.Transition, transition.CreateTime, transition.Id, transition.ClientId);
    }

    public SignalRecord? FindSignal(string id) =>
        FindSealed("signals", id, StoreJson.Default.SignalRecord);

    public void InsertSignal(SignalRecord signal)
    {
        ArgumentNullException.ThrowIfNull(signal);
        InsertMessage("signals", signal.Id, signal.ClientId, signal.CreateTime, signal.ContentEraseTime is not null, signal, StoreJson.Default.SignalRecord);
        IndexMessage(signal.Sender, MessageType.Signal, signal.CreateTime, signal.Id, signal.ClientId);
    }

    public void UpdateTransition(TransitionRecord transition)
    {
        ArgumentNullException.ThrowIfNull(transition);
        UpdateMessage("transitions", "transition", transition.Id, transition.ClientId, transition.ContentEraseTime is not null, transition, StoreJson.Default.TransitionRecord);
    }

    public void UpdateSignal(SignalRecord signal)
    {
        ArgumentNullException.ThrowIfNull(signal);
        UpdateMessage("signals", "signal", signal.Id, signal.ClientId, signal.ContentEraseTime is not null, signal, StoreJson.Default.SignalRecord);
    }

    public IReadOnlyList<TransitionRecord> GetTransitionsForClient(string clientId) =>
        ListSealed("transitions", clientId, StoreJson.Default.TransitionRecord);

    public IReadOnlyList<ReferralRecord> GetReferralsForClient(string clientId) =>
        ListSealed("referrals", clientId, StoreJson.Default.ReferralRecord);

    public IReadOnlyList<SignalRecord> GetSignalsForClient(string clientId) =>
        ListSealed("signals", clientId, StoreJson.Default.SignalRecord);

    public IReadOnlyList<MessagePosition> ListPartyMessages(PartyMessageQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegative(query.Limit);
        var (compare, order) = query.Descending ? ("<", "DESC") : (">", "ASC");
        var after = query.After is null ? string.Empty : $"AND (create_time, message_id) {compare} ($after_time, $after_id)";
        var client = query.ClientId is null ? string.Empty : "AND client_id = $client";
        // Parameters bind by position, in the order they appear.
        var args = new List<object?> { query.PartyId, (long)query.Type };
        if (query.ClientId is not null)
        {
            args.Add(query.ClientId);
        }

        if (query.After is { } position)
        {
            args.Add(position.CreateTime.UtcTicks);
            args.Add(position.MessageId);
        }

        args.Add(query.Limit);
        using var rows = Read().Query(
            $"""
            SELECT create_time, message_id FROM party_messages
            WHERE party_id = $party AND type = $type {client} {after}
            ORDER BY create_time {order}, message_id {order}
            LIMIT $limit;
            """,
            args.ToArray());
        var list = new List<MessagePosition>();
        while (rows.Next())
        {
            list.Add(new MessagePosition(new DateTimeOffset(rows.Int64(0), TimeSpan.Zero), rows.Text(1)));
        }

        return list;
    }

    // ----- Deliveries

    public DeliveryRecord InsertDelivery(DeliveryRecord delivery)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        var db = Write();
        db.Execute(
            """
            INSERT INTO deliveries (id, recipient, client_id, message_id, status, ack_deadline, signal_ack_time, escalated, await_until, end_time, payload_held, json)
            VALUES ($id, $recipient, $client_id, $message_id, $status, $ack_deadline, $signal_ack_time, $escalated, $await_until, $end_time, $payload_held, $json);
            """,
            delivery.Id, delivery.Recipient, delivery.ClientId, delivery.MessageId, (long)delivery.Status,
            Ticks(delivery.AckDeadline), Ticks(delivery.SignalAckTime), Flag(delivery.Escalated), Ticks(delivery.AwaitUntil),
            Ticks(Retention.MessageContent.EndOf(delivery)), Flag(Retention.MessageContent.HoldsPayload(delivery)),
            db.Json(delivery, StoreJson.Default.DeliveryRecord));
        var sequence = db.LastInsertRowId;
        if (delivery.MessageId is { } messageId && PartyMessageIndex.TypeOf(delivery.PayloadKind) is { } type)
        {
            IndexRecipient(delivery.Recipient, messageId, type);
        }

        return delivery with { Sequence = sequence };
    }

    public DeliveryRecord? FindDelivery(string id)
    {
        var found = Read().QuerySequenced(
            StoreJson.Default.DeliveryRecord, WithSequence, "SELECT sequence, json FROM deliveries WHERE id = $id;", id);
        return found.Count == 0 ? null : found[0];
    }

    public void UpdateDelivery(DeliveryRecord delivery)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        var db = Write();
        var json = db.Json(delivery, StoreJson.Default.DeliveryRecord);
        var ackDeadline = Ticks(delivery.AckDeadline);
        var signalAckTime = Ticks(delivery.SignalAckTime);
        var escalated = Flag(delivery.Escalated);
        var awaitUntil = Ticks(delivery.AwaitUntil);
        // A delivery that has ended keeps the time it first ended through later updates (an escalation flag, an erased
        // payload); one that is open again (requeued) has none (end_time on the right of SET is the old value).
        var endTime = Ticks(Retention.MessageContent.EndOf(delivery));
        var payloadHeld = Flag(Retention.MessageContent.HoldsPayload(delivery));

        // Most updates change only what lives in the JSON (an attempt counted, a reason, a time). An UPDATE that
        // assigns an indexed column rewrites that column's entry in every index holding it, changed or not (eight
        // index writes for a delivery), so try the cheapest statement that fits: JSON only when no indexed column
        // changed, then the columns that can change, and only for a delivery whose recipient, client and message
        // are the ones given (they are fixed at creation) the statement that sets all of them.
        var changed = db.Execute(
            """
            UPDATE deliveries SET json = $json
            WHERE id = $id AND recipient = $recipient AND client_id = $client_id AND message_id IS $message_id
              AND status = $status AND ack_deadline IS $ack_deadline AND signal_ack_time IS $signal_ack_time
              AND escalated = $escalated AND await_until IS $await_until AND payload_held = $payload_held;
            """,
            json, delivery.Id, delivery.Recipient, delivery.ClientId, delivery.MessageId, (long)delivery.Status,
            ackDeadline, signalAckTime, escalated, awaitUntil, payloadHeld);
        if (changed == 0)
        {
            changed = db.Execute(
                """
                UPDATE deliveries SET status = $status, ack_deadline = $ack_deadline, signal_ack_time = $signal_ack_time,
                    escalated = $escalated, await_until = $await_until, end_time = CASE WHEN $end_time IS NULL THEN NULL ELSE COALESCE(end_time, $end_time) END, payload_held = $payload_held, json = $json
                WHERE id = $id AND recipient = $recipient AND client_id = $client_id AND message_id IS $message_id;
                """,
                (long)delivery.Status, ackDeadline, signalAckTime, escalated, awaitUntil, endTime, payloadHeld, json,
                delivery.Id, delivery.Recipient, delivery.ClientId, delivery.MessageId);
        }

        if (changed == 0)
        {
            changed = db.Execute(
                """
                UPDATE deliveries SET recipient = $recipient, client_id = $client_id, message_id = $message_id, status = $status,
                    ack_deadline = $ack_deadline, signal_ack_time = $signal_ack_time, escalated = $escalated, await_until = $await_until,
                    end_time = CASE WHEN $end_time IS NULL THEN NULL ELSE COALESCE(end_time, $end_time) END, payload_held = $payload_held, json = $json
                WHERE id = $id;
                """,
                delivery.Recipient, delivery.ClientId, delivery.MessageId, (long)delivery.Status,
                ackDeadline, signalAckTime, escalated, awaitUntil, endTime, payloadHeld, json, delivery.Id);
        }

        EnsureUpdated(changed, "delivery", delivery.Id);
    }

    public DeliveryRecord RequeueDelivery(DeliveryRecord delivery)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        UpdateDelivery(delivery);
        var db = Write();

        // The next sequence as AUTOINCREMENT would give it (above every sequence ever given), recorded in
        // sqlite_sequence so that no later insert can take it or go below it.
        long next;
        using (var rows = db.Query("SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'deliveries'), 0), COALESCE((SELECT MAX(sequence) FROM deliveries), 0)) + 1;"))
        {
            rows.Next();
            next = rows.Int64(0);
        }

        var changed = db.Execute("UPDATE deliveries SET sequence = $next WHERE id = $id;", next, delivery.Id);
        EnsureUpdated(changed, "delivery", delivery.Id);
        db.Execute("UPDATE sqlite_sequence SET seq = $next WHERE name = 'deliveries';", next);
        return delivery with { Sequence = next };
    }

    public IReadOnlyList<DeliveryRecord> ListDeliveries(DeliveryQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegative(query.Limit);

        // Values in the order the statement names them: recipient, status, client, after, limit.
        Span<object?> args = new object?[5];
        var count = 0;
        var variant = 0;
        if (query.Recipient is not null)
        {
            args[count++] = query.Recipient;
            variant |= ListByRecipient;
        }

        if (query.Status is { } status)
        {
            args[count++] = (long)status;
            variant |= ListByStatus;
        }

        if (query.ClientId is not null)
        {
            args[count++] = query.ClientId;
            variant |= ListByClient;
        }

        args[count++] = query.AfterSequence;
        args[count++] = query.Limit;
        return Read().QuerySequenced(StoreJson.Default.DeliveryRecord, WithSequence, ListDeliveriesSql[variant], args[..count]);
    }

    public PendingQueue GetPendingQueue(string recipient)
    {
        // Both on the recipient's index range (recipient, status, sequence).
        long count;
        using (var rows = Read().Query("SELECT COUNT(*) FROM deliveries WHERE recipient = $recipient AND status = $status;", recipient, (long)DeliveryStatus.Pending))
        {
            count = rows.Next() ? rows.Int64(0) : 0;
        }

        if (count == 0)
        {
            return new PendingQueue(0, null);
        }

        var oldest = Read().QuerySequenced(
            StoreJson.Default.DeliveryRecord,
            WithSequence,
            "SELECT sequence, json FROM deliveries WHERE recipient = $recipient AND status = $status ORDER BY sequence LIMIT 1;",
            recipient,
            (long)DeliveryStatus.Pending);
        return new PendingQueue((int)Math.Min(count, int.MaxValue), oldest.Count == 0 ? null : oldest[0]);
    }

    public IReadOnlyList<DeliveryRecord> GetOpenDeliveriesForClient(string clientId) =>
        Read().QuerySequenced(
            StoreJson.Default.DeliveryRecord,
            WithSequence,
            OpenDeliveriesForClientSql,
            clientId);

    public IReadOnlyList<DeliveryRecord> GetDeliveriesForMessage(string messageId) =>
        Read().QuerySequenced(
            StoreJson.Default.DeliveryRecord,
            WithSequence,
            "SELECT sequence, json FROM deliveries WHERE message_id = $message_id ORDER BY sequence;",
            messageId);

    public IReadOnlyList<DeliveryRecord> GetDueEscalations(DateTimeOffset now, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);

        // The conditions on ack_deadline, signal_ack_time and escalated repeat the partial index's, so it is used.
        return Read().QuerySequenced(StoreJson.Default.DeliveryRecord, WithSequence, DueEscalationsSql, now.UtcTicks, limit);
    }

    public IReadOnlyList<DeliveryRecord> GetExpiredAwaiting(DateTimeOffset now, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return Read().QuerySequenced(StoreJson.Default.DeliveryRecord, WithSequence, ExpiredAwaitingSql, now.UtcTicks, limit);
    }

    // ----- Journey

    public void AppendJourneyEvent(JourneyEvent journeyEvent)
    {
        ArgumentNullException.ThrowIfNull(journeyEvent);
        var db = Write();
        db.Execute(
            "INSERT INTO journey (client_id, event_time, json) VALUES ($client_id, $event_time, $json);",
            journeyEvent.ClientId, journeyEvent.Time.UtcTicks, db.Json(journeyEvent, StoreJson.Default.JourneyEvent));
    }

    public IReadOnlyList<JourneyEvent> GetJourney(string clientId, long afterSequence, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return Read().QuerySequenced(
            StoreJson.Default.JourneyEvent,
            static (e, sequence) => e.Sequence == sequence ? e : e with { Sequence = sequence },
            "SELECT sequence, json FROM journey WHERE client_id = $client_id AND sequence > $after ORDER BY sequence LIMIT $limit;",
            clientId, afterSequence, limit);
    }

    // ----- Retention and erasure

    public IReadOnlyList<MessageKey> ListMessagesContentEnded(DateTimeOffset endedBefore, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        using var rows = Read().Query(MessagesContentEndedSql, endedBefore.UtcTicks, limit);
        var list = new List<MessageKey>();
        while (rows.Next())
        {
            list.Add(new MessageKey((MessageType)rows.Int64(0), rows.Text(1)));
        }

        return list;
    }

    public IReadOnlyList<DeliveryRecord> ListDeliveriesContentEnded(DateTimeOffset endedBefore, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);

        // The partial index ix_deliveries_payload_ended holds exactly these rows, by end time.
        return Read().QuerySequenced(
            StoreJson.Default.DeliveryRecord,
            WithSequence,
            "SELECT sequence, json FROM deliveries WHERE payload_held = 1 AND end_time IS NOT NULL AND end_time <= $before ORDER BY end_time LIMIT $limit;",
            endedBefore.UtcTicks,
            limit);
    }

    public int DeleteRequestsBefore(DateTimeOffset before, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return Write().Execute(
            "DELETE FROM requests WHERE rowid IN (SELECT rowid FROM requests WHERE create_time < $before ORDER BY create_time LIMIT $limit);",
            before.UtcTicks,
            limit);
    }

    public int DeleteJourneyEventsBefore(DateTimeOffset before, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return Write().Execute(
            "DELETE FROM journey WHERE sequence IN (SELECT sequence FROM journey WHERE event_time < $before ORDER BY event_time LIMIT $limit);",
            before.UtcTicks,
            limit);
    }

    public int DeleteClientRelations(string clientId)
    {
        var db = Write();
        _cache?.Forget(clientId);
        var removed = 0;
        foreach (var table in new[] { "roles", "coach_assignments", "consents", "journey", "requests" })
        {
            removed += db.Execute($"DELETE FROM {table} WHERE client_id = $client_id;", clientId);
        }

        return removed;
    }

    // Per message table: the messages that still hold content, created at or before the cut-off, none of whose deliveries
    // is open or ended after it; oldest first over the three tables.
    private static readonly string MessagesContentEndedSql = BuildMessagesContentEndedSql();

    private static string BuildMessagesContentEndedSql()
    {
        static string Part(string table, MessageType type) =>
            $"""
            SELECT * FROM (SELECT {(int)type} AS type, m.id, m.create_time FROM {table} m
                WHERE m.content_erased = 0 AND m.create_time <= $before
                  AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id AND (d.end_time IS NULL OR d.end_time > $before))
                ORDER BY m.create_time LIMIT $limit)
            """;
        return $"""
            SELECT type, id FROM ({Part("referrals", MessageType.Referral)}
            UNION ALL {Part("transitions", MessageType.Transition)}
            UNION ALL {Part("signals", MessageType.Signal)})
            ORDER BY create_time, id LIMIT $limit;
            """;
    }

    // ----- Audit trail

    public AuditHead? GetAuditHead()
    {
        using var rows = Read().Query("SELECT sequence, hash FROM audit_events ORDER BY sequence DESC LIMIT 1;");
        return rows.Next() ? new AuditHead(rows.Int64(0), rows.Text(1)) : null;
    }

    public void AppendAuditRecord(AuditRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        Write().Execute(
            """
            INSERT INTO audit_events (sequence, event_time, client_pseudonym, previous_hash, hash, body)
            VALUES ($sequence, $event_time, $client_pseudonym, $previous_hash, $hash, $body);
            """,
            record.Sequence, record.Time.UtcTicks, record.ClientPseudonym, record.PreviousHash, record.Hash, record.Body);
    }

    public IReadOnlyList<AuditRecord> ListAuditRecords(AuditQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegative(query.Limit);
        var from = query.From?.UtcTicks ?? long.MinValue;
        var until = query.Until?.UtcTicks ?? long.MaxValue;
        using var rows = query.ClientPseudonym is null
            ? Read().Query(
                query.From is null && query.Until is null ? AuditAllSql : AuditByTimeSql,
                query.From is null && query.Until is null ? [query.AfterSequence, query.Limit] : [from, until, query.AfterSequence, query.Limit])
            : Read().Query(AuditByClientSql, query.ClientPseudonym, from, until, query.AfterSequence, query.Limit);
        var list = new List<AuditRecord>();
        while (rows.Next())
        {
            list.Add(new AuditRecord(
                rows.Int64(0),
                new DateTimeOffset(rows.Int64(1), TimeSpan.Zero),
                rows.IsNull(2) ? null : rows.Text(2),
                rows.Text(3),
                rows.Text(4),
                rows.Text(5)));
        }

        return list;
    }

    // ----- Terms of the records (schema version 6)

    public IReadOnlyList<EndedMessage> ListMessageRecordsEnded(DateTimeOffset endedBefore, MessagePosition? after, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        using var rows = Read().Query(MessageRecordsEndedSql, endedBefore.UtcTicks, after?.CreateTime.UtcTicks ?? long.MinValue, after?.MessageId ?? string.Empty, limit);
        var list = new List<EndedMessage>();
        while (rows.Next())
        {
            list.Add(new EndedMessage(new MessageKey((MessageType)rows.Int64(0), rows.Text(1)), rows.Text(2), new DateTimeOffset(rows.Int64(3), TimeSpan.Zero)));
        }

        return list;
    }

    public int DeleteMessageRecord(MessageKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var table = MessageTable(key.Type);
        var db = Write();
        long createTime;
        using (var rows = db.Query($"SELECT create_time FROM {table} WHERE id = $id;", key.Id))
        {
            if (!rows.Next())
            {
                return 0;
            }

            createTime = rows.Int64(0);
        }

        // The party index rows: the message's own parties and the recipients of its deliveries (as they were indexed).
        var parties = new HashSet<string>(StringComparer.Ordinal);
        switch (key.Type)
        {
            case MessageType.Referral when FindReferral(key.Id) is { } referral:
                parties.UnionWith(PartyMessageIndex.PartiesOf(referral));
                break;
            case MessageType.Transition when FindTransition(key.Id) is { } transition:
                parties.Add(transition.Sender);
                break;
            case MessageType.Signal when FindSignal(key.Id) is { } signal:
                parties.Add(signal.Sender);
                break;
        }

        using (var rows = db.Query("SELECT DISTINCT recipient FROM deliveries WHERE message_id = $id;", key.Id))
        {
            while (rows.Next())
            {
                parties.Add(rows.Text(0));
            }
        }

        var removed = 0;
        foreach (var party in parties)
        {
            removed += db.Execute(
                "DELETE FROM party_messages WHERE party_id = $party AND type = $type AND create_time = $time AND message_id = $id;",
                party, (long)key.Type, createTime, key.Id);
        }

        removed += db.Execute("DELETE FROM deliveries WHERE message_id = $id;", key.Id);
        removed += db.Execute($"DELETE FROM {table} WHERE id = $id;", key.Id);
        _storedMessages?.Remove((key.Id, key.Type));
        return removed;
    }

    public int DeleteDeliveriesEnded(DateTimeOffset endedBefore, IReadOnlyCollection<string> keepClients, int limit)
    {
        ArgumentNullException.ThrowIfNull(keepClients);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return Write().Execute(
            """
            DELETE FROM deliveries WHERE sequence IN (
                SELECT sequence FROM deliveries
                WHERE message_id IS NULL AND end_time IS NOT NULL AND end_time <= $before
                  AND client_id NOT IN (SELECT value FROM json_each($keep))
                ORDER BY end_time LIMIT $limit);
            """,
            endedBefore.UtcTicks,
            JsonArray(keepClients),
            limit);
    }

    public AuditStart? GetAuditStart()
    {
        using var rows = Read().Query("SELECT sequence, hash FROM audit_start;");
        return rows.Next() ? new AuditStart(rows.Int64(0), rows.Text(1)) : null;
    }

    public void SetAuditStart(AuditStart start)
    {
        ArgumentNullException.ThrowIfNull(start);

        // The triggers refuse a start that does not move forward or names no stored event with that hash.
        Write().Execute(
            "INSERT INTO audit_start (id, sequence, hash) VALUES (1, $sequence, $hash) ON CONFLICT (id) DO UPDATE SET sequence = excluded.sequence, hash = excluded.hash;",
            start.Sequence,
            start.Hash);
    }

    public int DeleteAuditRecordsToStart(int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return Write().Execute(
            """
            DELETE FROM audit_events WHERE sequence IN (
                SELECT sequence FROM audit_events WHERE sequence <= (SELECT sequence FROM audit_start) ORDER BY sequence LIMIT $limit);
            """,
            limit);
    }

    /// <summary>Ids as a JSON array, for <c>json_each</c>.</summary>
    private static string JsonArray(IReadOnlyCollection<string> values)
    {
        using var buffer = new MemoryStream();
        using (var json = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var value in values)
            {
                json.WriteStringValue(value);
            }

            json.WriteEndArray();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static string MessageTable(MessageType type) => type switch
    {
        MessageType.Referral => "referrals",
        MessageType.Transition => "transitions",
        MessageType.Signal => "signals",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Not a message type."),
    };

    // Per message table: the messages whose content is gone, created at or before the cut-off and after the position,
    // none of whose deliveries is open, ended after the cut-off, or waits for its signal's acknowledgement; by create time, then id.
    private static readonly string MessageRecordsEndedSql = BuildMessageRecordsEndedSql();

    private static string BuildMessageRecordsEndedSql()
    {
        static string Part(string table, MessageType type) =>
            $"""
            SELECT * FROM (SELECT {(int)type} AS type, m.id, m.client_id, m.create_time FROM {table} m
                WHERE m.content_erased = 1 AND m.create_time <= $before
                  AND (m.create_time > $after_time OR (m.create_time = $after_time AND m.id > $after_id))
                  AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id
                      AND (d.end_time IS NULL OR d.end_time > $before
                          OR (d.ack_deadline IS NOT NULL AND d.signal_ack_time IS NULL AND d.escalated = 0
                              AND d.status NOT IN ({(int)DeliveryStatus.Withheld}, {(int)DeliveryStatus.Expired}))))
                ORDER BY m.create_time, m.id LIMIT $limit)
            """;
        return $"""
            SELECT type, id, client_id, create_time FROM ({Part("referrals", MessageType.Referral)}
            UNION ALL {Part("transitions", MessageType.Transition)}
            UNION ALL {Part("signals", MessageType.Signal)})
            ORDER BY create_time, id LIMIT $limit;
            """;
    }

    private const string AuditColumns = "SELECT sequence, event_time, client_pseudonym, previous_hash, hash, body FROM audit_events ";

    private const string AuditAllSql = AuditColumns + "WHERE sequence > $after ORDER BY sequence LIMIT $limit;";

    // By period: the time index finds the range; the events of one period are read in chain order.
    private const string AuditByTimeSql = AuditColumns
        + "WHERE event_time >= $from AND event_time < $until AND sequence > $after ORDER BY sequence LIMIT $limit;";

    private const string AuditByClientSql = AuditColumns
        + "WHERE client_pseudonym = $client AND event_time >= $from AND event_time < $until AND sequence > $after ORDER BY sequence LIMIT $limit;";

    // ----- Statements built from enum numbers (constant per process, so each is prepared once)

    private static readonly string OpenDeliveriesForClientSql =
        $"""
        SELECT sequence, json FROM deliveries
        WHERE client_id = $client_id AND status IN ({(int)DeliveryStatus.Pending}, {(int)DeliveryStatus.AwaitingConsent})
        ORDER BY sequence;
        """;

    private static readonly string DueEscalationsSql =
        $"""
        SELECT sequence, json FROM deliveries
        WHERE ack_deadline IS NOT NULL AND signal_ack_time IS NULL AND escalated = 0
          AND ack_deadline <= $now
          AND status NOT IN ({(int)DeliveryStatus.Withheld}, {(int)DeliveryStatus.Expired})
        ORDER BY ack_deadline, sequence
        LIMIT $limit;
        """;

    // The status term repeats the partial index's condition (status = AwaitingConsent = 3), so it is used.
    private static readonly string ExpiredAwaitingSql =
        $"""
        SELECT sequence, json FROM deliveries
        WHERE status = {(int)DeliveryStatus.AwaitingConsent} AND await_until <= $now
        ORDER BY await_until, sequence
        LIMIT $limit;
        """;

    private const int ListByRecipient = 1;
    private const int ListByStatus = 2;
    private const int ListByClient = 4;

    /// <summary>
    /// One statement per combination of <see cref="DeliveryQuery"/> filters, so each is prepared once and each
    /// uses the index that fits it. Parameters appear in the order recipient, status, client, after, limit.
    /// </summary>
    internal static readonly string[] ListDeliveriesSql = BuildListDeliveriesSql();

    private static string[] BuildListDeliveriesSql()
    {
        const string Select = "SELECT sequence, json FROM deliveries WHERE ";
        const string Page = "sequence > $after ORDER BY sequence LIMIT $limit";
        var sql = new string[8];
        sql[0] = Select + Page + ";";
        sql[ListByStatus] = Select + "status = $status AND " + Page + ";";

        // By client: the client index; a client has few deliveries. The unary + keeps SQLite off the recipient index.
        sql[ListByClient] = Select + "client_id = $client_id AND " + Page + ";";
        sql[ListByStatus | ListByClient] = Select + "status = $status AND client_id = $client_id AND " + Page + ";";
        sql[ListByRecipient | ListByClient] = Select + "+recipient = $recipient AND client_id = $client_id AND " + Page + ";";
        sql[ListByRecipient | ListByStatus | ListByClient] =
            Select + "+recipient = $recipient AND status = $status AND client_id = $client_id AND " + Page + ";";

        // By recipient and status: the (recipient, status, sequence) index, read in order.
        sql[ListByRecipient | ListByStatus] = Select + "recipient = $recipient AND status = $status AND " + Page + ";";

        // By recipient alone: the same index read once per status and merged, instead of sorting every delivery
        // the recipient ever had.
        var perStatus = Enum.GetValues<DeliveryStatus>().Select(status =>
            $"SELECT * FROM ({Select}recipient = $recipient AND status = {(int)status} AND {Page})");
        sql[ListByRecipient] = $"SELECT sequence, json FROM ({string.Join(" UNION ALL ", perStatus)}) ORDER BY sequence LIMIT $limit;";
        return sql;
    }

    // ----- Helpers

    private static readonly Func<DeliveryRecord, long, DeliveryRecord> WithSequence =
        static (d, sequence) => d.Sequence == sequence ? d : d with { Sequence = sequence };

    private ConnectionContext Read()
    {
        if (_closed)
        {
            throw new InvalidOperationException("The storage session has ended; use it only inside the work it was given to.");
        }

        if (!_db.InTransaction)
        {
            // SQLite rolled the transaction back after an error the work caught; without this, later statements
            // would each commit on their own.
            throw StoreErrors.Unavailable();
        }

        return _db;
    }

    private ConnectionContext Write()
    {
        if (_readOnly)
        {
            throw new InvalidOperationException("A read session cannot write; use IHubStore.WriteAsync.");
        }

        var db = Read();
        Wrote = true;
        return db;
    }

    // Roles, coach assignments, consents and messages are documents: (id, client_id, json). Messages carry free text
    // about the client and are sealed (see IDocumentProtector), bound to their table and id.
    private void InsertDocument<T>(string table, string id, string clientId, T value, JsonTypeInfo<T> type, bool sealDocument = false)
    {
        var db = Write();
        db.Execute($"INSERT INTO {table} (id, client_id, json) VALUES ($id, $client_id, $json);", id, clientId, sealDocument ? db.SealedJson(value, type, _protector, table + "/" + id) : db.Json(value, type));
    }

    // Referrals, transitions and signals: sealed documents with their create time and whether their content was erased.
    private void InsertMessage<T>(string table, string id, string clientId, DateTimeOffset createTime, bool contentErased, T value, JsonTypeInfo<T> type)
    {
        var db = Write();
        db.Execute(
            $"INSERT INTO {table} (id, client_id, create_time, content_erased, json) VALUES ($id, $client_id, $create_time, $content_erased, $json);",
            id, clientId, createTime.UtcTicks, Flag(contentErased), db.SealedJson(value, type, _protector, table + "/" + id));
    }

    private void UpdateMessage<T>(string table, string what, string id, string clientId, bool contentErased, T value, JsonTypeInfo<T> type)
    {
        var db = Write();
        var changed = db.Execute(
            $"UPDATE {table} SET client_id = $client_id, content_erased = $content_erased, json = $json WHERE id = $id;",
            clientId, Flag(contentErased), db.SealedJson(value, type, _protector, table + "/" + id), id);
        EnsureUpdated(changed, what, id);
    }

    private void UpdateDocument<T>(string table, string what, string id, string clientId, T value, JsonTypeInfo<T> type, bool sealDocument = false)
    {
        var db = Write();
        var changed = db.Execute($"UPDATE {table} SET client_id = $client_id, json = $json WHERE id = $id;", clientId, sealDocument ? db.SealedJson(value, type, _protector, table + "/" + id) : db.Json(value, type), id);
        EnsureUpdated(changed, what, id);
    }

    private T? FindSealed<T>(string table, string id, JsonTypeInfo<T> type)
        where T : class
    {
        using var rows = Read().Query($"SELECT json FROM {table} WHERE id = $id;", id);
        return rows.Next() ? rows.OpenedJson(0, type, _protector, table + "/" + id) : null;
    }

    private List<T> ListSealed<T>(string table, string clientId, JsonTypeInfo<T> type)
    {
        using var rows = Read().Query($"SELECT id, json FROM {table} WHERE client_id = $client_id ORDER BY rowid;", clientId);
        var list = new List<T>();
        while (rows.Next())
        {
            list.Add(rows.OpenedJson(1, type, _protector, table + "/" + rows.Text(0)));
        }

        return list;
    }

    private string Seal(string place, string json) =>
        _protector is null ? json : _protector.Protect(place, System.Text.Encoding.UTF8.GetBytes(json));

    private static string RequestPlace(string caller, string operation, string requestId) => $"requests/{caller}/{operation}/{requestId}";

    /// <summary>
    /// Rewrites the sealed documents of <paramref name="table"/> (referrals, transitions, signals or requests) among
    /// the next <paramref name="limit"/> rows after rowid <paramref name="afterRowId"/> that are not sealed under the
    /// active key. Returns the last rowid looked at (null when there was none), how many rows were looked at and how
    /// many were rewritten.
    /// </summary>
    internal (long? Last, int Examined, int Rewritten) ResealPage(string table, long afterRowId, int limit)
    {
        var protector = _protector ?? throw new InvalidOperationException("The store seals no documents.");
        var requests = table == "requests";
        if (!requests && table is not ("referrals" or "transitions" or "signals"))
        {
            throw new ArgumentException("Only referrals, transitions, signals and requests are sealed.", nameof(table));
        }

        var db = Write();
        var page = new List<(long RowId, string Place, byte[] Stored)>();
        var sql = requests
            ? "SELECT rowid, caller, operation, request_id, result_json FROM requests WHERE rowid > $after ORDER BY rowid LIMIT $limit;"
            : $"SELECT rowid, id, '', '', json FROM {table} WHERE rowid > $after ORDER BY rowid LIMIT $limit;";
        using (var rows = db.Query(sql, afterRowId, limit))
        {
            while (rows.Next())
            {
                var place = requests ? RequestPlace(rows.Text(1), rows.Text(2), rows.Text(3)) : table + "/" + rows.Text(1);
                page.Add((rows.Int64(0), place, rows.Bytes(4)));
            }
        }

        var rewritten = 0;
        foreach (var (rowId, place, stored) in page)
        {
            if (protector.IsCurrent(stored))
            {
                continue;
            }

            var resealed = protector.Protect(place, protector.Unprotect(place, stored).Span);
            db.Execute(requests ? "UPDATE requests SET result_json = $json WHERE rowid = $rowid;" : $"UPDATE {table} SET json = $json WHERE rowid = $rowid;", resealed, rowId);
            rewritten++;
        }

        return (page.Count > 0 ? page[^1].RowId : null, page.Count, rewritten);
    }

    private static void EnsureUpdated(int changed, string what, string id)
    {
        if (changed == 0)
        {
            // Ids are generated by the hub and carry no personal data.
            throw new InvalidOperationException($"Cannot update {what} {id}: it is not stored.");
        }
    }

    private static string Date(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static long Flag(bool value) => value ? 1L : 0L;

    private static object? Ticks(DateTimeOffset? time) => time?.UtcTicks;
}

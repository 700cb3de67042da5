using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Consent;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Journeys;
using Ketenhub.Hub.Messages;
using Npgsql;

namespace Ketenhub.Hub.Storage.Postgres;

/// <summary>
/// The operations of one read or one write, on that read's or that write transaction's connection. Valid only while
/// the work it was handed to runs; afterwards every call throws. Documents are sealed as the SQLite store seals them:
/// the same documents, bound to the same places (<c>table/id</c>, <c>requests/caller/operation/request_id</c>).
/// </summary>
internal sealed class PostgresHubSession : IHubSession
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;
    private readonly bool _readOnly;
    private readonly IDocumentProtector? _protector;

    // The messages this write stored, with their create time and client, for their deliveries' index rows (as the
    // SQLite store keeps them).
    private Dictionary<(string Id, MessageType Type), (DateTimeOffset Time, string ClientId)>? _storedMessages;
    private bool _closed;

    internal PostgresHubSession(NpgsqlConnection connection, NpgsqlTransaction transaction, bool readOnly, IDocumentProtector? protector)
    {
        _connection = connection;
        _transaction = transaction;
        _readOnly = readOnly;
        _protector = protector;
    }

    /// <summary>Ends the session: the work it was given has returned.</summary>
    internal void Close() => _closed = true;

    // ----- Idempotency

    public StoredRequest? FindRequest(string caller, string operation, string requestId)
    {
        using var command = Read("SELECT body_hash, result_json FROM requests WHERE caller = $1 AND operation = $2 AND request_id = $3;", caller, operation, requestId);
        using var rows = command.ExecuteReader();
        return rows.Read() ? new StoredRequest(rows.GetString(0), OpenText(rows.GetString(1), RequestPlace(caller, operation, requestId))) : null;
    }

    public void SaveRequest(string caller, string operation, string requestId, StoredRequest request, DateTimeOffset time)
    {
        ArgumentNullException.ThrowIfNull(request);
        Execute(
            """
            INSERT INTO requests (caller, operation, request_id, body_hash, result_json, create_time, client_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (caller, operation, request_id) DO UPDATE SET
                body_hash = excluded.body_hash, result_json = excluded.result_json, create_time = excluded.create_time, client_id = excluded.client_id;
            """,
            caller, operation, requestId, request.BodyHash, Seal(RequestPlace(caller, operation, requestId), Encoding.UTF8.GetBytes(request.ResultJson)), time.UtcTicks, Text(request.ClientId));
    }

    // ----- Clients and roles

    public ClientRecord? FindClient(string clientId) =>
        QueryOne(StoreJson.Default.ClientRecord, "SELECT json FROM clients WHERE id = $1;", clientId);

    public ClientRecord? FindClientByBsnHash(string bsnHash) =>
        QueryOne(StoreJson.Default.ClientRecord, "SELECT json FROM clients WHERE bsn_hash = $1;", bsnHash);

    public void InsertClient(ClientRecord client)
    {
        ArgumentNullException.ThrowIfNull(client);
        Execute(
            """
            INSERT INTO clients (id, bsn_hash, birth_date, eighteenth_birthday, coming_of_age_handled, json)
            VALUES ($1, $2, $3, $4, $5, $6);
            """,
            client.Id, client.BsnHash, Date(client.BirthDate), Date(client.EighteenthBirthday), client.ComingOfAgeHandled,
            Json(client, StoreJson.Default.ClientRecord));
    }

    public void UpdateClient(ClientRecord client)
    {
        ArgumentNullException.ThrowIfNull(client);
        var changed = Execute(
            """
            UPDATE clients SET bsn_hash = $1, birth_date = $2, eighteenth_birthday = $3, coming_of_age_handled = $4, json = $5
            WHERE id = $6;
            """,
            client.BsnHash, Date(client.BirthDate), Date(client.EighteenthBirthday), client.ComingOfAgeHandled,
            Json(client, StoreJson.Default.ClientRecord), client.Id);
        EnsureUpdated(changed, "client", client.Id);
    }

    public IReadOnlyList<ClientRecord> ListClientsComingOfAge(DateOnly onOrBefore, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return QueryList(
            StoreJson.Default.ClientRecord,
            """
            SELECT json FROM clients
            WHERE NOT coming_of_age_handled AND eighteenth_birthday <= $1
            ORDER BY eighteenth_birthday, id
            LIMIT $2;
            """,
            Date(onOrBefore), (long)limit);
    }

    public IReadOnlyList<ClientRecord> ListClients(string afterId, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return QueryList(StoreJson.Default.ClientRecord, "SELECT json FROM clients WHERE id > $1 ORDER BY id LIMIT $2;", afterId, (long)limit);
    }

    public IReadOnlyList<ClientRole> GetRoles(string clientId) =>
        QueryList(StoreJson.Default.ClientRole, "SELECT json FROM roles WHERE client_id = $1 ORDER BY position;", clientId);

    public void InsertRole(ClientRole role)
    {
        ArgumentNullException.ThrowIfNull(role);
        InsertDocument("roles", role.Id, role.ClientId, role, StoreJson.Default.ClientRole);
    }

    public void UpdateRole(ClientRole role)
    {
        ArgumentNullException.ThrowIfNull(role);
        UpdateDocument("roles", "role", role.Id, role.ClientId, role, StoreJson.Default.ClientRole);
    }

    // ----- Coach

    public IReadOnlyList<CoachAssignment> GetCoachAssignments(string clientId) =>
        QueryList(StoreJson.Default.CoachAssignment, "SELECT json FROM coach_assignments WHERE client_id = $1 ORDER BY position;", clientId);

    public IReadOnlyList<CoachAssignment> ListCurrentCoachAssignments(string partyId, string? coachId, string afterClientId, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return QueryList(
            StoreJson.Default.CoachAssignment,
            """
            SELECT json FROM coach_assignments
            WHERE (json::jsonb ->> 'until') IS NULL
              AND (json::jsonb -> 'coach' ->> 'partyId') = $1
              AND ($2::text IS NULL OR (json::jsonb -> 'coach' ->> 'coachId') = $2::text)
              AND client_id > $3
            ORDER BY client_id
            LIMIT $4;
            """,
            partyId,
            Text(coachId),
            afterClientId,
            (long)limit);
    }

    public void InsertCoachAssignment(CoachAssignment assignment)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        InsertDocument("coach_assignments", assignment.Id, assignment.ClientId, assignment, StoreJson.Default.CoachAssignment);
    }

    public void UpdateCoachAssignment(CoachAssignment assignment)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        UpdateDocument("coach_assignments", "coach assignment", assignment.Id, assignment.ClientId, assignment, StoreJson.Default.CoachAssignment);
    }

    // ----- Consents

    public IReadOnlyList<ConsentRecord> GetConsents(string clientId) =>
        QueryList(StoreJson.Default.ConsentRecord, "SELECT json FROM consents WHERE client_id = $1 ORDER BY position;", clientId);

    public ConsentRecord? FindConsent(string consentId) =>
        QueryOne(StoreJson.Default.ConsentRecord, "SELECT json FROM consents WHERE id = $1;", consentId);

    public void InsertConsent(ConsentRecord consent)
    {
        ArgumentNullException.ThrowIfNull(consent);
        InsertDocument("consents", consent.Id, consent.ClientId, consent, StoreJson.Default.ConsentRecord);
    }

    public void UpdateConsent(ConsentRecord consent)
    {
        ArgumentNullException.ThrowIfNull(consent);
        UpdateDocument("consents", "consent", consent.Id, consent.ClientId, consent, StoreJson.Default.ConsentRecord);
    }

    // ----- Messages (sealed)

    public ReferralRecord? FindReferral(string id) => FindSealed("referrals", id, StoreJson.Default.ReferralRecord);

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
        Execute(PartyMessages.Insert, party, (int)type, createTime.UtcTicks, id, clientId);
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

        Execute(PartyMessages.Insert, recipient, (int)type, message.Time.UtcTicks, messageId, message.ClientId);
    }

    public TransitionRecord? FindTransition(string id) => FindSealed("transitions", id, StoreJson.Default.TransitionRecord);

    public void InsertTransition(TransitionRecord transition)
    {
        ArgumentNullException.ThrowIfNull(transition);
        InsertMessage("transitions", transition.Id, transition.ClientId, transition.CreateTime, transition.ContentEraseTime is not null, transition, StoreJson.Default.TransitionRecord);
        IndexMessage(transition.Sender, MessageType.Transition, transition.CreateTime, transition.Id, transition.ClientId);
    }

    public SignalRecord? FindSignal(string id) => FindSealed("signals", id, StoreJson.Default.SignalRecord);

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
        using var command = Read(
            $"""
            SELECT create_time, message_id FROM party_messages
            WHERE party_id = $1 AND type = $2
              AND ($3::text IS NULL OR client_id = $3::text)
              AND ($4::bigint IS NULL OR (create_time, message_id) {compare} ($4::bigint, $5::text))
            ORDER BY create_time {order}, message_id {order}
            LIMIT $6;
            """,
            query.PartyId, (int)query.Type, Text(query.ClientId), Ticks(query.After?.CreateTime), Text(query.After?.MessageId), (long)query.Limit);
        using var rows = command.ExecuteReader();
        var list = new List<MessagePosition>();
        while (rows.Read())
        {
            list.Add(new MessagePosition(new DateTimeOffset(rows.GetInt64(0), TimeSpan.Zero), rows.GetString(1)));
        }

        return list;
    }

    // ----- Deliveries

    public DeliveryRecord InsertDelivery(DeliveryRecord delivery)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        using var command = Write(
            """
            INSERT INTO deliveries (id, recipient, client_id, message_id, status, ack_deadline, signal_ack_time, escalated, await_until, end_time, payload_held, json)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
            RETURNING sequence;
            """,
            delivery.Id, delivery.Recipient, delivery.ClientId, Text(delivery.MessageId), (int)delivery.Status,
            Ticks(delivery.AckDeadline), Ticks(delivery.SignalAckTime), delivery.Escalated, Ticks(delivery.AwaitUntil),
            Ticks(Retention.MessageContent.EndOf(delivery)), Retention.MessageContent.HoldsPayload(delivery),
            Json(delivery, StoreJson.Default.DeliveryRecord));
        var sequence = Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
        if (delivery.MessageId is { } messageId && PartyMessageIndex.TypeOf(delivery.PayloadKind) is { } type)
        {
            IndexRecipient(delivery.Recipient, messageId, type);
        }

        return delivery with { Sequence = sequence };
    }

    public DeliveryRecord? FindDelivery(string id)
    {
        var found = QuerySequenced(StoreJson.Default.DeliveryRecord, WithSequence, "SELECT sequence, json FROM deliveries WHERE id = $1;", id);
        return found.Count == 0 ? null : found[0];
    }

    public void UpdateDelivery(DeliveryRecord delivery)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        var changed = Execute(
            """
            UPDATE deliveries SET recipient = $1, client_id = $2, message_id = $3, status = $4, ack_deadline = $5,
                signal_ack_time = $6, escalated = $7, await_until = $8, json = $9,
                end_time = CASE WHEN $11::BIGINT IS NULL THEN NULL ELSE COALESCE(end_time, $11::BIGINT) END, payload_held = $12
            WHERE id = $10;
            """,
            delivery.Recipient, delivery.ClientId, Text(delivery.MessageId), (int)delivery.Status, Ticks(delivery.AckDeadline),
            Ticks(delivery.SignalAckTime), delivery.Escalated, Ticks(delivery.AwaitUntil), Json(delivery, StoreJson.Default.DeliveryRecord),
            delivery.Id, Ticks(Retention.MessageContent.EndOf(delivery)), Retention.MessageContent.HoldsPayload(delivery));
        EnsureUpdated(changed, "delivery", delivery.Id);
    }

    public DeliveryRecord RequeueDelivery(DeliveryRecord delivery)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        UpdateDelivery(delivery);
        using var command = Write("UPDATE deliveries SET sequence = nextval('delivery_sequence') WHERE id = $1 RETURNING sequence;", delivery.Id);
        var sequence = command.ExecuteScalar();
        if (sequence is null)
        {
            EnsureUpdated(0, "delivery", delivery.Id);
        }

        return delivery with { Sequence = Convert.ToInt64(sequence, CultureInfo.InvariantCulture) };
    }

    public IReadOnlyList<DeliveryRecord> ListDeliveries(DeliveryQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegative(query.Limit);
        var sql = new StringBuilder("SELECT sequence, json FROM deliveries WHERE ");
        var args = new List<object?>();
        if (query.Recipient is not null)
        {
            args.Add(query.Recipient);
            sql.Append(CultureInfo.InvariantCulture, $"recipient = ${args.Count} AND ");
        }

        if (query.Status is { } status)
        {
            args.Add((int)status);
            sql.Append(CultureInfo.InvariantCulture, $"status = ${args.Count} AND ");
        }

        if (query.ClientId is not null)
        {
            args.Add(query.ClientId);
            sql.Append(CultureInfo.InvariantCulture, $"client_id = ${args.Count} AND ");
        }

        args.Add(query.AfterSequence);
        sql.Append(CultureInfo.InvariantCulture, $"sequence > ${args.Count} ORDER BY sequence LIMIT ${args.Count + 1};");
        args.Add((long)query.Limit);
        return QuerySequenced(StoreJson.Default.DeliveryRecord, WithSequence, sql.ToString(), [.. args]);
    }

    public PendingQueue GetPendingQueue(string recipient)
    {
        long count;
        using (var command = Read("SELECT COUNT(*) FROM deliveries WHERE recipient = $1 AND status = $2;", recipient, (int)DeliveryStatus.Pending))
        {
            count = Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
        }

        if (count == 0)
        {
            return new PendingQueue(0, null);
        }

        var oldest = QuerySequenced(StoreJson.Default.DeliveryRecord, WithSequence, "SELECT sequence, json FROM deliveries WHERE recipient = $1 AND status = $2 ORDER BY sequence LIMIT 1;", recipient, (int)DeliveryStatus.Pending);
        return new PendingQueue((int)Math.Min(count, int.MaxValue), oldest.Count == 0 ? null : oldest[0]);
    }

    public IReadOnlyList<DeliveryRecord> GetOpenDeliveriesForClient(string clientId) =>
        QuerySequenced(StoreJson.Default.DeliveryRecord, WithSequence, OpenDeliveriesForClientSql, clientId);

    public IReadOnlyList<DeliveryRecord> GetDeliveriesForMessage(string messageId) =>
        QuerySequenced(StoreJson.Default.DeliveryRecord, WithSequence, "SELECT sequence, json FROM deliveries WHERE message_id = $1 ORDER BY sequence;", messageId);

    public IReadOnlyList<DeliveryRecord> GetDueEscalations(DateTimeOffset now, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return QuerySequenced(StoreJson.Default.DeliveryRecord, WithSequence, DueEscalationsSql, now.UtcTicks, (long)limit);
    }

    public IReadOnlyList<DeliveryRecord> GetExpiredAwaiting(DateTimeOffset now, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return QuerySequenced(StoreJson.Default.DeliveryRecord, WithSequence, ExpiredAwaitingSql, now.UtcTicks, (long)limit);
    }

    // ----- Journey

    public void AppendJourneyEvent(JourneyEvent journeyEvent)
    {
        ArgumentNullException.ThrowIfNull(journeyEvent);
        Execute("INSERT INTO journey (client_id, event_time, json) VALUES ($1, $2, $3);", journeyEvent.ClientId, journeyEvent.Time.UtcTicks, Json(journeyEvent, StoreJson.Default.JourneyEvent));
    }

    public IReadOnlyList<JourneyEvent> GetJourney(string clientId, long afterSequence, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return QuerySequenced(
            StoreJson.Default.JourneyEvent,
            static (e, sequence) => e.Sequence == sequence ? e : e with { Sequence = sequence },
            "SELECT sequence, json FROM journey WHERE client_id = $1 AND sequence > $2 ORDER BY sequence LIMIT $3;",
            clientId, afterSequence, (long)limit);
    }

    // ----- Retention and erasure

    public IReadOnlyList<MessageKey> ListMessagesContentEnded(DateTimeOffset endedBefore, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        using var command = Read(MessagesContentEndedSql, endedBefore.UtcTicks, (long)limit);
        using var rows = command.ExecuteReader();
        var list = new List<MessageKey>();
        while (rows.Read())
        {
            list.Add(new MessageKey((MessageType)rows.GetInt32(0), rows.GetString(1)));
        }

        return list;
    }

    public IReadOnlyList<DeliveryRecord> ListDeliveriesContentEnded(DateTimeOffset endedBefore, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return QuerySequenced(
            StoreJson.Default.DeliveryRecord,
            WithSequence,
            "SELECT sequence, json FROM deliveries WHERE payload_held AND end_time IS NOT NULL AND end_time <= $1 ORDER BY end_time LIMIT $2;",
            endedBefore.UtcTicks,
            (long)limit);
    }

    public int DeleteRequestsBefore(DateTimeOffset before, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return Execute(
            "DELETE FROM requests WHERE position IN (SELECT position FROM requests WHERE create_time < $1 ORDER BY create_time LIMIT $2);",
            before.UtcTicks,
            (long)limit);
    }

    public int DeleteJourneyEventsBefore(DateTimeOffset before, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return Execute(
            "DELETE FROM journey WHERE sequence IN (SELECT sequence FROM journey WHERE event_time < $1 ORDER BY event_time LIMIT $2);",
            before.UtcTicks,
            (long)limit);
    }

    public int DeleteClientRelations(string clientId)
    {
        var removed = 0;
        foreach (var table in new[] { "roles", "coach_assignments", "consents", "journey", "requests" })
        {
            removed += Execute($"DELETE FROM {table} WHERE client_id = $1;", clientId);
        }

        return removed;
    }

    // As the SQLite store's: per message table, the messages that still hold content, created at or before the cut-off,
    // none of whose deliveries is open or ended after it; oldest first over the three tables.
    private static readonly string MessagesContentEndedSql = BuildMessagesContentEndedSql();

    private static string BuildMessagesContentEndedSql()
    {
        static string Part(string table, MessageType type) =>
            $"""
            (SELECT {(int)type} AS type, m.id, m.create_time FROM {table} m
                WHERE NOT m.content_erased AND m.create_time <= $1
                  AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id AND (d.end_time IS NULL OR d.end_time > $1))
                ORDER BY m.create_time LIMIT $2)
            """;
        return $"""
            SELECT type, id FROM ({Part("referrals", MessageType.Referral)}
            UNION ALL {Part("transitions", MessageType.Transition)}
            UNION ALL {Part("signals", MessageType.Signal)}) AS due
            ORDER BY create_time, id LIMIT $2;
            """;
    }

    // ----- Audit trail

    public AuditHead? GetAuditHead()
    {
        using var command = Read("SELECT sequence, hash FROM audit_events ORDER BY sequence DESC LIMIT 1;");
        using var rows = command.ExecuteReader();
        return rows.Read() ? new AuditHead(rows.GetInt64(0), rows.GetString(1)) : null;
    }

    /// <remarks>
    /// Every write transaction holds the store's write lock (see <see cref="PostgresHubStore"/>), so no other instance
    /// appends between this transaction's <see cref="GetAuditHead"/> and this insert. The insert still refuses a
    /// position other than the head's next one, and the primary key refuses a taken one.
    /// </remarks>
    public void AppendAuditRecord(AuditRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var inserted = Execute(
            """
            INSERT INTO audit_events (sequence, event_time, client_pseudonym, previous_hash, hash, body)
            SELECT $1, $2, $3, $4, $5, $6
            WHERE $1 = COALESCE((SELECT MAX(sequence) FROM audit_events), 0) + 1;
            """,
            record.Sequence, record.Time.UtcTicks, Text(record.ClientPseudonym), record.PreviousHash, record.Hash, record.Body);
        if (inserted == 0)
        {
            throw new InvalidOperationException($"Audit record {record.Sequence} does not follow the head of the chain.");
        }
    }

    public IReadOnlyList<AuditRecord> ListAuditRecords(AuditQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegative(query.Limit);
        var from = query.From?.UtcTicks ?? long.MinValue;
        var until = query.Until?.UtcTicks ?? long.MaxValue;
        using var command = query.ClientPseudonym is null
            ? Read(AuditColumns + "WHERE event_time >= $1 AND event_time < $2 AND sequence > $3 ORDER BY sequence LIMIT $4;", from, until, query.AfterSequence, (long)query.Limit)
            : Read(AuditColumns + "WHERE client_pseudonym = $1 AND event_time >= $2 AND event_time < $3 AND sequence > $4 ORDER BY sequence LIMIT $5;",
                query.ClientPseudonym, from, until, query.AfterSequence, (long)query.Limit);
        using var rows = command.ExecuteReader();
        var list = new List<AuditRecord>();
        while (rows.Read())
        {
            list.Add(new AuditRecord(
                rows.GetInt64(0),
                new DateTimeOffset(rows.GetInt64(1), TimeSpan.Zero),
                rows.IsDBNull(2) ? null : rows.GetString(2),
                rows.GetString(3),
                rows.GetString(4),
                rows.GetString(5)));
        }

        return list;
    }

    // ----- Terms of the records (schema version 6, as the SQLite store's)

    public IReadOnlyList<EndedMessage> ListMessageRecordsEnded(DateTimeOffset endedBefore, MessagePosition? after, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        using var command = Read(MessageRecordsEndedSql, endedBefore.UtcTicks, after?.CreateTime.UtcTicks ?? long.MinValue, after?.MessageId ?? string.Empty, (long)limit);
        using var rows = command.ExecuteReader();
        var list = new List<EndedMessage>();
        while (rows.Read())
        {
            list.Add(new EndedMessage(new MessageKey((MessageType)rows.GetInt32(0), rows.GetString(1)), rows.GetString(2), new DateTimeOffset(rows.GetInt64(3), TimeSpan.Zero)));
        }

        return list;
    }

    public int DeleteMessageRecord(MessageKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var table = MessageTable(key.Type);
        long createTime;
        using (var command = Write($"SELECT create_time FROM {table} WHERE id = $1;", key.Id))
        {
            var found = command.ExecuteScalar();
            if (found is null or DBNull)
            {
                return 0;
            }

            createTime = Convert.ToInt64(found, CultureInfo.InvariantCulture);
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

        using (var command = Read("SELECT DISTINCT recipient FROM deliveries WHERE message_id = $1;", key.Id))
        using (var rows = command.ExecuteReader())
        {
            while (rows.Read())
            {
                parties.Add(rows.GetString(0));
            }
        }

        var removed = Execute(
            "DELETE FROM party_messages WHERE party_id = ANY($1) AND type = $2 AND create_time = $3 AND message_id = $4;",
            parties.ToArray(), (int)key.Type, createTime, key.Id);
        removed += Execute("DELETE FROM deliveries WHERE message_id = $1;", key.Id);
        removed += Execute($"DELETE FROM {table} WHERE id = $1;", key.Id);
        _storedMessages?.Remove((key.Id, key.Type));
        return removed;
    }

    public int DeleteDeliveriesEnded(DateTimeOffset endedBefore, IReadOnlyCollection<string> keepClients, int limit)
    {
        ArgumentNullException.ThrowIfNull(keepClients);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return Execute(
            """
            DELETE FROM deliveries WHERE sequence IN (
                SELECT sequence FROM deliveries
                WHERE message_id IS NULL AND end_time IS NOT NULL AND end_time <= $1 AND client_id <> ALL($2)
                ORDER BY end_time LIMIT $3);
            """,
            endedBefore.UtcTicks,
            keepClients.ToArray(),
            (long)limit);
    }

    public AuditStart? GetAuditStart()
    {
        using var command = Read("SELECT sequence, hash FROM audit_start;");
        using var rows = command.ExecuteReader();
        return rows.Read() ? new AuditStart(rows.GetInt64(0), rows.GetString(1)) : null;
    }

    public void SetAuditStart(AuditStart start)
    {
        ArgumentNullException.ThrowIfNull(start);

        // The trigger refuses a start that does not move forward or names no stored event with that hash.
        Execute(
            "INSERT INTO audit_start (id, sequence, hash) VALUES (1, $1, $2) ON CONFLICT (id) DO UPDATE SET sequence = excluded.sequence, hash = excluded.hash;",
            start.Sequence,
            start.Hash);
    }

    public int DeleteAuditRecordsToStart(int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return Execute(
            """
            DELETE FROM audit_events WHERE sequence IN (
                SELECT sequence FROM audit_events WHERE sequence <= (SELECT sequence FROM audit_start) ORDER BY sequence LIMIT $1);
            """,
            (long)limit);
    }

    private static string MessageTable(MessageType type) => type switch
    {
        MessageType.Referral => "referrals",
        MessageType.Transition => "transitions",
        MessageType.Signal => "signals",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Not a message type."),
    };

    // As the SQLite store's: per message table, the messages whose content is gone, created at or before the cut-off and
    // after the position, none of whose deliveries is open, ended after the cut-off, or waits for its signal's
    // acknowledgement; by create time, then id.
    private static readonly string MessageRecordsEndedSql = BuildMessageRecordsEndedSql();

    private static string BuildMessageRecordsEndedSql()
    {
        static string Part(string table, MessageType type) =>
            $"""
            (SELECT {(int)type} AS type, m.id, m.client_id, m.create_time FROM {table} m
                WHERE m.content_erased AND m.create_time <= $1 AND (m.create_time, m.id) > ($2, $3)
                  AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id
                      AND (d.end_time IS NULL OR d.end_time > $1
                          OR (d.ack_deadline IS NOT NULL AND d.signal_ack_time IS NULL AND NOT d.escalated
                              AND d.status NOT IN ({(int)DeliveryStatus.Withheld}, {(int)DeliveryStatus.Expired}))))
                ORDER BY m.create_time, m.id LIMIT $4)
            """;
        return $"""
            SELECT type, id, client_id, create_time FROM ({Part("referrals", MessageType.Referral)}
            UNION ALL {Part("transitions", MessageType.Transition)}
            UNION ALL {Part("signals", MessageType.Signal)}) AS due
            ORDER BY create_time, id LIMIT $4;
            """;
    }

    private const string AuditColumns = "SELECT sequence, event_time, client_pseudonym, previous_hash, hash, body FROM audit_events ";

    private static readonly string OpenDeliveriesForClientSql =
        $"""
        SELECT sequence, json FROM deliveries
        WHERE client_id = $1 AND status IN ({(int)DeliveryStatus.Pending}, {(int)DeliveryStatus.AwaitingConsent})
        ORDER BY sequence;
        """;

    private static readonly string DueEscalationsSql =
        $"""
        SELECT sequence, json FROM deliveries
        WHERE ack_deadline IS NOT NULL AND signal_ack_time IS NULL AND NOT escalated
          AND ack_deadline <= $1
          AND status NOT IN ({(int)DeliveryStatus.Withheld}, {(int)DeliveryStatus.Expired})
        ORDER BY ack_deadline, sequence
        LIMIT $2;
        """;

    private static readonly string ExpiredAwaitingSql =
        $"""
        SELECT sequence, json FROM deliveries
        WHERE status = {(int)DeliveryStatus.AwaitingConsent} AND await_until <= $1
        ORDER BY await_until, sequence
        LIMIT $2;
        """;

    // ----- Resealing

    /// <summary>
    /// Rewrites the sealed documents of <paramref name="table"/> (referrals, transitions, signals or requests) among
    /// the next <paramref name="limit"/> rows after <paramref name="afterPosition"/> that are not sealed under the
    /// active key. Returns the last position looked at (null when there was none), how many rows were looked at and
    /// how many were rewritten.
    /// </summary>
    internal (long? Last, int Examined, int Rewritten) ResealPage(string table, long afterPosition, int limit)
    {
        var protector = _protector ?? throw new InvalidOperationException("The store seals no documents.");
        var requests = table == "requests";
        if (!requests && table is not ("referrals" or "transitions" or "signals"))
        {
            throw new ArgumentException("Only referrals, transitions, signals and requests are sealed.", nameof(table));
        }

        var page = new List<(long Position, string Place, byte[] Stored)>();
        var sql = requests
            ? "SELECT position, caller, operation, request_id, result_json FROM requests WHERE position > $1 ORDER BY position LIMIT $2 FOR UPDATE;"
            : $"SELECT position, id, '', '', json FROM {table} WHERE position > $1 ORDER BY position LIMIT $2 FOR UPDATE;";
        using (var command = Write(sql, afterPosition, (long)limit))
        using (var rows = command.ExecuteReader())
        {
            while (rows.Read())
            {
                var place = requests ? RequestPlace(rows.GetString(1), rows.GetString(2), rows.GetString(3)) : table + "/" + rows.GetString(1);
                page.Add((rows.GetInt64(0), place, Encoding.UTF8.GetBytes(rows.GetString(4))));
            }
        }

        var rewritten = 0;
        foreach (var (position, place, stored) in page)
        {
            if (protector.IsCurrent(stored))
            {
                continue;
            }

            var resealed = protector.Protect(place, protector.Unprotect(place, stored).Span);
            Execute(requests ? "UPDATE requests SET result_json = $1 WHERE position = $2;" : $"UPDATE {table} SET json = $1 WHERE position = $2;", resealed, position);
            rewritten++;
        }

        return (page.Count > 0 ? page[^1].Position : null, page.Count, rewritten);
    }

    // ----- Helpers

    private static readonly Func<DeliveryRecord, long, DeliveryRecord> WithSequence =
        static (d, sequence) => d.Sequence == sequence ? d : d with { Sequence = sequence };

    private NpgsqlCommand Read(string sql, params object?[] args)
    {
        if (_closed)
        {
            throw new InvalidOperationException("The storage session has ended; use it only inside the work it was given to.");
        }

        var command = new NpgsqlCommand(sql, _connection, _transaction);
        foreach (var arg in args)
        {
            command.Parameters.Add(arg is NpgsqlParameter parameter ? parameter : new NpgsqlParameter { Value = arg ?? DBNull.Value });
        }

        return command;
    }

    private NpgsqlCommand Write(string sql, params object?[] args)
    {
        if (_readOnly)
        {
            throw new InvalidOperationException("A read session cannot write; use IHubStore.WriteAsync.");
        }

        return Read(sql, args);
    }

    private int Execute(string sql, params object?[] args)
    {
        using var command = Write(sql, args);
        return command.ExecuteNonQuery();
    }

    private T? QueryOne<T>(JsonTypeInfo<T> type, string sql, params object?[] args)
        where T : class
    {
        using var command = Read(sql, args);
        using var rows = command.ExecuteReader();
        return rows.Read() ? Parse(rows.GetString(0), type) : null;
    }

    private List<T> QueryList<T>(JsonTypeInfo<T> type, string sql, params object?[] args)
    {
        using var command = Read(sql, args);
        using var rows = command.ExecuteReader();
        var list = new List<T>();
        while (rows.Read())
        {
            list.Add(Parse(rows.GetString(0), type));
        }

        return list;
    }

    private List<T> QuerySequenced<T>(JsonTypeInfo<T> type, Func<T, long, T> withSequence, string sql, params object?[] args)
    {
        using var command = Read(sql, args);
        using var rows = command.ExecuteReader();
        var list = new List<T>();
        while (rows.Read())
        {
            list.Add(withSequence(Parse(rows.GetString(1), type), rows.GetInt64(0)));
        }

        return list;
    }

    // Referrals, transitions and signals: sealed documents with their create time and whether their content was erased.
    private void InsertMessage<T>(string table, string id, string clientId, DateTimeOffset createTime, bool contentErased, T value, JsonTypeInfo<T> type) =>
        Execute($"INSERT INTO {table} (id, client_id, create_time, content_erased, json) VALUES ($1, $2, $3, $4, $5);", id, clientId, createTime.UtcTicks, contentErased, Document(table, id, value, type, sealDocument: true));

    private void UpdateMessage<T>(string table, string what, string id, string clientId, bool contentErased, T value, JsonTypeInfo<T> type)
    {
        var changed = Execute($"UPDATE {table} SET client_id = $1, content_erased = $2, json = $3 WHERE id = $4;", clientId, contentErased, Document(table, id, value, type, sealDocument: true), id);
        EnsureUpdated(changed, what, id);
    }

    private void InsertDocument<T>(string table, string id, string clientId, T value, JsonTypeInfo<T> type, bool sealDocument = false) =>
        Execute($"INSERT INTO {table} (id, client_id, json) VALUES ($1, $2, $3);", id, clientId, Document(table, id, value, type, sealDocument));

    private void UpdateDocument<T>(string table, string what, string id, string clientId, T value, JsonTypeInfo<T> type, bool sealDocument = false)
    {
        var changed = Execute($"UPDATE {table} SET client_id = $1, json = $2 WHERE id = $3;", clientId, Document(table, id, value, type, sealDocument), id);
        EnsureUpdated(changed, what, id);
    }

    private string Document<T>(string table, string id, T value, JsonTypeInfo<T> type, bool sealDocument) =>
        sealDocument ? Seal(table + "/" + id, JsonSerializer.SerializeToUtf8Bytes(value, type)) : Json(value, type);

    private T? FindSealed<T>(string table, string id, JsonTypeInfo<T> type)
        where T : class
    {
        using var command = Read($"SELECT json FROM {table} WHERE id = $1;", id);
        using var rows = command.ExecuteReader();
        return rows.Read() ? OpenJson(rows.GetString(0), type, table + "/" + id) : null;
    }

    private List<T> ListSealed<T>(string table, string clientId, JsonTypeInfo<T> type)
    {
        using var command = Read($"SELECT id, json FROM {table} WHERE client_id = $1 ORDER BY position;", clientId);
        using var rows = command.ExecuteReader();
        var list = new List<T>();
        while (rows.Read())
        {
            list.Add(OpenJson(rows.GetString(1), type, table + "/" + rows.GetString(0)));
        }

        return list;
    }

    private string Seal(string place, byte[] utf8Json) =>
        _protector is null ? Encoding.UTF8.GetString(utf8Json) : _protector.Protect(place, utf8Json);

    private T OpenJson<T>(string stored, JsonTypeInfo<T> type, string place) =>
        _protector is null
            ? Parse(stored, type)
            : JsonSerializer.Deserialize(_protector.Unprotect(place, Encoding.UTF8.GetBytes(stored)).Span, type)
              ?? throw new InvalidOperationException("A stored entity body is empty.");

    private string OpenText(string stored, string place) =>
        _protector is null ? stored : Encoding.UTF8.GetString(_protector.Unprotect(place, Encoding.UTF8.GetBytes(stored)).Span);

    private static string Json<T>(T value, JsonTypeInfo<T> type) => JsonSerializer.Serialize(value, type);

    private static T Parse<T>(string json, JsonTypeInfo<T> type) =>
        JsonSerializer.Deserialize(json, type) ?? throw new InvalidOperationException("A stored entity body is empty.");

    private static string RequestPlace(string caller, string operation, string requestId) => $"requests/{caller}/{operation}/{requestId}";

    private static void EnsureUpdated(int changed, string what, string id)
    {
        if (changed == 0)
        {
            // Ids are generated by the hub and carry no personal data.
            throw new InvalidOperationException($"Cannot update {what} {id}: it is not stored.");
        }
    }

    private static string Date(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    // Typed, so that a null still tells the server its type.
    private static NpgsqlParameter Ticks(DateTimeOffset? time) =>
        new() { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint, Value = time is { } t ? t.UtcTicks : DBNull.Value };

    private static NpgsqlParameter Text(string? text) =>
        new() { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text, Value = text is null ? DBNull.Value : text };
}

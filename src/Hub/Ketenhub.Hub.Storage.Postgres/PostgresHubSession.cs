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

    // A write's statements go through the writer's pipeline (batched round trips); a read has none.
    private readonly WritePipeline? _pipeline;

    // What a write's FindClient fetched along with the client (its coach assignments, roles and consents), until the
    // write changes anything.
    private Prefetched? _prefetched;

    // The audit chain's head as this write left it: untouched (the pipeline's knowledge holds), or changed by this write
    // (_auditHead then is what it is now, null when it must be read).
    private bool _auditHeadTouched;
    private AuditHeadState? _auditHead;

    // A delivery sequence a write's client look-up took ahead, for the write's next delivery insert, which then need not
    // wait for the server's answer. Dropped when another statement takes one first, so that the sequences a write gives
    // still rise in the order it gives them; one not used is a gap, as a rolled-back insert leaves.
    private long? _reservedSequence;

    // The messages this write stored, with their create time and client, for their deliveries' index rows (as the
    // SQLite store keeps them).
    private Dictionary<(string Id, MessageType Type), (DateTimeOffset Time, string ClientId)>? _storedMessages;
    private bool _closed;

    internal PostgresHubSession(NpgsqlConnection connection, NpgsqlTransaction transaction, bool readOnly, IDocumentProtector? protector, WritePipeline? pipeline = null)
    {
        _connection = connection;
        _transaction = transaction;
        _readOnly = readOnly;
        _protector = protector;
        _pipeline = readOnly ? null : pipeline;
    }

    /// <summary>Ends the session: the work it was given has returned.</summary>
    internal void Close() => _closed = true;

    /// <summary>
    /// After the work returned: hands the write's queued statements and what it knows of the audit chain's head to the
    /// pipeline. They are sent with the next write's first round trip (or the commit); if one fails then, this write
    /// alone fails and is rolled back to its savepoint. Throws if the statements of the write before it, sent now, fail
    /// on a statement of this one.
    /// </summary>
    internal void FinishWrite()
    {
        _pipeline?.EndWrite(_auditHeadTouched, _auditHead);
    }

    // ----- Idempotency

    public StoredRequest? FindRequest(string caller, string operation, string requestId)
    {
        return Query(
            rows => rows.Read() ? new StoredRequest(rows.GetString(0), OpenText(rows.GetString(1), RequestPlace(caller, operation, requestId))) : null,
            "SELECT body_hash, result_json FROM requests WHERE caller = $1 AND operation = $2 AND request_id = $3;",
            caller,
            operation,
            requestId);
    }

    public void SaveRequest(string caller, string operation, string requestId, StoredRequest request, DateTimeOffset time)
    {
        ArgumentNullException.ThrowIfNull(request);
        Enqueue(
            """
            INSERT INTO requests (caller, operation, request_id, body_hash, result_json, create_time, client_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (caller, operation, request_id) DO UPDATE SET
                body_hash = excluded.body_hash, result_json = excluded.result_json, create_time = excluded.create_time, client_id = excluded.client_id;
            """,
            caller, operation, requestId, request.BodyHash, Seal(RequestPlace(caller, operation, requestId), Encoding.UTF8.GetBytes(request.ResultJson)), time.UtcTicks, Text(request.ClientId));
    }

    // ----- Clients and roles

    public ClientRecord? FindClient(string clientId)
    {
        if (_pipeline is null)
        {
            return QueryOne(StoreJson.Default.ClientRecord, FindClientSql, clientId);
        }

        // A write that looks up a client mostly goes on to read its coach assignments, roles and consents (the
        // client's context), and to insert a delivery: the three lists and a delivery sequence come in the same round
        // trip; the lists serve those reads until the write changes anything.
        EnsureOpen();
        return _pipeline.Query(
            [(FindClientSql, [clientId]), (CoachAssignmentsSql, [clientId]), (RolesSql, [clientId]), (ConsentsSql, [clientId]), (NextSequenceSql, [])],
            rows =>
            {
                var client = rows.Read() ? Parse(rows.GetString(0), StoreJson.Default.ClientRecord) : null;
                var coach = NextList(rows, StoreJson.Default.CoachAssignment);
                var roles = NextList(rows, StoreJson.Default.ClientRole);
                var consents = NextList(rows, StoreJson.Default.ConsentRecord);
                _prefetched = new Prefetched(clientId, coach, roles, consents);
                if (!rows.NextResult() || !rows.Read())
                {
                    throw new InvalidOperationException("A query of the batch returned no result.");
                }

                _reservedSequence = rows.GetInt64(0);
                return client;
            });
    }

    private const string FindClientSql = "SELECT json FROM clients WHERE id = $1;";
    private const string CoachAssignmentsSql = "SELECT json FROM coach_assignments WHERE client_id = $1 ORDER BY position;";
    private const string RolesSql = "SELECT json FROM roles WHERE client_id = $1 ORDER BY position;";
    private const string ConsentsSql = "SELECT json FROM consents WHERE client_id = $1 ORDER BY position;";
    private const string NextSequenceSql = "SELECT nextval('delivery_sequence');";

    private static List<T> NextList<T>(NpgsqlDataReader rows, JsonTypeInfo<T> type)
    {
        if (!rows.NextResult())
        {
            throw new InvalidOperationException("A query of the batch returned no result.");
        }

        var list = new List<T>();
        while (rows.Read())
        {
            list.Add(Parse(rows.GetString(0), type));
        }

        return list;
    }

    private sealed record Prefetched(string ClientId, List<CoachAssignment> Coach, List<ClientRole> Roles, List<ConsentRecord> Consents);

    public ClientRecord? FindClientByBsnHash(string bsnHash) =>
        QueryOne(StoreJson.Default.ClientRecord, "SELECT json FROM clients WHERE bsn_hash = $1;", bsnHash);

    public void InsertClient(ClientRecord client)
    {
        ArgumentNullException.ThrowIfNull(client);
        Enqueue(
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
        EnqueueUpdate(
            "client",
            client.Id,
            """
            UPDATE clients SET bsn_hash = $1, birth_date = $2, eighteenth_birthday = $3, coming_of_age_handled = $4, json = $5
            WHERE id = $6;
            """,
            client.BsnHash, Date(client.BirthDate), Date(client.EighteenthBirthday), client.ComingOfAgeHandled,
            Json(client, StoreJson.Default.ClientRecord), client.Id);
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
        Prefetch(clientId) is { } prefetched ? prefetched.Roles : QueryList(StoreJson.Default.ClientRole, RolesSql, clientId);

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
        Prefetch(clientId) is { } prefetched ? prefetched.Coach : QueryList(StoreJson.Default.CoachAssignment, CoachAssignmentsSql, clientId);

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
        Prefetch(clientId) is { } prefetched ? prefetched.Consents : QueryList(StoreJson.Default.ConsentRecord, ConsentsSql, clientId);

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
        Enqueue(PartyMessages.Insert, party, (int)type, createTime.UtcTicks, id, clientId);
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

        Enqueue(PartyMessages.Insert, recipient, (int)type, message.Time.UtcTicks, messageId, message.ClientId);
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
        return Query(
            rows =>
            {
                var list = new List<MessagePosition>();
                while (rows.Read())
                {
                    list.Add(new MessagePosition(new DateTimeOffset(rows.GetInt64(0), TimeSpan.Zero), rows.GetString(1)));
                }

                return list;
            },
            $"""
            SELECT create_time, message_id FROM party_messages
            WHERE party_id = $1 AND type = $2
              AND ($3::text IS NULL OR client_id = $3::text)
              AND ($4::bigint IS NULL OR (create_time, message_id) {compare} ($4::bigint, $5::text))
            ORDER BY create_time {order}, message_id {order}
            LIMIT $6;
            """,
            query.PartyId, (int)query.Type, Text(query.ClientId), Ticks(query.After?.CreateTime), Text(query.After?.MessageId), (long)query.Limit);
    }

    // ----- Deliveries

    public DeliveryRecord InsertDelivery(DeliveryRecord delivery)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        EnsureWritable();
        long sequence;
        if (_reservedSequence is { } reserved)
        {
            _reservedSequence = null;
            sequence = reserved;
            Enqueue(
                """
                INSERT INTO deliveries (sequence, id, recipient, client_id, message_id, status, ack_deadline, signal_ack_time, escalated, await_until, end_time, payload_held, json)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13);
                """,
                sequence, delivery.Id, delivery.Recipient, delivery.ClientId, Text(delivery.MessageId), (int)delivery.Status,
                Ticks(delivery.AckDeadline), Ticks(delivery.SignalAckTime), delivery.Escalated, Ticks(delivery.AwaitUntil),
                Ticks(Retention.MessageContent.EndOf(delivery)), Retention.MessageContent.HoldsPayload(delivery),
                Json(delivery, StoreJson.Default.DeliveryRecord));
        }
        else
        {
            sequence = Query(
                Scalar,
                """
                INSERT INTO deliveries (id, recipient, client_id, message_id, status, ack_deadline, signal_ack_time, escalated, await_until, end_time, payload_held, json)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                RETURNING sequence;
                """,
                delivery.Id, delivery.Recipient, delivery.ClientId, Text(delivery.MessageId), (int)delivery.Status,
                Ticks(delivery.AckDeadline), Ticks(delivery.SignalAckTime), delivery.Escalated, Ticks(delivery.AwaitUntil),
                Ticks(Retention.MessageContent.EndOf(delivery)), Retention.MessageContent.HoldsPayload(delivery),
                Json(delivery, StoreJson.Default.DeliveryRecord)) ?? throw new InvalidOperationException("The delivery's insert returned no sequence.");
        }
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
        EnqueueUpdate(
            "delivery",
            delivery.Id,
            """
            UPDATE deliveries SET recipient = $1, client_id = $2, message_id = $3, status = $4, ack_deadline = $5,
                signal_ack_time = $6, escalated = $7, await_until = $8, json = $9,
                end_time = CASE WHEN $11::BIGINT IS NULL THEN NULL ELSE COALESCE(end_time, $11::BIGINT) END, payload_held = $12
            WHERE id = $10;
            """,
            delivery.Recipient, delivery.ClientId, Text(delivery.MessageId), (int)delivery.Status, Ticks(delivery.AckDeadline),
            Ticks(delivery.SignalAckTime), delivery.Escalated, Ticks(delivery.AwaitUntil), Json(delivery, StoreJson.Default.DeliveryRecord),
            delivery.Id, Ticks(Retention.MessageContent.EndOf(delivery)), Retention.MessageContent.HoldsPayload(delivery));
    }

    public DeliveryRecord RequeueDelivery(DeliveryRecord delivery)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        UpdateDelivery(delivery);
        EnsureWritable();
        _reservedSequence = null;
        var sequence = Query(Scalar, "UPDATE deliveries SET sequence = nextval('delivery_sequence') WHERE id = $1 RETURNING sequence;", delivery.Id);
        if (sequence is null)
        {
            EnsureUpdated(0, "delivery", delivery.Id);
        }

        return delivery with { Sequence = sequence!.Value };
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
        var count = Query(Scalar, "SELECT COUNT(*) FROM deliveries WHERE recipient = $1 AND status = $2;", recipient, (int)DeliveryStatus.Pending) ?? 0;

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
        Enqueue("INSERT INTO journey (client_id, event_time, json) VALUES ($1, $2, $3);", journeyEvent.ClientId, journeyEvent.Time.UtcTicks, Json(journeyEvent, StoreJson.Default.JourneyEvent));
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
        return Query(
            rows =>
            {
                var list = new List<MessageKey>();
                while (rows.Read())
                {
                    list.Add(new MessageKey((MessageType)rows.GetInt32(0), rows.GetString(1)));
                }

                return list;
            },
            MessagesContentEndedSql,
            endedBefore.UtcTicks,
            (long)limit);
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

    /// <remarks>
    /// In a write, the head is read from the server once per transaction: the writer holds the write lock, so only
    /// this transaction's own appends move it, and the session (and, once a write succeeds, the pipeline) keeps what
    /// they made it. A statement of the write that touches the audit trail otherwise makes it read again.
    /// </remarks>
    public AuditHead? GetAuditHead()
    {
        if (_pipeline is not null)
        {
            EnsureOpen();
            if ((_auditHeadTouched ? _auditHead : _pipeline.CurrentAuditHead()) is { } known)
            {
                return known.Head;
            }
        }

        var head = Query(rows => rows.Read() ? new AuditHead(rows.GetInt64(0), rows.GetString(1)) : null, "SELECT sequence, hash FROM audit_events ORDER BY sequence DESC LIMIT 1;");
        if (_pipeline is not null)
        {
            if (_auditHeadTouched)
            {
                _auditHead = new AuditHeadState(head);
            }
            else
            {
                _pipeline.KnownAuditHead = new AuditHeadState(head);
            }
        }

        return head;
    }

    /// <remarks>
    /// Every write transaction holds the store's write lock (see <see cref="PostgresHubStore"/>), so no other instance
    /// appends between this transaction's <see cref="GetAuditHead"/> and this insert. The insert still refuses a
    /// position other than the head's next one, and the primary key refuses a taken one.
    /// </remarks>
    public void AppendAuditRecord(AuditRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var sequence = record.Sequence;
        Enqueue(
            inserted => inserted == 0 ? new InvalidOperationException($"Audit record {sequence} does not follow the head of the chain.") : null,
            """
            INSERT INTO audit_events (sequence, event_time, client_pseudonym, previous_hash, hash, body)
            SELECT $1, $2, $3, $4, $5, $6
            WHERE $1 = COALESCE((SELECT MAX(sequence) FROM audit_events), 0) + 1;
            """,
            record.Sequence, record.Time.UtcTicks, Text(record.ClientPseudonym), record.PreviousHash, record.Hash, record.Body);

        // If the insert is refused, the write fails and is rolled back, and what it knew of the head with it.
        _auditHead = new AuditHeadState(new AuditHead(record.Sequence, record.Hash));
    }

    public IReadOnlyList<AuditRecord> ListAuditRecords(AuditQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegative(query.Limit);
        var from = query.From?.UtcTicks ?? long.MinValue;
        var until = query.Until?.UtcTicks ?? long.MaxValue;
        static List<AuditRecord> Records(NpgsqlDataReader rows)
        {
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

        return query.ClientPseudonym is null
            ? Query(Records, AuditColumns + "WHERE event_time >= $1 AND event_time < $2 AND sequence > $3 ORDER BY sequence LIMIT $4;", from, until, query.AfterSequence, (long)query.Limit)
            : Query(Records, AuditColumns + "WHERE client_pseudonym = $1 AND event_time >= $2 AND event_time < $3 AND sequence > $4 ORDER BY sequence LIMIT $5;",
                query.ClientPseudonym, from, until, query.AfterSequence, (long)query.Limit);
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
        EnsureWritable();
        var table = MessageTable(key.Type);
        // With the statements the write has queued, in one round trip.
        if (Query(Scalar, $"SELECT create_time FROM {table} WHERE id = $1;", key.Id) is not { } createTime)
        {
            return 0;
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
        EnsureWritable();
        Query(
            rows =>
            {
                while (rows.Read())
                {
                    var place = requests ? RequestPlace(rows.GetString(1), rows.GetString(2), rows.GetString(3)) : table + "/" + rows.GetString(1);
                    page.Add((rows.GetInt64(0), place, Encoding.UTF8.GetBytes(rows.GetString(4))));
                }

                return page.Count;
            },
            sql,
            afterPosition,
            (long)limit);

        var rewritten = 0;
        foreach (var (position, place, stored) in page)
        {
            if (protector.IsCurrent(stored))
            {
                continue;
            }

            var resealed = protector.Protect(place, protector.Unprotect(place, stored).Span);
            Enqueue(requests ? "UPDATE requests SET result_json = $1 WHERE position = $2;" : $"UPDATE {table} SET json = $1 WHERE position = $2;", resealed, position);
            rewritten++;
        }

        return (page.Count > 0 ? page[^1].Position : null, page.Count, rewritten);
    }

    // ----- Helpers

    private static readonly Func<DeliveryRecord, long, DeliveryRecord> WithSequence =
        static (d, sequence) => d.Sequence == sequence ? d : d with { Sequence = sequence };

    private void EnsureOpen()
    {
        if (_closed)
        {
            throw new InvalidOperationException("The storage session has ended; use it only inside the work it was given to.");
        }
    }

    private void EnsureWritable()
    {
        if (_readOnly)
        {
            throw new InvalidOperationException("A read session cannot write; use IHubStore.WriteAsync.");
        }

        EnsureOpen();
    }

    /// <summary>
    /// A command to run at once, on its own. In a write, the statements queued before it are sent first (a round trip of
    /// their own): what a command with a need of its own (a reader held open, say) costs; the session's own queries use
    /// <see cref="Query{T}"/>, which sends them together.
    /// </summary>
    private NpgsqlCommand Read(string sql, params object?[] args)
    {
        EnsureOpen();
        _pipeline?.Flush();
        var command = new NpgsqlCommand(sql, _connection, _transaction);
        foreach (var arg in args)
        {
            command.Parameters.Add(arg is NpgsqlParameter parameter ? parameter : new NpgsqlParameter { Value = arg ?? DBNull.Value });
        }

        return command;
    }

    /// <summary>
    /// Runs <paramref name="sql"/> (a query, or a write whose returned rows are needed) and hands its rows to
    /// <paramref name="read"/>; in a write, together with the statements queued before it, in one round trip.
    /// </summary>
    private T Query<T>(Func<NpgsqlDataReader, T> read, string sql, params object?[] args)
    {
        EnsureOpen();
        if (_pipeline is null)
        {
            using var command = Read(sql, args);
            using var rows = command.ExecuteReader();
            return read(rows);
        }

        if (!sql.TrimStart().StartsWith("SELECT", StringComparison.OrdinalIgnoreCase))
        {
            Changed(sql);
        }

        return _pipeline.Query([(sql, args)], read);
    }

    private static long? Scalar(NpgsqlDataReader rows) =>
        rows.Read() && !rows.IsDBNull(0) ? Convert.ToInt64(rows.GetValue(0), CultureInfo.InvariantCulture) : null;

    /// <summary>Runs a write at once (in a write, with the statements queued before it) and returns the rows it changed.</summary>
    private int Execute(string sql, params object?[] args)
    {
        EnsureWritable();
        Changed(sql);
        if (_pipeline is null)
        {
            using var command = Read(sql, args);
            return command.ExecuteNonQuery();
        }

        return _pipeline.Execute(sql, args);
    }

    /// <summary>Queues a write whose answer is not needed; it goes to the server with the write's next round trip.</summary>
    private void Enqueue(string sql, params object?[] args) => Enqueue(null, sql, args);

    /// <summary>Queues an update that must change a row; if it changes none, the write fails when it is sent.</summary>
    private void EnqueueUpdate(string what, string id, string sql, params object?[] args) =>
        Enqueue(changed => changed == 0 ? NotStored(what, id) : null, sql, args);

    private void Enqueue(Func<int, Exception?>? check, string sql, params object?[] args)
    {
        EnsureWritable();
        Changed(sql);
        if (_pipeline is null)
        {
            using var command = Read(sql, args);
            if (check?.Invoke(command.ExecuteNonQuery()) is { } refused)
            {
                throw refused;
            }

            return;
        }

        _pipeline.Enqueue(sql, args, check);
    }

    /// <summary>The write changes something: what was fetched ahead may no longer hold; and the audit head, if the audit trail is touched.</summary>
    private void Changed(string sql)
    {
        _prefetched = null;
        if (sql.Contains("audit_events", StringComparison.Ordinal))
        {
            _auditHeadTouched = true;
            _auditHead = null;
        }
    }

    private Prefetched? Prefetch(string clientId)
    {
        EnsureOpen();
        return _prefetched is { } prefetched && prefetched.ClientId == clientId ? prefetched : null;
    }

    private T? QueryOne<T>(JsonTypeInfo<T> type, string sql, params object?[] args)
        where T : class =>
        Query(rows => rows.Read() ? Parse(rows.GetString(0), type) : null, sql, args);

    private List<T> QueryList<T>(JsonTypeInfo<T> type, string sql, params object?[] args) =>
        Query(
            rows =>
            {
                var list = new List<T>();
                while (rows.Read())
                {
                    list.Add(Parse(rows.GetString(0), type));
                }

                return list;
            },
            sql,
            args);

    private List<T> QuerySequenced<T>(JsonTypeInfo<T> type, Func<T, long, T> withSequence, string sql, params object?[] args) =>
        Query(
            rows =>
            {
                var list = new List<T>();
                while (rows.Read())
                {
                    list.Add(withSequence(Parse(rows.GetString(1), type), rows.GetInt64(0)));
                }

                return list;
            },
            sql,
            args);

    // Referrals, transitions and signals: sealed documents with their create time and whether their content was erased.
    private void InsertMessage<T>(string table, string id, string clientId, DateTimeOffset createTime, bool contentErased, T value, JsonTypeInfo<T> type) =>
        Enqueue($"INSERT INTO {table} (id, client_id, create_time, content_erased, json) VALUES ($1, $2, $3, $4, $5);", id, clientId, createTime.UtcTicks, contentErased, Document(table, id, value, type, sealDocument: true));

    private void UpdateMessage<T>(string table, string what, string id, string clientId, bool contentErased, T value, JsonTypeInfo<T> type) =>
        EnqueueUpdate(what, id, $"UPDATE {table} SET client_id = $1, content_erased = $2, json = $3 WHERE id = $4;", clientId, contentErased, Document(table, id, value, type, sealDocument: true), id);

    private void InsertDocument<T>(string table, string id, string clientId, T value, JsonTypeInfo<T> type, bool sealDocument = false) =>
        Enqueue($"INSERT INTO {table} (id, client_id, json) VALUES ($1, $2, $3);", id, clientId, Document(table, id, value, type, sealDocument));

    private void UpdateDocument<T>(string table, string what, string id, string clientId, T value, JsonTypeInfo<T> type, bool sealDocument = false) =>
        EnqueueUpdate(what, id, $"UPDATE {table} SET client_id = $1, json = $2 WHERE id = $3;", clientId, Document(table, id, value, type, sealDocument), id);

    private string Document<T>(string table, string id, T value, JsonTypeInfo<T> type, bool sealDocument) =>
        sealDocument ? Seal(table + "/" + id, JsonSerializer.SerializeToUtf8Bytes(value, type)) : Json(value, type);

    private T? FindSealed<T>(string table, string id, JsonTypeInfo<T> type)
        where T : class =>
        Query(rows => rows.Read() ? OpenJson(rows.GetString(0), type, table + "/" + id) : null, $"SELECT json FROM {table} WHERE id = $1;", id);

    private List<T> ListSealed<T>(string table, string clientId, JsonTypeInfo<T> type) =>
        Query(
            rows =>
            {
                var list = new List<T>();
                while (rows.Read())
                {
                    list.Add(OpenJson(rows.GetString(1), type, table + "/" + rows.GetString(0)));
                }

                return list;
            },
            $"SELECT id, json FROM {table} WHERE client_id = $1 ORDER BY position;",
            clientId);

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
            throw NotStored(what, id);
        }
    }

    // Ids are generated by the hub and carry no personal data.
    private static InvalidOperationException NotStored(string what, string id) => new($"Cannot update {what} {id}: it is not stored.");

    private static string Date(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    // Typed, so that a null still tells the server its type.
    private static NpgsqlParameter Ticks(DateTimeOffset? time) =>
        new() { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint, Value = time is { } t ? t.UtcTicks : DBNull.Value };

    private static NpgsqlParameter Text(string? text) =>
        new() { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text, Value = text is null ? DBNull.Value : text };
}

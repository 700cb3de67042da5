using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Consent;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Journeys;
using Ketenhub.Hub.Messages;
using Ketenhub.Hub.Retention;
using Ketenhub.Hub.Storage;

namespace Ketenhub.Testing.InMemory;

/// <summary>
/// The operations of one read or one write of an <see cref="InMemoryHubStore"/>, on its own <see cref="StoreState"/>.
/// Valid only while the work it was handed to runs; afterwards every call throws, as the SQLite store's session does.
/// </summary>
/// <remarks>
/// Entity bodies go in and come out as copies through JSON written as the SQLite store writes it (camel case, enums by
/// name, nulls and computed properties left out). So what a caller changes after a write or a read does not reach the
/// store, and a value that would not survive the SQLite store's round trip does not survive this one either.
/// Queries follow the SQLite store's statements: the same filters, the same order, instants compared by UTC ticks.
/// </remarks>
internal sealed class InMemoryHubSession(StoreState state, bool readOnly) : IHubSession
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        IgnoreReadOnlyProperties = true,
        Converters = { new JsonStringEnumConverter() },
    };

    private StoreState _state = state;
    private bool _closed;

    /// <summary>The state with this session's writes.</summary>
    public StoreState State => _state;

    /// <summary>Ends the session: the work it was given has returned.</summary>
    public void Close() => _closed = true;

    // ----- Idempotency

    public StoredRequest? FindRequest(string caller, string operation, string requestId) =>
        Read().Requests.TryGetValue((caller, operation, requestId), out var stored) ? stored.Request : null;

    public void SaveRequest(string caller, string operation, string requestId, StoredRequest request, DateTimeOffset time)
    {
        ArgumentNullException.ThrowIfNull(request);
        var state = Write();
        _state = state with { Requests = state.Requests.SetItem((caller, operation, requestId), (request, time.UtcTicks)) };
    }

    // ----- Clients and roles

    public ClientRecord? FindClient(string clientId) =>
        Read().Clients.TryGetValue(clientId, out var client) ? Copy(client) : null;

    public ClientRecord? FindClientByBsnHash(string bsnHash)
    {
        var state = Read();
        return state.ClientIdByBsnHash.TryGetValue(bsnHash, out var id) ? Copy(state.Clients[id]) : null;
    }

    public void InsertClient(ClientRecord client)
    {
        ArgumentNullException.ThrowIfNull(client);
        var state = Write();
        if (state.Clients.ContainsKey(client.Id))
        {
            throw new InvalidOperationException($"Cannot insert client {client.Id}: its id is stored already.");
        }

        if (state.ClientIdByBsnHash.ContainsKey(client.BsnHash))
        {
            throw new InvalidOperationException($"Cannot insert client {client.Id}: another client has its BSN hash.");
        }

        _state = state with
        {
            Clients = state.Clients.Add(client.Id, Copy(client)),
            ClientIdByBsnHash = state.ClientIdByBsnHash.Add(client.BsnHash, client.Id),
        };
    }

    public void UpdateClient(ClientRecord client)
    {
        ArgumentNullException.ThrowIfNull(client);
        var state = Write();
        if (!state.Clients.TryGetValue(client.Id, out var stored))
        {
            throw new InvalidOperationException($"Cannot update client {client.Id}: it is not stored.");
        }

        var byHash = state.ClientIdByBsnHash;
        if (!string.Equals(stored.BsnHash, client.BsnHash, StringComparison.Ordinal))
        {
            if (byHash.ContainsKey(client.BsnHash))
            {
                throw new InvalidOperationException($"Cannot update client {client.Id}: another client has its BSN hash.");
            }

            byHash = byHash.Remove(stored.BsnHash).Add(client.BsnHash, client.Id);
        }

        _state = state with { Clients = state.Clients.SetItem(client.Id, Copy(client)), ClientIdByBsnHash = byHash };
    }

    public IReadOnlyList<ClientRecord> ListClientsComingOfAge(DateOnly onOrBefore, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return Read().Clients.Values
            .Where(c => !c.ComingOfAgeHandled && c.EighteenthBirthday <= onOrBefore)
            .OrderBy(c => c.EighteenthBirthday)
            .ThenBy(c => c.Id, StringComparer.Ordinal)
            .Take(limit)
            .Select(Copy)
            .ToList();
    }

    public IReadOnlyList<ClientRecord> ListClients(string afterId, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return Read().Clients
            .Where(c => string.CompareOrdinal(c.Key, afterId) > 0)
            .Take(limit)
            .Select(c => Copy(c.Value))
            .ToList();
    }

    public IReadOnlyList<ClientRole> GetRoles(string clientId) => Read().Roles.ForClient(clientId).Select(Copy).ToList();

    public void InsertRole(ClientRole role)
    {
        ArgumentNullException.ThrowIfNull(role);
        var state = Write();
        _state = state with { Roles = state.Roles.Insert(role.Id, role.ClientId, Copy(role), "role") };
    }

    public void UpdateRole(ClientRole role)
    {
        ArgumentNullException.ThrowIfNull(role);
        var state = Write();
        _state = state with { Roles = state.Roles.Update(role.Id, role.ClientId, Copy(role), "role") };
    }

    // ----- Coach

    public IReadOnlyList<CoachAssignment> GetCoachAssignments(string clientId) =>
        Read().CoachAssignments.ForClient(clientId).Select(Copy).ToList();

    public IReadOnlyList<CoachAssignment> ListCurrentCoachAssignments(string partyId, string? coachId, string afterClientId, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return Read().CoachAssignments.All
            .Where(a => a.Until is null && a.Coach.PartyId == partyId && (coachId is null || a.Coach.CoachId == coachId)
                && string.CompareOrdinal(a.ClientId, afterClientId) > 0)
            .OrderBy(a => a.ClientId, StringComparer.Ordinal)
            .Take(limit)
            .Select(Copy)
            .ToList();
    }

    public void InsertCoachAssignment(CoachAssignment assignment)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        var state = Write();
        _state = state with { CoachAssignments = state.CoachAssignments.Insert(assignment.Id, assignment.ClientId, Copy(assignment), "coach assignment") };
    }

    public void UpdateCoachAssignment(CoachAssignment assignment)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        var state = Write();
        _state = state with { CoachAssignments = state.CoachAssignments.Update(assignment.Id, assignment.ClientId, Copy(assignment), "coach assignment") };
    }

    // ----- Consents

    public IReadOnlyList<ConsentRecord> GetConsents(string clientId) => Read().Consents.ForClient(clientId).Select(Copy).ToList();

    public ConsentRecord? FindConsent(string consentId) => CopyOrNull(Read().Consents.Find(consentId));

    public void InsertConsent(ConsentRecord consent)
    {
        ArgumentNullException.ThrowIfNull(consent);
        var state = Write();
        _state = state with { Consents = state.Consents.Insert(consent.Id, consent.ClientId, Copy(consent), "consent") };
    }

    public void UpdateConsent(ConsentRecord consent)
    {
        ArgumentNullException.ThrowIfNull(consent);
        var state = Write();
        _state = state with { Consents = state.Consents.Update(consent.Id, consent.ClientId, Copy(consent), "consent") };
    }

    // ----- Messages

    public ReferralRecord? FindReferral(string id) => CopyOrNull(Read().Referrals.Find(id));

    public void InsertReferral(ReferralRecord referral)
    {
        ArgumentNullException.ThrowIfNull(referral);
        var state = Write();
        _state = state with { Referrals = state.Referrals.Insert(referral.Id, referral.ClientId, Copy(referral), "referral") };
    }

    public void UpdateReferral(ReferralRecord referral)
    {
        ArgumentNullException.ThrowIfNull(referral);
        var state = Write();
        _state = state with { Referrals = state.Referrals.Update(referral.Id, referral.ClientId, Copy(referral), "referral") };
    }

    public TransitionRecord? FindTransition(string id) => CopyOrNull(Read().Transitions.Find(id));

    public void InsertTransition(TransitionRecord transition)
    {
        ArgumentNullException.ThrowIfNull(transition);
        var state = Write();
        _state = state with { Transitions = state.Transitions.Insert(transition.Id, transition.ClientId, Copy(transition), "transition") };
    }

    public SignalRecord? FindSignal(string id) => CopyOrNull(Read().Signals.Find(id));

    public void InsertSignal(SignalRecord signal)
    {
        ArgumentNullException.ThrowIfNull(signal);
        var state = Write();
        _state = state with { Signals = state.Signals.Insert(signal.Id, signal.ClientId, Copy(signal), "signal") };
    }

    public void UpdateTransition(TransitionRecord transition)
    {
        ArgumentNullException.ThrowIfNull(transition);
        var state = Write();
        _state = state with { Transitions = state.Transitions.Update(transition.Id, transition.ClientId, Copy(transition), "transition") };
    }

    public void UpdateSignal(SignalRecord signal)
    {
        ArgumentNullException.ThrowIfNull(signal);
        var state = Write();
        _state = state with { Signals = state.Signals.Update(signal.Id, signal.ClientId, Copy(signal), "signal") };
    }

    public IReadOnlyList<TransitionRecord> GetTransitionsForClient(string clientId) => Read().Transitions.ForClient(clientId).Select(Copy).ToList();

    public IReadOnlyList<ReferralRecord> GetReferralsForClient(string clientId) => Read().Referrals.ForClient(clientId).Select(Copy).ToList();

    public IReadOnlyList<SignalRecord> GetSignalsForClient(string clientId) => Read().Signals.ForClient(clientId).Select(Copy).ToList();

    // Derived on each call from what is stored, as the SQL stores keep their index from the same facts.
    public IReadOnlyList<MessagePosition> ListPartyMessages(PartyMessageQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegative(query.Limit);
        var state = Read();
        var party = query.PartyId;
        IEnumerable<(string Id, string ClientId, DateTimeOffset CreateTime, bool Own)> messages = query.Type switch
        {
            MessageType.Referral => state.Referrals.All.Select(r => (r.Id, r.ClientId, r.CreateTime, PartyMessageIndex.PartiesOf(r).Contains(party))),
            MessageType.Transition => state.Transitions.All.Select(t => (t.Id, t.ClientId, t.CreateTime, t.Sender == party)),
            MessageType.Signal => state.Signals.All.Select(s => (s.Id, s.ClientId, s.CreateTime, s.Sender == party)),
            _ => throw new ArgumentOutOfRangeException(nameof(query), "Only referrals, transitions and signals are listed."),
        };
        var received = state.Deliveries.Values
            .Where(d => d.Recipient == party && PartyMessageIndex.TypeOf(d.PayloadKind) == query.Type && d.MessageId is not null)
            .Select(d => d.MessageId!)
            .ToHashSet(StringComparer.Ordinal);
        var positions = messages
            .Where(m => (m.Own || received.Contains(m.Id)) && (query.ClientId is null || m.ClientId == query.ClientId))
            .Select(m => new MessagePosition(m.CreateTime, m.Id));
        var ordered = query.Descending
            ? positions.OrderByDescending(p => p.CreateTime.UtcTicks).ThenByDescending(p => p.MessageId, StringComparer.Ordinal)
            : positions.OrderBy(p => p.CreateTime.UtcTicks).ThenBy(p => p.MessageId, StringComparer.Ordinal);
        return ordered
            .Where(p => query.After is not { } after || Compare(p, after) * (query.Descending ? -1 : 1) > 0)
            .Take(query.Limit)
            .ToList();

        static int Compare(MessagePosition a, MessagePosition b)
        {
            var byTime = a.CreateTime.UtcTicks.CompareTo(b.CreateTime.UtcTicks);
            return byTime != 0 ? byTime : string.CompareOrdinal(a.MessageId, b.MessageId);
        }
    }

    // ----- Deliveries

    public DeliveryRecord InsertDelivery(DeliveryRecord delivery)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        var state = Write();
        if (state.DeliverySequenceById.ContainsKey(delivery.Id))
        {
            throw new InvalidOperationException($"Cannot insert delivery {delivery.Id}: its id is stored already.");
        }

        var sequence = NextDeliverySequence(state);
        var stored = Copy(delivery) with { Sequence = sequence };
        _state = state with
        {
            Deliveries = state.Deliveries.Add(sequence, stored),
            DeliverySequenceById = state.DeliverySequenceById.Add(delivery.Id, sequence),
            LastDeliverySequence = sequence,
            DeliveryEndTicks = WithEnd(state.DeliveryEndTicks, delivery),
        };
        return Copy(stored);
    }

    public DeliveryRecord? FindDelivery(string id)
    {
        var state = Read();
        return state.DeliverySequenceById.TryGetValue(id, out var sequence) ? Copy(state.Deliveries[sequence]) : null;
    }

    public void UpdateDelivery(DeliveryRecord delivery)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        var state = Write();
        var sequence = StoredSequence(state, delivery.Id);

        // The sequence is the store's: an update keeps the delivery where it is in its queue, whatever the record says.
        _state = state with
        {
            Deliveries = state.Deliveries.SetItem(sequence, Copy(delivery) with { Sequence = sequence }),
            DeliveryEndTicks = WithEnd(state.DeliveryEndTicks, delivery),
        };
    }

    public DeliveryRecord RequeueDelivery(DeliveryRecord delivery)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        var state = Write();
        var old = StoredSequence(state, delivery.Id);
        var next = NextDeliverySequence(state);
        var stored = Copy(delivery) with { Sequence = next };
        _state = state with
        {
            Deliveries = state.Deliveries.Remove(old).Add(next, stored),
            DeliverySequenceById = state.DeliverySequenceById.SetItem(delivery.Id, next),
            LastDeliverySequence = next,
            DeliveryEndTicks = WithEnd(state.DeliveryEndTicks, delivery),
        };
        return Copy(stored);
    }

    public IReadOnlyList<DeliveryRecord> ListDeliveries(DeliveryQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegative(query.Limit);
        return Read().Deliveries.Values
            .Where(d => d.Sequence > query.AfterSequence
                && (query.Recipient is null || string.Equals(d.Recipient, query.Recipient, StringComparison.Ordinal))
                && (query.Status is null || d.Status == query.Status)
                && (query.ClientId is null || string.Equals(d.ClientId, query.ClientId, StringComparison.Ordinal)))
            .Take(query.Limit)
            .Select(Copy)
            .ToList();
    }

    public PendingQueue GetPendingQueue(string recipient)
    {
        var pending = Read().Deliveries.Values.Where(d => d.Recipient == recipient && d.Status == DeliveryStatus.Pending).ToList();
        return new PendingQueue(pending.Count, pending.Count == 0 ? null : Copy(pending[0]));
    }

    public IReadOnlyList<DeliveryRecord> GetOpenDeliveriesForClient(string clientId) =>
        Read().Deliveries.Values
            .Where(d => string.Equals(d.ClientId, clientId, StringComparison.Ordinal) && d.Status is DeliveryStatus.Pending or DeliveryStatus.AwaitingConsent)
            .Select(Copy)
            .ToList();

    public IReadOnlyList<DeliveryRecord> GetDeliveriesForMessage(string messageId) =>
        Read().Deliveries.Values
            .Where(d => string.Equals(d.MessageId, messageId, StringComparison.Ordinal))
            .Select(Copy)
            .ToList();

    public IReadOnlyList<DeliveryRecord> GetDueEscalations(DateTimeOffset now, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return Read().Deliveries.Values
            .Where(d => d.AckDeadline is { } deadline && d.SignalAckTime is null && !d.Escalated
                && deadline.UtcTicks <= now.UtcTicks
                && d.Status is not (DeliveryStatus.Withheld or DeliveryStatus.Expired))
            .OrderBy(d => d.AckDeadline!.Value.UtcTicks)
            .ThenBy(d => d.Sequence)
            .Take(limit)
            .Select(Copy)
            .ToList();
    }

    public IReadOnlyList<DeliveryRecord> GetExpiredAwaiting(DateTimeOffset now, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return Read().Deliveries.Values
            .Where(d => d.Status == DeliveryStatus.AwaitingConsent && d.AwaitUntil is { } until && until.UtcTicks <= now.UtcTicks)
            .OrderBy(d => d.AwaitUntil!.Value.UtcTicks)
            .ThenBy(d => d.Sequence)
            .Take(limit)
            .Select(Copy)
            .ToList();
    }

    // ----- Journey

    public void AppendJourneyEvent(JourneyEvent journeyEvent)
    {
        ArgumentNullException.ThrowIfNull(journeyEvent);
        var state = Write();

        // The store gives the sequence; the one the event carries is ignored, as the SQLite store ignores it.
        var sequence = state.LastJourneySequence + 1;
        var journey = state.Journeys.TryGetValue(journeyEvent.ClientId, out var existing) ? existing : [];
        _state = state with
        {
            Journeys = state.Journeys.SetItem(journeyEvent.ClientId, journey.Add(Copy(journeyEvent) with { Sequence = sequence })),
            LastJourneySequence = sequence,
        };
    }

    public IReadOnlyList<JourneyEvent> GetJourney(string clientId, long afterSequence, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return Read().Journeys.TryGetValue(clientId, out var journey)
            ? journey.Where(e => e.Sequence > afterSequence).Take(limit).Select(Copy).ToList()
            : [];
    }

    // ----- Retention and erasure: the same conditions as the SQL stores' statements.

    public IReadOnlyList<MessageKey> ListMessagesContentEnded(DateTimeOffset endedBefore, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        var state = Read();
        var cut = endedBefore.UtcTicks;
        var blocked = state.Deliveries.Values
            .Where(d => d.MessageId is not null && (!state.DeliveryEndTicks.TryGetValue(d.Id, out var end) || end > cut))
            .Select(d => d.MessageId!)
            .ToHashSet(StringComparer.Ordinal);
        IEnumerable<(MessageKey Key, long Time)> messages =
        [
            .. state.Referrals.All.Where(r => r.ContentEraseTime is null).Select(r => (new MessageKey(MessageType.Referral, r.Id), r.CreateTime.UtcTicks)),
            .. state.Transitions.All.Where(t => t.ContentEraseTime is null).Select(t => (new MessageKey(MessageType.Transition, t.Id), t.CreateTime.UtcTicks)),
            .. state.Signals.All.Where(s => s.ContentEraseTime is null).Select(s => (new MessageKey(MessageType.Signal, s.Id), s.CreateTime.UtcTicks)),
        ];
        return messages
            .Where(m => m.Time <= cut && !blocked.Contains(m.Key.Id))
            .OrderBy(m => m.Time)
            .ThenBy(m => m.Key.Id, StringComparer.Ordinal)
            .Take(limit)
            .Select(m => m.Key)
            .ToList();
    }

    public IReadOnlyList<DeliveryRecord> ListDeliveriesContentEnded(DateTimeOffset endedBefore, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        var state = Read();
        return state.Deliveries.Values
            .Where(d => MessageContent.HoldsPayload(d) && state.DeliveryEndTicks.TryGetValue(d.Id, out var end) && end <= endedBefore.UtcTicks)
            .OrderBy(d => state.DeliveryEndTicks[d.Id])
            .Take(limit)
            .Select(Copy)
            .ToList();
    }

    public int DeleteRequestsBefore(DateTimeOffset before, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        var state = Write();
        var due = state.Requests.Where(r => r.Value.SavedTicks < before.UtcTicks).OrderBy(r => r.Value.SavedTicks).Take(limit).Select(r => r.Key).ToList();
        _state = state with { Requests = state.Requests.RemoveRange(due) };
        return due.Count;
    }

    public int DeleteJourneyEventsBefore(DateTimeOffset before, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        var state = Write();
        var due = state.Journeys.Values.SelectMany(j => j)
            .Where(e => e.Time.UtcTicks < before.UtcTicks)
            .OrderBy(e => e.Time.UtcTicks)
            .Take(limit)
            .Select(e => e.Sequence)
            .ToHashSet();
        var journeys = state.Journeys;
        foreach (var (clientId, events) in state.Journeys)
        {
            var kept = events.RemoveAll(e => due.Contains(e.Sequence));
            journeys = kept.IsEmpty ? journeys.Remove(clientId) : journeys.SetItem(clientId, kept);
        }

        _state = state with { Journeys = journeys };
        return due.Count;
    }

    public int DeleteClientRelations(string clientId)
    {
        var state = Write();
        var (roles, r) = state.Roles.RemoveClient(clientId);
        var (coaches, c) = state.CoachAssignments.RemoveClient(clientId);
        var (consents, k) = state.Consents.RemoveClient(clientId);
        var journey = state.Journeys.TryGetValue(clientId, out var events) ? events.Count : 0;
        var requests = state.Requests.Where(q => string.Equals(q.Value.Request.ClientId, clientId, StringComparison.Ordinal)).Select(q => q.Key).ToList();
        _state = state with
        {
            Roles = roles,
            CoachAssignments = coaches,
            Consents = consents,
            Journeys = state.Journeys.Remove(clientId),
            Requests = state.Requests.RemoveRange(requests),
        };
        return r + c + k + journey + requests.Count;
    }

    // ----- Audit trail: append-only. Nothing here changes a record; only DeleteAuditRecordsToStart removes any, up to the recorded start.

    public AuditHead? GetAuditHead()
    {
        var audit = Read().Audit;
        return audit.IsEmpty ? null : new AuditHead(audit[^1].Sequence, audit[^1].Hash);
    }

    /// <summary>
    /// Appends a record at the head's sequence plus one (the first at 1). Any other position is refused: one that is
    /// taken, as the SQLite store's primary key refuses it, and also a gap, which <see cref="IHubSession"/> forbids.
    /// </summary>
    public void AppendAuditRecord(AuditRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var state = Write();
        var expected = (state.Audit.IsEmpty ? state.AuditStart?.Sequence ?? 0 : state.Audit[^1].Sequence) + 1;
        if (record.Sequence != expected)
        {
            throw new InvalidOperationException(
                $"The audit trail is append-only: record {record.Sequence} cannot be appended where {expected} is next.");
        }

        // The SQLite store keeps the time as UTC ticks and reads it back in UTC.
        _state = state with { Audit = state.Audit.Add(record with { Time = record.Time.ToUniversalTime() }) };
    }

    public IReadOnlyList<AuditRecord> ListAuditRecords(AuditQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegative(query.Limit);
        var from = query.From?.UtcTicks ?? long.MinValue;
        var until = query.Until?.UtcTicks ?? long.MaxValue;
        return Read().Audit
            .Where(r => r.Sequence > query.AfterSequence
                && r.Time.UtcTicks >= from && r.Time.UtcTicks < until
                && (query.ClientPseudonym is null || string.Equals(r.ClientPseudonym, query.ClientPseudonym, StringComparison.Ordinal)))
            .Take(query.Limit)
            .ToList();
    }

    // ----- Terms of the records: the same conditions as the SQL stores' statements.

    public IReadOnlyList<EndedMessage> ListMessageRecordsEnded(DateTimeOffset endedBefore, MessagePosition? after, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        var state = Read();
        var cut = endedBefore.UtcTicks;
        var blocked = state.Deliveries.Values
            .Where(d => d.MessageId is not null
                && (!state.DeliveryEndTicks.TryGetValue(d.Id, out var end) || end > cut
                    || (d.AckDeadline is not null && d.SignalAckTime is null && !d.Escalated && d.Status is not (DeliveryStatus.Withheld or DeliveryStatus.Expired))))
            .Select(d => d.MessageId!)
            .ToHashSet(StringComparer.Ordinal);
        IEnumerable<EndedMessage> messages =
        [
            .. state.Referrals.All.Where(r => r.ContentEraseTime is not null).Select(r => new EndedMessage(new MessageKey(MessageType.Referral, r.Id), r.ClientId, r.CreateTime.ToUniversalTime())),
            .. state.Transitions.All.Where(t => t.ContentEraseTime is not null).Select(t => new EndedMessage(new MessageKey(MessageType.Transition, t.Id), t.ClientId, t.CreateTime.ToUniversalTime())),
            .. state.Signals.All.Where(g => g.ContentEraseTime is not null).Select(g => new EndedMessage(new MessageKey(MessageType.Signal, g.Id), g.ClientId, g.CreateTime.ToUniversalTime())),
        ];
        return messages
            .Where(m => m.CreateTime.UtcTicks <= cut && !blocked.Contains(m.Key.Id)
                && (after is null || m.CreateTime.UtcTicks > after.CreateTime.UtcTicks
                    || (m.CreateTime.UtcTicks == after.CreateTime.UtcTicks && string.CompareOrdinal(m.Key.Id, after.MessageId) > 0)))
            .OrderBy(m => m.CreateTime.UtcTicks)
            .ThenBy(m => m.Key.Id, StringComparer.Ordinal)
            .Take(limit)
            .ToList();
    }

    public int DeleteMessageRecord(MessageKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var state = Write();
        var stored = key.Type switch
        {
            MessageType.Referral => state.Referrals.Find(key.Id) is not null,
            MessageType.Transition => state.Transitions.Find(key.Id) is not null,
            MessageType.Signal => state.Signals.Find(key.Id) is not null,
            _ => false,
        };
        if (!stored)
        {
            return 0;
        }

        var deliveries = state.Deliveries.Values.Where(d => string.Equals(d.MessageId, key.Id, StringComparison.Ordinal)).ToList();
        _state = state with
        {
            Referrals = key.Type == MessageType.Referral ? state.Referrals.Remove(key.Id) : state.Referrals,
            Transitions = key.Type == MessageType.Transition ? state.Transitions.Remove(key.Id) : state.Transitions,
            Signals = key.Type == MessageType.Signal ? state.Signals.Remove(key.Id) : state.Signals,
            Deliveries = state.Deliveries.RemoveRange(deliveries.Select(d => d.Sequence)),
            DeliverySequenceById = state.DeliverySequenceById.RemoveRange(deliveries.Select(d => d.Id)),
            DeliveryEndTicks = state.DeliveryEndTicks.RemoveRange(deliveries.Select(d => d.Id)),
        };
        return 1 + deliveries.Count;
    }

    public int DeleteDeliveriesEnded(DateTimeOffset endedBefore, IReadOnlyCollection<string> keepClients, int limit)
    {
        ArgumentNullException.ThrowIfNull(keepClients);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        var state = Write();
        var due = state.Deliveries.Values
            .Where(d => d.MessageId is null && !keepClients.Contains(d.ClientId)
                && state.DeliveryEndTicks.TryGetValue(d.Id, out var end) && end <= endedBefore.UtcTicks)
            .OrderBy(d => state.DeliveryEndTicks[d.Id])
            .Take(limit)
            .ToList();
        _state = state with
        {
            Deliveries = state.Deliveries.RemoveRange(due.Select(d => d.Sequence)),
            DeliverySequenceById = state.DeliverySequenceById.RemoveRange(due.Select(d => d.Id)),
            DeliveryEndTicks = state.DeliveryEndTicks.RemoveRange(due.Select(d => d.Id)),
        };
        return due.Count;
    }

    public AuditStart? GetAuditStart() => Read().AuditStart;

    /// <summary>Refused as the SQL stores' triggers refuse it: a start that does not move forward or names no stored event with that hash.</summary>
    public void SetAuditStart(AuditStart start)
    {
        ArgumentNullException.ThrowIfNull(start);
        var state = Write();
        if (start.Sequence <= (state.AuditStart?.Sequence ?? 0)
            || !state.Audit.Any(r => r.Sequence == start.Sequence && string.Equals(r.Hash, start.Hash, StringComparison.Ordinal)))
        {
            throw new InvalidOperationException("audit_start only moves forward, to a stored audit event with its hash.");
        }

        _state = state with { AuditStart = start };
    }

    public int DeleteAuditRecordsToStart(int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        var state = Write();
        var upTo = state.AuditStart?.Sequence ?? 0;
        var count = state.Audit.TakeWhile(r => r.Sequence <= upTo).Take(limit).Count();
        _state = state with { Audit = state.Audit.RemoveRange(0, count) };
        return count;
    }

    // ----- Helpers

    private StoreState Read() =>
        _closed ? throw new InvalidOperationException("The storage session has ended; use it only inside the work it was given to.") : _state;

    private StoreState Write()
    {
        if (readOnly)
        {
            throw new InvalidOperationException("A read session cannot write; use IHubStore.WriteAsync.");
        }

        return Read();
    }

    /// <summary>The delivery's end time kept as the SQL stores keep it: the first end stays; an open delivery has none.</summary>
    private static ImmutableDictionary<string, long> WithEnd(ImmutableDictionary<string, long> ends, DeliveryRecord delivery) =>
        MessageContent.EndOf(delivery) is not { } end ? ends.Remove(delivery.Id)
        : ends.ContainsKey(delivery.Id) ? ends
        : ends.Add(delivery.Id, end.UtcTicks);

    /// <summary>The next delivery sequence: above every sequence given so far (so above every one stored).</summary>
    private static long NextDeliverySequence(StoreState state) => state.LastDeliverySequence + 1;

    private static long StoredSequence(StoreState state, string id) =>
        state.DeliverySequenceById.TryGetValue(id, out var sequence)
            ? sequence
            : throw new InvalidOperationException($"Cannot update delivery {id}: it is not stored.");

    private static T Copy<T>(T value) =>
        JsonSerializer.Deserialize<T>(JsonSerializer.SerializeToUtf8Bytes(value, Json), Json)
        ?? throw new InvalidOperationException("A stored document read back as null.");

    private static T? CopyOrNull<T>(T? value)
        where T : class =>
        value is null ? null : Copy(value);
}

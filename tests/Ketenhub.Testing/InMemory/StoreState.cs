using System.Collections.Immutable;
using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Consent;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Journeys;
using Ketenhub.Hub.Messages;
using Ketenhub.Hub.Storage;

namespace Ketenhub.Testing.InMemory;

/// <summary>
/// Everything an <see cref="InMemoryHubStore"/> holds, as one immutable value. A write works on its own copy and
/// the store publishes the copy when the write's group commits; a read keeps the value it started with, so it sees
/// one consistent snapshot however many writes commit meanwhile. Undoing a write is going back to the value before it.
/// </summary>
internal sealed record StoreState
{
    public static readonly StoreState Empty = new();

    /// <summary>Stored answers of idempotent requests, by (caller, operation, request id), with the time they were saved.</summary>
    public ImmutableDictionary<(string Caller, string Operation, string RequestId), (StoredRequest Request, long SavedTicks)> Requests { get; init; } =
        ImmutableDictionary<(string, string, string), (StoredRequest, long)>.Empty;

    /// <summary>Clients by id, in id order (ordinal, as SQLite's binary collation orders the ASCII ids).</summary>
    public ImmutableSortedDictionary<string, ClientRecord> Clients { get; init; } =
        ImmutableSortedDictionary.Create<string, ClientRecord>(StringComparer.Ordinal);

    /// <summary>The unique BSN lookup hash of each client.</summary>
    public ImmutableDictionary<string, string> ClientIdByBsnHash { get; init; } = ImmutableDictionary.Create<string, string>(StringComparer.Ordinal);

    public DocumentTable<ClientRole> Roles { get; init; } = DocumentTable<ClientRole>.Empty;

    public DocumentTable<CoachAssignment> CoachAssignments { get; init; } = DocumentTable<CoachAssignment>.Empty;

    public DocumentTable<ConsentRecord> Consents { get; init; } = DocumentTable<ConsentRecord>.Empty;

    public DocumentTable<ReferralRecord> Referrals { get; init; } = DocumentTable<ReferralRecord>.Empty;

    public DocumentTable<TransitionRecord> Transitions { get; init; } = DocumentTable<TransitionRecord>.Empty;

    public DocumentTable<SignalRecord> Signals { get; init; } = DocumentTable<SignalRecord>.Empty;

    /// <summary>Deliveries by sequence, each stored with its sequence.</summary>
    public ImmutableSortedDictionary<long, DeliveryRecord> Deliveries { get; init; } = ImmutableSortedDictionary<long, DeliveryRecord>.Empty;

    public ImmutableDictionary<string, long> DeliverySequenceById { get; init; } = ImmutableDictionary.Create<string, long>(StringComparer.Ordinal);

    /// <summary>
    /// When each ended delivery first ended (UTC ticks), as the SQL stores keep it in <c>end_time</c>: a later update of an
    /// ended delivery keeps it; a delivery that is open again has none.
    /// </summary>
    public ImmutableDictionary<string, long> DeliveryEndTicks { get; init; } = ImmutableDictionary.Create<string, long>(StringComparer.Ordinal);

    /// <summary>The highest delivery sequence ever given (SQLite's AUTOINCREMENT counter): never given again.</summary>
    public long LastDeliverySequence { get; init; }

    /// <summary>Each client's journey, by sequence.</summary>
    public ImmutableDictionary<string, ImmutableList<JourneyEvent>> Journeys { get; init; } =
        ImmutableDictionary.Create<string, ImmutableList<JourneyEvent>>(StringComparer.Ordinal);

    public long LastJourneySequence { get; init; }

    /// <summary>The audit chain, in sequence order; appended to, and removed from only at its start, up to <see cref="AuditStart"/>.</summary>
    public ImmutableList<AuditRecord> Audit { get; init; } = [];

    /// <summary>Where the audit trail starts after its oldest events were removed; null while none were.</summary>
    public AuditStart? AuditStart { get; init; }
}

/// <summary>
/// A table of documents kept by id, each with the client it is about and its insertion number (SQLite's rowid),
/// so that a client's documents come back in the order they were inserted, as the SQLite store returns them.
/// </summary>
internal sealed class DocumentTable<T>
{
    public static readonly DocumentTable<T> Empty = new(
        ImmutableDictionary.Create<string, Row>(StringComparer.Ordinal),
        ImmutableDictionary.Create<string, ImmutableSortedDictionary<long, string>>(StringComparer.Ordinal),
        0);

    private readonly ImmutableDictionary<string, Row> _byId;
    private readonly ImmutableDictionary<string, ImmutableSortedDictionary<long, string>> _byClient;
    private readonly long _lastRowId;

    private DocumentTable(ImmutableDictionary<string, Row> byId, ImmutableDictionary<string, ImmutableSortedDictionary<long, string>> byClient, long lastRowId)
    {
        _byId = byId;
        _byClient = byClient;
        _lastRowId = lastRowId;
    }

    /// <summary>One stored document: its insertion number, its client and its value.</summary>
    public sealed record Row(long RowId, string ClientId, T Value);

    public int Count => _byId.Count;

    public T? Find(string id) => _byId.TryGetValue(id, out var row) ? row.Value : default;

    /// <summary>Every document, in insertion order.</summary>
    public IEnumerable<T> All => _byId.Values.OrderBy(row => row.RowId).Select(row => row.Value);

    /// <summary>The client's documents, in insertion order.</summary>
    public IEnumerable<T> ForClient(string clientId) =>
        _byClient.TryGetValue(clientId, out var ids) ? ids.Values.Select(id => _byId[id].Value) : [];

    /// <summary>Adds a document; an id already stored is refused, as the SQLite store's primary key refuses it.</summary>
    public DocumentTable<T> Insert(string id, string clientId, T value, string what)
    {
        if (_byId.ContainsKey(id))
        {
            throw new InvalidOperationException($"Cannot insert {what} {id}: its id is stored already.");
        }

        var rowId = _lastRowId + 1;
        return new DocumentTable<T>(_byId.Add(id, new Row(rowId, clientId, value)), AddToClient(_byClient, clientId, rowId, id), rowId);
    }

    /// <summary>Replaces a document (its client may change; its place in insertion order stays); a missing id throws.</summary>
    public DocumentTable<T> Update(string id, string clientId, T value, string what)
    {
        if (!_byId.TryGetValue(id, out var row))
        {
            // Ids are generated by the hub and carry no personal data.
            throw new InvalidOperationException($"Cannot update {what} {id}: it is not stored.");
        }

        var byClient = _byClient;
        if (!string.Equals(row.ClientId, clientId, StringComparison.Ordinal))
        {
            var remaining = byClient[row.ClientId].Remove(row.RowId);
            byClient = remaining.IsEmpty ? byClient.Remove(row.ClientId) : byClient.SetItem(row.ClientId, remaining);
            byClient = AddToClient(byClient, clientId, row.RowId, id);
        }

        return new DocumentTable<T>(_byId.SetItem(id, row with { ClientId = clientId, Value = value }), byClient, _lastRowId);
    }

    /// <summary>Removes one document; returns the table without it (the same table when it is not stored).</summary>
    public DocumentTable<T> Remove(string id)
    {
        if (!_byId.TryGetValue(id, out var row))
        {
            return this;
        }

        var remaining = _byClient[row.ClientId].Remove(row.RowId);
        var byClient = remaining.IsEmpty ? _byClient.Remove(row.ClientId) : _byClient.SetItem(row.ClientId, remaining);
        return new DocumentTable<T>(_byId.Remove(id), byClient, _lastRowId);
    }

    /// <summary>Removes the client's documents; returns the table without them and how many went.</summary>
    public (DocumentTable<T> Table, int Removed) RemoveClient(string clientId)
    {
        if (!_byClient.TryGetValue(clientId, out var ids))
        {
            return (this, 0);
        }

        return (new DocumentTable<T>(_byId.RemoveRange(ids.Values), _byClient.Remove(clientId), _lastRowId), ids.Count);
    }

    private static ImmutableDictionary<string, ImmutableSortedDictionary<long, string>> AddToClient(
        ImmutableDictionary<string, ImmutableSortedDictionary<long, string>> byClient, string clientId, long rowId, string id)
    {
        var ids = byClient.TryGetValue(clientId, out var existing) ? existing : ImmutableSortedDictionary<long, string>.Empty;
        return byClient.SetItem(clientId, ids.Add(rowId, id));
    }
}

using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Consent;
using Ketenhub.Hub.Journeys;

namespace Ketenhub.Hub.Storage.Sqlite;

/// <summary>
/// What the writer last read or wrote about each client: the client row, roles, coach assignments and
/// consents, the four reads every submit needs for routing. Owned by the writer thread alone (no locks);
/// readers never use it.
/// <para>
/// It stays true because the writer's connection is the only one that changes these tables: every insert or
/// update through a writer session drops the client's entry, and anything that rolls back (a failed item's
/// savepoint, a failed batch) clears the whole cache, so no value read inside undone work survives. Entries
/// are immutable records and lists that callers only read.
/// </para>
/// </summary>
internal sealed class ClientCache(int capacity)
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>How many clients have an entry (for tests).</summary>
    internal int Count => _entries.Count;

    public ClientRecord? Client(string clientId, Func<string, ClientRecord?> load)
    {
        var entry = Get(clientId);
        if (entry.Client is null)
        {
            entry.Client = load(clientId);
        }

        return entry.Client;
    }

    public IReadOnlyList<ClientRole> Roles(string clientId, Func<string, IReadOnlyList<ClientRole>> load)
    {
        var entry = Get(clientId);
        return entry.Roles ??= load(clientId);
    }

    public IReadOnlyList<CoachAssignment> CoachAssignments(string clientId, Func<string, IReadOnlyList<CoachAssignment>> load)
    {
        var entry = Get(clientId);
        return entry.CoachAssignments ??= load(clientId);
    }

    public IReadOnlyList<ConsentRecord> Consents(string clientId, Func<string, IReadOnlyList<ConsentRecord>> load)
    {
        var entry = Get(clientId);
        return entry.Consents ??= load(clientId);
    }

    /// <summary>The client's data changed in this transaction: read it afresh next time.</summary>
    public void Forget(string clientId) => _entries.Remove(clientId);

    /// <summary>Work was undone: nothing read since the last commit can be trusted.</summary>
    public void Clear() => _entries.Clear();

    private Entry Get(string clientId)
    {
        if (!_entries.TryGetValue(clientId, out var entry))
        {
            if (_entries.Count >= capacity)
            {
                // Simple and bounded: the working set of active clients refills it within a few batches.
                _entries.Clear();
            }

            entry = new Entry();
            _entries[clientId] = entry;
        }

        return entry;
    }

    private sealed class Entry
    {
        public ClientRecord? Client;
        public IReadOnlyList<ClientRole>? Roles;
        public IReadOnlyList<CoachAssignment>? CoachAssignments;
        public IReadOnlyList<ConsentRecord>? Consents;
    }
}

using System.Collections.Concurrent;

namespace Ketenhub.Hub.Delivery;

/// <summary>
/// The delivery streams open on this hub, per party, and the leases they hold on deliveries.
/// </summary>
/// <remarks>
/// <para>
/// A write that creates a pending delivery for a party with exactly one stream open claims the delivery for that stream
/// at once (<see cref="Dispatcher"/>): the claim's attempt and audit event ride on the write's own commit instead of a
/// commit of their own before sending.
/// </para>
/// <para>
/// A delivery sent on a stream is leased to it until it is answered, its ack deadline passes or the stream closes. The
/// party's shared streams form one group, so a delivery leased to one of them is not sent to another; a fan-out stream
/// is a group of its own. Leases are in-process: with several hub instances on one database, two streams of a party
/// connected to different instances do not see each other's leases (docs/clients.md, "Delivery streams").
/// A stream's token is unique, so a claim for a stream that is gone (or for a stream of a hub that has restarted) is
/// never mistaken for one of a stream open now.
/// </para>
/// </remarks>
public sealed class DeliveryStreams
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, Lease>> _open = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, string>> _leases = new(StringComparer.Ordinal);

    /// <summary>Registers a stream of <paramref name="partyId"/> until the returned lease is disposed.</summary>
    public Lease Open(string partyId, StreamSharing sharing)
    {
        var token = Guid.NewGuid().ToString("N");
        var group = sharing == StreamSharing.FanOut ? "fan-out:" + token : "shared:" + partyId;
        var lease = new Lease(this, partyId, token, _leases.GetOrAdd(group, _ => new ConcurrentDictionary<string, string>(StringComparer.Ordinal)));
        _open.GetOrAdd(partyId, _ => new ConcurrentDictionary<string, Lease>(StringComparer.Ordinal))[token] = lease;
        return lease;
    }

    /// <summary>The token of the party's stream when exactly one is open; otherwise null (no stream, or several that share the party's deliveries).</summary>
    public string? SoleStream(string partyId)
    {
        if (!_open.TryGetValue(partyId, out var streams))
        {
            return null;
        }

        string? sole = null;
        foreach (var token in streams.Keys)
        {
            if (sole is not null)
            {
                return null;
            }

            sole = token;
        }

        return sole;
    }

    /// <summary>Tells the party's open streams that a delivery was rejected, so the one holding it offers it again after its backoff.</summary>
    public void NoteRejected(string partyId, string deliveryId)
    {
        if (_open.TryGetValue(partyId, out var streams))
        {
            foreach (var lease in streams.Values)
            {
                lease.Rejections.Enqueue(deliveryId);
            }
        }
    }

    /// <summary>One open stream and the deliveries leased to it; disposing it closes the registration and frees its leases.</summary>
    public sealed class Lease : IDisposable
    {
        private readonly DeliveryStreams _streams;
        private readonly string _partyId;
        private readonly ConcurrentDictionary<string, string> _group;

        internal Lease(DeliveryStreams streams, string partyId, string token, ConcurrentDictionary<string, string> group)
        {
            _streams = streams;
            _partyId = partyId;
            Token = token;
            _group = group;
        }

        public string Token { get; }

        /// <summary>Deliveries the recipient rejected since the stream last looked (in-process only).</summary>
        internal ConcurrentQueue<string> Rejections { get; } = new();

        /// <summary>How many deliveries the stream's group holds leased (this stream's and the others').</summary>
        public int GroupLeaseCount => _group.Count;

        /// <summary>Leases the delivery to this stream unless a stream of its group holds it already.</summary>
        public bool TryTake(string deliveryId) => _group.TryAdd(deliveryId, Token);

        /// <summary>True when a stream of this stream's group (this one included) holds the delivery.</summary>
        public bool Held(string deliveryId) => _group.ContainsKey(deliveryId);

        /// <summary>Frees this stream's lease on the delivery.</summary>
        public void Release(string deliveryId) => _group.TryRemove(new KeyValuePair<string, string>(deliveryId, Token));

        public void Dispose()
        {
            if (_streams._open.TryGetValue(_partyId, out var open))
            {
                open.TryRemove(Token, out _);
            }

            foreach (var (id, holder) in _group)
            {
                if (holder == Token)
                {
                    _group.TryRemove(new KeyValuePair<string, string>(id, Token));
                }
            }
        }
    }
}

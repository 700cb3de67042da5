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
/// is a group of its own. These leases are in-process; for hub instances that share a database, a claim for a shared
/// stream also writes the lease into the delivery (<see cref="DeliveryRecord.LeaseHolder"/>, until the stream's ack
/// deadline and <see cref="LeaseMargin"/>), and the streams of the other instances pass over it until it ends. A
/// stream's token is unique and starts with this instance's id, so a claim for a stream that is gone (or for a stream of
/// a hub that has restarted) is never mistaken for one of a stream open now, and an instance knows its own tokens.
/// </para>
/// </remarks>
public sealed class DeliveryStreams
{
    /// <summary>
    /// How much longer a written lease lasts than the stream's ack deadline: the stream counts its deadline from the moment
    /// it sent, a little after the claim, and must give the delivery up here before another instance may take it.
    /// </summary>
    public static readonly TimeSpan LeaseMargin = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, Lease>> _open = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, string>> _leases = new(StringComparer.Ordinal);
    private readonly string _instance;

    /// <param name="relay">
    /// The wake-up relay between instances that share the store (PostgreSQL); with it, shared streams write their leases
    /// into the deliveries and pass over those of other instances. Without it (one instance, SQLite) leases stay in-process.
    /// </param>
    /// <param name="options">
    /// The hub's settings: with <see cref="HubOptions.InstanceId"/> the streams' tokens start with that stable name, so a
    /// restarted instance knows the leases of its earlier run as its own (they are free here); without it a random name.
    /// </param>
    public DeliveryStreams(IDeliveryWakeupRelay? relay = null, Microsoft.Extensions.Options.IOptions<HubOptions>? options = null)
    {
        SharesStore = relay is not null;
        _instance = (options?.Value.InstanceId is { Length: > 0 } stable ? stable : Guid.NewGuid().ToString("N")[..12]) + ".";
    }

    /// <summary>Whether other hub instances share the store, so that leases are written into the deliveries.</summary>
    public bool SharesStore { get; }

    /// <summary>Registers a stream of <paramref name="partyId"/> until the returned lease is disposed.</summary>
    /// <param name="partyId">The recipient.</param>
    /// <param name="sharing">Shared (one group per party) or fan-out (a group of its own).</param>
    /// <param name="ackDeadline">The stream's ack deadline: how long a written lease of a shared stream lasts (with <see cref="LeaseMargin"/>).</param>
    public Lease Open(string partyId, StreamSharing sharing, TimeSpan ackDeadline)
    {
        var token = _instance + Guid.NewGuid().ToString("N");
        var shared = sharing != StreamSharing.FanOut;
        var group = shared ? "shared:" + partyId : "fan-out:" + token;
        var lease = new Lease(this, partyId, token, _leases.GetOrAdd(group, _ => new ConcurrentDictionary<string, string>(StringComparer.Ordinal)))
        {
            WritesLeases = shared && SharesStore,
            LeaseTime = ackDeadline + LeaseMargin,
        };
        _open.GetOrAdd(partyId, _ => new ConcurrentDictionary<string, Lease>(StringComparer.Ordinal))[token] = lease;
        return lease;
    }

    /// <summary>Whether <paramref name="token"/> names a stream of this instance (open or closed).</summary>
    public bool IsHere(string token) => token.StartsWith(_instance, StringComparison.Ordinal);

    /// <summary>
    /// Whether the delivery is leased, in its record, to a shared stream of another instance until after <paramref name="now"/>.
    /// Leases of this instance's streams are known here (<see cref="Lease.Held"/>) and not read from the record.
    /// </summary>
    public bool LeasedElsewhere(DeliveryRecord delivery, DateTimeOffset now) =>
        SharesStore && delivery.LeaseHolder is { } holder && !IsHere(holder) && delivery.LeaseUntil > now;

    /// <summary>The lease of the party's stream when exactly one is open; otherwise null (no stream, or several that share the party's deliveries).</summary>
    public Lease? SoleLease(string partyId)
    {
        if (!_open.TryGetValue(partyId, out var streams))
        {
            return null;
        }

        Lease? sole = null;
        foreach (var lease in streams.Values)
        {
            if (sole is not null)
            {
                return null;
            }

            sole = lease;
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

        /// <summary>
        /// A shared stream on a store other instances share: its claims write the lease into the deliveries, and it passes
        /// over the leases of other instances' streams. A fan-out stream gets every delivery and writes no lease.
        /// </summary>
        public bool WritesLeases { get; init; }

        /// <summary>How long a lease this stream writes into a delivery lasts: its ack deadline and <see cref="LeaseMargin"/>.</summary>
        public TimeSpan LeaseTime { get; init; } = TimeSpan.FromMinutes(1) + LeaseMargin;

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

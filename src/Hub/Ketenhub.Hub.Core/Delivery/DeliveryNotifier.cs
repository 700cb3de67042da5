using System.Collections.Concurrent;

namespace Ketenhub.Hub.Delivery;

/// <summary>
/// Wakes the delivery streams of a party after a commit that gave it new pending deliveries. A stream that misses a
/// wake-up still finds the delivery on its next read, because the store is the source of truth. With a
/// <see cref="IDeliveryWakeupRelay"/> (several instances on one PostgreSQL database), each wake-up also goes to the
/// other instances, and theirs come in through <see cref="WakeHere"/>; without one, wake-ups stay in-process.
/// </summary>
public sealed class DeliveryNotifier
{
    private readonly ConcurrentDictionary<string, PartySignal> _signals = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _releases = new(StringComparer.Ordinal);
    private readonly IDeliveryWakeupRelay? _relay;

    public DeliveryNotifier(IDeliveryWakeupRelay? relay = null)
    {
        _relay = relay;
        relay?.Attach(this);
    }

    /// <summary>Returns a task that completes at the next notification for the party.</summary>
    public Task WaitAsync(string partyId, CancellationToken cancellationToken) =>
        _signals.GetOrAdd(partyId, _ => new PartySignal()).WaitAsync(cancellationToken);

    /// <summary>
    /// Changes whenever deliveries of the party became pending again below the sequence a stream has already
    /// passed (released by a consent, replayed): the stream must look back once.
    /// </summary>
    public long ReleaseVersion(string partyId) => _releases.GetValueOrDefault(partyId);

    /// <summary>Wakes the party's streams for deliveries that became pending again; they look back for them.</summary>
    public void NotifyReleased(IEnumerable<string> partyIds)
    {
        var list = partyIds.ToList();
        WakeHere(list, released: true);
        Relay(list, released: true);
    }

    /// <summary>Wakes the party's streams for new deliveries.</summary>
    public void Notify(IEnumerable<string> partyIds)
    {
        var list = partyIds.ToList();
        WakeHere(list, released: false);
        Relay(list, released: false);
    }

    /// <summary>Wakes this instance's streams of the parties, and no other instance's (the relay's way in).</summary>
    public void WakeHere(IEnumerable<string> partyIds, bool released)
    {
        foreach (var partyId in partyIds)
        {
            if (released)
            {
                _releases.AddOrUpdate(partyId, 1, (_, v) => v + 1);
            }

            if (_signals.TryGetValue(partyId, out var signal))
            {
                signal.Set();
            }
        }
    }

    /// <summary>Wakes every stream of this instance to look back (a relay that may have missed wake-ups is back).</summary>
    public void WakeEveryStreamHere() => WakeHere(_signals.Keys.ToList(), released: true);

    private void Relay(List<string> partyIds, bool released)
    {
        if (_relay is not null && partyIds.Count > 0)
        {
            _relay.Publish(partyIds, released);
        }
    }

    private sealed class PartySignal
    {
        private TaskCompletionSource _current = New();

        public Task WaitAsync(CancellationToken cancellationToken) => Volatile.Read(ref _current).Task.WaitAsync(cancellationToken);

        public void Set() => Interlocked.Exchange(ref _current, New()).TrySetResult();

        private static TaskCompletionSource New() => new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

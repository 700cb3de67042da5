using System.Collections.Concurrent;

namespace Ketenhub.Hub.Delivery;

/// <summary>
/// Wakes the delivery streams of a party after a commit that gave it new pending deliveries. In-process
/// only: a stream that misses a wake-up still finds the delivery on its next read, because the store is the
/// source of truth.
/// </summary>
public sealed class DeliveryNotifier
{
    private readonly ConcurrentDictionary<string, PartySignal> _signals = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _releases = new(StringComparer.Ordinal);

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
        foreach (var partyId in list)
        {
            _releases.AddOrUpdate(partyId, 1, (_, v) => v + 1);
        }

        Notify(list);
    }

    /// <summary>Wakes the party's streams for new deliveries.</summary>
    public void Notify(IEnumerable<string> partyIds)
    {
        foreach (var partyId in partyIds)
        {
            if (_signals.TryGetValue(partyId, out var signal))
            {
                signal.Set();
            }
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

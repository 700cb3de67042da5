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

    /// <summary>Returns a task that completes at the next notification for the party.</summary>
    public Task WaitAsync(string partyId, CancellationToken cancellationToken) =>
        _signals.GetOrAdd(partyId, _ => new PartySignal()).WaitAsync(cancellationToken);

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

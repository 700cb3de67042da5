using System.Collections.Concurrent;

namespace Ketenhub.Hub.Delivery;

/// <summary>
/// The delivery streams open on this hub, per party. A write that creates a pending delivery for a party with
/// exactly one stream open claims the delivery for that stream at once (<see cref="Dispatcher"/>): the claim's
/// attempt and audit event ride on the write's own commit instead of a commit of their own before sending.
/// In-process only; a stream's token is unique, so a claim for a stream that is gone (or for a stream of a
/// hub that has restarted) is never mistaken for one of a stream open now.
/// </summary>
public sealed class DeliveryStreams
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, byte>> _open = new(StringComparer.Ordinal);

    /// <summary>Registers a stream of <paramref name="partyId"/> until the returned lease is disposed.</summary>
    public Lease Open(string partyId)
    {
        var lease = new Lease(this, partyId, Guid.NewGuid().ToString("N"));
        _open.GetOrAdd(partyId, _ => new ConcurrentDictionary<string, byte>(StringComparer.Ordinal))[lease.Token] = 0;
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

    /// <summary>One open stream; disposing it closes the registration.</summary>
    public sealed class Lease(DeliveryStreams streams, string partyId, string token) : IDisposable
    {
        public string Token { get; } = token;

        public void Dispose()
        {
            if (streams._open.TryGetValue(partyId, out var open))
            {
                open.TryRemove(Token, out _);
            }
        }
    }
}

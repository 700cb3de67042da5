using System.Collections.Concurrent;

namespace Ketenhub.Hub.Host.Transport;

/// <summary>
/// Token buckets by key, on the hub's clock (<see cref="TimeProvider"/>): a bucket holds up to its burst, refills at its
/// rate, and a call takes one token. Taking one is a dictionary look-up and a short lock; nothing waits in a queue.
/// Buckets that have refilled completely are dropped once there are many, so keys that come and go (connections) do
/// not accumulate.
/// </summary>
public sealed class TokenBuckets(TimeProvider time, Func<string, PartyRateLimit> limitOf)
{
    private const int FirstSweep = 1024;

    private readonly ConcurrentDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);
    private int _nextSweep = FirstSweep;
    private int _sweeping;

    /// <summary>How many buckets are held now.</summary>
    public int Count => _buckets.Count;

    /// <summary>Takes a token for the key; false with the delay until one is free when the bucket is empty.</summary>
    public bool TryTake(string key, out TimeSpan retryAfter)
    {
        var now = time.GetTimestamp();
        if (!_buckets.TryGetValue(key, out var bucket))
        {
            var limit = limitOf(key);
            bucket = _buckets.GetOrAdd(key, new Bucket(limit.PermitsPerSecond, limit.Burst, now));
            if (_buckets.Count > Volatile.Read(ref _nextSweep))
            {
                Sweep(now);
            }
        }

        return bucket.TryTake(now, time, out retryAfter);
    }

    /// <summary>
    /// Takes <paramref name="permits"/> tokens that were used elsewhere (another hub instance) out of the key's bucket. The
    /// bucket may go below empty, down to minus its burst: calls wait until the debt is refilled.
    /// </summary>
    public void Drain(string key, int permits)
    {
        var now = time.GetTimestamp();
        if (!_buckets.TryGetValue(key, out var bucket))
        {
            var limit = limitOf(key);
            bucket = _buckets.GetOrAdd(key, new Bucket(limit.PermitsPerSecond, limit.Burst, now));
        }

        bucket.Drain(now, time, permits);
    }

    /// <summary>Whether the key's bucket is empty now (without taking a token), with the delay until a token is free.</summary>
    public bool IsEmpty(string key, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        return _buckets.TryGetValue(key, out var bucket) && bucket.IsEmpty(time.GetTimestamp(), time, out retryAfter);
    }

    // Drops the buckets that are full again: a new call for their key starts with a full bucket anyway.
    private void Sweep(long now)
    {
        if (Interlocked.Exchange(ref _sweeping, 1) == 1)
        {
            return;
        }

        try
        {
            foreach (var (key, bucket) in _buckets)
            {
                if (bucket.IsFull(now, time))
                {
                    _buckets.TryRemove(new KeyValuePair<string, Bucket>(key, bucket));
                }
            }

            Volatile.Write(ref _nextSweep, Math.Max(FirstSweep, _buckets.Count * 2));
        }
        finally
        {
            Volatile.Write(ref _sweeping, 0);
        }
    }

    private sealed class Bucket(double rate, int burst, long created)
    {
        private readonly Lock _lock = new();
        private double _tokens = burst;
        private long _updated = created;

        public bool TryTake(long now, TimeProvider time, out TimeSpan retryAfter)
        {
            lock (_lock)
            {
                Refill(now, time);
                if (_tokens >= 1)
                {
                    _tokens -= 1;
                    retryAfter = TimeSpan.Zero;
                    return true;
                }

                retryAfter = Wait();
                return false;
            }
        }

        public void Drain(long now, TimeProvider time, int permits)
        {
            lock (_lock)
            {
                Refill(now, time);
                _tokens = Math.Max(-burst, _tokens - permits);
            }
        }

        public bool IsEmpty(long now, TimeProvider time, out TimeSpan retryAfter)
        {
            lock (_lock)
            {
                Refill(now, time);
                retryAfter = _tokens >= 1 ? TimeSpan.Zero : Wait();
                return _tokens < 1;
            }
        }

        public bool IsFull(long now, TimeProvider time)
        {
            lock (_lock)
            {
                Refill(now, time);
                return _tokens >= burst;
            }
        }

        private TimeSpan Wait() => TimeSpan.FromSeconds((1 - _tokens) / rate);

        private void Refill(long now, TimeProvider time)
        {
            if (now > _updated)
            {
                _tokens = Math.Min(burst, _tokens + (time.GetElapsedTime(_updated, now).TotalSeconds * rate));
                _updated = now;
            }
        }
    }
}

using Ketenhub.Hub.Common;
using Microsoft.Extensions.Options;

namespace Ketenhub.Hub.Host.Transport;

/// <summary>
/// One token bucket per calling party (<see cref="CallLimitOptions.PermitsPerSecond"/> and <see cref="CallLimitOptions.Burst"/>,
/// or the party's own under <c>Hub:Limits:Parties</c>). A call over the limit is refused at once with RATE_LIMITED and
/// the time after which a token is free again; one party's calls never use another party's tokens. With several
/// instances on one database, the permits each instance takes are shared (<see cref="RateUsageSharing"/>) and drained
/// from the other instances' buckets, so a party's limit holds across them within one sharing interval.
/// </summary>
public sealed class PartyRateLimiter(IOptions<CallLimitOptions> options, TimeProvider time)
{
    private readonly TokenBuckets _buckets = new(time, party =>
        options.Value.Parties.TryGetValue(party, out var own) ? own : new PartyRateLimit { PermitsPerSecond = options.Value.PermitsPerSecond, Burst = options.Value.Burst });

    /// <summary>The bucket key prefix of a citizen's own calls (the client's id follows).</summary>
    public const string CitizenKeyPrefix = "client/";

    private System.Collections.Concurrent.ConcurrentDictionary<string, int> _taken = new(StringComparer.Ordinal);

    /// <summary>Takes a permit for the party, or throws RATE_LIMITED with a retry delay.</summary>
    public void Take(string partyId)
    {
        if (!_buckets.TryTake(partyId, out var retryAfter))
        {
            throw RateLimited(retryAfter, "The calling party made more calls than its rate limit allows; retry after the delay in RetryInfo.");
        }

        // A citizen's own calls (key client/{id}) stay this instance's: nothing about a client leaves it.
        if (!partyId.StartsWith(CitizenKeyPrefix, StringComparison.Ordinal))
        {
            Volatile.Read(ref _taken).AddOrUpdate(partyId, 1, static (_, n) => n + 1);
        }
    }

    /// <summary>The permits taken on this instance since the last call, by party (for the other instances).</summary>
    public IReadOnlyDictionary<string, int> TakeUsage() =>
        Interlocked.Exchange(ref _taken, new System.Collections.Concurrent.ConcurrentDictionary<string, int>(StringComparer.Ordinal));

    /// <summary>Drains permits that other instances took from this instance's buckets.</summary>
    public void DrainUsedElsewhere(IReadOnlyDictionary<string, int> permits)
    {
        ArgumentNullException.ThrowIfNull(permits);
        foreach (var (party, count) in permits)
        {
            _buckets.Drain(party, count);
        }
    }

    /// <summary>The RATE_LIMITED refusal, with its retry delay (at least a millisecond).</summary>
    public static HubException RateLimited(TimeSpan retryAfter, string message) =>
        new(ErrorCategory.ResourceExhausted, ErrorReasons.RateLimited, message)
        {
            RetryDelay = retryAfter > TimeSpan.FromMilliseconds(1) ? retryAfter : TimeSpan.FromMilliseconds(1),
        };
}

using Ketenhub.Hub.Common;
using Microsoft.Extensions.Options;

namespace Ketenhub.Hub.Host.Transport;

/// <summary>
/// One token bucket per calling party (<see cref="CallLimitOptions.PermitsPerSecond"/> and <see cref="CallLimitOptions.Burst"/>,
/// or the party's own under <c>Hub:Limits:Parties</c>). A call over the limit is refused at once with RATE_LIMITED and
/// the time after which a token is free again; one party's calls never use another party's tokens.
/// </summary>
public sealed class PartyRateLimiter(IOptions<CallLimitOptions> options, TimeProvider time)
{
    private readonly TokenBuckets _buckets = new(time, party =>
        options.Value.Parties.TryGetValue(party, out var own) ? own : new PartyRateLimit { PermitsPerSecond = options.Value.PermitsPerSecond, Burst = options.Value.Burst });

    /// <summary>Takes a permit for the party, or throws RATE_LIMITED with a retry delay.</summary>
    public void Take(string partyId)
    {
        if (!_buckets.TryTake(partyId, out var retryAfter))
        {
            throw RateLimited(retryAfter, "The calling party made more calls than its rate limit allows; retry after the delay in RetryInfo.");
        }
    }

    /// <summary>The RATE_LIMITED refusal, with its retry delay (at least a millisecond).</summary>
    public static HubException RateLimited(TimeSpan retryAfter, string message) =>
        new(ErrorCategory.ResourceExhausted, ErrorReasons.RateLimited, message)
        {
            RetryDelay = retryAfter > TimeSpan.FromMilliseconds(1) ? retryAfter : TimeSpan.FromMilliseconds(1),
        };
}

using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Parties;
using Microsoft.Extensions.Options;

namespace Ketenhub.Hub.Host.Transport;

/// <summary>
/// Limits on calls (section <c>Hub:Limits</c>): each party's call rate, the rate of calls that prove no known party
/// (per connection), and the longest a unary call may run. docs/security.md ("Bad input and abuse") gives the reasoning
/// behind the defaults.
/// </summary>
public sealed class CallLimitOptions
{
    public const string Section = HubOptions.Section + ":Limits";

    /// <summary>Calls per second a party may make on average. <value>The default value is 100.</value></summary>
    [Range(0.001, 1_000_000)]
    public double PermitsPerSecond { get; set; } = 100;

    /// <summary>Calls a party may make at once above its rate (the token bucket's size). <value>The default value is 600.</value></summary>
    [Range(1, 1_000_000)]
    public int Burst { get; set; } = 600;

    /// <summary>
    /// The longest a unary call may run on the hub, whatever deadline the caller set (or none); after it the call
    /// ends with CALL_TIMED_OUT. Delivery streams are not limited. <value>The default value is 30 seconds.</value>
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan MaxCallDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Per-party rates by party id, replacing <see cref="PermitsPerSecond"/> and <see cref="Burst"/> for that party.</summary>
    public Dictionary<string, PartyRateLimit> Parties { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The rate of calls that prove no known party (no identity, a bad token, an unmapped certificate or token), per
    /// connection. <value>The default value is 2 calls per second with a burst of 20.</value>
    /// </summary>
    public PartyRateLimit UnknownCallers { get; set; } = new() { PermitsPerSecond = 2, Burst = 20 };

    /// <summary>
    /// How often a refusal of the same cause is logged (<see cref="RefusalLog"/>): once per interval, with the number left
    /// out. <value>The default value is one minute.</value>
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RefusalLogInterval { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>A call rate: a token bucket.</summary>
public sealed class PartyRateLimit
{
    /// <summary>Calls per second on average.</summary>
    public double PermitsPerSecond { get; set; }

    /// <summary>Calls at once above the rate.</summary>
    public int Burst { get; set; }

    internal bool IsValid => PermitsPerSecond is >= 0.001 and <= 1_000_000 && Burst is >= 1 and <= 1_000_000;
}

/// <summary>Checks the per-party limits against the configured parties, and the limit for unknown callers.</summary>
public sealed class CallLimitOptionsValidator(PartyDirectory parties) : IValidateOptions<CallLimitOptions>
{
    public ValidateOptionsResult Validate(string? name, CallLimitOptions options)
    {
        var problems = new List<string>();
        foreach (var (party, limit) in options.Parties)
        {
            if (parties.Find(party) is null)
            {
                problems.Add($"{CallLimitOptions.Section}:Parties:{party} names no configured party.");
            }

            if (!limit.IsValid)
            {
                problems.Add($"{CallLimitOptions.Section}:Parties:{party} needs PermitsPerSecond from 0.001 to 1000000 and Burst from 1 to 1000000.");
            }
        }

        if (!options.UnknownCallers.IsValid)
        {
            problems.Add($"{CallLimitOptions.Section}:UnknownCallers needs PermitsPerSecond from 0.001 to 1000000 and Burst from 1 to 1000000.");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}

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

/// <summary>
/// An error the gRPC framework answers by itself, before a service runs (a request over the size limit, a body
/// that is not a valid message, a deadline that passed, an unknown method), gets an <c>ErrorInfo</c> from the
/// catalogue like every other error.
/// </summary>
public static class TransportGuard
{
    private const string StatusHeader = "grpc-status";
    private const string MessageHeader = "grpc-message";
    private const string DetailsHeader = "grpc-status-details-bin";

    public static IApplicationBuilder UseKetenhubTransportGuard(this IApplicationBuilder app)
    {
        return app.Use((context, next) =>
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<GrpcMethodMetadata>() is not null
                || context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true)
            {
                context.Response.OnStarting(AddErrorInfo, context);
            }

            return next(context);
        });
    }

    private static Task AddErrorInfo(object state)
    {
        var headers = ((HttpContext)state).Response.Headers;
        if (!int.TryParse(headers[StatusHeader], NumberStyles.None, CultureInfo.InvariantCulture, out var code) || code == 0 || headers.ContainsKey(DetailsHeader))
        {
            return Task.CompletedTask;
        }

        (StatusCode status, string reason, string message)? coded = (StatusCode)code switch
        {
            StatusCode.ResourceExhausted => (StatusCode.ResourceExhausted, ErrorReasons.MessageTooLarge, $"The request is larger than the hub accepts ({HubHost.MaxReceiveMessageSize} bytes)."),
            StatusCode.Unknown or StatusCode.Internal => (StatusCode.InvalidArgument, ErrorReasons.MalformedMessage, "The request body is not a valid protobuf message of the method's request type."),
            StatusCode.DeadlineExceeded => (StatusCode.DeadlineExceeded, ErrorReasons.CallTimedOut, "The call did not finish within the caller's deadline."),
            StatusCode.Unimplemented => (StatusCode.Unimplemented, ErrorReasons.MethodNotFound, "The hub has no such service or method."),
            StatusCode.Cancelled => (StatusCode.Cancelled, ErrorReasons.Cancelled, "The call was cancelled."),
            _ => null,
        };
        if (coded is not { } c)
        {
            return Task.CompletedTask;
        }

        var details = new Google.Rpc.Status
        {
            Code = (int)c.status,
            Message = c.message,
            Details = { Any.Pack(new ErrorInfo { Domain = ErrorReasons.Domain, Reason = c.reason }) },
        };
        headers[StatusHeader] = ((int)c.status).ToString(CultureInfo.InvariantCulture);
        headers[MessageHeader] = Uri.EscapeDataString(c.message);
        headers[DetailsHeader] = Convert.ToBase64String(details.ToByteArray());
        return Task.CompletedTask;
    }
}

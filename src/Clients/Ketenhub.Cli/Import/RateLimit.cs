using Google.Rpc;
using Grpc.Core;

namespace Ketenhub.Cli.Import;

/// <summary>
/// The hub's rate limit during an import: a call refused <c>RATE_LIMITED</c> is sent again after the delay the hub named
/// in <c>RetryInfo</c>, with the same request (and so the same request id, which makes a repeat safe). A large export
/// thus goes at the school's rate instead of failing the rows over it. Gives up after <see cref="MaxWait"/> of waiting
/// for one call, and passes every other error on.
/// </summary>
public static class RateLimit
{
    /// <summary>The longest one call waits for the hub's rate limit in all.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromMinutes(2);

    private const string RateLimited = "RATE_LIMITED";

    public static async Task<T> WaitAndRetryAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken)
    {
        var waited = TimeSpan.Zero;
        while (true)
        {
            try
            {
                return await call();
            }
            catch (RpcException ex) when (RetryDelay(ex) is { } delay && waited + delay <= MaxWait)
            {
                // A little more than asked, spread, so the import's parallel rows do not all come back at once.
                var wait = delay + TimeSpan.FromMilliseconds(Random.Shared.Next(0, 50));
                waited += wait;
                await Task.Delay(wait, TimeProvider.System, cancellationToken);
            }
        }
    }

    /// <summary>The delay a RATE_LIMITED answer asks for; null for any other answer.</summary>
    public static TimeSpan? RetryDelay(RpcException exception)
    {
        var status = exception.StatusCode == StatusCode.ResourceExhausted ? exception.GetRpcStatus() : null;
        return status?.GetDetail<ErrorInfo>()?.Reason == RateLimited && status.GetDetail<RetryInfo>() is { RetryDelay: { } delay }
            ? delay.ToTimeSpan()
            : null;
    }
}

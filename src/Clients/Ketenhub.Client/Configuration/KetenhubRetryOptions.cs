using Grpc.Core;

namespace Ketenhub.Client;

/// <summary>
/// The channel's retry policy (gRPC service config). Every mutating call carries one <c>request_id</c> for
/// all its attempts, and the hub answers a repeated <c>request_id</c> with its first answer, so a retry
/// never applies a write twice.
/// </summary>
public sealed class KetenhubRetryOptions
{
    /// <summary>Attempts per call, the first included; 1 turns retries off. At most 5. <value>The default value is 4.</value></summary>
    public int MaxAttempts { get; set; } = 4;

    /// <summary>The longest first pause before a retry (the pause is random up to this). <value>The default value is 200 milliseconds.</value></summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest pause between attempts. <value>The default value is 5 seconds.</value></summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How much the pause grows after each attempt. <value>The default value is 2.</value></summary>
    public double BackoffMultiplier { get; set; } = 2;

    /// <summary>
    /// The status codes that are retried. Empty means <see cref="StatusCode.Unavailable"/> only, the one
    /// status the hub returns when nothing was done or a retry is safe.
    /// </summary>
    public IList<StatusCode> RetryableStatusCodes { get; set; } = [];

    /// <summary>
    /// The retry budget: tokens in the channel's bucket. Each failure takes one, each success gives back
    /// <see cref="BudgetTokenRatio"/>; below half the bucket no call is retried, so a failing hub is not
    /// flooded. <value>The default value is 10.</value>
    /// </summary>
    public int BudgetMaxTokens { get; set; } = 10;

    /// <summary>Tokens a successful call puts back into the retry budget. <value>The default value is 0.1.</value></summary>
    public double BudgetTokenRatio { get; set; } = 0.1;
}

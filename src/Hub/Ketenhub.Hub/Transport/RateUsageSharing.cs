using Ketenhub.Hub.Common;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Ketenhub.Hub.Host.Transport;

/// <summary>
/// With several hub instances on one database: every <see cref="CallLimitOptions.ShareInterval"/> this instance sends the
/// permits its parties took here to the other instances, and drains the permits they send from its own buckets, so that a
/// party spreading its calls over the instances gets its limit once, not once per instance (within the tolerance
/// docs/operations.md gives). Registered only with a store that several instances share.
/// </summary>
public sealed class RateUsageSharing(PartyRateLimiter limiter, IRateUsageRelay relay, IOptions<CallLimitOptions> options, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        relay.AttachUsage(limiter.DrainUsedElsewhere);
        using var timer = new PeriodicTimer(options.Value.ShareInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                var usage = limiter.TakeUsage();
                if (usage.Count > 0)
                {
                    relay.PublishUsage(usage);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}

using Ketenhub.Hub.Common;
using Ketenhub.Hub.Parties;
using Ketenhub.Hub.Storage;
using Microsoft.Extensions.Options;

namespace Ketenhub.Hub.Host.Operations;

/// <summary>
/// Samples every configured party's queue (pending deliveries and the oldest one's age) every
/// <see cref="TelemetryOptions.QueueSampleInterval"/>, in one read, for the queue gauges of <see cref="HubMetrics"/>: a
/// scrape never reaches the store. When the store does not answer, the gauges show nothing until it does.
/// </summary>
public sealed partial class QueueSampler(IHubStore store, PartyDirectory parties, TimeProvider time, IOptions<TelemetryOptions> options, ILogger<QueueSampler> logger) : BackgroundService
{
    private IReadOnlyList<QueueSample> _last = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        HubMetrics.ObserveQueues(() => Volatile.Read(ref _last));
        using var timer = new PeriodicTimer(options.Value.QueueSampleInterval, time);
        do
        {
            try
            {
                var now = time.GetUtcNow();
                var samples = await store.ReadAsync(
                    session => parties.All.Select(p =>
                    {
                        var queue = session.GetPendingQueue(p.Id);
                        var age = queue.Oldest is { } oldest && now > oldest.CreateTime ? now - oldest.CreateTime : TimeSpan.Zero;
                        return new QueueSample(p.Id, queue.Count, age);
                    }).ToList(),
                    stoppingToken).ConfigureAwait(false);
                Volatile.Write(ref _last, samples);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Volatile.Write(ref _last, []);
                LogSampleFailed(ex.GetType().Name);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The queues could not be sampled for the metrics ({Error}); the queue gauges are empty until the store answers")]
    private partial void LogSampleFailed(string error);
}

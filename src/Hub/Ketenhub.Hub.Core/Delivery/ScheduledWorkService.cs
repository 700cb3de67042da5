using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Ketenhub.Hub.Delivery;

/// <summary>Runs <see cref="ScheduledWork"/> on a <see cref="TimeProvider"/> timer, so tests drive it by moving a fake clock.</summary>
public sealed partial class ScheduledWorkService(ScheduledWork work, IOptions<HubOptions> options, TimeProvider time, ILogger<ScheduledWorkService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ScheduledWorkInterval, time);
        do
        {
            try
            {
                await work.RunOnceAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The next tick tries again; a failing run must not stop the hub.
                LogFailed(ex.GetType().Name);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Scheduled work failed with {ExceptionType}; retrying at the next tick")]
    private partial void LogFailed(string exceptionType);
}

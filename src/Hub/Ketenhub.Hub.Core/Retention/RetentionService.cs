using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Ketenhub.Hub.Retention;

/// <summary>
/// Runs <see cref="RetentionWork"/> every <see cref="RetentionOptions.Interval"/> on a <see cref="TimeProvider"/> timer
/// (tests drive it by moving a fake clock); does nothing when <see cref="RetentionOptions.Enabled"/> is false.
/// </summary>
public sealed partial class RetentionService(RetentionWork work, IOptions<RetentionOptions> options, TimeProvider time, ILogger<RetentionService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            LogDisabled();
            return;
        }

        if (options.Value.AuditEvents < FiveYears)
        {
            LogShortAuditTerm(options.Value.AuditEvents.TotalDays);
        }

        using var timer = new PeriodicTimer(options.Value.Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
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
    }

    // NEN 7513's usual term for the logging of access to client data (docs/privacy.md).
    private static readonly TimeSpan FiveYears = TimeSpan.FromDays(1826);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Hub:Retention:AuditEvents is {Days:F1} days, shorter than the five years NEN 7513 usually asks for the logging of access to client data (docs/privacy.md)")]
    private partial void LogShortAuditTerm(double days);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Retention is switched off (Hub:Retention:Enabled): the hub removes nothing whose term has passed")]
    private partial void LogDisabled();

    [LoggerMessage(Level = LogLevel.Error, Message = "Retention work failed with {ExceptionType}; retrying at the next tick")]
    private partial void LogFailed(string exceptionType);
}

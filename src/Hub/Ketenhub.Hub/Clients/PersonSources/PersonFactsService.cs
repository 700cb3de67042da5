using Ketenhub.Hub.Clients;
using Microsoft.Extensions.Options;

namespace Ketenhub.Hub.Host.Clients.PersonSources;

/// <summary>Checks every client against the person source every <see cref="PersonSourceOptions.CheckInterval"/>, on the hub's clock.</summary>
public sealed partial class PersonFactsService(PersonFacts facts, IOptions<PersonSourceOptions> options, TimeProvider time, ILogger<PersonFactsService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!facts.IsConfigured)
        {
            return;
        }

        using var timer = new PeriodicTimer(options.Value.CheckInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await facts.CheckAllAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The next tick tries again; a failing check must not stop the hub.
                LogFailed(ex.GetType().Name);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The person facts check failed with {ExceptionType}; retrying at the next tick")]
    private partial void LogFailed(string exceptionType);
}

using Ketenhub.Adapters.Fhir;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Parties;

namespace Ketenhub.Hub.Host.Inbound;

/// <summary>
/// Builds the FHIR validator (<see cref="FhirValidation"/>) in the background at start-up when a party speaks FHIR, so
/// that a partner's first message is not the one that waits for it (seconds: the R4 definitions are read and the
/// schemas compiled). A message that comes earlier waits for the same build.
/// </summary>
public sealed partial class FhirValidationWarmUp(PartyDirectory parties, TimeProvider time, ILogger<FhirValidationWarmUp> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!parties.All.Any(p => p.Channel == DeliveryChannel.Fhir))
        {
            return Task.CompletedTask;
        }

        return Task.Run(
            () =>
            {
                var started = time.GetTimestamp();
                var errors = FhirValidation.Shared.WarmUp();
                if (errors > 0)
                {
                    LogBroken(errors);
                }
                else
                {
                    var elapsed = (long)time.GetElapsedTime(started).TotalMilliseconds;
                    LogReady(elapsed);
                }
            },
            stoppingToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "FHIR validator ready in {ElapsedMs} ms")]
    private partial void LogReady(long elapsedMs);

    [LoggerMessage(Level = LogLevel.Error, Message = "FHIR validator: {Errors} error(s) in its own sample; the conformance package or the R4 specification is broken")]
    private partial void LogBroken(int errors);
}

using Ketenhub.Hub.Common;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Ketenhub.Hub.Retention;

/// <summary>What one run of the retention work removed.</summary>
public sealed record RetentionResult(int MessageContents, int DeliveryPayloads, int Requests, int JourneyEvents)
{
    public int Total => MessageContents + DeliveryPayloads + Requests + JourneyEvents;
}

/// <summary>
/// Removes what has outlived its term (<see cref="RetentionOptions"/>, docs/privacy.md): the content of messages whose
/// deliveries all ended longer ago than <see cref="RetentionOptions.MessageContent"/>, the inline payloads of such
/// deliveries, stored answers of idempotent requests and journey events. It works in small batches, one transaction
/// each, so other writes pass between them (the store has one writer); with several instances on one store, one runs it
/// (<see cref="IScheduleLease"/>). What it removes is counted (<see cref="HubMetrics.Removed"/>) and logged as counts,
/// not audited one by one: it is the hub's stated policy, not an access to a client's data, and an erased message or
/// delivery carries the time of its erasure itself (<c>ContentEraseTime</c>). Time comes from the <see cref="TimeProvider"/>.
/// </summary>
public sealed partial class RetentionWork(
    IHubStore store,
    IOptions<RetentionOptions> options,
    TimeProvider time,
    ILogger<RetentionWork> logger,
    IScheduleLease? lease = null) : IDisposable
{
    /// <summary>The name of this work's lease (<see cref="IScheduleLease"/>).</summary>
    public const string LeaseName = "retention";

    private readonly SemaphoreSlim _gate = new(1, 1);

    public void Dispose() => _gate.Dispose();

    public async Task<RetentionResult> RunOnceAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        IAsyncDisposable? held = null;
        try
        {
            if (lease is not null && (held = await lease.TryAcquireAsync(LeaseName, cancellationToken).ConfigureAwait(false)) is null)
            {
                return new RetentionResult(0, 0, 0, 0);
            }

            var settings = options.Value;
            var size = settings.BatchSize;
            var messages = await LoopAsync(session => EraseMessagesBatch(session, settings.MessageContent, size), size, "message_content", cancellationToken).ConfigureAwait(false);
            var payloads = await LoopAsync(session => ErasePayloadsBatch(session, settings.MessageContent, size), size, "delivery_payload", cancellationToken).ConfigureAwait(false);
            var requests = await LoopAsync(session => session.DeleteRequestsBefore(time.GetUtcNow() - settings.IdempotencyRecords, size), size, "idempotency_record", cancellationToken).ConfigureAwait(false);
            var journey = await LoopAsync(session => session.DeleteJourneyEventsBefore(time.GetUtcNow() - settings.JourneyEvents, size), size, "journey_event", cancellationToken).ConfigureAwait(false);
            var result = new RetentionResult(messages, payloads, requests, journey);
            if (result.Total > 0)
            {
                LogRun(messages, payloads, requests, journey);
            }

            return result;
        }
        finally
        {
            if (held is not null)
            {
                await held.DisposeAsync().ConfigureAwait(false);
            }

            _gate.Release();
        }
    }

    private async Task<int> LoopAsync(Func<IHubSession, int> batch, int size, string kind, CancellationToken cancellationToken)
    {
        var total = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var count = await store.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
            HubMetrics.Removed(kind, count);
            total += count;
            if (count < size)
            {
                return total;
            }
        }
    }

    private int EraseMessagesBatch(IHubSession session, TimeSpan term, int size)
    {
        var now = time.GetUtcNow();
        var erased = 0;
        foreach (var key in session.ListMessagesContentEnded(now - term, size))
        {
            if (MessageContent.EraseMessage(session, key, now) is not null)
            {
                erased++;
            }
        }

        return erased;
    }

    private int ErasePayloadsBatch(IHubSession session, TimeSpan term, int size)
    {
        var now = time.GetUtcNow();
        var due = session.ListDeliveriesContentEnded(now - term, size);
        foreach (var delivery in due)
        {
            session.UpdateDelivery(MessageContent.Erase(delivery, now));
        }

        return due.Count;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention removed {MessageContents} message contents, {DeliveryPayloads} delivery payloads, {Requests} stored request answers and {JourneyEvents} journey events")]
    private partial void LogRun(int messageContents, int deliveryPayloads, int requests, int journeyEvents);
}

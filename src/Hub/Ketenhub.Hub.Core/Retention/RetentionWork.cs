using Ketenhub.Hub.Audit;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Ketenhub.Hub.Retention;

/// <summary>What one run of the retention work removed.</summary>
public sealed record RetentionResult(int MessageContents, int DeliveryPayloads, int Requests, int JourneyEvents)
{
    /// <summary>Message records removed (with their deliveries and party index rows).</summary>
    public int MessageRecords { get; init; }

    /// <summary>Records of deliveries that carry no message, removed.</summary>
    public int DeliveryRecords { get; init; }

    /// <summary>Audit events removed from the start of the trail.</summary>
    public int AuditEvents { get; init; }

    public int Total => MessageContents + DeliveryPayloads + Requests + JourneyEvents + MessageRecords + DeliveryRecords + AuditEvents;
}

/// <summary>
/// Removes what has outlived its term (<see cref="RetentionOptions"/>, docs/privacy.md): the content of messages whose
/// deliveries all ended longer ago than <see cref="RetentionOptions.MessageContent"/>, the inline payloads of such
/// deliveries, stored answers of idempotent requests and journey events; then the records of messages and deliveries
/// that ended longer ago than <see cref="RetentionOptions.MessageRecords"/> (<see cref="Retention.MessageRecords"/> says
/// which may go) and the oldest audit events (<see cref="RetentionOptions.AuditEvents"/>, see <see cref="PruneAuditAsync"/>).
/// It works in small batches, one transaction
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
    IScheduleLease? lease = null,
    IAuditCheckpointSource? checkpoints = null,
    AuditPseudonyms? pseudonyms = null) : IDisposable
{
    /// <summary>The name of this work's lease (<see cref="IScheduleLease"/>).</summary>
    public const string LeaseName = "retention";

    private readonly SemaphoreSlim _gate = new(1, 1);

    // When the audit trail's start is next looked for with the checkpoint file (see PruneAuditAsync).
    private DateTimeOffset _auditDue = DateTimeOffset.MinValue;

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
            var holds = settings.LegalHolds.ToHashSet(StringComparer.Ordinal);
            var records = await RemoveMessageRecordsAsync(settings.MessageRecords, holds, size, cancellationToken).ConfigureAwait(false);
            var deliveries = await LoopAsync(session => session.DeleteDeliveriesEnded(time.GetUtcNow() - settings.MessageRecords, holds, size), size, "delivery_record", cancellationToken).ConfigureAwait(false);
            var audit = await PruneAuditAsync(settings.AuditEvents, holds, size, cancellationToken).ConfigureAwait(false);
            var result = new RetentionResult(messages, payloads, requests, journey) { MessageRecords = records, DeliveryRecords = deliveries, AuditEvents = audit };
            if (messages + payloads + requests + journey > 0)
            {
                LogRun(messages, payloads, requests, journey);
            }

            if (records + deliveries + audit > 0)
            {
                LogRecords(records, deliveries, audit);
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

    /// <summary>
    /// Walks the messages whose records ended by the cut-off (a position at a time, so the ones that must stay, an open
    /// referral or a held client, are passed over) and removes those <see cref="Retention.MessageRecords.MayRemove"/> allows.
    /// </summary>
    private async Task<int> RemoveMessageRecordsAsync(TimeSpan term, HashSet<string> held, int size, CancellationToken cancellationToken)
    {
        MessagePosition? after = null;
        var total = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var from = after;
            var (removed, listed, last) = await store.WriteAsync(
                session =>
                {
                    var cut = time.GetUtcNow() - term;
                    var due = session.ListMessageRecordsEnded(cut, from, size);
                    var count = 0;
                    foreach (var message in due)
                    {
                        if (!held.Contains(message.ClientId) && Retention.MessageRecords.MayRemove(session, message.Key, cut) && session.DeleteMessageRecord(message.Key) > 0)
                        {
                            count++;
                        }
                    }

                    return (count, due.Count, due.Count > 0 ? due[^1].Position : from);
                },
                cancellationToken).ConfigureAwait(false);
            HubMetrics.Removed("message_record", removed);
            total += removed;
            if (listed < size)
            {
                return total;
            }

            after = last;
        }
    }

    /// <summary>
    /// Removes the audit events older than the term from the start of the trail, so that it still verifies
    /// (<see cref="AuditCheckpointCheck"/>): first the new start is recorded (<see cref="IHubSession.SetAuditStart"/>),
    /// then the events up to it are removed in batches. The start is the newest event that is older than the cut-off,
    /// not the trail's last event, and before the first event about a client under a legal hold; with checkpoints on, it
    /// is the newest such event a signed checkpoint vouches for (with the same hash), so <c>audit verify</c> can accept it.
    /// </summary>
    private async Task<int> PruneAuditAsync(TimeSpan term, HashSet<string> held, int size, CancellationToken cancellationToken)
    {
        if (held.Count > 0 && pseudonyms is null)
        {
            // Without the pseudonyms the events of a held client cannot be told apart: keep the whole trail.
            return 0;
        }

        var now = time.GetUtcNow();
        var heldPseudonyms = pseudonyms is null ? [] : held.Select(pseudonyms.Of).ToList();
        var cut = now - term;

        // First the cheap question, a few indexed reads: is any event old enough at all? Only then is the checkpoint
        // file read (every line's signature checked), and then at most once per thousandth of the term (under two days
        // for five years), so a long file is not read at every interval; the trail is kept at most that much longer.
        var target = now < _auditDue ? null : await store.ReadAsync(session => AuditPruning.Start(session, cut, null, heldPseudonyms), cancellationToken).ConfigureAwait(false);
        if (target is not null && checkpoints is not null)
        {
            _auditDue = now + (term / 1000);
            var reading = checkpoints.Read();
            if (reading is { Altered.Count: > 0 })
            {
                // A checkpoint file that does not verify cannot vouch for a start; audit verify reports it.
                LogCheckpointsAltered();
                return 0;
            }

            target = await store.ReadAsync(session => AuditPruning.Start(session, cut, reading, heldPseudonyms), cancellationToken).ConfigureAwait(false);
        }

        if (target is not null)
        {
            await store.WriteAsync(
                session =>
                {
                    session.SetAuditStart(target);
                    return true;
                },
                cancellationToken).ConfigureAwait(false);
            LogAuditStart(target.Sequence);
        }

        return await LoopAsync(session => session.DeleteAuditRecordsToStart(size), size, "audit_event", cancellationToken).ConfigureAwait(false);
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention removed {MessageRecords} message records, {DeliveryRecords} records of deliveries without a message and {AuditEvents} audit events")]
    private partial void LogRecords(int messageRecords, int deliveryRecords, int auditEvents);

    [LoggerMessage(Level = LogLevel.Information, Message = "The audit trail now starts after event {Sequence}: the events up to it passed their term")]
    private partial void LogAuditStart(long sequence);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The audit checkpoint file holds a line that does not verify, so retention removes no audit events; run 'Ketenhub.Hub audit verify'")]
    private partial void LogCheckpointsAltered();
}

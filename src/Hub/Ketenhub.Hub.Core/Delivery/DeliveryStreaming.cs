using System.Runtime.CompilerServices;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Parties;
using Ketenhub.Hub.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Ketenhub.Hub.Delivery;

/// <summary>What a delivery stream sends: a delivery (<see cref="StreamedDelivery"/>) or a heartbeat (<see cref="StreamHeartbeat"/>).</summary>
public abstract record DeliveryStreamItem;

/// <summary>A delivery sent on the stream, leased to it until answered or its ack deadline.</summary>
public sealed record StreamedDelivery(OutboundDelivery Outbound) : DeliveryStreamItem;

/// <summary>Where the stream stands: the highest pending sequence it has seen, whether nothing waits for it, and how many it holds unanswered.</summary>
public sealed record StreamHeartbeat(long HighWaterSequence, bool CaughtUp, DateTimeOffset Time, int Outstanding) : DeliveryStreamItem;

/// <summary>
/// One delivery stream of a recipient (docs/clients.md, "Delivery streams"): sends every pending delivery of the caller that
/// no other stream of its group holds, oldest first, then new ones as they are committed, at most
/// <see cref="DeliveryStreamSettings.MaxOutstanding"/> unanswered at a time. A delivery sent is leased to the stream until
/// it is acknowledged, rejected (then offered again after a backoff that grows with its attempts), or its ack deadline
/// passes (then offered again to whichever stream of the group claims it first), or the stream closes. Every sending
/// counts an attempt (<see cref="DeliveryQueue.ClaimAsync"/>), so the attempt limit still sets a delivery aside.
/// </summary>
public sealed partial class DeliveryStreaming(
    DeliveryQueue queue,
    DeliveryStreams streams,
    DeliveryNotifier notifier,
    IHubStore store,
    IOptions<DeliveryStreamOptions> streamOptions,
    IOptions<HubOptions> hubOptions,
    TimeProvider time,
    ILogger<DeliveryStreaming> logger)
{
    private const int MaxRemembered = 100_000;

    /// <summary>The settings a request asks for, with the hub's defaults; a coded error for a value out of bounds.</summary>
    public DeliveryStreamSettings Settings(TimeSpan? ackDeadline, int maxOutstanding, StreamSharing sharing, TimeSpan? heartbeatInterval) =>
        DeliveryStreamSettings.Check(ackDeadline, maxOutstanding, sharing, heartbeatInterval, streamOptions.Value);

    /// <summary>Runs one stream of <paramref name="caller"/> until <paramref name="cancellationToken"/> ends it.</summary>
    public async IAsyncEnumerable<DeliveryStreamItem> StreamAsync(Party caller, DeliveryStreamSettings settings, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(settings);
        var batch = hubOptions.Value.StreamBatchSize;
        var options = streamOptions.Value;

        // Sent on this stream and not yet answered: the record as sent, and when its lease ends.
        var outstanding = new Dictionary<string, (DeliveryRecord Sent, DateTimeOffset Deadline)>(StringComparer.Ordinal);

        // Rejected: still leased to this stream until its backoff has passed.
        var backingOff = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);

        // Everything sent on this stream: sending one again is always a new attempt.
        var everSent = new HashSet<string>(StringComparer.Ordinal);
        long cursor = 0;
        long highWater = 0;
        var lookBack = true;
        var seenRelease = notifier.ReleaseVersion(caller.Id);
        var sentSinceHeartbeat = true;
        DateTimeOffset? nextHeartbeat = settings.HeartbeatInterval is { } first ? time.GetUtcNow() + first : null;

        var lease = streams.Open(caller.Id, settings.Sharing, settings.AckDeadline);

        // When the first lease of another instance's stream that a claim passed over ends: then look back for it.
        DateTimeOffset? foreignLeaseEnds = null;
        LogOpened(caller.Id, settings.Sharing, settings.MaxOutstanding, (int)settings.AckDeadline.TotalSeconds);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                // Take the wake-up before reading, so a commit between the read and the wait is not missed.
                var wake = notifier.WaitAsync(caller.Id, cancellationToken);
                var rejected = new HashSet<string>(StringComparer.Ordinal);
                while (lease.Rejections.TryDequeue(out var rejection))
                {
                    rejected.Add(rejection);
                }

                if (outstanding.Count > 0)
                {
                    await RefreshAsync(lease, outstanding, backingOff, rejected, options, cancellationToken).ConfigureAwait(false);
                }

                var now = time.GetUtcNow();
                var freed = 0;
                foreach (var (id, (_, deadline)) in outstanding.Where(o => o.Value.Deadline <= now).ToList())
                {
                    // Not answered in time: offered again, to this stream or another of its group.
                    outstanding.Remove(id);
                    lease.Release(id);
                    freed++;
                    LogAckDeadlinePassed(caller.Id, "deliveries/" + id);
                }

                foreach (var (id, _) in backingOff.Where(b => b.Value <= now).ToList())
                {
                    backingOff.Remove(id);
                    lease.Release(id);
                    freed++;
                }

                if (foreignLeaseEnds <= now)
                {
                    foreignLeaseEnds = null;
                    lookBack = true;
                }

                if (freed > 0)
                {
                    // Every stream of the party here looks back for what was freed (this one included).
                    notifier.WakeHere([caller.Id], released: true);
                }

                var room = Math.Min(batch, settings.MaxOutstanding - outstanding.Count);
                var drained = false;
                if (room > 0)
                {
                    var release = notifier.ReleaseVersion(caller.Id);
                    lookBack |= release != seenRelease;
                    seenRelease = release;
                    var (sending, walkedToEnd, seen, foreignEnds) = await queue.ClaimForStreamAsync(caller, lookBack ? 0 : cursor, room, lease, everSent.Contains, cancellationToken).ConfigureAwait(false);
                    highWater = Math.Max(highWater, seen);
                    if (foreignEnds is { } ends && (foreignLeaseEnds is null || ends < foreignLeaseEnds))
                    {
                        foreignLeaseEnds = ends;
                    }

                    var sentAt = time.GetUtcNow();
                    foreach (var outbound in sending)
                    {
                        var delivery = outbound.Delivery;
                        outstanding[delivery.Id] = (delivery, sentAt + settings.AckDeadline);
                        if (everSent.Count >= MaxRemembered)
                        {
                            // Forgetting only risks a resend without another attempt counted, which the deadline bounds.
                            everSent.Clear();
                        }

                        everSent.Add(delivery.Id);
                        cursor = Math.Max(cursor, delivery.Sequence);
                        sentSinceHeartbeat = true;
                        yield return new StreamedDelivery(outbound);
                    }

                    if (!walkedToEnd)
                    {
                        // More waits: read again at once. A look-back walks from the start again (what this stream's
                        // group holds is passed over), so nothing released behind the cursor is missed.
                        continue;
                    }

                    lookBack = false;
                    drained = true;
                }

                now = time.GetUtcNow();
                if (settings.HeartbeatInterval is { } interval && ((drained && sentSinceHeartbeat) || now >= nextHeartbeat))
                {
                    sentSinceHeartbeat = false;
                    nextHeartbeat = now + interval;
                    yield return new StreamHeartbeat(highWater, drained, now, outstanding.Count);
                }

                var due = NextDue(outstanding, backingOff, nextHeartbeat);
                if (foreignLeaseEnds is { } foreign && (due is null || foreign < due))
                {
                    due = foreign;
                }

                if (!await WaitAsync(wake, due, cancellationToken).ConfigureAwait(false))
                {
                    yield break;
                }
            }
        }
        finally
        {
            // The stream's leases are freed with its registration; the others of its group look back for them.
            lease.Dispose();
            if (outstanding.Count > 0 || backingOff.Count > 0)
            {
                notifier.WakeHere([caller.Id], released: true);
            }

            LogClosed(caller.Id, outstanding.Count);
        }
    }

    /// <summary>
    /// Drops what was answered: acknowledged, set aside or withheld deliveries leave the stream; a rejected one waits out
    /// its backoff, still leased to this stream. A rejection through this hub is told in-process
    /// (<see cref="DeliveryStreams.NoteRejected"/>); one through another instance shows in the stored record.
    /// </summary>
    private async Task RefreshAsync(DeliveryStreams.Lease lease, Dictionary<string, (DeliveryRecord Sent, DateTimeOffset Deadline)> outstanding, Dictionary<string, DateTimeOffset> backingOff, HashSet<string> rejected, DeliveryStreamOptions options, CancellationToken cancellationToken)
    {
        var ids = outstanding.Keys.ToList();
        var stored = await store.ReadAsync(session => ids.Select(session.FindDelivery).ToList(), cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        for (var i = 0; i < ids.Count; i++)
        {
            var id = ids[i];
            var sent = outstanding[id].Sent;
            var current = stored[i];
            if (current is null || current.Status != DeliveryStatus.Pending)
            {
                outstanding.Remove(id);
                lease.Release(id);
                continue;
            }

            var rejectedSince = rejected.Contains(id)
                || (current.StatusReason?.StartsWith("REJECTED:", StringComparison.Ordinal) == true
                    && (current.StatusReason != sent.StatusReason || current.UpdateTime != sent.UpdateTime));
            if (rejectedSince)
            {
                outstanding.Remove(id);
                backingOff[id] = now + options.BackoffAfter(current.AttemptCount);
            }
        }
    }

    private static DateTimeOffset? NextDue(Dictionary<string, (DeliveryRecord Sent, DateTimeOffset Deadline)> outstanding, Dictionary<string, DateTimeOffset> backingOff, DateTimeOffset? heartbeat)
    {
        var due = heartbeat;
        foreach (var (_, deadline) in outstanding.Values)
        {
            due = due is null || deadline < due ? deadline : due;
        }

        foreach (var until in backingOff.Values)
        {
            due = due is null || until < due ? until : due;
        }

        return due;
    }

    /// <summary>Waits for a wake-up or until <paramref name="due"/>; false once the stream is cancelled.</summary>
    private async Task<bool> WaitAsync(Task wake, DateTimeOffset? due, CancellationToken cancellationToken)
    {
        try
        {
            if (due is not { } until)
            {
                await wake.ConfigureAwait(false);
                return true;
            }

            var delay = until - time.GetUtcNow();
            if (delay <= TimeSpan.Zero)
            {
                return true;
            }

            using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var elapsed = Task.Delay(delay, time, timer.Token);
            await Task.WhenAny(wake, elapsed).ConfigureAwait(false);
            await timer.CancelAsync().ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Delivery stream of {Party} opened ({Sharing}, max outstanding {MaxOutstanding}, ack deadline {AckDeadlineSeconds} s)")]
    private partial void LogOpened(string party, StreamSharing sharing, int maxOutstanding, int ackDeadlineSeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Delivery} of {Party} was not answered before its ack deadline; offering it again")]
    private partial void LogAckDeadlinePassed(string party, string delivery);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Delivery stream of {Party} closed with {Outstanding} deliveries unanswered")]
    private partial void LogClosed(string party, int outstanding);
}

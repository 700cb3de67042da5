using Ketenhub.Client.Configuration;
using Ketenhub.Client.Consumer;
using Ketenhub.Contracts.V1;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ketenhub.Client;

/// <summary>
/// Consumes the caller's deliveries: subscribes to the stream, hands each delivery to an
/// <see cref="IKetenhubDeliveryHandler"/> one at a time, in the order the hub sends them, and acknowledges it
/// once the handler returns. After a broken stream it reconnects with exponential backoff and jitter and
/// resumes from its cursor.
/// </summary>
/// <remarks>
/// <para>
/// A handler that throws does not lose the delivery: the consumer rejects it (<c>RejectDelivery</c> with
/// <see cref="KetenhubDeliveryConsumerOptions.RejectReasonCode"/>), so it stays pending and the hub counts the
/// attempt; other deliveries go on; after a backoff that grows with the delivery's attempts the consumer
/// reconnects from just before the failed delivery, so it comes again. After the hub's attempt limit the hub
/// sets it aside (list and replay it with <see cref="KetenhubDeliveries"/>).
/// </para>
/// <para>
/// The cursor is the highest sequence below which every delivery this consumer received was acknowledged.
/// Acknowledged deliveries never come again. Delivery is at least once: a delivery handled but whose
/// acknowledgement was lost comes again with the same name.
/// </para>
/// </remarks>
public sealed partial class KetenhubDeliveryConsumer
{
    private readonly KetenhubClient _client;
    private readonly IKetenhubDeliveryHandler _handler;
    private readonly KetenhubDeliveryConsumerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private long _acknowledged;
    private long? _retryFrom;

    /// <summary>Creates a consumer; nothing happens until <see cref="RunAsync"/>.</summary>
    /// <param name="client">The client to consume with (its party's deliveries).</param>
    /// <param name="handler">Your code that processes one delivery.</param>
    /// <param name="options">Backoff and reject settings; null for the defaults.</param>
    /// <param name="timeProvider">The clock for backoff waits; null for the system clock.</param>
    /// <param name="logger">Where to log reconnects and handler failures (never payloads); null for none.</param>
    public KetenhubDeliveryConsumer(KetenhubClient client, IKetenhubDeliveryHandler handler, KetenhubDeliveryConsumerOptions? options = null, TimeProvider? timeProvider = null, ILogger<KetenhubDeliveryConsumer>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(handler);
        _client = client;
        _handler = handler;
        _options = options ?? new KetenhubDeliveryConsumerOptions();
        var problems = KetenhubDeliveryConsumerOptionsValidator.Check(_options);
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(options));
        }

        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _acknowledged = _options.StartAfterSequence;
    }

    /// <summary>The sequence the next stream starts after: every delivery this consumer received up to it is acknowledged.</summary>
    public long Cursor => Math.Min(Volatile.Read(ref _acknowledged), _retryFrom ?? long.MaxValue);

    /// <summary>
    /// Consumes until <paramref name="cancellationToken"/> is cancelled, then returns (a delivery being handled is
    /// left unacknowledged and comes again next time). Broken streams and failing handlers never end it.
    /// </summary>
    /// <param name="cancellationToken">Stops the consumer.</param>
    /// <returns>A task that completes when the consumer has stopped.</returns>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var after = Cursor;
            _retryFrom = null;
            using var connection = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            ITimer? redeliver = null;
            try
            {
                LogConnecting(after);
                await foreach (var message in _client.Deliveries.StreamMessagesAsync(StreamRequest(after), connection.Token).ConfigureAwait(false))
                {
                    if (message.Delivery is not { } delivery)
                    {
                        continue;
                    }

                    failures = 0;
                    var failedAttempt = await HandleAsync(delivery, cancellationToken).ConfigureAwait(false);
                    if (failedAttempt > 0 && redeliver is null)
                    {
                        // Reconnect from just before the failed delivery once its backoff has passed; the stream
                        // goes on with the other deliveries meanwhile.
                        redeliver = _time.CreateTimer(_ => CancelQuietly(connection), null, Backoff.Delay(failedAttempt, _options), Timeout.InfiniteTimeSpan);
                    }
                }

                failures++;
                LogStreamEnded(failures);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (OperationCanceledException) when (connection.IsCancellationRequested)
            {
                // The planned reconnect for a failed delivery: its backoff has already passed.
                LogRedelivering(Cursor);
                continue;
            }
            catch (KetenhubException ex)
            {
                failures++;
                LogStreamFailed(ex.StatusCode.ToString(), ex.Reason ?? "-", failures);
            }
            catch (Exception ex)
            {
                // Anything else on the way, a cancellation that is not ours included (a failed connection attempt
                // can surface as one): reconnect all the same.
                failures++;
                LogStreamFailed(ex.GetType().Name, "-", failures);
            }
            finally
            {
                if (redeliver is not null)
                {
                    await redeliver.DisposeAsync().ConfigureAwait(false);
                }
            }

            try
            {
                await Task.Delay(Backoff.Delay(failures, _options), _time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>The stream's settings: this consumer's flow control, ack deadline and sharing.</summary>
    private StreamDeliveriesRequest StreamRequest(long after)
    {
        var request = new StreamDeliveriesRequest
        {
            AfterSequence = after,
            MaxOutstanding = _options.MaxOutstanding,
            DeliveryMode = _options.FanOut ? DeliveryMode.FanOut : DeliveryMode.Shared,
        };
        if (_options.AckDeadline is { } deadline)
        {
            request.AckDeadline = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(deadline);
        }

        return request;
    }

    /// <summary>Handles one delivery; returns 0 when it is settled, or its attempt count when it must come again.</summary>
    private async Task<int> HandleAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        try
        {
            await _handler.HandleAsync(delivery, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            LogHandlerFailed(delivery.Name, ex.GetType().Name, delivery.AttemptCount);
            return await RejectAsync(delivery, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            await _client.Deliveries.AcknowledgeAsync(delivery.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (KetenhubException ex) when (ex.Reason is not null && !ex.IsTransient)
        {
            // The hub answered that the delivery can no longer be acknowledged (withheld or expired meanwhile).
            LogAcknowledgeRefused(delivery.Name, ex.Reason);
        }
        catch (KetenhubException)
        {
            // Handled but not acknowledged: it must come again (handlers are idempotent on the name).
            MarkForRetry(delivery);
            throw;
        }

        Advance(delivery.Sequence);
        return 0;
    }

    private async Task<int> RejectAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        MarkForRetry(delivery);
        try
        {
            var response = await _client.Deliveries.RejectAsync(delivery.Name, _options.RejectReasonCode, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (response.Status == DeliveryStatus.SetAside)
            {
                LogSetAside(delivery.Name, response.AttemptCount);
                return 0;
            }

            return Math.Max(1, response.AttemptCount);
        }
        catch (KetenhubException ex)
        {
            // Unrejected, it is still pending: it comes again all the same.
            LogRejectFailed(delivery.Name, ex.StatusCode.ToString());
            return Math.Max(1, delivery.AttemptCount);
        }
    }

    private void MarkForRetry(Delivery delivery)
    {
        var from = Math.Max(0, delivery.Sequence - 1);
        _retryFrom = _retryFrom is { } current ? Math.Min(current, from) : from;
    }

    private void Advance(long sequence)
    {
        if (sequence > _acknowledged)
        {
            Volatile.Write(ref _acknowledged, sequence);
        }
    }

    private static void CancelQuietly(CancellationTokenSource source)
    {
        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Opening the delivery stream after sequence {AfterSequence}")]
    private partial void LogConnecting(long afterSequence);

    [LoggerMessage(Level = LogLevel.Information, Message = "The delivery stream ended; reconnecting (attempt {Attempt})")]
    private partial void LogStreamEnded(int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The delivery stream failed with {StatusCode} {Reason}; reconnecting (attempt {Attempt})")]
    private partial void LogStreamFailed(string statusCode, string reason, int attempt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reconnecting after sequence {AfterSequence} so a failed delivery comes again")]
    private partial void LogRedelivering(long afterSequence);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Handler failed on {Delivery} with {ExceptionType} (attempt {Attempt}); rejecting it so it comes again")]
    private partial void LogHandlerFailed(string delivery, string exceptionType, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not reject {Delivery} ({StatusCode}); it stays pending and comes again")]
    private partial void LogRejectFailed(string delivery, string statusCode);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Delivery} was set aside by the hub after {Attempts} attempts; replay it once the handler is fixed")]
    private partial void LogSetAside(string delivery, int attempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The hub refused to acknowledge {Delivery}: {Reason}")]
    private partial void LogAcknowledgeRefused(string delivery, string reason);
}

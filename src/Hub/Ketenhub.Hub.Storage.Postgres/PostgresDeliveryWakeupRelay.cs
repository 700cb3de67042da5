using System.Text;
using System.Threading.Channels;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Delivery;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Ketenhub.Hub.Storage.Postgres;

/// <summary>
/// Delivery wake-ups between hub instances on one PostgreSQL database, by LISTEN/NOTIFY on the channel
/// <see cref="Channel"/>. <see cref="Publish"/> queues the wake-up and returns; a sender sends it with
/// <c>pg_notify</c> after the commit that made it. A listener holds one connection of its own with <c>LISTEN</c> and
/// hands what other instances send to this instance's <see cref="DeliveryNotifier"/>; when that connection drops it
/// reconnects and then wakes every stream of this instance to look again, since wake-ups sent meanwhile are lost.
/// <para>
/// A notification's payload is <c>instance|kind|party party …</c> (kind <c>n</c>: new deliveries, <c>r</c>: released):
/// party ids only, never anything about a client. An instance ignores its own. The same channel carries the call
/// permits each instance took per party (<see cref="IRateUsageRelay"/>, kind <c>u</c>: <c>party:count …</c>).
/// </para>
/// </summary>
public sealed partial class PostgresDeliveryWakeupRelay : IDeliveryWakeupRelay, IRateUsageRelay, IAsyncDisposable
{
    /// <summary>The notification channel.</summary>
    public const string Channel = "ketenhub_delivery_wakeups";

    // NOTIFY payloads must stay under 8,000 bytes; party ids are short, so a page of them is far below.
    private const int MaxPayloadBytes = 7000;

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _listenConnectionString;
    private readonly TimeProvider _time;
    private readonly ILogger<PostgresDeliveryWakeupRelay> _logger;
    private readonly string _instance = Guid.NewGuid().ToString("N")[..12];
    private readonly Channel<(IReadOnlyList<string> Parties, bool Released)> _outbox =
        System.Threading.Channels.Channel.CreateUnbounded<(IReadOnlyList<string>, bool)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<IReadOnlyDictionary<string, int>> _usageOutbox =
        System.Threading.Channels.Channel.CreateBounded<IReadOnlyDictionary<string, int>>(new BoundedChannelOptions(64) { SingleReader = true, FullMode = BoundedChannelFullMode.DropOldest });
    private Action<IReadOnlyDictionary<string, int>>? _usageReceiver;
    private Task? _usageSender;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private DeliveryNotifier? _notifier;
    private Task? _sender;
    private Task? _listener;
    private int _disposed;

    /// <param name="connectionString">The store's connection string (the same database as the store).</param>
    /// <param name="time">The clock for the wait between reconnections.</param>
    /// <param name="logger">Reports a lost or failing connection (never a payload).</param>
    public PostgresDeliveryWakeupRelay(string connectionString, TimeProvider time, ILogger<PostgresDeliveryWakeupRelay> logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        _time = time;
        _logger = logger;
        var sending = new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = 2, MinPoolSize = 0 };
        _dataSource = NpgsqlDataSource.Create(sending.ConnectionString);

        // The listening connection is kept open for as long as the relay runs; it is not pooled, so LISTEN never
        // outlives it on a connection that goes back to a pool. Keepalives find a dead server within a minute.
        _listenConnectionString = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, KeepAlive = 15 }.ConnectionString;
    }

    /// <summary>Completes once the listener has subscribed for the first time (tests wait for it before publishing).</summary>
    public Task Listening => _listening.Task;

    /// <summary>This instance's id in payloads.</summary>
    internal string Instance => _instance;

    /// <inheritdoc />
    public void Attach(DeliveryNotifier notifier)
    {
        ArgumentNullException.ThrowIfNull(notifier);
        if (Interlocked.CompareExchange(ref _notifier, notifier, null) is not null)
        {
            throw new InvalidOperationException("The relay already serves a notifier.");
        }
    }

    /// <summary>Starts the sender and the listener.</summary>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_sender is not null)
        {
            return;
        }

        _sender = Task.Run(() => SendAsync(_stopping.Token));
        _usageSender = Task.Run(() => SendUsageAsync(_stopping.Token));
        _listener = Task.Run(() => ListenAsync(_stopping.Token));
    }

    /// <inheritdoc />
    public void Publish(IReadOnlyList<string> partyIds, bool released)
    {
        ArgumentNullException.ThrowIfNull(partyIds);
        if (partyIds.Count > 0)
        {
            _outbox.Writer.TryWrite((partyIds, released));
        }
    }

    /// <inheritdoc />
    public void PublishUsage(IReadOnlyDictionary<string, int> permits)
    {
        ArgumentNullException.ThrowIfNull(permits);
        if (permits.Count > 0)
        {
            _usageOutbox.Writer.TryWrite(permits);
        }
    }

    /// <inheritdoc />
    public void AttachUsage(Action<IReadOnlyDictionary<string, int>> receive)
    {
        ArgumentNullException.ThrowIfNull(receive);
        if (Interlocked.CompareExchange(ref _usageReceiver, receive, null) is not null)
        {
            throw new InvalidOperationException("The relay already serves a usage receiver.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _outbox.Writer.TryComplete();
        _usageOutbox.Writer.TryComplete();
        if (_usageSender is not null)
        {
            await _usageSender.ConfigureAwait(false);
        }

        if (_sender is not null)
        {
            // Sends what is queued, then stops; a server that is gone only delays this until its sends fail.
            await _sender.ConfigureAwait(false);
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_listener is not null)
        {
            await _listener.ConfigureAwait(false);
        }

        _stopping.Dispose();
        await _dataSource.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>The payloads for a wake-up: the parties, split so that each payload stays small.</summary>
    internal IEnumerable<string> Payloads(IReadOnlyList<string> partyIds, bool released)
    {
        var head = $"{_instance}|{(released ? 'r' : 'n')}|";
        var payload = new StringBuilder(head);
        foreach (var party in partyIds)
        {
            if (payload.Length > head.Length && Encoding.UTF8.GetByteCount(payload.ToString()) + party.Length * 4 + 1 > MaxPayloadBytes)
            {
                yield return payload.ToString();
                payload.Clear().Append(head);
            }

            payload.Append(payload.Length > head.Length ? " " : "").Append(party);
        }

        yield return payload.ToString();
    }

    /// <summary>The payloads for permits taken here: <c>party:count</c> pairs, split so that each payload stays small.</summary>
    internal IEnumerable<string> UsagePayloads(IReadOnlyDictionary<string, int> permits)
    {
        var head = $"{_instance}|u|";
        var payload = new StringBuilder(head);
        foreach (var (party, count) in permits.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var pair = $"{party}:{count.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
            if (payload.Length > head.Length && Encoding.UTF8.GetByteCount(payload.ToString()) + Encoding.UTF8.GetByteCount(pair) + 1 > MaxPayloadBytes)
            {
                yield return payload.ToString();
                payload.Clear().Append(head);
            }

            payload.Append(payload.Length > head.Length ? " " : "").Append(pair);
        }

        yield return payload.ToString();
    }

    private async Task SendUsageAsync(CancellationToken cancellationToken)
    {
        var reader = _usageOutbox.Reader;
        try
        {
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var permits = new Dictionary<string, int>(StringComparer.Ordinal);
                while (reader.TryRead(out var some))
                {
                    foreach (var (party, count) in some)
                    {
                        permits[party] = permits.GetValueOrDefault(party) + count;
                    }
                }

                try
                {
                    await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                    foreach (var payload in UsagePayloads(permits))
                    {
                        await using var command = new NpgsqlCommand("SELECT pg_notify($1, $2);", connection);
                        command.Parameters.Add(new NpgsqlParameter { Value = Channel });
                        command.Parameters.Add(new NpgsqlParameter { Value = payload });
                        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    }
                }
                catch (Exception error) when (error is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException)
                {
                    // The other instances' buckets miss these permits: the limit is looser for one interval.
                    LogSendFailed(error.GetType().Name);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task SendAsync(CancellationToken cancellationToken)
    {
        var reader = _outbox.Reader;
        try
        {
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                // Gather what is queued into one wake-up per kind: a burst of commits costs one notification.
                var added = new SortedSet<string>(StringComparer.Ordinal);
                var released = new SortedSet<string>(StringComparer.Ordinal);
                while (reader.TryRead(out var wakeup))
                {
                    (wakeup.Released ? released : added).UnionWith(wakeup.Parties);
                }

                try
                {
                    await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                    foreach (var (parties, isReleased) in new[] { (added, false), (released, true) })
                    {
                        if (parties.Count == 0)
                        {
                            continue;
                        }

                        foreach (var payload in Payloads([.. parties], isReleased))
                        {
                            await using var command = new NpgsqlCommand("SELECT pg_notify($1, $2);", connection);
                            command.Parameters.Add(new NpgsqlParameter { Value = Channel });
                            command.Parameters.Add(new NpgsqlParameter { Value = payload });
                            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                        }
                    }
                }
                catch (Exception error) when (error is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException)
                {
                    // The other instances' streams find the deliveries when they next look (a listener that was cut
                    // off wakes all its streams when it is back).
                    LogSendFailed(error.GetType().Name);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task ListenAsync(CancellationToken cancellationToken)
    {
        var failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(_listenConnectionString);
                await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
                connection.Notification += (_, e) => Receive(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel};", connection))
                {
                    await listen.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                if (failures > 0)
                {
                    LogReconnected();

                    // Wake-ups sent while this instance was not listening are lost: every stream looks again.
                    _notifier?.WakeEveryStreamHere();
                }

                failures = 0;
                _listening.TrySetResult();
                while (true)
                {
                    await connection.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception error) when (error is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException or IOException)
            {
                failures++;
                LogListenFailed(error.GetType().Name, failures);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, failures)), _time, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private void ReceiveUsage(string pairs)
    {
        var receiver = Volatile.Read(ref _usageReceiver);
        if (receiver is null)
        {
            return;
        }

        var permits = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var pair in pairs.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = pair.LastIndexOf(':');
            if (colon > 0 && int.TryParse(pair.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var count) && count > 0)
            {
                var party = pair[..colon];
                permits[party] = permits.GetValueOrDefault(party) + count;
            }
        }

        if (permits.Count > 0)
        {
            receiver(permits);
        }
    }

    /// <summary>Hands a notification's payload to the notifier (or the usage receiver), unless this instance sent it.</summary>
    internal void Receive(string payload)
    {
        var parts = payload.Split('|', 3);
        if (parts.Length == 3 && parts[0] != _instance && parts[1] == "u")
        {
            ReceiveUsage(parts[2]);
            return;
        }

        if (parts.Length != 3 || parts[0] == _instance || parts[1] is not ("n" or "r") || _notifier is null)
        {
            return;
        }

        _notifier.WakeHere(parts[2].Split(' ', StringSplitOptions.RemoveEmptyEntries), released: parts[1] == "r");
    }

    [LoggerMessage(EventId = 5101, Level = LogLevel.Warning, Message = "Could not send a delivery wake-up to the other hub instances ({ErrorType}); their streams find the deliveries when they next look.")]
    private partial void LogSendFailed(string errorType);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Warning, Message = "Lost the connection that listens for other hub instances' delivery wake-ups ({ErrorType}, failure {Failures}); reconnecting.")]
    private partial void LogListenFailed(string errorType, int failures);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Information, Message = "Listening again for other hub instances' delivery wake-ups; every stream of this instance looks again.")]
    private partial void LogReconnected();
}

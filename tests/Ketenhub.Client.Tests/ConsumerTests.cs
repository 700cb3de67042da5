using System.Collections.Concurrent;
using Ketenhub.Client;
using Ketenhub.ClientTests.Infrastructure;
using Ketenhub.Contracts.V1;
using Microsoft.Extensions.Time.Testing;

namespace Ketenhub.ClientTests;

/// <summary>
/// The delivery consumer against the in-process hub: it hands every delivery to the handler and acknowledges it
/// after success; a stream the hub breaks mid-way is resumed from the cursor without losing or repeating a
/// delivery; a handler that throws leaves the delivery unacknowledged, and it comes again and is handled.
/// </summary>
public sealed class ConsumerTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly SdkHub _hub = new();

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task StreamsBrokenMidWay_AreResumedFromTheCursor_AndEveryDeliveryIsHandledAndAcknowledgedOnceInOrderPerClient()
    {
        var coached = await _hub.CoachedClientAsync();
        var (sdd, coach, first) = coached;
        var (second, secondAtCoach) = await CoachAnotherClientAsync(sdd, coach);
        var expected = new List<(string Client, string Delivery)>();
        for (var i = 0; i < 4; i++)
        {
            expected.AddRange((await SdkHub.RaiseAsync(sdd, first, 1)).Select(d => (coached.ClientAtCoach, d)));
            expected.AddRange((await SdkHub.RaiseAsync(sdd, second, 1)).Select(d => (secondAtCoach, d)));
        }

        // The first stream breaks after 3 deliveries, the one after it after 2 more.
        _hub.Faults.DropStreamsAfter(3, 2);
        var handler = new RecordingHandler();
        var consumer = new KetenhubDeliveryConsumer(coach, handler, FastBackoff());
        using var stop = new CancellationTokenSource();
        var running = consumer.RunAsync(stop.Token);

        await handler.WaitForAsync(expected.Count);
        await WaitUntilAsync(async () => (await PendingAsync(coach)).Count == 0);
        await StopAsync(stop, running);

        Assert.Equal(2, _hub.Faults.StreamsDropped);
        Assert.Equal(expected.Select(e => e.Delivery), handler.Handled.Select(d => d.Name));
        Assert.Equal(expected.Count, handler.Handled.Select(d => d.Name).Distinct().Count());
        foreach (var client in new[] { coached.ClientAtCoach, secondAtCoach })
        {
            Assert.Contains(handler.Handled, d => d.Client == client);
            var ofClient = handler.Handled.Where(d => d.Client == client).Select(d => d.Sequence).ToList();
            Assert.Equal(ofClient.Order(), ofClient);
        }

        // Each reconnect resumed after the last acknowledged delivery, not from the start.
        var starts = _hub.Faults.StreamStarts.ToList();
        Assert.Equal(0, starts[0]);
        Assert.Equal(handler.Handled[2].Sequence, starts[1]);
        Assert.Equal(handler.Handled[4].Sequence, starts[2]);
        Assert.Equal(handler.Handled[^1].Sequence, consumer.Cursor);

        var acknowledged = await ToListAsync(coach.Deliveries.ListAsync(DeliveryStatus.Acknowledged));
        Assert.Equal(expected.Select(e => e.Delivery).Order(StringComparer.Ordinal), acknowledged.Select(d => d.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task AHandlerThatThrows_LeavesTheDeliveryUnacknowledged_ItComesAgainAfterTheBackoff_AndIsHandled()
    {
        var (sdd, coach, client) = await _hub.CoachedClientAsync();
        var names = await SdkHub.RaiseAsync(sdd, client, 4);
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var handler = new RecordingHandler { FailOnce = { names[1] } };
        var consumer = new KetenhubDeliveryConsumer(coach, handler, new KetenhubDeliveryConsumerOptions
        {
            InitialBackoff = TimeSpan.FromSeconds(10),
            MaxBackoff = TimeSpan.FromMinutes(1),
            RejectReasonCode = "TEST_HANDLER_DOWN",
        }, clock);
        using var stop = new CancellationTokenSource();
        var running = consumer.RunAsync(stop.Token);

        // The others are handled and acknowledged; the failed one is rejected, not acknowledged, and waits.
        await handler.WaitForAsync(3);
        await WaitUntilAsync(async () => (await PendingAsync(coach)).Count == 1);
        Assert.Equal([names[0], names[2], names[3]], handler.Handled.Select(d => d.Name));
        Assert.Equal([names[1]], handler.Failed);
        var waiting = Assert.Single(await PendingAsync(coach));
        Assert.Equal(names[1], waiting.Name);
        Assert.Equal(1, waiting.AttemptCount);

        // Nothing comes again before the backoff has passed.
        await Task.Delay(300);
        Assert.Equal(3, handler.Handled.Count);

        // After it (at most InitialBackoff for the first failure) the consumer reconnects just before it.
        clock.Advance(TimeSpan.FromSeconds(10));
        await handler.WaitForAsync(4);
        await WaitUntilAsync(async () => (await PendingAsync(coach)).Count == 0);
        await StopAsync(stop, running);

        Assert.Equal(names[1], handler.Handled[3].Name);
        Assert.Equal(4, handler.Handled.Select(d => d.Name).Distinct().Count());
        Assert.Equal(names[1], Assert.Single(handler.Failed));
        Assert.Equal(handler.Handled[3].Sequence - 1, _hub.Faults.StreamStarts.Last());
        var acknowledged = await ToListAsync(coach.Deliveries.ListAsync(DeliveryStatus.Acknowledged));
        Assert.Equal(names.Order(StringComparer.Ordinal), acknowledged.Select(d => d.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task TwoConsumersOfOneParty_ShareItsDeliveries_AndHandleEachOnce()
    {
        var (sdd, coach, client) = await _hub.CoachedClientAsync();
        var first = new RecordingHandler();
        var second = new RecordingHandler();
        using var stop = new CancellationTokenSource();
        var runningFirst = new KetenhubDeliveryConsumer(coach, first, new KetenhubDeliveryConsumerOptions { MaxOutstanding = 1 }).RunAsync(stop.Token);
        var runningSecond = new KetenhubDeliveryConsumer(coach, second, new KetenhubDeliveryConsumerOptions { MaxOutstanding = 1 }).RunAsync(stop.Token);
        var names = await SdkHub.RaiseAsync(sdd, client, 6);

        await WaitUntilAsync(async () => (await PendingAsync(coach)).Count == 0 && first.Handled.Count + second.Handled.Count >= names.Count);
        await StopAsync(stop, runningFirst);
        await runningSecond.WaitAsync(Patience);

        var handled = first.Handled.Concat(second.Handled).Select(d => d.Name).ToList();
        Assert.Equal(names.Order(StringComparer.Ordinal), handled.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task AHandlerThatKeepsFailing_GetsTheDeliverySetAsideAtTheHubsLimit_AndTheOthersGoOn()
    {
        _hub.Hub.With("Hub:MaxDeliveryAttempts", "2");
        var (sdd, coach, client) = await _hub.CoachedClientAsync();
        var names = await SdkHub.RaiseAsync(sdd, client, 2);
        var handler = new RecordingHandler { FailAlways = { names[0] } };
        var consumer = new KetenhubDeliveryConsumer(coach, handler, FastBackoff());
        using var stop = new CancellationTokenSource();
        var running = consumer.RunAsync(stop.Token);

        await WaitUntilAsync(async () => (await ToListAsync(coach.Deliveries.ListAsync(DeliveryStatus.SetAside))).Count == 1);
        await handler.WaitForAsync(1);
        await StopAsync(stop, running);

        Assert.Equal([names[1]], handler.Handled.Select(d => d.Name));
        Assert.Equal([names[0], names[0]], handler.Failed);
        Assert.Empty(await PendingAsync(coach));
    }

    private static KetenhubDeliveryConsumerOptions FastBackoff() => new()
    {
        InitialBackoff = TimeSpan.FromMilliseconds(20),
        MaxBackoff = TimeSpan.FromMilliseconds(100),
    };

    // The social service of the client's municipality names the first coach; a provider cannot name it itself. Returns
    // SDD's and the coach's names for the client.
    private static async Task<(string AtSdd, string AtCoach)> CoachAnotherClientAsync(KetenhubClient sdd, KetenhubClient coach)
    {
        var bsn = SdkHub.NewBsn();
        var client = (await coach.Clients.RegisterAsync(bsn, new DateOnly(1988, 6, 14), "0505")).Client.Name;
        var atSdd = (await sdd.Clients.RegisterAsync(bsn, new DateOnly(1988, 6, 14), "0505")).Client.Name;
        await sdd.Clients.AssignCoachAsync(atSdd, new Coach { Party = "parties/waakvlam-zorg", CoachId = "lisa", DisplayName = "Lisa" });
        await coach.Consents.GrantAsync(new Consent { Client = client, GrantorRole = GrantorRole.Client, RecipientParty = "parties/waakvlam-zorg", Purposes = { Purpose.SignalFollowUp }, DataCategories = { DataCategory.Finances } });
        return (atSdd, client);
    }

    private static async Task<List<Delivery>> PendingAsync(KetenhubClient client) =>
        await ToListAsync(client.Deliveries.ListAsync(DeliveryStatus.Pending));

    private static async Task StopAsync(CancellationTokenSource stop, Task running)
    {
        await stop.CancelAsync();
        await running.WaitAsync(Patience);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var started = TimeProvider.System.GetTimestamp();
        while (!await condition())
        {
            Assert.True(TimeProvider.System.GetElapsedTime(started) < Patience, "The condition did not hold in time.");
            await Task.Delay(25);
        }
    }

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }

    /// <summary>Records what it handled, in order; throws once (or always) for the named deliveries.</summary>
    private sealed class RecordingHandler : IKetenhubDeliveryHandler
    {
        private readonly object _gate = new();
        private readonly List<Delivery> _handled = [];
        private readonly List<string> _failed = [];

        public HashSet<string> FailOnce { get; } = new(StringComparer.Ordinal);

        public HashSet<string> FailAlways { get; } = new(StringComparer.Ordinal);

        public List<Delivery> Handled
        {
            get
            {
                lock (_gate)
                {
                    return [.. _handled];
                }
            }
        }

        public List<string> Failed
        {
            get
            {
                lock (_gate)
                {
                    return [.. _failed];
                }
            }
        }

        public Task HandleAsync(Delivery delivery, CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                if (FailAlways.Contains(delivery.Name) || FailOnce.Remove(delivery.Name))
                {
                    _failed.Add(delivery.Name);
                    throw new InvalidOperationException("The handler's own store is down.");
                }

                _handled.Add(delivery);
            }

            return Task.CompletedTask;
        }

        public async Task WaitForAsync(int count)
        {
            var started = TimeProvider.System.GetTimestamp();
            while (Handled.Count < count)
            {
                Assert.True(TimeProvider.System.GetElapsedTime(started) < Patience, $"Handled {Handled.Count} of {count} deliveries in time.");
                await Task.Delay(25);
            }
        }
    }
}

using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.HubTests.Integration;
using Ketenhub.Testing.InProcess;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Conformance;

/// <summary>
/// The delivery stream's rules (docs/clients.md, "Delivery streams") as an integrator meets them: driven only through the
/// client generated from the protos (<see cref="DeliveryService.DeliveryServiceClient"/>), not the SDK, against the real
/// host with a fake clock. <see cref="DeliveryTail"/> reads the raw call and fails the test on any stream error.
/// </summary>
public sealed class DeliveryStreamConformanceTests : IDisposable
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(700);
    private readonly HubFactory _hub = new();

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task AConsumerResumingAfterTheLastDeliveryItReceived_StillGetsEveryUnacknowledgedOne()
    {
        var (sdd, coach, client) = await Kit.CoachedForSignalsAsync(_hub);
        var names = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            names.Add(await Kit.RaiseForCoachAsync(sdd, client.Name, $"Signal {i}."));
        }

        long lastReceived;
        using (var stream = coach.Tail())
        {
            var received = new[] { await stream.NextAsync(), await stream.NextAsync(), await stream.NextAsync() };
            Assert.Equal(names, received.Select(d => d.Name));
            await coach.AcknowledgeAsync(received[1]);
            lastReceived = received[^1].Sequence;
        }

        // The trap: resuming after the last delivery *received*, not the last acknowledged.
        using var resumed = coach.Tail(afterSequence: lastReceived);
        var again = await ExactlyAsync(resumed, 2);

        Assert.Equal([names[0], names[2]], again.Select(d => d.Name));
    }

    [Fact]
    public async Task TwoSharedStreamsOfOneParty_NeverHoldTheSameDelivery_AndTogetherReceiveAll()
    {
        var (sdd, coach, client) = await Kit.CoachedForSignalsAsync(_hub);
        using var first = coach.Tail(new StreamDeliveriesRequest { DeliveryMode = DeliveryMode.Shared });
        using var second = coach.Tail(new StreamDeliveriesRequest());
        var names = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            names.Add(await Kit.RaiseForCoachAsync(sdd, client.Name, $"Signal {i}."));
        }

        // Read both until all six have come (however slowly), then make sure nothing more comes to either.
        var atFirst = new List<Delivery>();
        var atSecond = new List<Delivery>();
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (atFirst.Count + atSecond.Count < names.Count && waited.Elapsed < TimeSpan.FromSeconds(10))
        {
            atFirst.AddRange(await first.CollectUntilQuietAsync(TimeSpan.FromMilliseconds(100)));
            atSecond.AddRange(await second.CollectUntilQuietAsync(TimeSpan.FromMilliseconds(100)));
        }

        atFirst.AddRange(await first.CollectUntilQuietAsync(Quiet));
        atSecond.AddRange(await second.CollectUntilQuietAsync(Quiet));

        Assert.Empty(atFirst.Select(d => d.Name).Intersect(atSecond.Select(d => d.Name)));
        Assert.Equal(names.Order(), atFirst.Concat(atSecond).Select(d => d.Name).Order());

        // The first replica goes away without answering: what it held goes to the second, and nothing else does.
        var held = atFirst.Select(d => d.Name).Order().ToList();
        first.Dispose();
        var taken = await ExactlyAsync(second, held.Count);
        Assert.Equal(held, taken.Select(d => d.Name).Order());
    }

    [Fact]
    public async Task TwoReplicasProcessingAndAcknowledging_NeverHoldTheSameDeliveryAtOnce_AndProcessEachOnce()
    {
        var (sdd, coach, client) = await Kit.CoachedForSignalsAsync(_hub);
        var inHand = new System.Collections.Concurrent.ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var processed = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var overlaps = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();

        async Task ReplicaAsync(int replica)
        {
            using var call = coach.Deliveries.StreamDeliveries(new StreamDeliveriesRequest { MaxOutstanding = 2 }, cancellationToken: stop.Token);
            try
            {
                await foreach (var message in call.ResponseStream.ReadAllAsync(stop.Token))
                {
                    var name = message.Delivery.Name;
                    if (!inHand.TryAdd(name, replica))
                    {
                        overlaps.Enqueue(name);
                    }

                    await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 30)));
                    processed.Enqueue(name);
                    inHand.TryRemove(name, out _);
                    await coach.AcknowledgeAsync(message.Delivery);
                }
            }
            catch (Exception ex) when (stop.IsCancellationRequested && ex is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled })
            {
                // The test stopped the replica; any other failure fails the test.
            }
        }

        var replicas = new[] { ReplicaAsync(1), ReplicaAsync(2) };
        var names = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            names.Add(await Kit.RaiseForCoachAsync(sdd, client.Name, $"Signal {i}."));
        }

        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (processed.Count < names.Count && waited.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(50);
        }

        await Task.Delay(300);
        await stop.CancelAsync();
        await Task.WhenAll(replicas);

        Assert.Empty(overlaps);
        Assert.Equal(names.Order(), processed.Order());
    }

    [Fact]
    public async Task FanOutStreams_EachGetEveryDelivery()
    {
        var (sdd, coach, client) = await Kit.CoachedForSignalsAsync(_hub);
        using var first = coach.Tail(new StreamDeliveriesRequest { DeliveryMode = DeliveryMode.FanOut });
        using var second = coach.Tail(new StreamDeliveriesRequest { DeliveryMode = DeliveryMode.FanOut });
        var names = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            names.Add(await Kit.RaiseForCoachAsync(sdd, client.Name, $"Signal {i}."));
        }

        Assert.Equal(names, (await ExactlyAsync(first, 3)).Select(d => d.Name));
        Assert.Equal(names, (await ExactlyAsync(second, 3)).Select(d => d.Name));
    }

    [Fact]
    public async Task ADeliveryNotAcknowledgedBeforeItsAckDeadline_IsOfferedAgainOnTheOpenStream_AsANewAttempt()
    {
        var (sdd, coach, client) = await Kit.CoachedForSignalsAsync(_hub);
        using var stream = coach.Tail(new StreamDeliveriesRequest { AckDeadline = Duration.FromTimeSpan(TimeSpan.FromSeconds(5)) });
        var name = await Kit.RaiseForCoachAsync(sdd, client.Name, "Not acknowledged.");
        var sent = await stream.NextAsync();
        Assert.Equal(name, sent.Name);

        _hub.Clock.Advance(TimeSpan.FromSeconds(4));
        Assert.Empty(await stream.CollectUntilQuietAsync(Quiet));

        _hub.Clock.Advance(TimeSpan.FromSeconds(2));
        var again = await stream.NextAsync();
        Assert.Equal(name, again.Name);
        Assert.Equal(sent.AttemptCount + 1, again.AttemptCount);
    }

    [Fact]
    public async Task ARejectedDelivery_ComesAgainOnTheOpenStream_AfterItsBackoff()
    {
        var (sdd, coach, client) = await Kit.CoachedForSignalsAsync(_hub);
        using var stream = coach.Tail();
        var name = await Kit.RaiseForCoachAsync(sdd, client.Name, "Rejected once.");
        var sent = await stream.NextAsync();
        var answer = await coach.Deliveries.RejectDeliveryAsync(new RejectDeliveryRequest { RequestId = NewRequestId(), Name = name, ReasonCode = "CANNOT_PROCESS" });
        Assert.Equal(DeliveryStatus.Pending, answer.Status);

        // Not before its backoff (1 second after a first attempt, by default) ...
        Assert.Empty(await stream.CollectUntilQuietAsync(Quiet));

        // ... and then on the same stream, without a reconnect.
        _hub.Clock.Advance(TimeSpan.FromSeconds(2));
        var again = await stream.NextAsync();
        Assert.Equal(name, again.Name);
        Assert.Equal(sent.AttemptCount + 1, again.AttemptCount);
    }

    [Fact]
    public async Task MaxOutstanding_CapsTheUnacknowledgedDeliveriesInFlight()
    {
        var (sdd, coach, client) = await Kit.CoachedForSignalsAsync(_hub);
        var names = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            names.Add(await Kit.RaiseForCoachAsync(sdd, client.Name, $"Signal {i}."));
        }

        using var stream = coach.Tail(new StreamDeliveriesRequest { MaxOutstanding = 2 });
        var firstTwo = await ExactlyAsync(stream, 2);
        Assert.Equal(names[..2], firstTwo.Select(d => d.Name));

        await coach.AcknowledgeAsync(firstTwo[0]);
        var next = await ExactlyAsync(stream, 1);
        Assert.Equal([names[2]], next.Select(d => d.Name));

        await coach.AcknowledgeAsync(firstTwo[1]);
        await coach.AcknowledgeAsync(next[0]);
        Assert.Equal(names[3..], (await ExactlyAsync(stream, 2)).Select(d => d.Name));
    }

    [Fact]
    public async Task AStreamThatAsksForHeartbeats_HearsWhenItIsCaughtUp_WithTheHighWaterMark_AndAtEveryInterval()
    {
        var (sdd, coach, client) = await Kit.CoachedForSignalsAsync(_hub);
        await Kit.RaiseForCoachAsync(sdd, client.Name, "First.");
        await Kit.RaiseForCoachAsync(sdd, client.Name, "Second.");

        using var stream = coach.Tail(new StreamDeliveriesRequest { HeartbeatInterval = Duration.FromTimeSpan(TimeSpan.FromSeconds(10)) });
        var received = new[] { await stream.NextAsync(), await stream.NextAsync() };
        var caughtUp = await stream.NextHeartbeatAsync();

        Assert.True(caughtUp.CaughtUp);
        Assert.Equal(received.Max(d => d.Sequence), caughtUp.HighWaterSequence);
        Assert.Equal(2, caughtUp.Outstanding);
        Assert.Equal(_hub.Clock.GetUtcNow(), caughtUp.Time.ToDateTimeOffset());

        _hub.Clock.Advance(TimeSpan.FromSeconds(10));
        var periodic = await stream.NextHeartbeatAsync();
        Assert.True(periodic.CaughtUp);
        Assert.Equal(caughtUp.HighWaterSequence, periodic.HighWaterSequence);
    }

    [Fact]
    public async Task AStreamWithoutHeartbeats_CarriesOnlyDeliveries()
    {
        var (sdd, coach, client) = await Kit.CoachedForSignalsAsync(_hub);
        var call = coach.Deliveries.StreamDeliveries(new StreamDeliveriesRequest());
        using (call)
        {
            await Kit.RaiseForCoachAsync(sdd, client.Name, "Only a delivery.");
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            Assert.True(await call.ResponseStream.MoveNext(timeout.Token));
            Assert.NotNull(call.ResponseStream.Current.Delivery);
            Assert.Null(call.ResponseStream.Current.Heartbeat);
        }
    }

    [Theory]
    [InlineData("ack_deadline")]
    [InlineData("max_outstanding")]
    [InlineData("heartbeat_interval")]
    public async Task ASettingOutsideItsRange_IsRefusedWithValueOutOfRange(string field)
    {
        var coach = _hub.As("waakvlam-zorg");
        var request = field switch
        {
            "ack_deadline" => new StreamDeliveriesRequest { AckDeadline = Duration.FromTimeSpan(TimeSpan.FromHours(2)) },
            "max_outstanding" => new StreamDeliveriesRequest { MaxOutstanding = 1001 },
            _ => new StreamDeliveriesRequest { HeartbeatInterval = Duration.FromTimeSpan(TimeSpan.FromMilliseconds(10)) },
        };
        using var call = coach.Deliveries.StreamDeliveries(request);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(timeout.Token));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var status = error.GetRpcStatus()!;
        var info = status.GetDetail<ErrorInfo>();
        Assert.Equal("VALUE_OUT_OF_RANGE", info.Reason);
        Assert.Equal(field, info.Metadata["field"]);
        var violation = Assert.Single(status.GetDetail<BadRequest>().FieldViolations);
        Assert.Equal((field, "VALUE_OUT_OF_RANGE"), (violation.Field, violation.Reason));
    }

    /// <summary>The next <paramref name="count"/> deliveries (each within the tail's timeout), and then none for <see cref="Quiet"/>.</summary>
    private static async Task<List<Delivery>> ExactlyAsync(DeliveryTail tail, int count)
    {
        var taken = new List<Delivery>();
        for (var i = 0; i < count; i++)
        {
            taken.Add(await tail.NextAsync());
        }

        taken.AddRange(await tail.CollectUntilQuietAsync(Quiet));
        return taken;
    }
}

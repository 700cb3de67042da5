using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Benchmarks;

/// <summary>An open-loop latency measurement.</summary>
/// <param name="Measured">Calls scheduled in the measured window (after the warm-up).</param>
/// <param name="OfferedRate">The schedule's rate, calls/s.</param>
/// <param name="SentRate">Calls actually sent per second over the measured window.</param>
/// <param name="CompletedRate">Submits answered OK per second over the measured window.</param>
/// <param name="SendLag">How late the generator sent each call after its scheduled time (generator starvation).</param>
/// <param name="Submit">Scheduled send time to the unary answer.</param>
/// <param name="Delivery">Scheduled send time to the delivery's arrival on the recipient's stream; null for the bare server.</param>
/// <param name="Unanswered">Calls still open when the run gave up waiting (the server fell behind); not in the percentiles.</param>
/// <param name="Overloaded">The generator stopped early because too many calls were open: the server cannot sustain the rate.</param>
public sealed record LatencyResult(
    string Server, long Measured, long Errors, string? FirstError, long Unanswered, bool Overloaded, long Missing, double OfferedRate, double SentRate, double CompletedRate, double DeliveredRate,
    Percentiles SendLag, Percentiles Submit, Percentiles? Delivery, CpuUse Cpu)
{
    /// <summary>Delivery latency p50 of the calls scheduled in the first and in the last quarter of the window: equal when steady, rising when a queue builds up.</summary>
    public (double First, double Last)? DeliveryTrend { get; init; }

    /// <summary>"b": submit and stream on one hub; "c": submit on one PostgreSQL hub instance, stream on the other.</summary>
    public string Measure { get; init; } = "b";

    /// <summary>The delivery p99 this run is held to, in ms, or null when the run is for comparison only.</summary>
    public double? TargetMs { get; init; }
}

/// <summary>
/// Sends calls at fixed intervals whatever the answers do (open loop) and measures every latency from the
/// call's scheduled send time, so a stall of the server or the generator shows up in the figures instead
/// of silently lowering the load (coordinated omission).
/// </summary>
public static class OpenLoop
{
    private const string Marker = "Benchmark signal ";

    /// <param name="hubConsumerParty">For the hub: the recipient whose stream is held open and acknowledged; null for the bare server.</param>
    /// <param name="consumerTarget">The hub instance the recipient streams from and acknowledges through; null: <paramref name="target"/>, where the submits go.</param>
    public static async Task<LatencyResult> RunAsync(
        Target target, ServerProcess server, string client, string? hubConsumerParty, double rate, TimeSpan warmup, TimeSpan duration, TimeSpan drain, int maxInFlight,
        string? callLog = null, Target? consumerTarget = null)
    {
        var consumerHub = consumerTarget ?? target;
        var warmupCount = (int)(warmup.TotalSeconds * rate);
        var total = warmupCount + (int)(duration.TotalSeconds * rate);
        var scheduled = new long[total];
        var sent = new long[total];
        var answered = new long[total];
        var arrived = new long[total];
        var failed = new bool[total];
        long errors = 0, inFlight = 0, okMeasured = 0, deliveredMeasured = 0, ackErrors = 0;
        string? firstError = null;

        using var stop = new CancellationTokenSource();
        using var abort = new CancellationTokenSource();
        var aborted = new bool[total];
        Task consumer = Task.CompletedTask;
        var acks = new List<Task>();
        if (hubConsumerParty is not null)
        {
            var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            consumer = Task.Run(async () =>
            {
                var ackIndex = 0;
                // The widest window the hub allows, so flow control does not cap the rate being measured.
                using var call = consumerHub.DeliveryClient(0).StreamDeliveries(new StreamDeliveriesRequest { MaxOutstanding = 1000 }, Party.As(hubConsumerParty, stop.Token));
                try
                {
                    await foreach (var item in call.ResponseStream.ReadAllAsync(stop.Token))
                    {
                        var now = Stopwatch.GetTimestamp();
                        var delivery = item.Delivery;
                        var description = delivery.Signal?.Description ?? string.Empty;
                        if (description.StartsWith(Marker, StringComparison.Ordinal)
                            && int.TryParse(description.AsSpan(Marker.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var i)
                            && i < total && Interlocked.CompareExchange(ref arrived[i], now, 0) == 0 && i >= warmupCount)
                        {
                            Interlocked.Increment(ref deliveredMeasured);
                        }

                        ready.TrySetResult();
                        var ack = consumerHub.DeliveryClient(++ackIndex).AcknowledgeDeliveryAsync(
                            new AcknowledgeDeliveryRequest { RequestId = RequestIds.Next(), Name = delivery.Name },
                            Party.As(hubConsumerParty)).ResponseAsync;
                        acks.Add(ack.ContinueWith(t => { if (!t.IsCompletedSuccessfully) { Interlocked.Increment(ref ackErrors); } }, TaskScheduler.Default));
                    }
                }
                catch (RpcException) when (stop.IsCancellationRequested)
                {
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                }
            });

            // The setup's probe delivery arrives first: the stream is live.
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }

        async Task SendAsync(int i)
        {
            try
            {
                var request = new CreateSignalRequest
                {
                    RequestId = RequestIds.Next(),
                    Signal = HubSetup.SignalFor(client, Marker + i.ToString("D8", CultureInfo.InvariantCulture)),
                };
                sent[i] = Stopwatch.GetTimestamp();
                await target.SignalClient(i).CreateSignalAsync(request, Party.As(HubSetup.Sender, abort.Token));
                answered[i] = Stopwatch.GetTimestamp();
                if (i >= warmupCount)
                {
                    Interlocked.Increment(ref okMeasured);
                }
            }
            catch (RpcException e) when (abort.IsCancellationRequested && e.StatusCode == StatusCode.Cancelled)
            {
                aborted[i] = true;
            }
            catch (RpcException e)
            {
                failed[i] = true;
                Interlocked.Increment(ref errors);
                Interlocked.CompareExchange(ref firstError, $"{e.StatusCode}: {e.Status.Detail}", null);
            }
            finally
            {
                Interlocked.Decrement(ref inFlight);
            }
        }

        // The generator: a dedicated thread that sends every call whose time has come, then sleeps ~1 ms.
        var calls = new Task[total];
        var interval = Stopwatch.Frequency / rate;
        var t0 = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 10;
        CpuWindow? cpu = null;
        var overloaded = false;
        var generator = new Thread(() =>
        {
            var next = 0;
            while (next < total)
            {
                var now = Stopwatch.GetTimestamp();
                while (next < total && t0 + (long)(next * interval) <= now)
                {
                    if (next == warmupCount)
                    {
                        cpu = CpuWindow.Start(server);
                    }

                    if (Interlocked.Increment(ref inFlight) > maxInFlight)
                    {
                        overloaded = true;
                        return;
                    }

                    scheduled[next] = t0 + (long)(next * interval);
                    calls[next] = SendAsync(next);
                    next++;
                }

                Thread.Sleep(1);
            }
        })
        {
            IsBackground = true,
            Name = "open-loop generator",
        };
        generator.Start();
        await Task.Run(generator.Join);
        if (overloaded)
        {
            Console.Error.WriteLine($"  ! more than {maxInFlight} calls in flight: the server cannot keep up; the run stopped early.");
        }

        // Give the open calls up to `drain` to finish, then abandon what is left.
        var open = Task.WhenAll(calls.Where(c => c is not null));
        await Task.WhenAny(open, Task.Delay(drain));
        await abort.CancelAsync();
        await open.WaitAsync(TimeSpan.FromSeconds(30));
        var use = (cpu ?? CpuWindow.Start(server)).Stop();
        var lastScheduled = scheduled.Where(s => s != 0).DefaultIfEmpty(t0).Max();

        // Wait for the deliveries of every OK submit (the hub answers before the stream can carry them).
        if (hubConsumerParty is not null)
        {
            var deadline = Stopwatch.GetTimestamp() + (long)(drain.TotalSeconds * Stopwatch.Frequency);
            while (Interlocked.Read(ref deliveredMeasured) < Interlocked.Read(ref okMeasured) && Stopwatch.GetTimestamp() < deadline)
            {
                await Task.Delay(20);
            }

            await stop.CancelAsync();
            await consumer.WaitAsync(TimeSpan.FromSeconds(10));
            await Task.WhenAll(acks).WaitAsync(TimeSpan.FromSeconds(30));
        }

        if (callLog is not null)
        {
            // One line per scheduled call (warm-up included), to look at the latency over time, such as periodic stalls.
            await using var log = new StreamWriter(callLog);
            await log.WriteLineAsync("index,scheduled_ms,send_lag_ms,submit_ms,delivery_ms");
            for (var i = 0; i < total; i++)
            {
                if (scheduled[i] != 0)
                {
                    await log.WriteLineAsync(string.Create(
                        CultureInfo.InvariantCulture,
                        $"{i},{Percentiles.Ms(scheduled[i] - t0):F3},{Since(sent[i], scheduled[i]):F3},{Since(answered[i], scheduled[i]):F3},{Since(arrived[i], scheduled[i]):F3}"));
                }
            }

            static double Since(long at, long from) => at == 0 ? -1 : Percentiles.Ms(at - from);
        }

        var measured = Enumerable.Range(warmupCount, total - warmupCount).Where(i => scheduled[i] != 0).ToArray();
        var ok = measured.Where(i => answered[i] != 0).ToArray();
        var windowSeconds = measured.Length == 0 ? double.NaN : Percentiles.Ms(lastScheduled - scheduled[measured[0]]) / 1000 + (1 / rate);
        var lastArrival = measured.Select(i => arrived[i]).DefaultIfEmpty(0).Max();
        var deliveredWindow = measured.Length == 0 || lastArrival == 0 ? double.NaN : Percentiles.Ms(lastArrival - scheduled[measured[0]]) / 1000;
        if (Interlocked.Read(ref ackErrors) > 0)
        {
            Console.Error.WriteLine($"  ! {ackErrors} acknowledgements failed");
        }

        var delivered = ok.Where(i => arrived[i] != 0).ToArray();
        (double, double)? trend = hubConsumerParty is null || measured.Length < 8 ? null : (
            Percentiles.Of(delivered.Where(i => i < measured[0] + (measured.Length / 4)).Select(i => Percentiles.Ms(arrived[i] - scheduled[i]))).P50,
            Percentiles.Of(delivered.Where(i => i >= measured[0] + (3 * measured.Length / 4)).Select(i => Percentiles.Ms(arrived[i] - scheduled[i]))).P50);
        return new LatencyResult(
            server.Name,
            measured.Length,
            measured.Count(i => failed[i]),
            firstError,
            measured.Count(i => aborted[i]),
            overloaded,
            hubConsumerParty is null ? 0 : ok.Count(i => arrived[i] == 0),
            rate,
            measured.Length / windowSeconds,
            ok.Length == 0 ? 0 : ok.Length / Math.Max(windowSeconds, Percentiles.Ms(ok.Max(i => answered[i]) - scheduled[ok[0]]) / 1000),
            hubConsumerParty is null ? double.NaN : ok.Count(i => arrived[i] != 0) / deliveredWindow,
            Percentiles.Of(measured.Select(i => Percentiles.Ms(sent[i] - scheduled[i]))),
            Percentiles.Of(ok.Select(i => Percentiles.Ms(answered[i] - scheduled[i]))),
            hubConsumerParty is null ? null : Percentiles.Of(delivered.Select(i => Percentiles.Ms(arrived[i] - scheduled[i]))),
            use)
        {
            DeliveryTrend = trend,
        };
    }
}

using System.Diagnostics;
using Grpc.Core;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Benchmarks;

/// <summary>One closed-loop throughput measurement of one server.</summary>
public sealed record ThroughputSample(string Server, int Round, long Calls, long Errors, string? FirstError, double CallsPerSecond, Percentiles Latency, CpuUse Cpu)
{
    public double CallsPerServerCpuSecond => Cpu.ServerCpuSeconds > 0 ? Calls / Cpu.ServerCpuSeconds : double.NaN;
}

/// <summary>
/// N callers, each with one call in flight, spread over the target's channels, for a warm-up and then a
/// measured window. Every call carries a fresh request id.
/// </summary>
public static class ClosedLoop
{
    private const int Warmup = 0;
    private const int Measure = 1;
    private const int Stop = 2;

    public static async Task<ThroughputSample> RunAsync(
        Target target, ServerProcess server, IReadOnlyList<Signal> signals, int round, int concurrency, TimeSpan warmup, TimeSpan duration)
    {
        var phase = Warmup;
        long measureStart = 0;
        var calls = new long[concurrency];
        var errors = new long[concurrency];
        var latencies = new List<double>[concurrency];
        string? firstError = null;

        async Task Worker(int w)
        {
            await Task.Yield();
            var client = target.SignalClient(w);
            var options = new CallOptions(Party.Headers(HubSetup.Sender));
            var signal = signals[w % signals.Count];
            var mine = latencies[w] = new List<double>(4096);
            while (Volatile.Read(ref phase) != Stop)
            {
                var request = new CreateSignalRequest { RequestId = RequestIds.Next(), Signal = signal };
                var start = Stopwatch.GetTimestamp();
                var ok = true;
                try
                {
                    await client.CreateSignalAsync(request, options);
                }
                catch (RpcException e)
                {
                    ok = false;
                    Interlocked.CompareExchange(ref firstError, $"{e.StatusCode}: {e.Status.Detail}", null);
                    if (server.HasExited)
                    {
                        return;
                    }
                }

                var end = Stopwatch.GetTimestamp();
                if (Volatile.Read(ref phase) == Measure)
                {
                    if (ok)
                    {
                        calls[w]++;
                        if (start >= Volatile.Read(ref measureStart))
                        {
                            mine.Add(Percentiles.Ms(end - start));
                        }
                    }
                    else
                    {
                        errors[w]++;
                    }
                }
            }
        }

        var workers = Enumerable.Range(0, concurrency).Select(Worker).ToArray();
        await Task.Delay(warmup);
        var cpu = CpuWindow.Start(server);
        Volatile.Write(ref measureStart, Stopwatch.GetTimestamp());
        Volatile.Write(ref phase, Measure);
        await Task.Delay(duration);
        Volatile.Write(ref phase, Stop);
        var use = cpu.Stop();
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(60));
        if (server.HasExited)
        {
            throw new InvalidOperationException($"{server.Name} exited during the run:{Environment.NewLine}{server.Tail}");
        }

        var total = calls.Sum();
        return new ThroughputSample(server.Name, round, total, errors.Sum(), firstError, total / use.Seconds, Percentiles.Of(latencies.SelectMany(l => l)), use);
    }
}

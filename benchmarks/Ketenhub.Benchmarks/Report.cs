using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Ketenhub.Benchmarks;

/// <summary>The Markdown report of one run.</summary>
public sealed class Report(string command, Options options, string hubDll, string dataDir)
{
    public const double ThroughputTarget = 0.33;
    public const double LatencyTargetMs = 10;

    private readonly string _loadBefore = ProcStat.LoadAverage();
    private readonly DateTime _start = DateTime.UtcNow;

    public List<ThroughputSample> Throughput { get; } = [];

    public List<LatencyResult> Latency { get; } = [];

    public HubSubjects? Subjects { get; set; }

    public string Revision { get; init; } = string.Empty;

    public string LoadAfter { get; set; } = string.Empty;

    public long DatabaseBytes { get; set; } = -1;

    public string DataFileSystem { get; } = FileSystemOf(dataDir);

    public string ToMarkdown()
    {
        var cores = Environment.ProcessorCount;
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"## Ketenhub benchmark `{command}` — {_start:yyyy-MM-dd HH:mm} UTC");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"- Machine: {cores} cores ({ProcStat.CpuModel()}), {RuntimeInformation.OSDescription}, .NET {Environment.Version}; load average before {_loadBefore}, after {LoadAfter}.");
        md.AppendLine(CultureInfo.InvariantCulture, $"- Hub: `{hubDll}`, {Revision} (Production, logging Warning), SQLite data on {DataFileSystem}{(DatabaseBytes >= 0 ? $", {DatabaseBytes / 1048576.0:F1} MiB at the end" : "")}.");
        md.AppendLine("- Both servers and the load generator share the same cores; \"per core\" divides by all of the machine's cores.");
        var shared = Harness.BareServerSettings(hubDll);
        md.AppendLine(shared.Count == 0
            ? "- Both servers run with the runtime's default thread-pool settings."
            : "- Both servers run with the hub's thread-pool settings: " + string.Join(", ", shared.Select(s => $"`{s.Key}={s.Value}`")) + " (the load generator keeps the defaults).");
        md.AppendLine();

        if (Throughput.Count > 0)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"### (a) Durable submit throughput — `CreateSignal`, closed loop, {options.Concurrency} in flight over {options.Channels} channels, {options.Warmup:0.#} s warm-up + {options.Duration:0.#} s per round");
            md.AppendLine();
            md.AppendLine("| Round | Server | calls/s | calls/s per core | calls per server CPU-s | server CPU (cores) | harness CPU (cores) | other load (cores) | machine busy | writer thread on a core | writer waiting for a core | writer CPU µs/call | p50 ms | p99 ms | errors |");
            md.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var s in Throughput)
            {
                var writer = double.IsNaN(s.Cpu.WriterCpuSeconds)
                    ? "– | – | –"
                    : string.Create(CultureInfo.InvariantCulture, $"{s.Cpu.WriterCpuSeconds / s.Cpu.Seconds:P0} | {s.Cpu.WriterRunQueueSeconds / s.Cpu.Seconds:P0} | {s.Cpu.WriterCpuSeconds * 1e6 / Math.Max(1, s.Calls):F0}");
                md.AppendLine(CultureInfo.InvariantCulture, $"| {s.Round} | {s.Server} | {s.CallsPerSecond:F0} | {s.CallsPerSecond / cores:F0} | {s.CallsPerServerCpuSecond:F0} | {s.Cpu.ServerCpuSeconds / s.Cpu.Seconds:F2} | {s.Cpu.HarnessCpuSeconds / s.Cpu.Seconds:F2} | {s.Cpu.OtherCpuSeconds / s.Cpu.Seconds:F2} | {s.Cpu.MachineBusy:P0} | {writer} | {s.Latency.P50:F2} | {s.Latency.P99:F2} | {s.Errors} |");
            }

            var bare = Median("bare", s => s.CallsPerSecond);
            var hub = Median("hub", s => s.CallsPerSecond);
            var bareCpu = Median("bare", s => s.CallsPerServerCpuSecond);
            var hubCpu = Median("hub", s => s.CallsPerServerCpuSecond);
            md.AppendLine(CultureInfo.InvariantCulture, $"| **median** | bare | **{bare:F0}** | {bare / cores:F0} | {bareCpu:F0} | | | | | | | | {Median("bare", s => s.Latency.P50):F2} | {Median("bare", s => s.Latency.P99):F2} | |");
            md.AppendLine(CultureInfo.InvariantCulture, $"| **median** | hub | **{hub:F0}** | {hub / cores:F0} | {hubCpu:F0} | | | | | | | {Median("hub", s => s.Cpu.WriterCpuSeconds * 1e6 / Math.Max(1, s.Calls)):F0} | {Median("hub", s => s.Latency.P50):F2} | {Median("hub", s => s.Latency.P99):F2} | |");
            md.AppendLine();
            var ratio = hub / bare;
            var rounds = Throughput.GroupBy(s => s.Round)
                .Where(g => g.Any(s => s.Server == "hub") && g.Any(s => s.Server == "bare"))
                .Select(g => g.First(s => s.Server == "hub").CallsPerSecond / g.First(s => s.Server == "bare").CallsPerSecond)
                .ToList();
            md.AppendLine(CultureInfo.InvariantCulture, $"**Throughput ratio hub/bare = {ratio:F2}** (median calls/s; per round: {string.Join(", ", rounds.Select(r => r.ToString("F2", CultureInfo.InvariantCulture)))}). Target ≥ {ThroughputTarget:F2}: **{(ratio >= ThroughputTarget ? "met" : $"missed, by {ThroughputTarget - ratio:F2} ({ratio / ThroughputTarget:P0} of target)")}**.");
            md.AppendLine();
            md.AppendLine(CultureInfo.InvariantCulture, $"Per core ({cores} cores): hub {hub / cores:F0} calls/s/core, bare {bare / cores:F0} calls/s/core (same ratio). Per server CPU-second: hub {hubCpu:F0}, bare {bareCpu:F0}, ratio {hubCpu / bareCpu:F2}.");
            md.AppendLine();
        }

        if (Latency.Count > 0)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"### (b) Submit-to-delivery latency — open loop, {options.LatencyWarmup:0.#} s warm-up (not counted) + measured window, every latency from the call's scheduled send time");
            md.AppendLine();
            md.AppendLine("Hub: `sdd` submits `CreateSignal` at a fixed rate; the coach's party holds `StreamDeliveries` open and acknowledges each delivery; delivery latency = scheduled send → delivery read from the stream. Bare: unary round trip.");
            md.AppendLine();
            md.AppendLine("| Server | rate/s | measured calls | sent/s | answered/s | delivered/s | send lag p99 ms | submit p50 ms | submit p99 ms | delivery p50 ms | delivery p90 ms | delivery p99 ms | delivery p99.9 ms | delivery max ms | server CPU (cores) | writer thread on a core | writer waiting for a core | machine busy | errors | unanswered | missing |");
            md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var l in Latency)
            {
                var d = l.Delivery;
                md.AppendLine(CultureInfo.InvariantCulture, $"| {l.Server}{(l.Overloaded ? " (overloaded, stopped early)" : "")} | {l.OfferedRate:F0} | {l.Measured} | {l.SentRate:F0} | {l.CompletedRate:F0} | {(d is null ? "–" : l.DeliveredRate.ToString("F0", CultureInfo.InvariantCulture))} | {l.SendLag.P99:F2} | {l.Submit.P50:F2} | {l.Submit.P99:F2} | {F(d?.P50)} | {F(d?.P90)} | {F(d?.P99)} | {F(d?.P999)} | {F(d?.Max)} | {l.Cpu.ServerCpuSeconds / l.Cpu.Seconds:F2} | {Share(l.Cpu.WriterCpuSeconds, l.Cpu.Seconds)} | {Share(l.Cpu.WriterRunQueueSeconds, l.Cpu.Seconds)} | {l.Cpu.MachineBusy:P0} | {l.Errors} | {l.Unanswered} | {(d is null ? "–" : l.Missing.ToString(CultureInfo.InvariantCulture))} |");
            }

            md.AppendLine();
            foreach (var hubLatency in Latency.Where(l => l.Delivery is not null))
            {
                var delivery = hubLatency.Delivery!;
                var clean = !hubLatency.Overloaded && hubLatency.Missing == 0 && hubLatency.Errors == 0 && hubLatency.Unanswered == 0;
                var met = clean && delivery.P99 <= LatencyTargetMs;
                var verdict = met ? "met"
                    : !clean ? $"missed: the hub did not sustain the rate ({hubLatency.CompletedRate:F0}/s answered, {hubLatency.DeliveredRate:F0}/s delivered{(hubLatency.Overloaded ? ", run stopped early" : "")}, {hubLatency.Unanswered} unanswered, {hubLatency.Missing} not delivered); p99 of what did arrive {delivery.P99:F2} ms"
                    : $"missed, by {delivery.P99 - LatencyTargetMs:F2} ms ({delivery.P99 / LatencyTargetMs:F1}× the target)";
                var target = hubLatency.OfferedRate == options.Rate ? $"Target p99 ≤ {LatencyTargetMs:F0} ms at {options.Rate:F0}/s: **{verdict}**." : $"(Not the target rate; for comparison: {(met ? "p99 within" : "p99 above")} {LatencyTargetMs:F0} ms.)";
                var trend = hubLatency.DeliveryTrend is { } t
                    ? string.Create(CultureInfo.InvariantCulture, $" Delivery p50 of the first quarter of the window {t.First:F2} ms, of the last quarter {t.Last:F2} ms{(t.Last > 2 * t.First + 5 ? " (a queue is building up: not a steady state)" : "")}.")
                    : string.Empty;
                md.AppendLine(CultureInfo.InvariantCulture, $"**At {hubLatency.OfferedRate:F0}/s: submit-to-delivery p50 {delivery.P50:F2} ms, p99 {delivery.P99:F2} ms, max {delivery.Max:F2} ms.** {target}{trend}");
                md.AppendLine();
            }

            if (Latency.FirstOrDefault(l => l.Delivery is null) is { } bareLatency && Latency.FirstOrDefault(l => l.Delivery is not null) is { } first)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"Baseline at {bareLatency.OfferedRate:F0}/s: the bare server's unary round trip p50 {bareLatency.Submit.P50:F2} ms, p99 {bareLatency.Submit.P99:F2} ms; the hub's submit (durable commit) p50 {first.Submit.P50:F2} ms, p99 {first.Submit.P99:F2} ms.");
                md.AppendLine();
            }
        }

        return md.ToString();
    }

    private double Median(string server, Func<ThroughputSample, double> value)
    {
        var values = Throughput.Where(s => s.Server == server).Select(value).Order().ToArray();
        return values.Length == 0 ? double.NaN
            : values.Length % 2 == 1 ? values[values.Length / 2]
            : (values[(values.Length / 2) - 1] + values[values.Length / 2]) / 2;
    }

    private static string Share(double part, double whole) => double.IsNaN(part) ? "–" : (part / whole).ToString("P0", CultureInfo.InvariantCulture);

    private static string F(double? value) => value is { } v ? v.ToString("F2", CultureInfo.InvariantCulture) : "–";

    /// <summary>The file system type that holds <paramref name="path"/> (longest mount point prefix in /proc/mounts).</summary>
    private static string FileSystemOf(string path)
    {
        try
        {
            var best = (Mount: "", Type: "unknown");
            foreach (var line in File.ReadLines("/proc/mounts"))
            {
                var parts = line.Split(' ');
                if (parts.Length > 2 && (path == parts[1] || path.StartsWith(parts[1].TrimEnd('/') + "/", StringComparison.Ordinal)) && parts[1].Length >= best.Mount.Length)
                {
                    best = (parts[1], parts[2]);
                }
            }

            return best.Type;
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}

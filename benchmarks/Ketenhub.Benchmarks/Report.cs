using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Ketenhub.Benchmarks;

/// <summary>The Markdown report of one run.</summary>
public sealed class Report(string command, Options options, string hubDll, string dataDir)
{
    public const double ThroughputTarget = 0.33;

    /// <summary>(a) with PostgreSQL: at least this share of the SQLite hub's calls/s in the same run.</summary>
    public const double PostgresThroughputTarget = 0.5;

    private readonly string _loadBefore = ProcStat.LoadAverage();
    private readonly DateTime _start = DateTime.UtcNow;

    public List<ThroughputSample> Throughput { get; } = [];

    public List<LatencyResult> Latency { get; } = [];

    public HubSubjects? Subjects { get; set; }

    public string Revision { get; init; } = string.Empty;

    public string LoadAfter { get; set; } = string.Empty;

    public long DatabaseBytes { get; set; } = -1;

    /// <summary>The measured hubs by name, in the order they run in each round.</summary>
    public IReadOnlyList<(string Name, HubStore Store)> Hubs { get; set; } = [];

    /// <summary>The PostgreSQL server of the run, if any.</summary>
    public PostgresFacts? Postgres { get; set; }

    public string DataFileSystem { get; } = FileSystemOf(dataDir);

    public string ToMarkdown()
    {
        var cores = Environment.ProcessorCount;
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"## Ketenhub benchmark `{command}` — {_start:yyyy-MM-dd HH:mm} UTC");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"- Machine: {cores} cores ({ProcStat.CpuModel()}), {RuntimeInformation.OSDescription}, .NET {Environment.Version}; load average before {_loadBefore}, after {LoadAfter}.");
        md.AppendLine(CultureInfo.InvariantCulture, $"- Hub: `{hubDll}`, {Revision} (Production, logging Warning).");
        if (Hubs.Any(h => h.Store == HubStore.Sqlite))
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- `hub`: SQLite (WAL, synchronous=FULL), data on {DataFileSystem}{(DatabaseBytes >= 0 ? $", {DatabaseBytes / 1048576.0:F1} MiB at the end" : "")}.");
        }

        if (Postgres is { } pg)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- `hub-pg` and `hub-pg-b`: two hub processes on one database of a throwaway PostgreSQL {pg.Version} server on this machine (loopback TCP, data on {pg.FileSystem}; {pg.Settings}), Npgsql Maximum Pool Size {pg.PoolSize}{(pg.DatabaseBytes >= 0 ? $", database {pg.DatabaseBytes / 1048576.0:F1} MiB at the end" : "")}. `hub-pg` takes every submit; `hub-pg-b` only carries (c)'s delivery stream.");
        }

        md.AppendLine("- All servers and the load generator share the same cores; \"per core\" divides by all of the machine's cores.");
        var shared = Harness.BareServerSettings(hubDll);
        md.AppendLine(shared.Count == 0
            ? "- Both servers run with the runtime's default thread-pool settings."
            : "- Both servers run with the hub's thread-pool settings: " + string.Join(", ", shared.Select(s => $"`{s.Key}={s.Value}`")) + " (the load generator keeps the defaults).");
        md.AppendLine();

        if (Throughput.Count > 0)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"### (a) Durable submit throughput — `CreateSignal`, closed loop, {options.Concurrency} in flight over {options.Channels} channels, {options.Warmup:0.#} s warm-up + {options.Duration:0.#} s per round");
            md.AppendLine();
            md.AppendLine("| Round | Server | calls/s | calls/s per core | calls per server CPU-s | server CPU (cores) | database CPU (cores) | harness CPU (cores) | other load (cores) | machine busy | writer thread on a core | writer waiting for a core | writer CPU µs/call | p50 ms | p99 ms | errors |");
            md.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var s in Throughput)
            {
                var writer = double.IsNaN(s.Cpu.WriterCpuSeconds)
                    ? "– | – | –"
                    : string.Create(CultureInfo.InvariantCulture, $"{s.Cpu.WriterCpuSeconds / s.Cpu.Seconds:P0} | {s.Cpu.WriterRunQueueSeconds / s.Cpu.Seconds:P0} | {s.Cpu.WriterCpuSeconds * 1e6 / Math.Max(1, s.Calls):F0}");
                md.AppendLine(CultureInfo.InvariantCulture, $"| {s.Round} | {s.Server} | {s.CallsPerSecond:F0} | {s.CallsPerSecond / cores:F0} | {s.CallsPerServerCpuSecond:F0} | {s.Cpu.ServerCpuSeconds / s.Cpu.Seconds:F2} | {s.Cpu.DatabaseCpuSeconds / s.Cpu.Seconds:F2} | {s.Cpu.HarnessCpuSeconds / s.Cpu.Seconds:F2} | {s.Cpu.OtherCpuSeconds / s.Cpu.Seconds:F2} | {s.Cpu.MachineBusy:P0} | {writer} | {s.Latency.P50:F2} | {s.Latency.P99:F2} | {s.Errors} |");
            }

            var bare = Median("bare", s => s.CallsPerSecond);
            var bareCpu = Median("bare", s => s.CallsPerServerCpuSecond);
            md.AppendLine(CultureInfo.InvariantCulture, $"| **median** | bare | **{bare:F0}** | {bare / cores:F0} | {bareCpu:F0} | | | | | | | | | {Median("bare", s => s.Latency.P50):F2} | {Median("bare", s => s.Latency.P99):F2} | |");
            foreach (var (name, _) in Hubs)
            {
                var hub = Median(name, s => s.CallsPerSecond);
                md.AppendLine(CultureInfo.InvariantCulture, $"| **median** | {name} | **{hub:F0}** | {hub / cores:F0} | {Median(name, s => s.CallsPerServerCpuSecond):F0} | | {Median(name, s => s.Cpu.DatabaseCpuSeconds / s.Cpu.Seconds):F2} | | | | | | {Median(name, s => s.Cpu.WriterCpuSeconds * 1e6 / Math.Max(1, s.Calls)):F0} | {Median(name, s => s.Latency.P50):F2} | {Median(name, s => s.Latency.P99):F2} | |");
            }

            md.AppendLine();
            foreach (var (name, store) in Hubs)
            {
                var hub = Median(name, s => s.CallsPerSecond);
                var ratio = hub / bare;
                var verdict = store == HubStore.Sqlite
                    ? $" Target ≥ {ThroughputTarget:F2}: **{(ratio >= ThroughputTarget ? "met" : $"missed, by {ThroughputTarget - ratio:F2} ({ratio / ThroughputTarget:P0} of target)")}**."
                    : string.Empty;
                md.AppendLine(CultureInfo.InvariantCulture, $"**Throughput ratio {name}/bare = {ratio:F2}** (median calls/s; per round: {string.Join(", ", PerRound(name, "bare").Select(r => r.ToString("F2", CultureInfo.InvariantCulture)))}).{verdict} Per server CPU-second: {name} {Median(name, s => s.CallsPerServerCpuSecond):F0}, bare {bareCpu:F0}.");
                md.AppendLine();
            }

            if (Hubs.Any(h => h.Store == HubStore.Sqlite) && Hubs.FirstOrDefault(h => h.Store == HubStore.Postgres).Name is { } postgres)
            {
                var sqlite = Hubs.First(h => h.Store == HubStore.Sqlite).Name;
                var ratio = Median(postgres, s => s.CallsPerSecond) / Median(sqlite, s => s.CallsPerSecond);
                md.AppendLine(CultureInfo.InvariantCulture, $"**Throughput ratio PostgreSQL/SQLite = {ratio:F2}** ({postgres}/{sqlite}, median calls/s of this run; per round: {string.Join(", ", PerRound(postgres, sqlite).Select(r => r.ToString("F2", CultureInfo.InvariantCulture)))}). Target ≥ {PostgresThroughputTarget:F2}: **{(ratio >= PostgresThroughputTarget ? "met" : $"missed, by {PostgresThroughputTarget - ratio:F2} ({ratio / PostgresThroughputTarget:P0} of target)")}**.");
                md.AppendLine();
            }
        }

        if (Latency.Count > 0)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"### (b) Submit-to-delivery latency — open loop, {options.LatencyWarmup:0.#} s warm-up (not counted) + measured window, every latency from the call's scheduled send time");
            md.AppendLine();
            md.AppendLine("Hub: `sdd` submits `CreateSignal` at a fixed rate; the coach's party holds `StreamDeliveries` open and acknowledges each delivery; delivery latency = scheduled send → delivery read from the stream. (c): the submits go to `hub-pg`, the stream and its acknowledgements to `hub-pg-b` on the same database, which hears of each delivery through NOTIFY. Bare: unary round trip.");
            md.AppendLine();
            md.AppendLine("| Measure | Server | rate/s | measured calls | sent/s | answered/s | delivered/s | send lag p99 ms | submit p50 ms | submit p99 ms | delivery p50 ms | delivery p90 ms | delivery p99 ms | delivery p99.9 ms | delivery max ms | server CPU (cores) | writer thread on a core | writer waiting for a core | machine busy | errors | unanswered | missing |");
            md.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var l in Latency)
            {
                var d = l.Delivery;
                md.AppendLine(CultureInfo.InvariantCulture, $"| {(d is null ? "baseline" : l.Measure)} | {l.Server}{(l.Overloaded ? " (overloaded, stopped early)" : "")} | {l.OfferedRate:F0} | {l.Measured} | {l.SentRate:F0} | {l.CompletedRate:F0} | {(d is null ? "–" : l.DeliveredRate.ToString("F0", CultureInfo.InvariantCulture))} | {l.SendLag.P99:F2} | {l.Submit.P50:F2} | {l.Submit.P99:F2} | {F(d?.P50)} | {F(d?.P90)} | {F(d?.P99)} | {F(d?.P999)} | {F(d?.Max)} | {l.Cpu.ServerCpuSeconds / l.Cpu.Seconds:F2} | {Share(l.Cpu.WriterCpuSeconds, l.Cpu.Seconds)} | {Share(l.Cpu.WriterRunQueueSeconds, l.Cpu.Seconds)} | {l.Cpu.MachineBusy:P0} | {l.Errors} | {l.Unanswered} | {(d is null ? "–" : l.Missing.ToString(CultureInfo.InvariantCulture))} |");
            }

            md.AppendLine();
            foreach (var hubLatency in Latency.Where(l => l.Delivery is not null))
            {
                var delivery = hubLatency.Delivery!;
                var clean = !hubLatency.Overloaded && hubLatency.Missing == 0 && hubLatency.Errors == 0 && hubLatency.Unanswered == 0;
                var limit = hubLatency.TargetMs ?? (hubLatency.Measure == "c" ? Harness.CrossInstanceTargetMs : hubLatency.Server.StartsWith("hub-pg", StringComparison.Ordinal) ? Harness.PostgresLatencyTargetMs : Harness.SqliteLatencyTargetMs);
                var met = clean && delivery.P99 <= limit;
                var verdict = met ? "met"
                    : !clean ? $"missed: the hub did not sustain the rate ({hubLatency.CompletedRate:F0}/s answered, {hubLatency.DeliveredRate:F0}/s delivered{(hubLatency.Overloaded ? ", run stopped early" : "")}, {hubLatency.Unanswered} unanswered, {hubLatency.Missing} not delivered); p99 of what did arrive {delivery.P99:F2} ms"
                    : $"missed, by {delivery.P99 - limit:F2} ms ({delivery.P99 / limit:F1}× the target)";
                var target = hubLatency.TargetMs is not null ? $"Target p99 ≤ {limit:F0} ms at {hubLatency.OfferedRate:F0}/s: **{verdict}**." : $"(Not a target run; for comparison: {(met ? "p99 within" : clean ? "p99 above" : "not sustained;")} {limit:F0} ms.)";
                var trend = hubLatency.DeliveryTrend is { } t
                    ? string.Create(CultureInfo.InvariantCulture, $" Delivery p50 of the first quarter of the window {t.First:F2} ms, of the last quarter {t.Last:F2} ms{(t.Last > 2 * t.First + 5 ? " (a queue is building up: not a steady state)" : "")}.")
                    : string.Empty;
                md.AppendLine(CultureInfo.InvariantCulture, $"**({hubLatency.Measure}) {hubLatency.Server} at {hubLatency.OfferedRate:F0}/s: submit-to-delivery p50 {delivery.P50:F2} ms, p99 {delivery.P99:F2} ms, max {delivery.Max:F2} ms.** {target}{trend}");
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

    /// <summary>Per round in which both ran: <paramref name="server"/>'s calls/s over <paramref name="baseline"/>'s.</summary>
    private List<double> PerRound(string server, string baseline) => [.. Throughput.GroupBy(s => s.Round)
        .Where(g => g.Any(s => s.Server == server) && g.Any(s => s.Server == baseline))
        .Select(g => g.First(s => s.Server == server).CallsPerSecond / g.First(s => s.Server == baseline).CallsPerSecond)];

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
    public static string FileSystemOf(string path)
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

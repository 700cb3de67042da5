using System.Diagnostics;

namespace Ketenhub.Benchmarks;

/// <summary>Latency percentiles in milliseconds (nearest rank).</summary>
public sealed record Percentiles(int Count, double P50, double P90, double P99, double P999, double Max)
{
    public static readonly Percentiles Empty = new(0, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);

    public static Percentiles Of(IEnumerable<double> milliseconds)
    {
        var sorted = milliseconds.ToArray();
        if (sorted.Length == 0)
        {
            return Empty;
        }

        Array.Sort(sorted);
        return new Percentiles(sorted.Length, Rank(sorted, 0.50), Rank(sorted, 0.90), Rank(sorted, 0.99), Rank(sorted, 0.999), sorted[^1]);
    }

    public static double Ms(long stopwatchTicks) => stopwatchTicks * 1000.0 / Stopwatch.Frequency;

    private static double Rank(double[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}

/// <summary>CPU used by the servers, the harness and the whole machine over a measured window.</summary>
public sealed class CpuWindow
{
    private readonly ServerProcess? _server;
    private readonly TimeSpan _serverStart;
    private readonly TimeSpan _selfStart;
    private readonly long _diskStart;
    private readonly (long Busy, long Total) _machineStart;
    private readonly long _start = Stopwatch.GetTimestamp();
    private readonly int _writer;
    private readonly (long OnCpuNs, long RunQueueNs) _writerStart;
    private readonly TimeSpan _databaseStart;

    private CpuWindow(ServerProcess? server)
    {
        _databaseStart = DatabaseServer.CpuTime();
        _server = server;
        _writer = server is null ? 0 : ThreadStat.Find(server.Pid, ThreadStat.HubWriterThread);
        _writerStart = ThreadStat.Read(server?.Pid ?? 0, _writer);
        _serverStart = server?.CpuTime() ?? TimeSpan.Zero;
        _diskStart = server?.WrittenBytes() ?? -1;
        _selfStart = Process.GetCurrentProcess().TotalProcessorTime;
        _machineStart = ProcStat.MachineJiffies();
    }

    public static CpuWindow Start(ServerProcess? server) => new(server);

    public CpuUse Stop()
    {
        var seconds = Stopwatch.GetElapsedTime(_start).TotalSeconds;
        var server = (_server?.CpuTime() ?? TimeSpan.Zero) - _serverStart;
        var self = Process.GetCurrentProcess().TotalProcessorTime - _selfStart;
        var disk = _server is null || _diskStart < 0 ? -1 : _server.WrittenBytes() - _diskStart;
        var machine = ProcStat.MachineJiffies();
        var busy = machine.Total - _machineStart.Total is var total and > 0 ? (double)(machine.Busy - _machineStart.Busy) / total : double.NaN;
        var writer = ThreadStat.Read(_server?.Pid ?? 0, _writer);
        var writerCpu = _writer == 0 ? double.NaN : (writer.OnCpuNs - _writerStart.OnCpuNs) / 1e9;
        var writerWait = _writer == 0 ? double.NaN : (writer.RunQueueNs - _writerStart.RunQueueNs) / 1e9;
        var database = DatabaseServer.CpuTime() - _databaseStart;
        return new CpuUse(seconds, server.TotalSeconds, self.TotalSeconds, busy, disk, writerCpu, writerWait) { DatabaseCpuSeconds = database.TotalSeconds };
    }
}

/// <param name="Seconds">Wall time of the window.</param>
/// <param name="ServerCpuSeconds">CPU seconds the server process used.</param>
/// <param name="HarnessCpuSeconds">CPU seconds the harness (load generator) used.</param>
/// <param name="MachineBusy">Fraction of all cores busy (every process on the machine), 0..1.</param>
/// <param name="DiskBytes">Bytes the server wrote to storage, or -1.</param>
/// <param name="WriterCpuSeconds">CPU seconds of the hub store's writer thread (SQLite or PostgreSQL); NaN when there is none.</param>
/// <param name="WriterRunQueueSeconds">Seconds the writer thread was runnable but waiting for a core; NaN when there is none.</param>
public sealed record CpuUse(double Seconds, double ServerCpuSeconds, double HarnessCpuSeconds, double MachineBusy, long DiskBytes, double WriterCpuSeconds, double WriterRunQueueSeconds)
{
    /// <summary>CPU seconds of the PostgreSQL server the harness started (all its processes, every hub's work); 0 without one.</summary>
    public double DatabaseCpuSeconds { get; init; }

    /// <summary>CPU seconds of everything else on the machine (other users' work, the idle hubs), estimated.</summary>
    public double OtherCpuSeconds => Math.Max(0, (MachineBusy * Environment.ProcessorCount * Seconds) - ServerCpuSeconds - HarnessCpuSeconds - DatabaseCpuSeconds);
}

/// <summary>The CPU time of the PostgreSQL server the harness started, when it started one.</summary>
public static class DatabaseServer
{
    private static int _postmaster;

    /// <summary>The postmaster's process id (the first line of postmaster.pid in its data folder); 0: no server.</summary>
    public static void Watch(string dataFolder) =>
        _postmaster = int.Parse(File.ReadLines(Path.Combine(dataFolder, "postmaster.pid")).First(), System.Globalization.CultureInfo.InvariantCulture);

    public static void Forget() => _postmaster = 0;

    /// <summary>
    /// CPU (user + system) of the postmaster, of its children that have ended (the postmaster's cutime and cstime) and of
    /// its children alive now: the backends of the hubs' connections, the WAL writer, the checkpointer.
    /// </summary>
    public static TimeSpan CpuTime()
    {
        var postmaster = _postmaster;
        if (postmaster == 0)
        {
            return TimeSpan.Zero;
        }

        long ticks = 0;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                // The fields after the command (which may hold spaces), from field 3 (state) on.
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var parent = int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
                long Field(int number) => long.Parse(fields[number - 3], System.Globalization.CultureInfo.InvariantCulture);
                if (pid == postmaster)
                {
                    ticks += Field(14) + Field(15) + Field(16) + Field(17);
                }
                else if (parent == postmaster)
                {
                    ticks += Field(14) + Field(15);
                }
            }
            catch (IOException)
            {
                // The process ended meanwhile.
            }
        }

        return TimeSpan.FromSeconds(ticks / (double)ClockTicksPerSecond);
    }

    // USER_HZ: 100 on every Linux the benchmark runs on.
    private const int ClockTicksPerSecond = 100;
}

/// <summary>Per-thread scheduler counters (/proc/pid/task/tid/schedstat): time on a core and time waiting for one.</summary>
public static class ThreadStat
{
    /// <summary>
    /// The hub store's writer thread as the kernel names it (the thread name cut to 15 characters): "Hub store
    /// writer" since commit 7a7f383, "Ketenhub SQLite writer" before.
    /// </summary>
    public static readonly string[] HubWriterThread = ["Hub store write", "Ketenhub SQLite"];

    public static int Find(int pid, IReadOnlyCollection<string> names)
    {
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                if (names.Contains(File.ReadAllText(Path.Combine(task, "comm")).Trim()))
                {
                    return int.Parse(Path.GetFileName(task), System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }

        return 0;
    }

    public static (long OnCpuNs, long RunQueueNs) Read(int pid, int tid)
    {
        if (pid == 0 || tid == 0)
        {
            return (0, 0);
        }

        try
        {
            var parts = File.ReadAllText($"/proc/{pid}/task/{tid}/schedstat").Split(' ');
            return (long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (IOException)
        {
            return (0, 0);
        }
    }
}

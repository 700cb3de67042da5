using System.Diagnostics;
using System.Globalization;
using System.Text;
using Grpc.Core;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Benchmarks;

/// <summary>
/// The soak check (docs/performance.md, "Soak: the database with retention on and off"): a steady stream of signals
/// with free text, delivered to a consumer that acknowledges them, for some minutes, once with retention on (short
/// terms) and once with it off, sampling the SQLite database file and its WAL as it goes. With retention on, every term
/// is short (content, stored answers, message and delivery records, journey events, audit events; checkpoints often, so
/// the audit trail can be cut back to a signed one): once the terms have passed, what goes each interval matches what
/// comes, SQLite reuses the freed pages, and the file levels off; with it off the file keeps growing. Observed figures,
/// not a test: it prints a table to paste.
/// </summary>
public static class Soak
{
    public const string Usage = """
        Usage: dotnet run -c Release --project benchmarks/Ketenhub.Benchmarks -- soak [options]

          A steady load of signals with free text, acknowledged by their recipient, once with retention on and once off;
          the database file and WAL sampled over time.

        Options (durations in seconds):
          --minutes M          how long each run lasts                               (5)
          --rate N             signals per second                                    (40)
          --text N             characters of free text per signal                   (2000)
          --sample S           seconds between samples                               (15)
          --content-term S     Hub:Retention:MessageContent and IdempotencyRecords   (60)
          --record-term S      Hub:Retention:MessageRecords (at least content-term)  (60)
          --journey-term S     Hub:Retention:JourneyEvents                           (60)
          --audit-term S       Hub:Retention:AuditEvents                             (60)
          --checkpoints S      Hub:Audit:Checkpoints:Interval (the audit trail is
                               cut back only to a signed checkpoint)                 (10)
          --interval S         Hub:Retention:Interval                                (10)
          --modes LIST         on, off or on,off                                     (on,off)
          --hub-dll PATH       the hub to start (default: the build of src/Hub/Ketenhub.Hub)
          --out PATH           also write the Markdown table to PATH
        """;

    private sealed record Settings(double Minutes, double Rate, int Text, double Sample, double ContentTerm, double Interval, string[] Modes, string? HubDll, string? Out)
    {
        public double RecordTerm { get; init; } = 60;

        public double JourneyTerm { get; init; } = 60;

        public double AuditTerm { get; init; } = 60;

        public double Checkpoints { get; init; } = 10;
    }

    /// <summary>One sample: when, how many signals were accepted and acknowledged so far, and the files' sizes.</summary>
    private sealed record Point(double Seconds, long Sent, long Acknowledged, long DatabaseBytes, long WalBytes);

    private sealed record Run(string Mode, IReadOnlyList<Point> Points, long FinalDatabaseBytes, long Errors, IReadOnlyList<(string Table, long Bytes)> Tables);

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        if (args.Contains("--help"))
        {
            Console.WriteLine(Usage);
            return 0;
        }

        Settings settings;
        try
        {
            settings = Parse(args);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(Usage);
            return 2;
        }

        var hubDll = Harness.HubDll(settings.HubDll);
        if (!File.Exists(hubDll))
        {
            Console.Error.WriteLine($"The hub is not built at '{hubDll}'. Run through `dotnet run -c Release --project benchmarks/Ketenhub.Benchmarks`, or pass --hub-dll.");
            return 1;
        }

        var runs = new List<Run>();
        try
        {
            foreach (var mode in settings.Modes)
            {
                runs.Add(await RunModeAsync(mode, settings, hubDll));
            }
        }
        finally
        {
            ServerProcess.StopAll();
        }

        var table = Table(settings, runs);
        Console.WriteLine(table);
        if (settings.Out is not null)
        {
            await File.WriteAllTextAsync(settings.Out, table);
        }

        return runs.Any(r => r.Errors > 0) ? 1 : 0;
    }

    private static async Task<Run> RunModeAsync(string mode, Settings settings, string hubDll)
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "ketenhub-soak-" + mode + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dataDir);
        var port = Harness.FreePort();
        var hubSettings = new Dictionary<string, string?>(Harness.CommonHubSettings(hubDll, dataDir))
        {
            ["Kestrel__Endpoints__Grpc__Url"] = $"http://127.0.0.1:{port}",
            ["Storage__DataDirectory"] = dataDir,
        };
        static string Span(double seconds) => TimeSpan.FromSeconds(seconds).ToString("c", CultureInfo.InvariantCulture);
        var term = Span(settings.ContentTerm);
        hubSettings["Hub__Audit__Checkpoints__Interval"] = Span(settings.Checkpoints);
        if (mode == "on")
        {
            hubSettings["Hub__Retention__MessageContent"] = term;
            hubSettings["Hub__Retention__IdempotencyRecords"] = term;
            hubSettings["Hub__Retention__MessageRecords"] = Span(settings.RecordTerm);
            hubSettings["Hub__Retention__JourneyEvents"] = Span(settings.JourneyTerm);
            hubSettings["Hub__Retention__AuditEvents"] = Span(settings.AuditTerm);
            hubSettings["Hub__Retention__Interval"] = TimeSpan.FromSeconds(settings.Interval).ToString("c", CultureInfo.InvariantCulture);
            hubSettings["Hub__Retention__BatchSize"] = "1000";
        }
        else
        {
            hubSettings["Hub__Retention__Enabled"] = "false";
        }

        Harness.Log($"Soak, retention {mode}: {settings.Rate}/s signals with {settings.Text} characters of text for {settings.Minutes} min; data in {dataDir}");
        var database = Path.Combine(dataDir, "ketenhub.db");
        long finalBytes;
        var points = new List<Point>();
        long sent = 0, acknowledged = 0, errors = 0;
        var server = await ServerProcess.StartAsync("hub-" + mode, Path.GetDirectoryName(hubDll)!, [Harness.DotnetHost(), hubDll], hubSettings);
        try
        {
            using var target = new Target("hub", $"http://127.0.0.1:{port}", 2);
            await HubSetup.WaitUntilServingAsync(target, server, TimeSpan.FromSeconds(60));
            var subjects = await HubSetup.PrepareAsync(target, 1, 1, CancellationToken.None);
            var (client, coach) = subjects.Latency[0];

            using var stop = new CancellationTokenSource();
            var consumer = Task.Run(async () =>
            {
                var index = 0;
                using var call = target.DeliveryClient(0).StreamDeliveries(new StreamDeliveriesRequest { MaxOutstanding = 1000 }, Party.As(coach, stop.Token));
                try
                {
                    await foreach (var item in call.ResponseStream.ReadAllAsync(stop.Token))
                    {
                        try
                        {
                            await target.DeliveryClient(++index).AcknowledgeDeliveryAsync(
                                new AcknowledgeDeliveryRequest { RequestId = RequestIds.Next(), Name = item.Delivery.Name },
                                Party.As(coach, stop.Token));
                            Interlocked.Increment(ref acknowledged);
                        }
                        catch (RpcException) when (!stop.IsCancellationRequested)
                        {
                            Interlocked.Increment(ref errors);
                        }
                    }
                }
                catch (Exception e) when (stop.IsCancellationRequested && e is RpcException or OperationCanceledException)
                {
                }
            });

            var start = Stopwatch.GetTimestamp();
            var end = start + (long)(settings.Minutes * 60 * Stopwatch.Frequency);
            var interval = Stopwatch.Frequency / settings.Rate;
            var nextSample = start;
            var calls = new List<Task>();
            long next = 0;
            while (Stopwatch.GetTimestamp() < end)
            {
                var now = Stopwatch.GetTimestamp();
                if (now >= nextSample)
                {
                    points.Add(Sample(database, Seconds(now - start), Interlocked.Read(ref sent), Interlocked.Read(ref acknowledged)));
                    var p = points[^1];
                    Harness.Log($"  {p.Seconds,5:F0} s: {p.Sent} sent, {p.Acknowledged} acknowledged, database {Mb(p.DatabaseBytes)} MB, WAL {Mb(p.WalBytes)} MB, together {Mb(p.DatabaseBytes + p.WalBytes)} MB");
                    nextSample += (long)(settings.Sample * Stopwatch.Frequency);
                }

                while (start + (long)(next * interval) <= now)
                {
                    var signal = HubSetup.SignalFor(client, Text(next, settings.Text));
                    next++;
                    calls.Add(SendAsync(target, signal, (int)(next % 2)));
                }

                if (calls.Count > 10_000)
                {
                    calls.RemoveAll(c => c.IsCompleted);
                }

                await Task.Delay(5);
            }

            await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(60));
            points.Add(Sample(database, Seconds(Stopwatch.GetTimestamp() - start), Interlocked.Read(ref sent), Interlocked.Read(ref acknowledged)));
            await stop.CancelAsync();
            await consumer.WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            // A graceful stop folds the WAL into the file.
            server.Dispose();
            finalBytes = File.Exists(database) ? new FileInfo(database).Length : -1;
        }

        var tables = TableSizes(database);
        TryDelete(dataDir);
        Harness.Log($"  stopped: database {Mb(finalBytes)} MB after the WAL was folded in; {errors} errors");
        return new Run(mode, points, finalBytes, Interlocked.Read(ref errors), tables);

        async Task SendAsync(Target target, Signal signal, int channel)
        {
            try
            {
                await target.SignalClient(channel).CreateSignalAsync(new CreateSignalRequest { RequestId = RequestIds.Next(), Signal = signal }, Party.As(HubSetup.Sender));
                Interlocked.Increment(ref sent);
            }
            catch (RpcException e)
            {
                if (Interlocked.Increment(ref errors) == 1)
                {
                    Harness.Log($"  ! {e.StatusCode}: {e.Status.Detail}");
                }
            }
        }
    }

    /// <summary>
    /// Roughly how many bytes of values each table holds (the sum of its values' lengths; SQLite's build here has no
    /// dbstat for page sizes), and the free pages' bytes.
    /// </summary>
    private static List<(string Table, long Bytes)> TableSizes(string database)
    {
        var sizes = new List<(string, long)>();
        if (!File.Exists(database))
        {
            return sizes;
        }

        using var connection = new Microsoft.Data.Sqlite.SqliteConnection(new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder { DataSource = database, Mode = Microsoft.Data.Sqlite.SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        var tables = new List<string>();
        using (var list = connection.CreateCommand())
        {
            list.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name;";
            using var rows = list.ExecuteReader();
            while (rows.Read())
            {
                tables.Add(rows.GetString(0));
            }
        }

        foreach (var table in tables)
        {
            var columns = new List<string>();
            using (var info = connection.CreateCommand())
            {
                info.CommandText = $"SELECT name FROM pragma_table_info('{table}');";
                using var rows = info.ExecuteReader();
                while (rows.Read())
                {
                    columns.Add(rows.GetString(0));
                }
            }

            using var sum = connection.CreateCommand();
            sum.CommandText = $"SELECT COALESCE(SUM({string.Join(" + ", columns.Select(c => $"COALESCE(length(\"{c}\"), 0)"))}), 0) FROM \"{table}\";";
            sizes.Add((table, Convert.ToInt64(sum.ExecuteScalar(), CultureInfo.InvariantCulture)));
        }

        using var free = connection.CreateCommand();
        free.CommandText = "SELECT (SELECT freelist_count FROM pragma_freelist_count) * (SELECT page_size FROM pragma_page_size);";
        sizes.Add(("(free pages)", Convert.ToInt64(free.ExecuteScalar(), CultureInfo.InvariantCulture)));
        return [.. sizes.OrderByDescending(t => t.Item2)];
    }

    private static Point Sample(string database, double seconds, long sent, long acknowledged) =>
        new(seconds, sent, acknowledged, Size(database), Size(database + "-wal"));

    private static long Size(string file) => File.Exists(file) ? new FileInfo(file).Length : 0;

    private static double Seconds(long ticks) => (double)ticks / Stopwatch.Frequency;

    private static string Mb(long bytes) => (bytes / 1_048_576.0).ToString("F1", CultureInfo.InvariantCulture);

    /// <summary>Free text of the given length that differs per signal (a run of letters after the signal's number).</summary>
    private static string Text(long n, int length)
    {
        var text = new StringBuilder(length + 16);
        text.Append(CultureInfo.InvariantCulture, $"Soak signal {n:D8}: ");
        var seed = (int)(n % 26);
        while (text.Length < length)
        {
            text.Append((char)('a' + ((seed + text.Length) % 26)));
            if (text.Length % 9 == 0)
            {
                text.Append(' ');
            }
        }

        return text.ToString(0, length);
    }

    private static string Table(Settings settings, IReadOnlyList<Run> runs)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Soak: {settings.Rate} signals/s with {settings.Text} characters of free text, acknowledged by their recipient, {settings.Minutes} min per run; retention on: content and stored answers kept {settings.ContentTerm} s after the last delivery ended, message and delivery records {settings.RecordTerm} s, journey events {settings.JourneyTerm} s, audit events {settings.AuditTerm} s (checkpoints every {settings.Checkpoints} s), work every {settings.Interval} s.");
        text.AppendLine();
        text.Append("| Time (s) |");
        foreach (var run in runs)
        {
            text.Append(CultureInfo.InvariantCulture, $" Retention {run.Mode}: signals | database (MB) | WAL (MB) | together (MB) |");
        }

        text.AppendLine();
        text.Append("| ---: |");
        foreach (var _ in runs)
        {
            text.Append(" ---: | ---: | ---: | ---: |");
        }

        text.AppendLine();
        var rows = runs.Max(r => r.Points.Count);
        for (var i = 0; i < rows; i++)
        {
            var seconds = runs.Select(r => i < r.Points.Count ? r.Points[i].Seconds : double.NaN).Where(s => !double.IsNaN(s)).DefaultIfEmpty(0).Average();
            text.Append(CultureInfo.InvariantCulture, $"| {seconds:F0} |");
            foreach (var run in runs)
            {
                if (i < run.Points.Count)
                {
                    var p = run.Points[i];
                    text.Append(CultureInfo.InvariantCulture, $" {p.Sent} | {Mb(p.DatabaseBytes)} | {Mb(p.WalBytes)} | {Mb(p.DatabaseBytes + p.WalBytes)} |");
                }
                else
                {
                    text.Append(" | | | |");
                }
            }

            text.AppendLine();
        }

        text.AppendLine();
        foreach (var run in runs)
        {
            var half = run.Points.Count / 2;
            var (first, middle, last) = (run.Points[0], run.Points[half], run.Points[^1]);
            double Rate(Point a, Point b) => (b.DatabaseBytes - a.DatabaseBytes) / 1_048_576.0 / ((b.Seconds - a.Seconds) / 60);
            double PerSignal(Point a, Point b) => b.Sent == a.Sent ? double.NaN : (double)(b.DatabaseBytes - a.DatabaseBytes) / (b.Sent - a.Sent);
            text.AppendLine(CultureInfo.InvariantCulture, $"- Retention {run.Mode}: the file grew {Rate(first, middle):F2} MB/min in the first half and {Rate(middle, last):F2} MB/min in the second ({PerSignal(first, middle):F0} and {PerSignal(middle, last):F0} bytes per signal); {Mb(run.FinalDatabaseBytes)} MB after a graceful stop; {run.Errors} errors.");

            // The last two minutes, file and WAL together: near zero once every term has passed.
            var since = run.Points.LastOrDefault(p => p.Seconds <= last.Seconds - 120) ?? first;
            double Together(Point a, Point b) => (b.DatabaseBytes + b.WalBytes - a.DatabaseBytes - a.WalBytes) / 1_048_576.0 / ((b.Seconds - a.Seconds) / 60);
            text.AppendLine(CultureInfo.InvariantCulture, $"  File and WAL together: {Mb(last.DatabaseBytes + last.WalBytes)} MB at the end, {Together(since, last):F2} MB/min from {since.Seconds:F0} s to {last.Seconds:F0} s.");
        }

        if (runs.Any(r => r.Tables.Count > 0))
        {
            text.AppendLine();
            text.AppendLine("What the tables hold at the end (the sum of their values' lengths, MB; indexes and page overhead not counted):");
            text.AppendLine();
            text.AppendLine("| Table | " + string.Join(" | ", runs.Select(r => "Retention " + r.Mode)) + " |");
            text.AppendLine("| --- |" + string.Concat(runs.Select(_ => " ---: |")));
            foreach (var table in runs.SelectMany(r => r.Tables.Select(t => t.Table)).Distinct())
            {
                text.AppendLine($"| {table} | " + string.Join(" | ", runs.Select(r => r.Tables.Where(t => t.Table == table).Select(t => Mb(t.Bytes)).DefaultIfEmpty("-").First())) + " |");
            }
        }

        return text.ToString();
    }

    private static Settings Parse(IReadOnlyList<string> args)
    {
        var s = new Settings(5, 40, 2000, 15, 60, 10, ["on", "off"], null, null);
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{name} needs a value.");
            double Real() => double.Parse(Value(), CultureInfo.InvariantCulture);
            s = name switch
            {
                "--minutes" => s with { Minutes = Real() },
                "--rate" => s with { Rate = Real() },
                "--text" => s with { Text = int.Parse(Value(), CultureInfo.InvariantCulture) },
                "--sample" => s with { Sample = Real() },
                "--content-term" => s with { ContentTerm = Real() },
                "--interval" => s with { Interval = Real() },
                "--record-term" => s with { RecordTerm = Real() },
                "--journey-term" => s with { JourneyTerm = Real() },
                "--audit-term" => s with { AuditTerm = Real() },
                "--checkpoints" => s with { Checkpoints = Real() },
                "--modes" => s with { Modes = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) },
                "--hub-dll" => s with { HubDll = Value() },
                "--out" => s with { Out = Value() },
                _ => throw new ArgumentException($"Unknown option {name}."),
            };
        }

        if (s.Minutes <= 0 || s.Rate <= 0 || s.Text < 32 || s.Sample <= 0 || s.ContentTerm < 60 || s.Interval < 1 || s.Checkpoints < 1
            || s.RecordTerm < s.ContentTerm || s.JourneyTerm < 60 || s.AuditTerm < 60
            || s.Modes.Length == 0 || s.Modes.Any(m => m is not ("on" or "off")))
        {
            throw new ArgumentException("Durations and the rate must be positive, --text at least 32, every term at least 60 (the hub's minimum), --record-term not below --content-term, --modes on, off or on,off.");
        }

        return s;
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

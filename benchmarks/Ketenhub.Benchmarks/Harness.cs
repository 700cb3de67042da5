using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Runtime.InteropServices;
using Ketenhub.Contracts.V1;
using Ketenhub.Testing.Postgres;
using Npgsql;

namespace Ketenhub.Benchmarks;

/// <summary>The store a measured hub runs on.</summary>
public enum HubStore
{
    Sqlite,
    Postgres,
}

/// <summary>A measured hub; with PostgreSQL also the second instance on the same database, which carries (c)'s stream.</summary>
public sealed record HubUnderTest(string Name, HubStore Store, ServerProcess Process, Target Target, HubSubjects Subjects, ServerProcess? Second, Target? SecondTarget);

/// <summary>What the report says about the PostgreSQL server of the run.</summary>
public sealed record PostgresFacts(string Version, string Settings, string FileSystem, int PoolSize)
{
    public long DatabaseBytes { get; init; } = -1;
}

/// <summary>Starts the hub and the bare server as their own processes, runs the measurements, prints the report.</summary>
public static class Harness
{
    /// <summary>The hub's BSN lookup key in the demo configuration (appsettings.Development.json); the hub runs as Production.</summary>
    // The demo keys of appsettings.Development.json: the benchmark's hub runs as Production, which has none.
    private const string DemoBsnLookupKey = "ZGVtby1vbmx5LWJzbi1sb29rdXAta2V5LWNoYW5nZS1tZQ==";
    private const string DemoPseudonymKey = "ZGVtby1vbmx5LXBzZXVkb255bS1rZXktY2hhbmdlLW1lLXBsZWFzZSEh";
    private const string DemoBsnEncryptionKey = "ZGVtby1vbmx5LWJzbi1lbmNyeXB0aW9uLWtleS0wMSE=";

    /// <summary>The delivery p99 targets of (b) per store at <see cref="TargetRate"/>, and of (c) at <see cref="CrossTargetRate"/>.</summary>
    public const double TargetRate = 2000;
    public const double CrossTargetRate = 500;
    public const double SqliteLatencyTargetMs = 10;
    public const double PostgresLatencyTargetMs = 20;
    public const double CrossInstanceTargetMs = 50;

    public static async Task<int> RunAsync(string command, Options options)
    {
        var hubDll = HubDll(options.HubDll);
        if (!File.Exists(hubDll))
        {
            Console.Error.WriteLine($"The hub is not built at '{hubDll}'. Run through `dotnet run -c Release --project benchmarks/Ketenhub.Benchmarks`, or pass --hub-dll.");
            return 1;
        }

        var ownData = options.DataDir is null;
        var dataDir = Path.GetFullPath(options.DataDir ?? Path.Combine(Path.GetTempPath(), "ketenhub-bench-" + Guid.NewGuid().ToString("N")[..8]));
        Directory.CreateDirectory(dataDir);
        var report = new Report(command, options, hubDll, dataDir) { Revision = Revision(hubDll) };
        var dotnet = DotnetHost();
        Log($"Machine: {Environment.ProcessorCount} cores, load average {ProcStat.LoadAverage()}; hub data in {dataDir} ({report.DataFileSystem})");

        ServerProcess? bare = null;
        PostgresCluster? cluster = null;
        string? database = null;
        var hubs = new List<HubUnderTest>();
        var servers = new List<ServerProcess>();
        try
        {
            var common = CommonHubSettings(hubDll, dataDir);
            var barePort = FreePort();
            Log($"Starting the bare server on 127.0.0.1:{barePort}");
            var bareStart = ServerProcess.StartAsync(
                "bare",
                AppContext.BaseDirectory,
                [dotnet, typeof(Harness).Assembly.Location, "serve-bare", "--port", barePort.ToString(CultureInfo.InvariantCulture), "--parent-pid", Environment.ProcessId.ToString(CultureInfo.InvariantCulture)],
                BareServerSettings(hubDll));

            var starting = new List<(string Name, HubStore Store, int Port, Task<ServerProcess> Start, string? Pair)>();
            if (options.Store is StoreChoice.Sqlite or StoreChoice.Both)
            {
                var port = FreePort();
                Log($"Starting hub (SQLite, {hubDll}) on 127.0.0.1:{port}");
                starting.Add(("hub", HubStore.Sqlite, port, StartHub("hub", hubDll, dotnet, common, port, dataDir, null), null));
            }

            if (options.Store is StoreChoice.Postgres or StoreChoice.Both)
            {
                Log("Starting a throwaway PostgreSQL server (initdb, pg_ctl; fsync on, synchronous_commit on)");
                cluster = await Task.Run(() => PostgresCluster.Start(durable: true));
                var stopCluster = cluster;
                // Stopped in finally; also when the harness is interrupted or exits otherwise (and, should it be killed,
                // by the cluster's own watcher of this process).
                Console.CancelKeyPress += (_, _) => stopCluster.Dispose();
                AppDomain.CurrentDomain.ProcessExit += (_, _) => stopCluster.Dispose();
                DatabaseServer.Watch(cluster.DataFolder);
                database = await cluster.CreateDatabaseAsync();
                var connectionString = new NpgsqlConnectionStringBuilder(database) { MaxPoolSize = options.PostgresPoolSize }.ConnectionString;
                report.Postgres = await PostgresFactsAsync(database, cluster, options.PostgresPoolSize);
                Log($"PostgreSQL {report.Postgres.Version} on 127.0.0.1:{cluster.Port}, data in {cluster.DataFolder} ({report.Postgres.FileSystem}); {report.Postgres.Settings}");
                var portA = FreePort();
                var portB = FreePort();
                Log($"Starting two hubs on it: hub-pg on 127.0.0.1:{portA}, hub-pg-b on 127.0.0.1:{portB}");
                starting.Add(("hub-pg", HubStore.Postgres, portA, StartHub("hub-pg", hubDll, dotnet, common, portA, Path.Combine(dataDir, "hub-pg"), connectionString), "hub-pg-b"));
                starting.Add(("hub-pg-b", HubStore.Postgres, portB, StartHub("hub-pg-b", hubDll, dotnet, common, portB, Path.Combine(dataDir, "hub-pg-b"), connectionString), null));
            }

            bare = await bareStart;
            servers.Add(bare);
            using var bareTarget = new Target("bare", $"http://127.0.0.1:{barePort}", options.Channels);
            var started = new List<(string Name, HubStore Store, ServerProcess Process, Target Target, string? Pair)>();
            try
            {
                foreach (var (name, store, port, start, pair) in starting)
                {
                    var process = await start;
                    servers.Add(process);
                    started.Add((name, store, process, new Target(name, $"http://127.0.0.1:{port}", options.Channels), pair));
                }

                if (ownData && !options.KeepData)
                {
                    // Ctrl+C skips the finally below: the servers stop in their own handler (registered before this one,
                    // so it runs first), then the data folder goes.
                    Console.CancelKeyPress += (_, _) => TryDelete(dataDir);
                }

                Log($"Bare server pid {bare.Pid}, {string.Join(", ", started.Select(h => $"{h.Name} pid {h.Process.Pid}"))}, harness pid {Environment.ProcessId}");
                await Task.WhenAll(started.Select(h => HubSetup.WaitUntilServingAsync(h.Target, h.Process, TimeSpan.FromSeconds(90)))
                    .Append(HubSetup.WaitUntilServingAsync(bareTarget, bare, TimeSpan.FromSeconds(60))));
                using (var connect = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
                {
                    await bareTarget.ConnectAsync(connect.Token);
                    foreach (var h in started)
                    {
                        await h.Target.ConnectAsync(connect.Token);
                    }
                }

                // The measured hubs: one per store; the second PostgreSQL instance only carries (c)'s delivery stream.
                foreach (var h in started.Where(h => h.Name != "hub-pg-b"))
                {
                    var second = started.FirstOrDefault(o => o.Name == h.Pair);
                    var runs = h.Store == HubStore.Postgres ? HubSetup.LatencyCoaches.Length : 2;
                    var subjects = await HubSetup.PrepareAsync(h.Target, options.Clients, runs, CancellationToken.None);
                    hubs.Add(new HubUnderTest(h.Name, h.Store, h.Process, h.Target, subjects, second.Process, second.Target));
                    Log($"{h.Name} ready ({h.Store}): {subjects.ThroughputClients.Count} throughput clients (coach {subjects.ThroughputCoachParty}), latency clients (coaches {string.Join(", ", subjects.Latency.Select(l => l.CoachParty))}); {subjects.DecisionsPerSignal} delivery per signal");
                }

                report.Subjects = hubs[0].Subjects;
                report.Hubs = [.. hubs.Select(h => (h.Name, h.Store))];
                await MeasureAsync(command, options, report, bareTarget, bare, hubs);
            }
            finally
            {
                foreach (var h in started)
                {
                    h.Target.Dispose();
                }
            }
        }
        finally
        {
            // The hubs before their database, so none of them logs a lost connection on the way out.
            foreach (var server in Enumerable.Reverse(servers))
            {
                server.Dispose();
            }

            report.DatabaseBytes = DatabaseBytes(dataDir);
            if (cluster is not null)
            {
                if (report.Postgres is not null && database is not null)
                {
                    report.Postgres = report.Postgres with { DatabaseBytes = await PostgresDatabaseBytesAsync(database) };
                }

                DatabaseServer.Forget();
                cluster.Dispose();
            }

            if (ownData && !options.KeepData)
            {
                TryDelete(dataDir);
            }
        }

        report.LoadAfter = ProcStat.LoadAverage();
        var markdown = report.ToMarkdown();
        Console.WriteLine(markdown);
        if (options.Out is not null)
        {
            await File.WriteAllTextAsync(options.Out, markdown);
        }

        return 0;
    }

    private static async Task MeasureAsync(string command, Options options, Report report, Target bareTarget, ServerProcess bare, List<HubUnderTest> hubs)
    {
        // The same messages for the bare server as for the first hub: same client names, same description, same size.
        var signals = hubs.ToDictionary(h => h.Name, h => (IReadOnlyList<Signal>)[.. h.Subjects.ThroughputClients.Select(c => HubSetup.SignalFor(c, "Benchmark signal 00000000"))]);
        signals["bare"] = signals[hubs[0].Name];
        var measured = hubs.Select(h => (h.Target, h.Process)).Prepend((bareTarget, bare)).ToList();
        if (options.InitialWarmup > 0)
        {
            foreach (var (target, server) in measured)
            {
                Log($"Warm-up {server.Name}: {options.InitialWarmup}s of closed-loop load, not measured");
                await ClosedLoop.RunAsync(target, server, signals[server.Name], 0, options.Concurrency, TimeSpan.FromSeconds(options.InitialWarmup), TimeSpan.FromSeconds(0.5));
            }
        }

        if (command is "all" or "throughput")
        {
            for (var round = 1; round <= options.Rounds; round++)
            {
                // Alternate the order, so drift in the machine's other load hits every server alike.
                var order = round % 2 == 1 ? measured : Enumerable.Reverse(measured).ToList();
                foreach (var (target, server) in order)
                {
                    Log($"(a) round {round}/{options.Rounds} {server.Name}: {options.Concurrency} in flight, {options.Warmup}s warm-up + {options.Duration}s");
                    var sample = await ClosedLoop.RunAsync(target, server, signals[server.Name], round, options.Concurrency, TimeSpan.FromSeconds(options.Warmup), TimeSpan.FromSeconds(options.Duration));
                    report.Throughput.Add(sample);
                    Log($"    {sample.CallsPerSecond:F0} calls/s, p50 {sample.Latency.P50:F2} ms, p99 {sample.Latency.P99:F2} ms, server CPU {sample.Cpu.ServerCpuSeconds / sample.Cpu.Seconds:F2} cores, database {sample.Cpu.DatabaseCpuSeconds / sample.Cpu.Seconds:F2}, harness {sample.Cpu.HarnessCpuSeconds / sample.Cpu.Seconds:F2}, machine busy {sample.Cpu.MachineBusy:P0}, errors {sample.Errors}{(sample.FirstError is null ? "" : " (" + sample.FirstError + ")")}");
                }
            }
        }

        if (command is not ("all" or "latency"))
        {
            return;
        }

        foreach (var hub in hubs)
        {
            var target = hub.Store == HubStore.Postgres ? PostgresLatencyTargetMs : SqliteLatencyTargetMs;

            // The throughput backlog belongs to another coach party, so this consumer starts from an empty queue.
            await Task.Delay(TimeSpan.FromSeconds(1));
            var (latencyClient, latencyCoach) = hub.Subjects.Latency[0];
            Log($"(b) {hub.Name}: {options.Rate}/s open loop, {options.LatencyWarmup}s warm-up + {options.LatencyDuration}s; consumer {latencyCoach} streams and acknowledges");
            var atRate = await OpenLoop.RunAsync(
                hub.Target, hub.Process, latencyClient, latencyCoach, options.Rate,
                TimeSpan.FromSeconds(options.LatencyWarmup), TimeSpan.FromSeconds(options.LatencyDuration), TimeSpan.FromSeconds(10), options.MaxInFlight,
                hub == hubs[0] ? options.LatencyLog : null);
            report.Latency.Add(atRate with { TargetMs = options.Rate == TargetRate ? target : null });
            LogLatency(atRate);
            if (options.AlsoRate > 0 && options.AlsoRate != options.Rate)
            {
                // Another client and coach party: a backlog the first run left (if it fell behind) is not in this queue.
                await Task.Delay(TimeSpan.FromSeconds(2));
                var (lowerClient, lowerCoach) = hub.Subjects.Latency[1];
                Log($"(b) {hub.Name} at a lower rate: {options.AlsoRate}/s open loop, {options.LatencyWarmup}s warm-up + {options.AlsoDuration}s; consumer {lowerCoach}");
                var lower = await OpenLoop.RunAsync(
                    hub.Target, hub.Process, lowerClient, lowerCoach, options.AlsoRate,
                    TimeSpan.FromSeconds(options.LatencyWarmup), TimeSpan.FromSeconds(options.AlsoDuration), TimeSpan.FromSeconds(10), options.MaxInFlight);
                report.Latency.Add(lower);
                LogLatency(lower);
            }

            if (hub.Second is not null && hub.SecondTarget is not null && options.CrossRate > 0)
            {
                // (c): submits through this instance, the recipient's stream (and its acknowledgements) on the other one,
                // which learns of each delivery through the database's NOTIFY. First at the cross rate (the target), then
                // at the rate of (b) for comparison, each with its own client and coach party.
                var rates = options.CrossRate == options.Rate ? new[] { options.CrossRate } : [options.CrossRate, options.Rate];
                for (var i = 0; i < rates.Length; i++)
                {
                    await Task.Delay(TimeSpan.FromSeconds(2));
                    var (crossClient, crossCoach) = hub.Subjects.Latency[2 + i];
                    var label = $"{hub.Name} → {hub.Second.Name}";
                    Log($"(c) {label}: {rates[i]}/s open loop, {options.LatencyWarmup}s warm-up + {options.CrossDuration}s; submits through {hub.Name}, consumer {crossCoach} streams from {hub.Second.Name}");
                    var cross = await OpenLoop.RunAsync(
                        hub.Target, hub.Process, crossClient, crossCoach, rates[i],
                        TimeSpan.FromSeconds(options.LatencyWarmup), TimeSpan.FromSeconds(options.CrossDuration), TimeSpan.FromSeconds(10), options.MaxInFlight,
                        consumerTarget: hub.SecondTarget);
                    cross = cross with { Server = label, Measure = "c", TargetMs = rates[i] == CrossTargetRate ? CrossInstanceTargetMs : null };
                    report.Latency.Add(cross);
                    LogLatency(cross);
                }
            }
        }

        if (options.BareLatencyDuration > 0)
        {
            var (latencyClient, _) = hubs[0].Subjects.Latency[0];
            Log($"(b) bare: {options.Rate}/s open loop, {options.LatencyWarmup}s warm-up + {options.BareLatencyDuration}s (unary round trip)");
            var bareLatency = await OpenLoop.RunAsync(
                bareTarget, bare, latencyClient, null, options.Rate,
                TimeSpan.FromSeconds(options.LatencyWarmup), TimeSpan.FromSeconds(options.BareLatencyDuration), TimeSpan.FromSeconds(5), options.MaxInFlight);
            report.Latency.Add(bareLatency);
            Log($"    unary p50 {bareLatency.Submit.P50:F2} ms, p99 {bareLatency.Submit.P99:F2} ms");
        }
    }

    private static Task<ServerProcess> StartHub(string name, string hubDll, string dotnet, Dictionary<string, string?> common, int port, string dataDirectory, string? postgres)
    {
        Directory.CreateDirectory(dataDirectory);
        var settings = new Dictionary<string, string?>(common)
        {
            ["Kestrel__Endpoints__Grpc__Url"] = $"http://127.0.0.1:{port}",
            ["Storage__DataDirectory"] = dataDirectory,
        };
        if (postgres is not null)
        {
            settings["Storage__Provider"] = "Postgres";
            settings["Storage__ConnectionString"] = postgres;
        }

        return ServerProcess.StartAsync(name, Path.GetDirectoryName(hubDll)!, [dotnet, hubDll], settings);
    }

    /// <summary>The hub to start: <paramref name="given"/>, or the build of src/Hub/Ketenhub.Hub in this configuration.</summary>
    internal static string HubDll(string? given) => Path.GetFullPath(given ?? typeof(Harness).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .FirstOrDefault(a => a.Key == "KetenhubHubDll")?.Value ?? string.Empty);

    /// <summary>Every hub's settings but its port, data folder and store.</summary>
    internal static Dictionary<string, string?> CommonHubSettings(string hubDll, string dataDir)
    {
        var hubSettings = new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Hub__BsnLookupKey"] = DemoBsnLookupKey,
            ["Hub__PseudonymKey"] = DemoPseudonymKey,
            ["Hub__BsnEncryption__ActiveKeyId"] = "bench1",
            ["Hub__BsnEncryption__Keys__bench1"] = DemoBsnEncryptionKey,
            ["Logging__LogLevel__Default"] = "Warning",

            // The benchmark measures what the hub can take, not its per-party rate limit (100 calls/s with a
            // burst of 600 by default), which every party of the run would otherwise run into: sdd with every
            // throughput and latency submit, the latency coaches with an acknowledgement per delivery, and
            // the throughput coach while --clients sets up its clients.
            ["Hub__Limits__PermitsPerSecond"] = "1000000",
            ["Hub__Limits__Burst"] = "1000000",
        };
        foreach (var (key, value) in Party.HubSettings(dataDir))
        {
            hubSettings[key] = value;
        }

        foreach (var (key, value) in ProductionFiles(hubDll, dataDir))
        {
            hubSettings[key] = value;
        }

        return hubSettings;
    }

    private static async Task<PostgresFacts> PostgresFactsAsync(string connectionString, PostgresCluster cluster, int poolSize)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        var settings = new List<string>();
        string version = "";
        foreach (var name in new[] { "server_version", "fsync", "synchronous_commit", "wal_sync_method", "full_page_writes", "shared_buffers", "max_wal_size" })
        {
            await using var show = new NpgsqlCommand($"SHOW {name};", connection);
            var value = (string?)await show.ExecuteScalarAsync() ?? "";
            if (name == "server_version")
            {
                version = value;
            }
            else
            {
                settings.Add($"{name}={value}");
            }
        }

        return new PostgresFacts(version, string.Join(", ", settings), Report.FileSystemOf(cluster.DataFolder), poolSize);
    }

    private static async Task<long> PostgresDatabaseBytesAsync(string connectionString)
    {
        try
        {
            await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
            await connection.OpenAsync();
            await using var size = new NpgsqlCommand("SELECT pg_database_size(current_database());", connection);
            return (long)(await size.ExecuteScalarAsync() ?? -1L);
        }
        catch (NpgsqlException)
        {
            return -1;
        }
    }

    private static void LogLatency(LatencyResult l) =>
        Log($"    delivery p50 {l.Delivery?.P50:F2} ms (first quarter {l.DeliveryTrend?.First:F2}, last quarter {l.DeliveryTrend?.Last:F2}), p99 {l.Delivery?.P99:F2} ms, max {l.Delivery?.Max:F2} ms; submit p99 {l.Submit.P99:F2} ms; sent {l.SentRate:F0}/s, delivered {l.DeliveredRate:F0}/s; errors {l.Errors}, unanswered {l.Unanswered}, missing {l.Missing}{(l.Overloaded ? "; OVERLOADED, stopped early" : "")}");

    public static void Log(string message) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");

    /// <summary>The commit the hub was built from and whether src/ had uncommitted changes (other sessions work in the same tree).</summary>
    private static string Revision(string hubDll)
    {
        var dir = Path.GetDirectoryName(hubDll);
        while (dir is not null && !Directory.Exists(Path.Combine(dir, ".git")) && !File.Exists(Path.Combine(dir, ".git")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        if (dir is null)
        {
            return "unknown revision";
        }

        var head = Git(dir, "rev-parse", "--short", "HEAD").Trim();
        var dirty = Git(dir, "status", "--porcelain", "--", "src").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
        return head.Length == 0 ? "unknown revision" : dirty == 0 ? $"commit {head}" : $"commit {head} + {dirty} uncommitted change(s) under src/";
    }

    private static string Git(string directory, params string[] args)
    {
        try
        {
            var info = new ProcessStartInfo("git") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in args)
            {
                info.ArgumentList.Add(arg);
            }

            using var git = Process.Start(info)!;
            var output = git.StandardOutput.ReadToEnd();
            git.WaitForExit(5000);
            return git.ExitCode == 0 ? output : string.Empty;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return string.Empty;
        }
    }

    /// <summary>The <c>dotnet</c> host that runs this harness (…/dotnet next to shared/Microsoft.NETCore.App/x.y.z).</summary>
    /// <summary>
    /// What a production hub needs besides keys and identity: parties and routing rules of its own (the demo files,
    /// copied without their "demo": true mark, which a production hub refuses) and an audit checkpoint signing key,
    /// all in the benchmark's data folder.
    /// </summary>
    private static Dictionary<string, string?> ProductionFiles(string hubDll, string dataDir)
    {
        var demo = Path.Combine(Path.GetDirectoryName(hubDll)!, "config");
        var settings = new Dictionary<string, string?>();
        foreach (var (name, setting) in new[] { ("parties.json", "Hub__PartiesFile"), ("routing.json", "Hub__RoutingFile") })
        {
            var own = Path.Combine(dataDir, "bench-" + name);
            var text = System.Text.RegularExpressions.Regex.Replace(
                File.ReadAllText(Path.Combine(demo, name)), @"^\s*""demo""\s*:\s*true\s*,[ \t]*\r?\n", string.Empty, System.Text.RegularExpressions.RegexOptions.Multiline);
            if (name == "parties.json")
            {
                text = text.Replace("\"parties\": [", "\"parties\": [\n    " + HubSetup.BenchmarkCoach, StringComparison.Ordinal);
            }

            File.WriteAllText(own, text);
            settings[setting] = own;
        }

        var keyFile = Path.Combine(dataDir, "bench-checkpoint-key.pem");
        using (var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256))
        {
            File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
        }

        settings["Hub__Audit__Checkpoints__SigningKeyFile"] = keyFile;
        return settings;
    }

    internal static string DotnetHost()
    {
        var candidate = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", "..", "dotnet"));
        return File.Exists(candidate) ? candidate : "dotnet";
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static long DatabaseBytes(string dataDir)
    {
        try
        {
            return Directory.EnumerateFiles(dataDir).Sum(f => new FileInfo(f).Length);
        }
        catch (IOException)
        {
            return -1;
        }
    }

    private static void TryDelete(string dataDir)
    {
        try
        {
            Directory.Delete(dataDir, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>
    /// The bare server runs with the hub's thread-pool settings (from the hub's runtimeconfig.json), so the two
    /// servers differ in what they do per call, not in how their runtime is tuned.
    /// </summary>
    internal static Dictionary<string, string?> BareServerSettings(string hubDll)
    {
        const string SpinLimit = "System.Threading.ThreadPool.UnfairSemaphoreSpinLimit";
        var settings = new Dictionary<string, string?>();
        var runtimeConfig = Path.ChangeExtension(hubDll, ".runtimeconfig.json");
        if (File.Exists(runtimeConfig))
        {
            using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllText(runtimeConfig));
            if (document.RootElement.TryGetProperty("runtimeOptions", out var runtime)
                && runtime.TryGetProperty("configProperties", out var properties)
                && properties.TryGetProperty(SpinLimit, out var limit))
            {
                settings["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = limit.ToString();
            }
        }

        return settings;
    }
}

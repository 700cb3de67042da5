using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Ketenhub.Benchmarks;

/// <summary>Starts the hub and the bare server as their own processes, runs the measurements, prints the report.</summary>
public static class Harness
{
    /// <summary>The hub's BSN lookup key in the demo configuration (appsettings.Development.json); the hub runs as Production.</summary>
    // The demo keys of appsettings.Development.json: the benchmark's hub runs as Production, which has none.
    private const string DemoBsnLookupKey = "ZGVtby1vbmx5LWJzbi1sb29rdXAta2V5LWNoYW5nZS1tZQ==";
    private const string DemoPseudonymKey = "ZGVtby1vbmx5LXBzZXVkb255bS1rZXktY2hhbmdlLW1lLXBsZWFzZSEh";
    private const string DemoBsnEncryptionKey = "ZGVtby1vbmx5LWJzbi1lbmNyeXB0aW9uLWtleS0wMSE=";

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
        var hubPort = FreePort();
        var barePort = FreePort();
        Log($"Machine: {Environment.ProcessorCount} cores, load average {ProcStat.LoadAverage()}; hub data in {dataDir} ({report.DataFileSystem})");
        Log($"Starting hub ({hubDll}) on 127.0.0.1:{hubPort} and bare server on 127.0.0.1:{barePort}");

        ServerProcess? hub = null, bare = null;
        try
        {
            var hubSettings = HubSettings(hubDll, dataDir, hubPort);
            var hubStart = ServerProcess.StartAsync("hub", Path.GetDirectoryName(hubDll)!, [dotnet, hubDll], hubSettings);
            var bareStart = ServerProcess.StartAsync(
                "bare",
                AppContext.BaseDirectory,
                [dotnet, typeof(Harness).Assembly.Location, "serve-bare", "--port", barePort.ToString(CultureInfo.InvariantCulture), "--parent-pid", Environment.ProcessId.ToString(CultureInfo.InvariantCulture)],
                BareServerSettings(hubDll));
            hub = await hubStart;
            bare = await bareStart;
            Log($"Hub pid {hub.Pid}, bare server pid {bare.Pid}, harness pid {Environment.ProcessId}");

            using var hubTarget = new Target("hub", $"http://127.0.0.1:{hubPort}", options.Channels);
            using var bareTarget = new Target("bare", $"http://127.0.0.1:{barePort}", options.Channels);
            await Task.WhenAll(
                HubSetup.WaitUntilServingAsync(hubTarget, hub, TimeSpan.FromSeconds(60)),
                HubSetup.WaitUntilServingAsync(bareTarget, bare, TimeSpan.FromSeconds(60)));
            using (var connect = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            {
                await hubTarget.ConnectAsync(connect.Token);
                await bareTarget.ConnectAsync(connect.Token);
            }

            var subjects = await HubSetup.PrepareAsync(hubTarget, options.Clients, CancellationToken.None);
            report.Subjects = subjects;
            Log($"Hub ready: {subjects.ThroughputClients.Count} throughput clients (coach {subjects.ThroughputCoachParty}), latency clients (coaches {string.Join(", ", subjects.Latency.Select(l => l.CoachParty))}); {subjects.DecisionsPerSignal} delivery per signal");

            // The same messages for both servers: same client names, same description, same size.
            var signals = subjects.ThroughputClients.Select(c => HubSetup.SignalFor(c, "Benchmark signal 00000000")).ToList();
            if (options.InitialWarmup > 0)
            {
                foreach (var (target, server) in new[] { (bareTarget, bare), (hubTarget, hub) })
                {
                    Log($"Warm-up {server.Name}: {options.InitialWarmup}s of closed-loop load, not measured");
                    await ClosedLoop.RunAsync(target, server, signals, 0, options.Concurrency, TimeSpan.FromSeconds(options.InitialWarmup), TimeSpan.FromSeconds(0.5));
                }
            }

            if (command is "all" or "throughput")
            {
                for (var round = 1; round <= options.Rounds; round++)
                {
                    // Alternate which server goes first, so drift in the machine's other load hits both alike.
                    var order = round % 2 == 1 ? new[] { (bareTarget, bare), (hubTarget, hub) } : new[] { (hubTarget, hub), (bareTarget, bare) };
                    foreach (var (target, server) in order)
                    {
                        Log($"(a) round {round}/{options.Rounds} {server.Name}: {options.Concurrency} in flight, {options.Warmup}s warm-up + {options.Duration}s");
                        var sample = await ClosedLoop.RunAsync(target, server, signals, round, options.Concurrency, TimeSpan.FromSeconds(options.Warmup), TimeSpan.FromSeconds(options.Duration));
                        report.Throughput.Add(sample);
                        Log($"    {sample.CallsPerSecond:F0} calls/s, p50 {sample.Latency.P50:F2} ms, p99 {sample.Latency.P99:F2} ms, server CPU {sample.Cpu.ServerCpuSeconds / sample.Cpu.Seconds:F2} cores, harness {sample.Cpu.HarnessCpuSeconds / sample.Cpu.Seconds:F2}, machine busy {sample.Cpu.MachineBusy:P0}, errors {sample.Errors}{(sample.FirstError is null ? "" : " (" + sample.FirstError + ")")}");
                    }
                }
            }

            if (command is "all" or "latency")
            {
                // The throughput backlog belongs to another coach party, so this consumer starts from an empty queue.
                await Task.Delay(TimeSpan.FromSeconds(1));
                var (latencyClient, latencyCoach) = subjects.Latency[0];
                Log($"(b) hub: {options.Rate}/s open loop, {options.LatencyWarmup}s warm-up + {options.LatencyDuration}s; consumer {latencyCoach} streams and acknowledges");
                var hubLatency = await OpenLoop.RunAsync(
                    hubTarget, hub, latencyClient, latencyCoach, options.Rate,
                    TimeSpan.FromSeconds(options.LatencyWarmup), TimeSpan.FromSeconds(options.LatencyDuration), TimeSpan.FromSeconds(10), options.MaxInFlight,
                    options.LatencyLog);
                report.Latency.Add(hubLatency);
                LogLatency(hubLatency);
                if (options.AlsoRate > 0 && options.AlsoRate != options.Rate)
                {
                    // Another client and coach party: a backlog the first run left (if it fell behind) is not in this queue.
                    await Task.Delay(TimeSpan.FromSeconds(2));
                    var (lowerClient, lowerCoach) = subjects.Latency[1];
                    Log($"(b) hub at a lower rate: {options.AlsoRate}/s open loop, {options.LatencyWarmup}s warm-up + {options.AlsoDuration}s; consumer {lowerCoach}");
                    var lower = await OpenLoop.RunAsync(
                        hubTarget, hub, lowerClient, lowerCoach, options.AlsoRate,
                        TimeSpan.FromSeconds(options.LatencyWarmup), TimeSpan.FromSeconds(options.AlsoDuration), TimeSpan.FromSeconds(10), options.MaxInFlight);
                    report.Latency.Add(lower);
                    LogLatency(lower);
                }

                if (options.BareLatencyDuration > 0)
                {
                    Log($"(b) bare: {options.Rate}/s open loop, {options.LatencyWarmup}s warm-up + {options.BareLatencyDuration}s (unary round trip)");
                    var bareLatency = await OpenLoop.RunAsync(
                        bareTarget, bare, latencyClient, null, options.Rate,
                        TimeSpan.FromSeconds(options.LatencyWarmup), TimeSpan.FromSeconds(options.BareLatencyDuration), TimeSpan.FromSeconds(5), options.MaxInFlight);
                    report.Latency.Add(bareLatency);
                    Log($"    unary p50 {bareLatency.Submit.P50:F2} ms, p99 {bareLatency.Submit.P99:F2} ms");
                }
            }
        }
        finally
        {
            bare?.Dispose();
            hub?.Dispose();
            report.DatabaseBytes = DatabaseBytes(dataDir);
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

    /// <summary>
    /// The settings (environment variables) of a production hub serving gRPC on <paramref name="port"/> with its data in
    /// <paramref name="dataDir"/>, calls authenticated by the harness's tokens (<see cref="Party"/>).
    /// </summary>
    internal static Dictionary<string, string?> HubSettings(string hubDll, string dataDir, int port)
    {
        var hubSettings = new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Hub__BsnLookupKey"] = DemoBsnLookupKey,
            ["Hub__PseudonymKey"] = DemoPseudonymKey,
            ["Hub__BsnEncryption__ActiveKeyId"] = "bench1",
            ["Hub__BsnEncryption__Keys__bench1"] = DemoBsnEncryptionKey,
            ["Kestrel__Endpoints__Grpc__Url"] = $"http://127.0.0.1:{port}",
            ["Storage__DataDirectory"] = dataDir,
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

    /// <summary>The hub to start: <paramref name="given"/>, or the build of src/Hub/Ketenhub.Hub in this configuration.</summary>
    internal static string HubDll(string? given) => Path.GetFullPath(given ?? typeof(Harness).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .FirstOrDefault(a => a.Key == "KetenhubHubDll")?.Value ?? string.Empty);

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

    /// <summary>The <c>dotnet</c> host that runs this harness (…/dotnet next to shared/Microsoft.NETCore.App/x.y.z).</summary>
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

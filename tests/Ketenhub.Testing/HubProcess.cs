using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Ketenhub.Contracts;

namespace Ketenhub.Testing;

/// <summary>
/// The built hub (<c>Ketenhub.Hub.dll</c>) running as its own process on a free loopback port, with its own
/// temporary data folder. Stdout and stderr of every run are kept for diagnostics. <see cref="Kill"/> ends
/// the process hard (SIGKILL on Linux: no shutdown code runs); <see cref="StartAsync"/> starts it again on the
/// same port and data folder. Disposing kills a running hub and deletes the data folder.
/// </summary>
public sealed class HubProcess : IDisposable
{
    /// <summary>The exit code of a process ended by SIGKILL, as .NET reports it (128 + 9).</summary>
    public const int SigKillExitCode = 128 + 9;

    /// <summary>Logged by the ASP.NET Core host on a graceful shutdown (SIGTERM, Ctrl+C); never after SIGKILL.</summary>
    public const string GracefulShutdownLine = "Application is shutting down";

    private static readonly Lazy<string> HubDll = new(LocateHubDll);

    // Inherited settings that would change which endpoint, folder or environment the hub uses.
    private static readonly string[] IsolatedPrefixes =
    [
        "ASPNETCORE_", "DOTNET_ENVIRONMENT", "DOTNET_URLS", "DOTNET_HTTP_PORTS", "DOTNET_HTTPS_PORTS",
        "URLS", "HTTP_PORTS", "HTTPS_PORTS", "Hub__", "Storage__", "Kestrel__", "Logging__", "Identity__", "KETENHUB_",
    ];

    private readonly Dictionary<string, string?> _settings = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, string?> _variables = new(StringComparer.Ordinal);
    private readonly StringBuilder _output = new();
    private readonly List<GrpcChannel> _channels = [];
    private readonly string? _environment;
    private Process? _process;
    private int _runs;

    /// <param name="environment">
    /// The ASP.NET Core environment (<c>ASPNETCORE_ENVIRONMENT</c>); Development supplies the demo BSN lookup key. Null
    /// sets no environment variable at all, as a shell without one. Outside Development the hub refuses the demo
    /// parties and rules, so the process gets copies without the demo mark (unless <paramref name="settings"/> name files).
    /// </param>
    /// <param name="settings">Configuration overrides, e.g. <c>Hub:RoutingFile</c>; a null value removes the key.</param>
    public HubProcess(string? environment = "Development", IReadOnlyDictionary<string, string?>? settings = null)
    {
        _environment = environment;
        var run = Guid.NewGuid().ToString("N");
        DataDirectory = Path.Combine(Path.GetTempPath(), "ketenhub-process-tests", run);
        ConfigDirectory = Path.Combine(Path.GetTempPath(), "ketenhub-process-tests", run + "-config");
        Directory.CreateDirectory(DataDirectory);
        Directory.CreateDirectory(ConfigDirectory);
        Port = FreeLoopbackPort();
        PartnerPort = FreeLoopbackPort();
        OperationsPort = FreeLoopbackPort();
        if (settings is not null)
        {
            foreach (var (key, value) in settings)
            {
                _settings[key] = value;
            }
        }
    }

    /// <summary>Changes a configuration override for the next start; a null value removes the key.</summary>
    public void Set(string key, string? value) => _settings[key] = value;

    /// <summary>Sets an environment variable of the process as it is (after the settings); a null value removes it.</summary>
    public void SetVariable(string name, string? value) => _variables[name] = value;

    /// <summary>A folder of the test's own for configuration files (non-demo parties and rules); deleted on dispose.</summary>
    public string ConfigDirectory { get; }

    /// <summary>Writes copies of the demo parties and rules without their demo mark, as an operator's own files would be.</summary>
    public (string PartiesFile, string RoutingFile) WriteOwnConfigurationFiles()
    {
        var demo = Path.Combine(Path.GetDirectoryName(HubDllPath)!, "config");
        var parties = Path.Combine(ConfigDirectory, "parties.json");
        var routing = Path.Combine(ConfigDirectory, "routing.json");
        File.WriteAllText(parties, WithoutDemoMark(File.ReadAllText(Path.Combine(demo, "parties.json"))));
        File.WriteAllText(routing, WithoutDemoMark(File.ReadAllText(Path.Combine(demo, "routing.json"))));
        return (parties, routing);
    }

    /// <summary>An audit checkpoint signing key (ECDSA P-256, PKCS#8 PEM) in <see cref="ConfigDirectory"/>, made once per process.</summary>
    public string CheckpointKeyFile()
    {
        var path = Path.Combine(ConfigDirectory, "audit-checkpoint-key.pem");
        if (!File.Exists(path))
        {
            using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
            File.WriteAllText(path, key.ExportPkcs8PrivateKeyPem());
        }

        return path;
    }

    private static string WithoutDemoMark(string json)
    {
        var own = System.Text.RegularExpressions.Regex.Replace(json, @"^\s*""demo""\s*:\s*true\s*,[ \t]*\r?\n", string.Empty, System.Text.RegularExpressions.RegexOptions.Multiline);
        return own != json ? own : throw new InvalidOperationException("The demo file carries no \"demo\": true line to remove.");
    }

    private bool IsDevelopment => string.Equals(_environment, "Development", StringComparison.OrdinalIgnoreCase);

    /// <summary>The hub's assembly that is started.</summary>
    public static string HubDllPath => HubDll.Value;

    /// <summary>
    /// Start through <c>dotnet run --no-build --project src/Hub/Ketenhub.Hub</c> (the README's command, with the launch
    /// profile) instead of running the assembly. Needs the project layout of the build (not <c>--artifacts-path</c>).
    /// </summary>
    public bool ViaDotnetRun { get; set; }

    /// <summary>The hub's project file, for <see cref="ViaDotnetRun"/>.</summary>
    public static string HubProjectPath =>
        Path.Combine(RepositoryRoot() ?? throw new InvalidOperationException("The test does not run inside the repository."), "src", "Hub", "Ketenhub.Hub", "Ketenhub.Hub.csproj");

    /// <summary>The build configuration of this test assembly (and so of the hub it starts).</summary>
    public static string BuildConfiguration =>
        typeof(HubProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration
        ?? throw new InvalidOperationException("The test assembly carries no AssemblyConfiguration attribute.");

    /// <summary>The repository's root folder (the one with Hub.sln) above the test's output, or null.</summary>
    public static string? RepositoryRoot()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Hub.sln")))
        {
            root = root.Parent;
        }

        return root?.FullName;
    }

    public int Port { get; }

    /// <summary>The port of the partner HTTP endpoint (FHIR, iWmo), which every run gets unless a setting says otherwise.</summary>
    public int PartnerPort { get; }

    /// <summary>The port of the operations endpoint (<c>/healthz</c>, <c>/readyz</c>), which every run gets.</summary>
    public int OperationsPort { get; }

    public string DataDirectory { get; }

    public Uri Address => new($"http://127.0.0.1:{Port}");

    /// <summary><see cref="Address"/> as a command-line tool takes it (<c>--hub</c>): without the trailing slash.</summary>
    public string Url => Address.ToString().TrimEnd('/');

    /// <summary>
    /// The key file of the hub's development issuer (on in Development), in the run's data folder: mint tokens with it,
    /// for example with the admin role (<c>ketenhub token --key-file</c>).
    /// </summary>
    public string DevelopmentIssuerKeyFile => Path.Combine(DataDirectory, "development-issuer-key.pem");

    /// <summary>The current run's process id, or null before the first start.</summary>
    public int? ProcessId => _process?.Id;

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Everything the hub wrote to stdout and stderr, over all runs, each line tagged with run and stream.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>
    /// <see cref="Output"/> as a reader sees it: a JSON log line (the format outside Development) is replaced by its
    /// <c>Message</c>, unescaped; other lines stay as they are.
    /// </summary>
    public string LogText => string.Join('\n', Output.Split('\n').Select(line =>
    {
        var start = line.IndexOf("] {", StringComparison.Ordinal);
        if (start < 0)
        {
            return line;
        }

        try
        {
            using var json = System.Text.Json.JsonDocument.Parse(line[(start + 2)..]);
            return json.RootElement.TryGetProperty("Message", out var message) ? line[..(start + 2)] + message.GetString() : line;
        }
        catch (System.Text.Json.JsonException)
        {
            return line;
        }
    }));

    /// <summary>Output of the given run only (1 = first start).</summary>
    public string OutputOfRun(int run)
    {
        var tag = $"[{run} ";
        return string.Join('\n', Output.Split('\n').Where(line => line.StartsWith(tag, StringComparison.Ordinal)));
    }

    /// <summary>How many times the process was started.</summary>
    public int Runs => _runs;

    /// <summary>Starts the process without waiting for it to serve.</summary>
    public void Start() => Start([]);

    /// <summary>Starts the hub with command-line arguments after the assembly (for example a command such as <c>reencrypt-bsn</c>).</summary>
    public void Start(params string[] arguments)
    {
        if (IsRunning)
        {
            throw new InvalidOperationException("The hub is already running.");
        }

        _process?.Dispose();
        var start = new ProcessStartInfo(DotnetHost())
        {
            WorkingDirectory = Path.GetDirectoryName(HubDllPath)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
        };
        if (ViaDotnetRun)
        {
            // What the README's command does: dotnet run with the project's launch profile, on the build of this test run.
            start.ArgumentList.Add("run");
            start.ArgumentList.Add("--no-build");
            start.ArgumentList.Add("--configuration");
            start.ArgumentList.Add(BuildConfiguration);
            start.ArgumentList.Add("--project");
            start.ArgumentList.Add(HubProjectPath);
            start.ArgumentList.Add("--");
        }
        else
        {
            start.ArgumentList.Add(HubDllPath);
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var key in start.Environment.Keys.ToList())
        {
            if (IsolatedPrefixes.Any(prefix => key.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)))
            {
                start.Environment.Remove(key);
            }
        }

        if (_environment is not null)
        {
            start.Environment["ASPNETCORE_ENVIRONMENT"] = _environment;
        }

        if (!IsDevelopment && !_settings.ContainsKey("Hub:PartiesFile") && !_settings.ContainsKey("Hub:RoutingFile"))
        {
            var (parties, routing) = WriteOwnConfigurationFiles();
            start.Environment["Hub__PartiesFile"] = parties;
            start.Environment["Hub__RoutingFile"] = routing;
        }

        if (!IsDevelopment && !_settings.Keys.Any(k => k.StartsWith("Hub:Audit:Checkpoints:", StringComparison.OrdinalIgnoreCase)))
        {
            // Outside Development the hub signs audit checkpoints with a key it is given.
            start.Environment["Hub__Audit__Checkpoints__SigningKeyFile"] = CheckpointKeyFile();
        }
        start.Environment["Kestrel__Endpoints__Grpc__Url"] = Url;
        start.Environment["Hub__PartnerHttp__Url"] = $"http://127.0.0.1:{PartnerPort}";
        start.Environment["Hub__Operations__Url"] = $"http://127.0.0.1:{OperationsPort}";
        start.Environment["Storage__DataDirectory"] = DataDirectory;
        start.Environment["Logging__Console__FormatterOptions__ColorBehavior"] = "Disabled";
        start.Environment["DOTNET_DbgEnableMiniDump"] = "0";

        // The development issuer (on in Development) keeps its key in the run's data folder, not the user's profile.
        start.Environment["Identity__DevelopmentIssuer__KeyFile"] = DevelopmentIssuerKeyFile;
        foreach (var (key, value) in _settings)
        {
            var name = key.Replace(":", "__", StringComparison.Ordinal);
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        foreach (var (name, value) in _variables)
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        var run = Interlocked.Increment(ref _runs);
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Append(run, "out", e.Data);
        process.ErrorDataReceived += (_, e) => Append(run, "err", e.Data);
        Append(run, "test", $"starting {start.FileName} {string.Join(' ', start.ArgumentList)} (environment {_environment ?? "not set"}, port {Port}, data {DataDirectory})");
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
    }

    /// <summary>Starts the process and waits until its gRPC health service reports SERVING.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        Start();
        await WaitUntilServingAsync(StartupTimeout, cancellationToken);
    }

    /// <summary>How long <see cref="StartAsync"/> waits for SERVING. <value>The default value is 45 s.</value></summary>
    public TimeSpan StartupTimeout { get; set; } = TimeSpan.FromSeconds(45);

    /// <summary>Polls <c>grpc.health.v1.Health/Check</c> until SERVING; fails at once when the process exits.</summary>
    public async Task WaitUntilServingAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var process = _process ?? throw new InvalidOperationException("The hub was not started.");
        var clock = Stopwatch.StartNew();
        using var channel = GrpcChannel.ForAddress(Address);
        var health = new Health.HealthClient(channel);
        var last = "no answer yet";
        while (clock.Elapsed < timeout)
        {
            if (process.HasExited)
            {
                process.WaitForExit();
                throw new HubProcessException($"The hub exited with code {process.ExitCode} before it served.", Output);
            }

            try
            {
                var reply = await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: cancellationToken);
                if (reply.Status == HealthCheckResponse.Types.ServingStatus.Serving)
                {
                    Append(_runs, "test", $"serving after {clock.ElapsedMilliseconds} ms");
                    return;
                }

                last = reply.Status.ToString();
            }
            catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
            {
                last = ex.Status.ToString();
            }

            await Task.Delay(100, cancellationToken);
        }

        throw new HubProcessException($"The hub did not report SERVING within {timeout} (last: {last}).", Output);
    }

    /// <summary>Waits for the process to exit by itself (e.g. a refused start) and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var process = _process ?? throw new InvalidOperationException("The hub was not started.");
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new HubProcessException($"The hub did not exit within {timeout}.", Output);
        }

        return process.ExitCode;
    }

    /// <summary>
    /// Kills the process hard: <see cref="Process.Kill()"/> sends SIGKILL on Linux, so no shutdown hook, hosted
    /// service stop or store dispose runs. Waits for the exit and returns the exit code (<see cref="SigKillExitCode"/>
    /// for a SIGKILL). Open channels are left alone: their calls fail as the connection drops, as with a crash.
    /// </summary>
    public int Kill()
    {
        var process = _process ?? throw new InvalidOperationException("The hub was not started.");
        if (process.HasExited)
        {
            throw new HubProcessException($"The hub had already exited with code {process.ExitCode}.", Output);
        }

        process.Kill(entireProcessTree: false);
        if (!process.WaitForExit(TimeSpan.FromSeconds(15)))
        {
            throw new HubProcessException("The hub did not die within 15 s of SIGKILL.", Output);
        }

        process.WaitForExit(); // drains the redirected output
        Append(_runs, "test", $"killed, exit code {process.ExitCode}");
        return process.ExitCode;
    }

    /// <summary>A new channel to the hub over a real socket; closed by <see cref="Dispose"/>.</summary>
    public GrpcChannel Channel()
    {
        var channel = GrpcChannel.ForAddress(Address, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                EnableMultipleHttp2Connections = true,
                ConnectTimeout = TimeSpan.FromSeconds(5),
            },
            MaxReceiveMessageSize = 16 * 1024 * 1024,
            MaxSendMessageSize = 16 * 1024 * 1024,
        });
        lock (_channels)
        {
            _channels.Add(channel);
        }

        return channel;
    }

    /// <summary>Every service client, calling as <paramref name="partyId"/> (the <c>ketenhub-party</c> header).</summary>
    public HubProcessClient As(string partyId)
    {
        var invoker = Channel().Intercept(metadata =>
        {
            metadata.Add(DevelopmentHeaders.Party, partyId);
            return metadata;
        });
        return new HubProcessClient(partyId, invoker);
    }

    /// <summary>Every service client, calling as <paramref name="partyId"/> with a bearer token of <paramref name="tokens"/>.</summary>
    public HubProcessClient As(string partyId, TestTokens tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var invoker = Channel().Intercept(metadata =>
        {
            metadata.Add("authorization", "Bearer " + tokens.Token(partyId));
            return metadata;
        });
        return new HubProcessClient(partyId, invoker);
    }

    public void Dispose()
    {
        try
        {
            if (IsRunning)
            {
                _process!.Kill(entireProcessTree: true);
                _process.WaitForExit(TimeSpan.FromSeconds(15));
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process?.Dispose();
        DisposeChannels();
        try
        {
            Directory.Delete(ConfigDirectory, recursive: true);
        }
        catch (IOException)
        {
        }

        for (var attempt = 0; attempt < 5 && Directory.Exists(DataDirectory); attempt++)
        {
            try
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
            catch (IOException)
            {
                Thread.Sleep(100);
            }
            catch (UnauthorizedAccessException)
            {
                Thread.Sleep(100);
            }
        }
    }

    private void DisposeChannels()
    {
        lock (_channels)
        {
            foreach (var channel in _channels)
            {
                channel.Dispose();
            }

            _channels.Clear();
        }
    }

    private void Append(int run, string stream, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Append('[').Append(run).Append(' ').Append(stream).Append("] ").Append(line).Append('\n');
        }
    }

    /// <summary>A loopback port nothing listens on right now.</summary>
    public static int FreeLoopbackPort()
    {
        // The port is free when asked, not reserved: the system may hand it out again to the next caller in this process
        // (two hubs started at once then collide, "address already in use"). Each port is given out once per process.
        while (true)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            lock (GivenPorts)
            {
                if (GivenPorts.Add(port))
                {
                    return port;
                }
            }
        }
    }

    private static readonly HashSet<int> GivenPorts = [];

    /// <summary>The dotnet host that runs this test (set by <c>dotnet test</c>), else <c>dotnet</c> on the PATH.</summary>
    private static string DotnetHost()
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        return !string.IsNullOrEmpty(host) && File.Exists(host) ? host : "dotnet";
    }

    /// <summary>
    /// The hub built with the configuration and target framework of this test assembly (the project reference
    /// builds it first): <c>src/Hub/Ketenhub.Hub/bin/{Configuration}/{TargetFramework}/Ketenhub.Hub.dll</c>, or,
    /// when built with <c>--artifacts-path</c>, <c>{artifacts}/bin/Ketenhub.Hub/{pivot}/Ketenhub.Hub.dll</c>.
    /// <c>KETENHUB_HUB_DLL</c> overrides both.
    /// </summary>
    private static string LocateHubDll()
    {
        var overridden = Environment.GetEnvironmentVariable("KETENHUB_HUB_DLL");
        if (!string.IsNullOrEmpty(overridden))
        {
            return File.Exists(overridden) ? Path.GetFullPath(overridden) : throw new FileNotFoundException("KETENHUB_HUB_DLL names no file.", overridden);
        }

        var configuration = typeof(HubProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration;
        if (string.IsNullOrEmpty(configuration))
        {
            throw new InvalidOperationException("The test assembly carries no AssemblyConfiguration attribute.");
        }

        var output = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory));
        var candidates = new List<string>();

        // Artifacts layout: {artifacts}/bin/{test project}/{pivot}/ (this class is compiled into Ketenhub.Testing, but
        // runs from the output of the test project that references it, so the folder is named after that project).
        if (output.Parent is { } project && project.Parent is { } artifactsBin && Directory.Exists(Path.Combine(artifactsBin.FullName, "Ketenhub.Hub")))
        {
            candidates.Add(Path.Combine(artifactsBin.FullName, "Ketenhub.Hub", output.Name, "Ketenhub.Hub.dll"));
        }

        // Project layout: {repo}/tests/{project}/bin/{Configuration}/{TargetFramework}/.
        var root = output;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Hub.sln")))
        {
            root = root.Parent;
        }

        if (root is not null)
        {
            candidates.Add(Path.Combine(root.FullName, "src", "Hub", "Ketenhub.Hub", "bin", configuration, output.Name, "Ketenhub.Hub.dll"));
        }

        return candidates.FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException(
                $"The hub is not built for {configuration}/{output.Name}; build the test project (through tests/Ketenhub.Testing it builds the hub). Looked at: {string.Join(", ", candidates)}.");
    }
}

/// <summary>The hub process misbehaved; the message carries its captured output.</summary>
public sealed class HubProcessException(string message, string output)
    : Exception(message + Environment.NewLine + "--- hub output ---" + Environment.NewLine + output)
{
}

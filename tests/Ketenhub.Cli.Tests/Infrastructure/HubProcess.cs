using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;

namespace Ketenhub.Cli.Tests.Infrastructure;

/// <summary>
/// The real hub as a separate process: the built Ketenhub.Hub.dll in the Development environment (demo
/// parties and rules), a free loopback port and a fresh SQLite folder. Ready once its gRPC health check
/// says SERVING; killed and its data removed on dispose. It runs on the real clock.
/// </summary>
public class HubProcess : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly IReadOnlyDictionary<string, string> _settings;
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "ketenhub-cli-tests", Guid.NewGuid().ToString("N"));
    private readonly StringBuilder _log = new();
    private Process? _process;

    public HubProcess()
        : this(new Dictionary<string, string>())
    {
    }

    /// <param name="settings">Configuration for the hub (keys as in appsettings.json, for example <c>Hub:Limits:Burst</c>).</param>
    protected HubProcess(IReadOnlyDictionary<string, string> settings)
    {
        _settings = settings;
    }

    public string Url { get; private set; } = string.Empty;

    /// <summary>The key file of the hub's development issuer, for minting tokens (for example with the admin role) with <c>ketenhub token --key-file</c>.</summary>
    public string DevelopmentKeyFile => Path.Combine(_dataDirectory, "development-issuer-key.pem");

    /// <summary>What the hub wrote to its console so far, for failure messages.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public async Task InitializeAsync()
    {
        var assembly = HubAssembly();
        var port = FreePort();
        Url = $"http://127.0.0.1:{port}";
        var start = new ProcessStartInfo("dotnet")
        {
            // The hub reads appsettings*.json from its content root, the working directory.
            WorkingDirectory = Path.GetDirectoryName(assembly)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(assembly);
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["Kestrel__Endpoints__Grpc__Url"] = Url;
        start.Environment["Storage__DataDirectory"] = _dataDirectory;
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["Identity__DevelopmentIssuer__KeyFile"] = DevelopmentKeyFile;
        foreach (var (key, value) in _settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the hub process.");
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The hub exited with code {_process.ExitCode} before it was ready.\n{Log}");
            }

            var health = await Tool.RunAsync("health", "--hub", Url);
            if (health.ExitCode == ExitCodes.Ok && health.Output.Trim() == "SERVING")
            {
                return;
            }

            if (deadline.Elapsed > StartTimeout)
            {
                throw new TimeoutException($"The hub did not report SERVING within {StartTimeout}.\nLast health check: {health}\n{Log}");
            }

            await Task.Delay(250);
        }
    }

    public async Task DisposeAsync()
    {
        if (_process is not null)
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            }

            _process.Dispose();
        }

        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
        catch (IOException)
        {
        }
    }

    /// <summary>The hub assembly the build recorded (see the test project), else the conventional bin folder.</summary>
    private static string HubAssembly()
    {
        var recorded = typeof(HubProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "KetenhubHubAssembly")?.Value;
        if (!string.IsNullOrEmpty(recorded) && File.Exists(recorded))
        {
            return recorded;
        }

#if DEBUG
        const string configuration = "Debug";
#else
        const string configuration = "Release";
#endif
        var repo = AppContext.BaseDirectory;
        while (repo is not null && !File.Exists(Path.Combine(repo, "Hub.sln")))
        {
            repo = Path.GetDirectoryName(repo.TrimEnd(Path.DirectorySeparatorChar));
        }

        var conventional = repo is null ? null : Path.Combine(repo, "src", "Hub", "Ketenhub.Hub", "bin", configuration, "net10.0", "Ketenhub.Hub.dll");
        return conventional is not null && File.Exists(conventional)
            ? conventional
            : throw new FileNotFoundException($"The hub assembly was not found (recorded: '{recorded}', conventional: '{conventional}'). Build the hub first.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }
    }
}

/// <summary>
/// The hub for the import tests. They send thousands of rows as one school, much faster than the default call rate
/// allows (docs/security.md), so the school's rate is raised here; the rate limit itself is tested at the hub.
/// </summary>
public sealed class ImportHubProcess() : HubProcess(new Dictionary<string, string>
{
    ["Hub:Limits:Parties:hans-petrischool:PermitsPerSecond"] = "1000000",
    ["Hub:Limits:Parties:hans-petrischool:Burst"] = "1000000",
});

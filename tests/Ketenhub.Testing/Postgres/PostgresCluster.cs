using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Ketenhub.Testing.Postgres;

/// <summary>
/// A throwaway PostgreSQL server for tests: <c>initdb</c> in a temporary folder, <c>pg_ctl start</c> on a free port
/// of the loopback address, and at the end <c>pg_ctl stop</c> and the folder removed. <see cref="Shared"/> starts one
/// per test process, on first use, and stops it when the process exits; tests take a database of their own from it
/// (<see cref="CreateDatabaseAsync"/>).
/// <para>
/// The server binaries are found through <c>KETENHUB_PG_BIN</c>, then <c>PATH</c>, then Debian's
/// <c>/usr/lib/postgresql/&lt;version&gt;/bin</c> (the newest). Missing binaries are an error, not a reason to skip:
/// CI installs them (<c>.ci/run</c>). initdb refuses to run as root, so as root the server runs as the
/// <c>postgres</c> user (which Debian's package creates), or as a system user <c>ketenhub-pg</c> made for it, through
/// <c>runuser</c>.
/// </para>
/// </summary>
public sealed partial class PostgresCluster : IDisposable
{
    private const string Superuser = "postgres";
    private static readonly Lazy<PostgresCluster> SharedCluster = new(StartShared, LazyThreadSafetyMode.ExecutionAndPublication);
    private readonly string _binaries;
    private readonly string? _runAs;
    private readonly string _folder;
    private readonly bool _durable;
    private int _stopped;

    private PostgresCluster(string binaries, string? runAs, string folder, int port, bool durable)
    {
        _binaries = binaries;
        _runAs = runAs;
        _folder = folder;
        _durable = durable;
        Port = port;
    }

    /// <summary>The cluster of this test process, started on first use and stopped when the process exits.</summary>
    public static PostgresCluster Shared => SharedCluster.Value;

    /// <summary>The server's TCP port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>The data folder (under the cluster's temporary folder).</summary>
    public string DataFolder => Path.Combine(_folder, "data");

    /// <summary>A connection string for <paramref name="database"/> as the superuser (trust authentication on the loopback address).</summary>
    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = Superuser,
        Database = database,
        // Tests open many small stores; a short pool keeps the server's connection count low.
        MaxPoolSize = 20,
        Timeout = 30,
    }.ConnectionString;

    /// <summary>
    /// The environment for the server's client programs (<c>pg_dump</c>, <c>createdb</c>, <c>pg_restore</c>, <c>psql</c>) as an
    /// operator runs them: the cluster's own binaries first on <c>PATH</c>, and libpq's <c>PGHOST</c>, <c>PGPORT</c> and
    /// <c>PGUSER</c> for the superuser over TCP on the loopback address (trust authentication), which works as any OS user,
    /// root included.
    /// </summary>
    public IReadOnlyDictionary<string, string> ClientEnvironment() => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["PATH"] = _binaries + Path.PathSeparator + (Environment.GetEnvironmentVariable("PATH") ?? ""),
        ["PGHOST"] = "127.0.0.1",
        ["PGPORT"] = Port.ToString(CultureInfo.InvariantCulture),
        ["PGUSER"] = Superuser,
    };

    /// <summary>Creates an empty database of its own and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(CancellationToken cancellationToken = default)
    {
        var name = "t_" + Guid.NewGuid().ToString("N");
        await ExecuteAdminAsync($"CREATE DATABASE {name};", cancellationToken);
        return ConnectionString(name);
    }

    /// <summary>Drops a database made by <see cref="CreateDatabaseAsync"/>, closing whatever is still connected to it.</summary>
    public async Task DropDatabaseAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        if (name is null || !DatabaseName().IsMatch(name))
        {
            throw new ArgumentException("Not a database this cluster made.", nameof(connectionString));
        }

        await ExecuteAdminAsync($"DROP DATABASE IF EXISTS {name} WITH (FORCE);", cancellationToken);
    }

    /// <summary>Starts a cluster of its own (most tests want <see cref="Shared"/>); dispose it to stop it.</summary>
    /// <param name="durable">
    /// False (tests): <c>fsync=off</c>, so commits do not wait for the disk; a crash of the machine is not what the tests
    /// are about. True (the benchmark): <c>fsync=on</c> and <c>synchronous_commit=on</c>, as a production server runs,
    /// so a commit returns only once its WAL is flushed to the disk.
    /// </param>
    public static PostgresCluster Start(bool durable = false)
    {
        var binaries = FindBinaries();
        var runAs = IsRoot() ? ServerUser() : null;
        // As root, /tmp: TMPDIR may point into root's own home, where the server's user cannot go.
        var folder = Path.Combine(runAs is null ? Path.GetTempPath() : "/tmp", "ketenhub-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(folder);
        try
        {
            if (runAs is not null)
            {
                Run("chown", [runAs, folder]);
            }

            var initdb = Path.Combine(binaries, "initdb");
            RunAs(runAs, initdb, ["-D", Path.Combine(folder, "data"), "-U", Superuser, "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"]);

            // A port can be taken between finding it free and the server binding it: try a few.
            for (var attempt = 1; ; attempt++)
            {
                var port = FreePort();
                var cluster = new PostgresCluster(binaries, runAs, folder, port, durable);
                try
                {
                    cluster.StartServer();
                    cluster.StartReaper();
                    return cluster;
                }
                catch (InvalidOperationException) when (attempt < 3)
                {
                }
            }
        }
        catch
        {
            TryDelete(folder);
            throw;
        }
    }

    /// <summary>
    /// Stops the server as a crash would (immediate shutdown: every connection is cut, nothing is flushed) and starts
    /// it again on the same port and data, for tests of what clients do when the server goes away and comes back.
    /// </summary>
    public void Restart()
    {
        Stop();
        StartServer();
    }

    /// <summary>Stops the server as a crash would (immediate shutdown), keeping its data and port for <see cref="StartAgain"/>.</summary>
    public void Stop() => PgCtl("stop", "-m", "immediate", "-w", "-t", "30");

    /// <summary>Starts a server stopped with <see cref="Stop"/> again, on the same port and data.</summary>
    public void StartAgain() => StartServer();

    private void StartServer() =>
        PgCtl("start", "-w", "-t", "60", "-l", Path.Combine(_folder, "server.log"), "-o",
            $"-p {Port.ToString(CultureInfo.InvariantCulture)} -k {_folder} -c listen_addresses=127.0.0.1 -c max_connections=300 " +
            (_durable ? "-c fsync=on -c synchronous_commit=on" : "-c fsync=off"));

    /// <summary>Stops the server at once and removes its folder.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        try
        {
            PgCtl("stop", "-m", "immediate", "-w", "-t", "30");
        }
        catch (InvalidOperationException)
        {
            // Already stopped: the folder goes all the same.
        }

        TryDelete(_folder);
    }

    private static PostgresCluster StartShared()
    {
        var cluster = Start();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => cluster.Dispose();
        return cluster;
    }

    /// <summary>
    /// Starts a small shell that waits for this process to end, however it ends (the test host may be stopped before
    /// its exit handlers finish, or killed), then stops the server and removes the folder.
    /// </summary>
    private void StartReaper()
    {
        static string Quote(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
        var pgCtl = Quote(Path.Combine(_binaries, "pg_ctl"));
        var stop = (_runAs is null ? "" : $"runuser -u {Quote(_runAs)} -- ") + $"{pgCtl} -D {Quote(DataFolder)} stop -m immediate -w -t 30";
        // The watcher runs in the background of a shell that exits at once, so it belongs to no process tree of this
        // process: a test runner that kills the test host's tree (a hang timeout) does not take it along.
        var watch = $"while kill -0 {Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}; do sleep 1; done; {stop}; rm -rf {Quote(_folder)}";
        var script = $"( {watch} ) </dev/null >/dev/null 2>&1 &";
        var start = new ProcessStartInfo("setsid") { UseShellExecute = false, WorkingDirectory = "/" };
        foreach (var arg in new[] { "sh", "-c", script })
        {
            start.ArgumentList.Add(arg);
        }

        using var reaper = Process.Start(start);
        reaper?.WaitForExit(TimeSpan.FromSeconds(10));
    }

    private async Task ExecuteAdminAsync(string sql, CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(ConnectionString("postgres")) { Pooling = false };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private void PgCtl(params string[] args) =>
        RunAs(_runAs, Path.Combine(_binaries, "pg_ctl"), ["-D", DataFolder, .. args]);

    private static string FindBinaries() =>
        FindBinaries(Environment.GetEnvironmentVariable("KETENHUB_PG_BIN"), Environment.GetEnvironmentVariable("PATH") ?? "", "/usr/lib/postgresql");

    /// <summary>
    /// The folder with initdb and pg_ctl: <paramref name="configured"/>, else the first on <paramref name="path"/>, else the
    /// newest <c>&lt;version&gt;/bin</c> under <paramref name="debian"/>. Throws when there is none: the tests fail, never skip.
    /// </summary>
    public static string FindBinaries(string? configured, string path, string debian)
    {
        static bool Has(string? folder) =>
            !string.IsNullOrEmpty(folder) && File.Exists(Path.Combine(folder, "initdb")) && File.Exists(Path.Combine(folder, "pg_ctl"));

        if (Has(configured))
        {
            return configured!;
        }

        foreach (var folder in path.Split(Path.PathSeparator))
        {
            if (Has(folder))
            {
                return folder;
            }
        }

        if (Directory.Exists(debian))
        {
            var newest = Directory.GetDirectories(debian)
                .Select(d => (Folder: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : -1))
                .Where(d => Has(d.Folder))
                .OrderByDescending(d => d.Version)
                .FirstOrDefault();
            if (newest.Folder is not null)
            {
                return newest.Folder;
            }
        }

        throw new InvalidOperationException(
            "The PostgreSQL server binaries (initdb, pg_ctl) were not found on PATH, in KETENHUB_PG_BIN or under /usr/lib/postgresql/*/bin. " +
            "Install them (Debian: apt-get install -y postgresql); .ci/run does.");
    }

    /// <summary>The user the server runs as when the tests run as root: postgres if it exists, else ketenhub-pg, made now.</summary>
    private static string ServerUser()
    {
        foreach (var user in new[] { "postgres", "ketenhub-pg" })
        {
            if (TryRun("id", ["-u", user]))
            {
                return user;
            }
        }

        // Two test processes may race to create it: the loser's useradd fails, and the user exists all the same.
        TryRun("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "ketenhub-pg"]);
        if (!TryRun("id", ["-u", "ketenhub-pg"]))
        {
            throw new InvalidOperationException("Running as root, and neither the postgres user nor a ketenhub-pg user could be had to run the test server.");
        }

        return "ketenhub-pg";
    }

    // Environment.UserName is the effective user's name on Unix.
    private static bool IsRoot() => !OperatingSystem.IsWindows() && Environment.UserName == "root";

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void RunAs(string? user, string program, string[] args)
    {
        if (user is null)
        {
            Run(program, args);
        }
        else
        {
            Run("runuser", ["-u", user, "--", program, .. args]);
        }
    }

    private static bool TryRun(string program, string[] args)
    {
        try
        {
            Run(program, args);
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    private static void Run(string program, string[] args)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            // The server's children must not inherit a folder they cannot enter.
            WorkingDirectory = "/",
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} did not finish in two minutes.");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{program} {string.Join(' ', args)} exited with {process.ExitCode}: {output.GetAwaiter().GetResult()} {error.GetAwaiter().GetResult()}");
        }
    }

    private static void TryDelete(string folder)
    {
        try
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex("^t_[0-9a-f]{32}$")]
    private static partial System.Text.RegularExpressions.Regex DatabaseName();
}

using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Ketenhub.Benchmarks;

/// <summary>
/// A server under test, in its own process. It is started through a small <c>sh</c> wrapper that holds
/// a pipe from the harness on its stdin: when the harness closes the pipe (normal stop) or dies (crash,
/// kill), the wrapper sends SIGTERM to the server, so no server outlives the harness.
/// </summary>
public sealed class ServerProcess : IDisposable
{
    private const string Wrapper = """
        "$@" </dev/null &
        child=$!
        echo "ketenhub-bench-child $child"
        cat >/dev/null
        kill -TERM "$child" 2>/dev/null
        wait "$child"
        """;

    private static readonly List<ServerProcess> Live = [];
    private static int _hooked;

    private readonly Process _wrapper;
    private readonly TaskCompletionSource<int> _pid = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Queue<string> _tail = new();
    private int _stopped;

    private ServerProcess(string name, Process wrapper)
    {
        Name = name;
        _wrapper = wrapper;
    }

    public string Name { get; }

    /// <summary>The server's own process id (not the wrapper's).</summary>
    public int Pid { get; private set; }

    public bool HasExited => _wrapper.HasExited || (Pid > 0 && !File.Exists($"/proc/{Pid}/stat"));

    /// <summary>The last lines the server wrote, for error messages.</summary>
    public string Tail
    {
        get
        {
            lock (_tail)
            {
                return string.Join(Environment.NewLine, _tail);
            }
        }
    }

    public static async Task<ServerProcess> StartAsync(string name, string workingDirectory, IReadOnlyList<string> command, IReadOnlyDictionary<string, string?> environment)
    {
        HookExit();
        var info = new ProcessStartInfo("/bin/sh")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(Wrapper);
        info.ArgumentList.Add("ketenhub-bench-wrapper");
        foreach (var part in command)
        {
            info.ArgumentList.Add(part);
        }

        // Nothing of the harness's own ASP.NET Core settings may leak into a server.
        foreach (var key in new[] { "ASPNETCORE_URLS", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_HTTPS_PORTS", "DOTNET_URLS", "ASPNETCORE_ENVIRONMENT", "DOTNET_ENVIRONMENT" })
        {
            info.Environment.Remove(key);
        }

        foreach (var (key, value) in environment)
        {
            if (value is null)
            {
                info.Environment.Remove(key);
            }
            else
            {
                info.Environment[key] = value;
            }
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var server = new ServerProcess(name, process);
        process.OutputDataReceived += (_, e) => server.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => server.OnLine(e.Data);
        process.Exited += (_, _) => server._pid.TrySetException(new InvalidOperationException($"{name} exited at start:{Environment.NewLine}{server.Tail}"));
        lock (Live)
        {
            Live.Add(server);
        }

        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        server.Pid = await server._pid.Task.WaitAsync(TimeSpan.FromSeconds(30));
        return server;
    }

    /// <summary>CPU time (user + system) the server has used so far.</summary>
    public TimeSpan CpuTime() => ProcStat.CpuTime(Pid);

    /// <summary>Bytes the server has caused to be written to storage so far (/proc/pid/io write_bytes), or -1.</summary>
    public long WrittenBytes() => ProcStat.WrittenBytes(Pid);

    /// <summary>Closes the wrapper's pipe (SIGTERM to the server, a graceful stop); kills after a grace period.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        try
        {
            if (!_wrapper.HasExited)
            {
                _wrapper.StandardInput.Close();
                if (!_wrapper.WaitForExit(TimeSpan.FromSeconds(15)))
                {
                    KillServer();
                    _wrapper.Kill(entireProcessTree: true);
                    _wrapper.WaitForExit(TimeSpan.FromSeconds(5));
                }
            }
        }
        catch (InvalidOperationException)
        {
        }
        catch (IOException)
        {
        }
        finally
        {
            KillServer();
            _wrapper.Dispose();
            lock (Live)
            {
                Live.Remove(this);
            }
        }
    }

    private void KillServer()
    {
        if (Pid <= 0)
        {
            return;
        }

        try
        {
            using var server = Process.GetProcessById(Pid);
            if (!server.HasExited)
            {
                server.Kill(entireProcessTree: true);
            }
        }
        catch (ArgumentException)
        {
        }
        catch (InvalidOperationException)
        {
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        if (line.StartsWith("ketenhub-bench-child ", StringComparison.Ordinal)
            && int.TryParse(line.AsSpan("ketenhub-bench-child ".Length), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            _pid.TrySetResult(pid);
            return;
        }

        lock (_tail)
        {
            _tail.Enqueue(line);
            while (_tail.Count > 40)
            {
                _tail.Dequeue();
            }
        }
    }

    /// <summary>Stops every live server when the harness exits or is interrupted, whatever happened before.</summary>
    private static void HookExit()
    {
        if (Interlocked.Exchange(ref _hooked, 1) != 0)
        {
            return;
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) => StopAll();
        Console.CancelKeyPress += (_, _) => StopAll();
    }

    public static void StopAll()
    {
        List<ServerProcess> live;
        lock (Live)
        {
            live = [.. Live];
        }

        foreach (var server in live)
        {
            server.Dispose();
        }
    }
}

/// <summary>Reads process and machine counters from /proc (Linux).</summary>
public static class ProcStat
{
    public static TimeSpan CpuTime(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.TotalProcessorTime;
        }
        catch (ArgumentException)
        {
            return TimeSpan.Zero;
        }
        catch (InvalidOperationException)
        {
            return TimeSpan.Zero;
        }
    }

    public static long WrittenBytes(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/io"))
            {
                if (line.StartsWith("write_bytes:", StringComparison.Ordinal))
                {
                    return long.Parse(line.AsSpan("write_bytes:".Length).Trim(), CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return -1;
    }

    /// <summary>Machine-wide CPU jiffies from /proc/stat: (busy, total). Busy excludes idle and iowait.</summary>
    public static (long Busy, long Total) MachineJiffies()
    {
        try
        {
            var line = File.ReadLines("/proc/stat").First();
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            long total = 0, idle = 0;
            for (var i = 1; i < parts.Length && i <= 8; i++)
            {
                var value = long.Parse(parts[i], CultureInfo.InvariantCulture);
                total += value;
                if (i is 4 or 5)
                {
                    idle += value;
                }
            }

            return (total - idle, total);
        }
        catch (IOException)
        {
            return (0, 0);
        }
    }

    /// <summary>The first line of /proc/loadavg, or empty.</summary>
    public static string LoadAverage()
    {
        try
        {
            var parts = File.ReadAllText("/proc/loadavg").Split(' ');
            return string.Join(' ', parts.Take(3));
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }

    public static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line is null ? RuntimeInformation.ProcessArchitecture.ToString() : line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        }
        catch (IOException)
        {
            return RuntimeInformation.ProcessArchitecture.ToString();
        }
    }
}

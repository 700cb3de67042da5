using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Ketenhub.Testing;

namespace Ketenhub.ProcessTests;

/// <summary>
/// The production guide in docs/operations.md, run as written: its setup block publishes the hub and makes keys and
/// settings, its TLS block makes a private CA, the hub's server certificate and a partner's client certificate and adds
/// the TLS endpoints, its run block starts the published hub in Production with them (no demo parties, a self-hosted
/// token issuer), its call block makes one call with a token of that issuer, and its TLS call block one over mutual TLS
/// with the tool and one with curl over HTTP/1.1 (and sees a call without a certificate refused). The systemd unit it
/// names passes <c>systemd-analyze verify</c> without a complaint.
/// </summary>
public sealed partial class ProductionGuideTests : IDisposable
{
    private readonly string _home = Path.Combine(Path.GetTempPath(), "ketenhub-guide-" + Guid.NewGuid().ToString("N"));
    private readonly int _tlsPort = HubProcess.FreeLoopbackPort();
    private readonly int _partnerPort = HubProcess.FreeLoopbackPort();

    public void Dispose()
    {
        try
        {
            Directory.Delete(_home, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    [Fact]
    public async Task TheGuidesOwnCommands_PublishConfigureAndStartAProductionHub_ThatAnswersACall()
    {
        var root = HubProcess.RepositoryRoot()!;
        var guide = await File.ReadAllTextAsync(Path.Combine(root, "docs", "operations.md"));
        var port = HubProcess.FreeLoopbackPort();
        Directory.CreateDirectory(_home);

        var setup = await RunAsync(Block(guide, "setup"), port, TimeSpan.FromMinutes(5));
        Assert.True(setup.ExitCode == 0, "The setup block failed:\n" + setup.Output);
        Assert.DoesNotContain("demo", await File.ReadAllTextAsync(Path.Combine(_home, "config", "parties.json")).ContinueWith(t => Regex.Replace(t.Result, "//.*", string.Empty)), StringComparison.Ordinal);
        var tls = await RunAsync(Block(guide, "tls"), port, TimeSpan.FromMinutes(1));
        Assert.True(tls.ExitCode == 0, "The TLS block failed:\n" + tls.Output);

        using var hub = Start(Block(guide, "run"), port, out var log);
        var ready = DateTimeOffset.UtcNow.AddSeconds(60);
        while (!Read(log).Contains("Ketenhub ready", StringComparison.Ordinal))
        {
            Assert.False(hub.HasExited, "The published hub stopped:\n" + Read(log));
            Assert.True(DateTimeOffset.UtcNow < ready, "The published hub did not get ready:\n" + Read(log));
            await Task.Delay(200);
        }

        try
        {
            Assert.Contains("environment Production", Read(log), StringComparison.Ordinal);
            var cli = Path.Combine(root, "src", "Clients", "Ketenhub.Cli", "bin", HubProcess.BuildConfiguration, "net10.0", "ketenhub.dll");
            var call = await RunAsync($"ketenhub() {{ dotnet '{cli}' \"$@\"; }}\n" + Block(guide, "call"), port, TimeSpan.FromMinutes(1));
            Assert.True(call.ExitCode == 0, "The call block failed:\n" + call.Output);
            Assert.Matches(@"clients/cl_[0-9a-f]{32}", call.Output);

            var tlsCall = await RunAsync($"ketenhub() {{ dotnet '{cli}' \"$@\"; }}\n" + Block(guide, "tls-call"), port, TimeSpan.FromMinutes(1));
            Assert.True(tlsCall.ExitCode == 0, "The TLS call block failed:\n" + tlsCall.Output + "\nThe hub's log:\n" + Read(log));
            Assert.Matches(@"clients/cl_[0-9a-f]{32}", tlsCall.Output);
            Assert.Contains("\"resourceType\":\"CapabilityStatement\"", tlsCall.Output, StringComparison.Ordinal);
        }
        finally
        {
            hub.Kill(entireProcessTree: true);
            await hub.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task TheSystemdUnit_PassesSystemdAnalyzeVerify()
    {
        var unit = Path.Combine(HubProcess.RepositoryRoot()!, "deploy", "ketenhub-hub.service");
        var start = new ProcessStartInfo("systemd-analyze", ["verify", unit]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var verify = Process.Start(start)!;
        var output = await verify.StandardOutput.ReadToEndAsync() + await verify.StandardError.ReadToEndAsync();
        await verify.WaitForExitAsync();

        // systemd-analyze only warns about values it cannot parse: any output at all is a finding.
        Assert.True(verify.ExitCode == 0 && output.Trim().Length == 0, $"systemd-analyze verify (exit {verify.ExitCode}):\n{output}");
    }

    /// <summary>The bash block after the marker <c>&lt;!-- production-guide:{name} --&gt;</c>.</summary>
    private static string Block(string page, string name)
    {
        var match = Regex.Match(page, $@"<!-- production-guide:{name} -->\s*```bash\n(?<body>.*?)\n```", RegexOptions.Singleline);
        Assert.True(match.Success, $"docs/operations.md has no production-guide:{name} block.");
        return match.Groups["body"].Value;
    }

    private ProcessStartInfo Bash(string script, int port)
    {
        var start = new ProcessStartInfo("bash", ["-euo", "pipefail", "-c", script])
        {
            WorkingDirectory = HubProcess.RepositoryRoot()!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["KETENHUB_HOME"] = _home;
        start.Environment["KETENHUB_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["KETENHUB_TLS_PORT"] = _tlsPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["KETENHUB_PARTNER_PORT"] = _partnerPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment.Remove("ASPNETCORE_ENVIRONMENT");
        start.Environment.Remove("DOTNET_ENVIRONMENT");
        return start;
    }

    private async Task<(int ExitCode, string Output)> RunAsync(string script, int port, TimeSpan limit)
    {
        using var process = Start(script, port, out var log);
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return (-1, "timed out\n" + Read(log));
        }

        process.WaitForExit();
        return (process.ExitCode, Read(log));
    }

    private Process Start(string script, int port, out StringBuilder log)
    {
        var output = new StringBuilder();
        var process = Process.Start(Bash(script, port))!;
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        log = output;
        return process;
    }

    private static string Read(StringBuilder log)
    {
        lock (log)
        {
            return log.ToString();
        }
    }
}

using Grpc.Core;

namespace Ketenhub.Cli.Tests.Infrastructure;

/// <summary>What one run of the tool produced.</summary>
public sealed record CliResult(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Output}\n--- stderr ---\n{Error}";
}

/// <summary>Runs the tool's entry point in-process with captured output and a chosen environment.</summary>
public static class Tool
{
    public static Task<CliResult> RunAsync(params string[] args) => RunAsync(new Dictionary<string, string>(), null, args);

    public static async Task<CliResult> RunAsync(IReadOnlyDictionary<string, string> environment, Func<Uri, CallInvoker>? transport, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        // Wide enough that no table cell wraps, so assertions can look for whole sentences.
        var host = new CliHost(output, error, name => environment.TryGetValue(name, out var value) ? value : null, CliHost.PlainConsole(output, 400), transport);
        var code = await KetenhubCli.RunAsync(args, host);
        return new CliResult(code, output.ToString(), error.ToString());
    }

    /// <summary>The output line that contains every one of <paramref name="parts"/>, or a failed test.</summary>
    public static string LineWith(this CliResult result, params string[] parts)
    {
        var line = result.Output.Split('\n').FirstOrDefault(l => parts.All(p => l.Contains(p, StringComparison.Ordinal)));
        return line ?? throw new Xunit.Sdk.XunitException($"No output line contains all of [{string.Join(", ", parts)}].\n{result}");
    }
}

using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Ketenhub.Cli.Tests.Infrastructure;
using Ketenhub.Testing;

namespace Ketenhub.Cli.Tests;

/// <summary>
/// The S1 walkthrough page, docs/walkthrough-s1.md ("Five minutes with scenario S1"), run as written: every
/// <c>$ ketenhub …</c> command of its console blocks against a freshly started hub process, in order, with the shell
/// variables it sets (<c>CLIENT</c>, <c>CLIENT_W</c>, <c>CLIENT_S</c>), and each command's output, standard output and
/// standard error as a terminal 120 columns wide shows them, compared line by line with what the page prints under it. What
/// differs from run to run is masked on both sides (<see cref="MarkdownWalkthrough.Mask"/>): resource ids, sequence
/// numbers, times and the dates that follow from the day it runs. So a change to the tool or the hub that changes
/// what a newcomer sees fails here until the page shows it, and an edit of the page fails until the hub prints it.
/// </summary>
public sealed partial class S1_WalkthroughPageTests(HubProcessFixture hub) : IClassFixture<HubProcessFixture>
{
    private const string PagePath = "docs/walkthrough-s1.md";
    private const string Section = "## Five minutes with scenario S1";
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task EveryCommand_PrintsWhatThePageShows()
    {
        var steps = MarkdownWalkthrough.Steps(await File.ReadAllTextAsync(MarkdownWalkthrough.RepositoryFile(PagePath)), Section);
        Assert.True(steps.Count >= 10, $"The S1 section has only {steps.Count} commands; was it renamed?");
        var kept = steps.SelectMany(s => MarkdownWalkthrough.DatesNamedIn(s.Command)).ToHashSet(StringComparer.Ordinal);
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        var differences = new List<string>();
        var printed = new StringBuilder();
        foreach (var step in steps)
        {
            var (exitCode, shown) = await RunAsync(step.Command, variables);
            printed.Append(CultureInfo.InvariantCulture, $"@@ {step.OutputLine} {step.Expected.Count}\n").AppendJoin('\n', shown).Append('\n');
            var expected = Masked(step.Expected, kept);
            var actual = Masked(shown, kept);
            if (!expected.SequenceEqual(actual, StringComparer.Ordinal))
            {
                differences.Add(Difference(step, expected, actual));
            }

            var refused = step.Expected.Any(l => l.StartsWith("error: ", StringComparison.Ordinal));
            if (exitCode != (refused ? ExitCodes.Refused : ExitCodes.Ok))
            {
                differences.Add($"{PagePath} line {step.Line}: $ {step.Command}\n  exit code {exitCode}, expected {(refused ? ExitCodes.Refused : ExitCodes.Ok)}.\n{string.Join('\n', shown)}");
            }
        }

        // To refresh the page after a deliberate change: KETENHUB_WALKTHROUGH_OUTPUT=FILE writes what each command printed
        // ("@@ <the page's line of its output> <lines the page shows now>", then the lines), unmasked.
        if (Environment.GetEnvironmentVariable("KETENHUB_WALKTHROUGH_OUTPUT") is { Length: > 0 } dump)
        {
            await File.WriteAllTextAsync(dump, printed.ToString());
        }

        Assert.True(differences.Count == 0, $"The S1 walkthrough page and the hub disagree ({differences.Count}):\n\n{string.Join("\n\n", differences)}");
    }

    /// <summary>Runs one walkthrough line the way the shell would; returns the exit code and what the terminal shows.</summary>
    private async Task<(int ExitCode, IReadOnlyList<string> Shown)> RunAsync(string command, Dictionary<string, string> variables)
    {
        if (Assignment().Match(command) is { Success: true } assignment)
        {
            // NAME=$(ketenhub …): standard output goes into the variable; the terminal shows only standard error.
            var run = await RunToolAsync(assignment.Groups["command"].Value, variables);
            variables[assignment.Groups["name"].Value] = run.Output.Trim();
            return (run.ExitCode, Lines(run.Error));
        }

        var words = MarkdownWalkthrough.Words(command, variables);
        if (words is ["echo", .. var rest])
        {
            return (ExitCodes.Ok, [string.Join(' ', rest)]);
        }

        var result = await RunToolAsync(command, variables);
        return (result.ExitCode, Lines(result.Shown));
    }

    private async Task<ShownResult> RunToolAsync(string command, Dictionary<string, string> variables)
    {
        var words = MarkdownWalkthrough.Words(command, variables);
        if (words is not ["ketenhub", .. var args])
        {
            throw new InvalidOperationException("The walkthrough runs a command other than ketenhub: " + command);
        }

        var shown = new StringBuilder();
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var terminal = new StringWriter(shown);
        using var stdout = new TeeWriter(output, terminal);
        using var stderr = new TeeWriter(error, terminal);
        var host = new CliHost(stdout, stderr, _ => null, CliHost.PlainConsole(stdout, 120));
        var code = await KetenhubCli.RunAsync([.. args, "--hub", hub.Url], host).WaitAsync(CommandTimeout);
        return new ShownResult(code, output.ToString(), error.ToString(), shown.ToString());
    }

    private static List<string> Masked(IEnumerable<string> lines, IReadOnlySet<string> kept)
    {
        var masked = lines.Select(l => MarkdownWalkthrough.Mask(l, kept)).ToList();
        while (masked.Count > 0 && masked[^1].Length == 0)
        {
            masked.RemoveAt(masked.Count - 1);
        }

        return masked;
    }

    private static string[] Lines(string text)
    {
        var trimmed = text.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n');
        return trimmed.Length == 0 ? [] : trimmed.Split('\n');
    }

    private static string Difference(WalkthroughStep step, List<string> expected, List<string> actual)
    {
        var first = 0;
        while (first < expected.Count && first < actual.Count && expected[first] == actual[first])
        {
            first++;
        }

        var message = new StringBuilder($"{PagePath} line {step.Line}: $ {step.Command.TrimEnd()}\n");
        message.Append(FormattableString.Invariant($"  first difference at {PagePath} line {step.OutputLine + first}:\n"));
        message.Append("  page: ").Append(first < expected.Count ? expected[first] : "(nothing more)").Append('\n');
        message.Append("  hub:    ").Append(first < actual.Count ? actual[first] : "(nothing more)").Append('\n');
        message.Append("  --- page (masked) ---\n").AppendJoin('\n', expected.Select(l => "  " + l)).Append('\n');
        message.Append("  --- hub (masked) ---\n").AppendJoin('\n', actual.Select(l => "  " + l));
        return message.ToString();
    }

    [GeneratedRegex(@"^(?<name>[A-Za-z_][A-Za-z0-9_]*)=\$\((?<command>.*)\)\s*$")]
    private static partial Regex Assignment();

    private sealed record ShownResult(int ExitCode, string Output, string Error, string Shown);

    /// <summary>Writes to a stream of its own and to the shared terminal, so the terminal interleaves standard output and error as written.</summary>
    private sealed class TeeWriter(TextWriter own, TextWriter terminal) : TextWriter
    {
        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value)
        {
            own.Write(value);
            terminal.Write(value);
        }

        public override void Write(string? value)
        {
            own.Write(value);
            terminal.Write(value);
        }
    }
}

using Grpc.Core;
using Spectre.Console;

namespace Ketenhub.Cli;

/// <summary>
/// What the tool takes from its surroundings: environment variables, its two output streams and, for
/// tests, a replacement for the network. <see cref="FromProcess"/> gives the real ones.
/// </summary>
public sealed class CliHost
{
    /// <summary>Environment variable with the hub's address.</summary>
    public const string HubVariable = "KETENHUB_URL";

    /// <summary>Environment variable with the calling party.</summary>
    public const string PartyVariable = "KETENHUB_PARTY";

    /// <summary>Environment variable with a bearer token to call with.</summary>
    public const string TokenVariable = "KETENHUB_TOKEN";

    /// <summary>Width of tables when standard output is not a terminal and $COLUMNS is not set.</summary>
    public const int RedirectedWidth = 200;

    private readonly Func<string, string?> _environment;

    /// <param name="output">Standard output: results.</param>
    /// <param name="error">Standard error: errors and notes.</param>
    /// <param name="environment">Looks up an environment variable.</param>
    /// <param name="console">Renders tables to <paramref name="output"/>; by default a plain console of 120 columns.</param>
    /// <param name="callInvokerFactory">Replaces the gRPC channel to the hub (tests); null for a real channel.</param>
    public CliHost(TextWriter output, TextWriter error, Func<string, string?> environment, IAnsiConsole? console = null, Func<Uri, CallInvoker>? callInvokerFactory = null)
    {
        Output = output;
        Error = error;
        _environment = environment;
        Console = console ?? PlainConsole(output, 120);
        CallInvokerFactory = callInvokerFactory;
    }

    public TextWriter Output { get; }

    public TextWriter Error { get; }

    public IAnsiConsole Console { get; }

    public Func<Uri, CallInvoker>? CallInvokerFactory { get; }

    /// <summary>An environment variable; null when unset or blank.</summary>
    public string? Variable(string name) => _environment(name) is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

    /// <summary>The real process: its console and environment.</summary>
    public static CliHost FromProcess()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(System.Console.Out) });
        if (System.Console.IsOutputRedirected)
        {
            // Piped or captured output has no terminal width: use $COLUMNS, else wide enough that tables do not wrap.
            console.Profile.Width = int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out var columns) && columns > 0 ? columns : RedirectedWidth;
        }

        return new(System.Console.Out, System.Console.Error, Environment.GetEnvironmentVariable, console);
    }

    /// <summary>A console without colours or cursor movement that writes to <paramref name="writer"/>, <paramref name="width"/> columns wide.</summary>
    public static IAnsiConsole PlainConsole(TextWriter writer, int width)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = width;
        return console;
    }
}

using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using Grpc.Core;
using Ketenhub.Cli.Commands;

namespace Ketenhub.Cli;

/// <summary>The <c>ketenhub</c> command line: builds the command tree and runs it.</summary>
public static class KetenhubCli
{
    /// <summary>Parses <paramref name="args"/>, runs the command and returns its exit code (see <see cref="ExitCodes"/>).</summary>
    public static Task<int> RunAsync(string[] args, CliHost host, CancellationToken cancellationToken = default)
    {
        var root = Build(host);
        var parse = root.Parse(args);
        if (parse.Action is ParseErrorAction parseError)
        {
            // Errors and a pointer to the help, not the whole help text.
            parseError.ShowHelp = false;
            return ReportParseErrorsAsync(parse, host);
        }

        return parse.InvokeAsync(new InvocationConfiguration { Output = host.Output, Error = host.Error }, cancellationToken);
    }

    private static async Task<int> ReportParseErrorsAsync(ParseResult parse, CliHost host)
    {
        foreach (var error in parse.Errors)
        {
            await host.Error.WriteLineAsync("error: " + error.Message).ConfigureAwait(false);
        }

        var path = new List<string>();
        for (var result = parse.CommandResult; result is not null; result = result.Parent as CommandResult)
        {
            path.Insert(0, result.Command.Name);
        }

        path[0] = "ketenhub";
        await host.Error.WriteLineAsync($"See '{string.Join(' ', path)} --help'.").ConfigureAwait(false);
        return ExitCodes.Usage;
    }

    public static RootCommand Build(CliHost host)
    {
        var globals = new GlobalOptions(host);
        var context = new CliContext(host, globals);
        var root = new RootCommand("ketenhub: talk to a Ketenhub hub as one party (register clients, record consents, send transitions and signals, tail deliveries).");
        globals.AddTo(root);
        root.Subcommands.Add(ClientCommands.Client(context));
        root.Subcommands.Add(ClientCommands.Coach(context));
        root.Subcommands.Add(RepresentativeCommands.Create(context));
        root.Subcommands.Add(PlanCommands.Create(context));
        root.Subcommands.Add(ConsentCommands.Create(context));
        root.Subcommands.Add(MessageCommands.Transition(context));
        root.Subcommands.Add(MessageCommands.Signal(context));
        root.Subcommands.Add(MessageCommands.Explain(context));
        root.Subcommands.Add(DeliveryCommands.Create(context));
        root.Subcommands.Add(ClientCommands.Journey(context));
        root.Subcommands.Add(ReportCommands.Create(context));
        root.Subcommands.Add(Import.ImportCommand.Create(context));
        root.Subcommands.Add(HealthCommand.Create(context));
        root.Subcommands.Add(TokenCommand.Create(context));
        return root;
    }
}

/// <summary>What every command needs: the host and the global options, and one way to run an action.</summary>
public sealed class CliContext(CliHost host, GlobalOptions globals)
{
    public CliHost Host { get; } = host;

    public GlobalOptions Globals { get; } = globals;

    /// <summary>
    /// Sets the command's action: resolves the global options, runs <paramref name="body"/>, and turns usage
    /// errors and gRPC errors into their message and exit code.
    /// </summary>
    public void SetAction(Command command, Func<Invocation, ParseResult, CancellationToken, Task<int>> body, bool needsParty = true)
    {
        command.SetAction(async (parse, cancellationToken) =>
        {
            Invocation invocation;
            try
            {
                invocation = Invocation.Create(Host, Globals, parse, needsParty);
            }
            catch (CliUsageException ex)
            {
                await Host.Error.WriteLineAsync("error: " + ex.Message).ConfigureAwait(false);
                return ExitCodes.Usage;
            }

            using (invocation)
            {
                try
                {
                    return await body(invocation, parse, cancellationToken).ConfigureAwait(false);
                }
                catch (CliUsageException ex)
                {
                    await Host.Error.WriteLineAsync("error: " + ex.Message).ConfigureAwait(false);
                    return ExitCodes.Usage;
                }
                catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
                {
                    await Host.Error.WriteLineAsync("Cancelled.").ConfigureAwait(false);
                    return ExitCodes.Ok;
                }
                catch (RpcException ex)
                {
                    return ErrorReport.Write(ex, Host.Error, invocation.Hub, invocation.Json);
                }
            }
        });
    }
}

using System.CommandLine;
using Ketenhub.Contracts;

namespace Ketenhub.Cli;

/// <summary>The options every command takes: where the hub is, who calls, and how to print.</summary>
public sealed class GlobalOptions
{
    public const string DefaultHub = "http://127.0.0.1:5080";

    public GlobalOptions(CliHost host)
    {
        Hub = new Option<string>("--hub")
        {
            Description = $"Address of the hub. Defaults to ${CliHost.HubVariable}, else {DefaultHub}.",
            HelpName = "url",
            Recursive = true,
            DefaultValueFactory = _ => host.Variable(CliHost.HubVariable) ?? DefaultHub,
        };
        As = new Option<string>("--as")
        {
            Description = $"The calling party's id, for example hans-petrischool (development identity, sent as the {DevelopmentHeaders.Party} header; a hub honours it only in Development). Defaults to ${CliHost.PartyVariable}.",
            HelpName = "party",
            Recursive = true,
            DefaultValueFactory = _ => host.Variable(CliHost.PartyVariable) ?? string.Empty,
        };
        Token = new Option<string>("--token")
        {
            Description = $"A bearer token to call with (from your identity provider, or 'ketenhub token' for a development hub). Defaults to ${CliHost.TokenVariable}.",
            HelpName = "token",
            Recursive = true,
            DefaultValueFactory = _ => host.Variable(CliHost.TokenVariable) ?? string.Empty,
        };
        Json = new Option<bool>("--json")
        {
            Description = "Print the hub's response as protobuf JSON instead of tables.",
            Recursive = true,
        };
        RequestId = new Option<string>("--request-id")
        {
            Description = "Idempotency key of the request; repeat it to retry safely. Generated when absent.",
            HelpName = "id",
            Recursive = true,
        };
    }

    public Option<string> Hub { get; }

    public Option<string> As { get; }

    public Option<string> Token { get; }

    public Option<bool> Json { get; }

    public Option<string> RequestId { get; }

    public void AddTo(Command command)
    {
        command.Options.Add(Hub);
        command.Options.Add(As);
        command.Options.Add(Token);
        command.Options.Add(Json);
        command.Options.Add(RequestId);
    }
}

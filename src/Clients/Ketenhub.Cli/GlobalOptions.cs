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
        ClientCertificate = new Option<FileInfo>("--client-cert")
        {
            Description = "A client certificate to present in the TLS handshake (mutual TLS on the hub's partner endpoint): a PEM certificate with --client-key, or a PKCS#12 file without a password. Needs an https:// --hub.",
            HelpName = "file",
            Recursive = true,
        };
        ClientKey = new Option<FileInfo>("--client-key")
        {
            Description = "The unencrypted PEM private key of a PEM --client-cert.",
            HelpName = "file",
            Recursive = true,
        };
        CaFile = new Option<FileInfo>("--ca-file")
        {
            Description = "PEM file with the root certificate(s) that the hub's server certificate must chain to, instead of the machine's trust store (a private CA of a pilot, say). Needs an https:// --hub.",
            HelpName = "file",
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

    public Option<FileInfo> ClientCertificate { get; }

    public Option<FileInfo> ClientKey { get; }

    public Option<FileInfo> CaFile { get; }

    public void AddTo(Command command)
    {
        command.Options.Add(Hub);
        command.Options.Add(As);
        command.Options.Add(Token);
        command.Options.Add(Json);
        command.Options.Add(RequestId);
        command.Options.Add(ClientCertificate);
        command.Options.Add(ClientKey);
        command.Options.Add(CaFile);
    }
}

using System.CommandLine;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Ketenhub.Contracts;
using Spectre.Console;

namespace Ketenhub.Cli;

/// <summary>One run of a command: the resolved global options and the connection to the hub, calling as the party.</summary>
public sealed class Invocation : IDisposable
{
    /// <summary>How long one unary call may take.</summary>
    public static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    private static readonly JsonFormatter IndentedJson = new(JsonFormatter.Settings.Default.WithIndentation());
    private static readonly JsonFormatter CompactJson = new(JsonFormatter.Settings.Default);

    private readonly GrpcChannel? _channel;
    private readonly string _requestIdBase;
    private int _requests;

    private Invocation(CliHost host, Uri hub, string party, bool json, string requestIdBase, GrpcChannel? channel, CallInvoker invoker)
    {
        Host = host;
        Hub = hub;
        Party = party;
        Json = json;
        _requestIdBase = requestIdBase;
        _channel = channel;
        Invoker = invoker;
    }

    public CliHost Host { get; }

    public Uri Hub { get; }

    /// <summary>The calling party's id; empty for calls that name none (health).</summary>
    public string Party { get; }

    public bool Json { get; }

    public CallInvoker Invoker { get; }

    public IAnsiConsole Console => Host.Console;

    /// <summary>Resolves the global options; a usage error when the hub address is not a URL or a call needs a party and none is named.</summary>
    public static Invocation Create(CliHost host, GlobalOptions globals, ParseResult parse, bool needsParty)
    {
        var hubText = parse.GetValue(globals.Hub) ?? GlobalOptions.DefaultHub;
        if (!Uri.TryCreate(hubText, UriKind.Absolute, out var hub) || (hub.Scheme != Uri.UriSchemeHttp && hub.Scheme != Uri.UriSchemeHttps))
        {
            throw new CliUsageException($"--hub: '{hubText}' is not an http:// or https:// address.");
        }

        var party = parse.GetValue(globals.As)?.Trim() ?? string.Empty;
        if (party.StartsWith("parties/", StringComparison.Ordinal))
        {
            party = party["parties/".Length..];
        }

        var token = parse.GetValue(globals.Token)?.Trim() ?? string.Empty;
        var tls = TlsSettings.From(parse, globals, hub);
        if (needsParty && party.Length == 0 && token.Length == 0 && tls?.ClientCertificate is null)
        {
            throw new CliUsageException($"Identify the caller with --token <bearer token> (or ${CliHost.TokenVariable}), with --client-cert on the hub's mutual TLS endpoint, or on a development hub with --as <party id> (or ${CliHost.PartyVariable}).");
        }

        var requestId = parse.GetValue(globals.RequestId)?.Trim();
        if (string.IsNullOrEmpty(requestId))
        {
            requestId = "cli-" + Guid.NewGuid().ToString("N");
        }

        GrpcChannel? channel = null;
        CallInvoker invoker;
        if (host.CallInvokerFactory is { } factory)
        {
            invoker = factory(hub);
        }
        else
        {
#pragma warning disable CA2000 // The channel owns the handler (DisposeHttpClient), and the invocation owns the channel.
            channel = GrpcChannel.ForAddress(hub, new GrpcChannelOptions
            {
                MaxReceiveMessageSize = 16 * 1024 * 1024,
                HttpHandler = tls?.CreateHandler(),
                DisposeHttpClient = true,
            });
#pragma warning restore CA2000
            invoker = channel.CreateCallInvoker();
        }

        if (party.Length > 0 || token.Length > 0)
        {
            invoker = invoker.Intercept(metadata =>
            {
                if (party.Length > 0)
                {
                    metadata.Add(DevelopmentHeaders.Party, party);
                }

                if (token.Length > 0)
                {
                    metadata.Add("authorization", "Bearer " + token);
                }

                return metadata;
            });
        }

        return new Invocation(host, hub, party, parse.GetValue(globals.Json), requestId, channel, invoker);
    }

    /// <summary>
    /// The request id of the next mutating call: the invocation's id for the first, then the same id with a
    /// counter, so a command that writes several times (acknowledging deliveries) never reuses one.
    /// </summary>
    public string NextRequestId()
    {
        var n = Interlocked.Increment(ref _requests);
        return n == 1 ? _requestIdBase : $"{_requestIdBase}-{n}";
    }

    /// <summary>Options for a unary call: a deadline and the command's cancellation.</summary>
    public CallOptions Unary(CancellationToken cancellationToken) =>
        new(deadline: TimeProvider.System.GetUtcNow().UtcDateTime + CallTimeout, cancellationToken: cancellationToken);

    /// <summary>Writes a response as indented protobuf JSON.</summary>
    public void WriteJson(IMessage message) => Host.Output.WriteLine(IndentedJson.Format(message));

    /// <summary>Writes a response as one line of protobuf JSON, for streams.</summary>
    public void WriteJsonLine(IMessage message) => Host.Output.WriteLine(CompactJson.Format(message));

    /// <summary>A note for the person at the terminal, on standard error so that standard output stays the result.</summary>
    public void Note(string text) => Host.Error.WriteLine(text);

    public void Dispose() => _channel?.Dispose();
}

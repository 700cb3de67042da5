using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Retention;

namespace Ketenhub.Hub.Host.Retention;

/// <summary>
/// <c>Ketenhub.Hub erase --client NAME --ground GROUND --officer USER [--party PARTY]</c>: erases a client at a privacy
/// officer's request on the hub's own host (the same settings as the hub, so <c>--Storage:DataDirectory</c> points it
/// elsewhere), as <c>ClientService.EraseClient</c> does, and exits (docs/privacy.md, "Erasure on request"). NAME is the
/// hub's name for the client (<c>clients/cli_…</c>), or the name a party uses with <c>--party</c> naming that party.
/// The erasure is audited with the officer as the person and the ground as its basis. Exit code 0 when the client is
/// erased (now or before), 1 when it is refused (a legal retention applies) or the client is unknown, 2 when the
/// command line is wrong.
/// </summary>
public static partial class EraseCommand
{
    public const string Name = "erase";
    public const int Erased = 0;
    public const int Refused = 1;
    public const int Usage = 2;

    public static async Task<int> RunAsync(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Ketenhub.Hub.CommandLine");
        var configuration = app.Configuration;
        var client = configuration["client"];
        var officer = configuration["officer"];
        if (string.IsNullOrWhiteSpace(client) || string.IsNullOrWhiteSpace(officer) || ClientErasure.Parse(configuration["ground"]) is not { } ground)
        {
            LogUsage(logger, string.Join(", ", Enum.GetValues<ErasureGround>().Where(g => g != ErasureGround.Unspecified).Select(ClientErasure.Code)));
            return Usage;
        }

        if (configuration["party"] is { Length: > 0 } party)
        {
            // A party's own name for the client (clients/cl_…) back to the hub's.
            var names = app.Services.GetRequiredService<ClientNames>();
            client = ClientNames.Collection + "/" + names.Resolve(party, Ids.Parse(client, ClientNames.Collection) ?? client);
        }
        else if (!client.StartsWith(ClientNames.Collection + "/", StringComparison.Ordinal))
        {
            client = ClientNames.Collection + "/" + client;
        }

        try
        {
            var result = await app.Services.GetRequiredService<ClientErasure>().EraseAsOperatorAsync(officer, client, ground, app.Lifetime.ApplicationStopping).ConfigureAwait(false);
            if (result.AlreadyErased)
            {
                LogAlreadyErased(logger, result.ClientId);
            }
            else
            {
                var code = ClientErasure.Code(ground);
                LogErased(logger, result.ClientId, result.Messages, result.DeliveryPayloads, result.RelatedRecords, code);
                if (!result.Scrubbed)
                {
                    LogNotScrubbed(logger);
                }
            }

            return Erased;
        }
        catch (HubException ex) when (ex.Category is ErrorCategory.FailedPrecondition or ErrorCategory.NotFound or ErrorCategory.InvalidArgument)
        {
            // The reason and its metadata are codes and hub names, never personal data.
            var details = string.Join(", ", ex.Metadata.Select(m => m.Key + "=" + m.Value));
            LogRefused(logger, ex.Reason, details);
            return ex.Category == ErrorCategory.InvalidArgument ? Usage : Refused;
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "erase needs --client NAME (clients/cli_…, or a party's name with --party PARTY), --officer USER (the privacy officer, for the audit trail) and --ground GROUND, one of: {Grounds}")]
    private static partial void LogUsage(ILogger logger, string grounds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Erased client {ClientId} on ground {Ground}: content of {Messages} messages and {Payloads} delivery payloads erased, {Related} related records removed; the audit trail records it")]
    private static partial void LogErased(ILogger logger, string clientId, int messages, int payloads, int related, string ground);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The store was busy: older page versions of the erased data go at its next full checkpoint (docs/privacy.md, \"On disk\")")]
    private static partial void LogNotScrubbed(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Client {ClientId} was erased before; nothing changed")]
    private static partial void LogAlreadyErased(ILogger logger, string clientId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Erasure refused ({Reason}): {Details}; nothing was changed")]
    private static partial void LogRefused(ILogger logger, string reason, string details);
}

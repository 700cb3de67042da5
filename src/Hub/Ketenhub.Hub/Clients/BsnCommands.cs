using Ketenhub.Hub.Clients;

namespace Ketenhub.Hub.Host.Clients;

/// <summary>
/// The hub's command-line modes: <c>Ketenhub.Hub reencrypt-bsn</c> rewrites every stored BSN, and every stored
/// document with free text about a client, under the active key of <c>Hub:BsnEncryption</c> and exits (0 when done). Run it after making a new key active, with the old
/// keys still configured; afterwards the old keys can be removed.
/// </summary>
public static partial class HubCommandLine
{
    public const string ReencryptBsn = "reencrypt-bsn";

    /// <summary>The command named by the first argument, or null to serve.</summary>
    public static string? CommandOf(string[] args) => args.Length > 0 && !args[0].StartsWith('-') && !args[0].Contains('=', StringComparison.Ordinal) ? args[0] : null;

    public static async Task<int> RunAsync(WebApplication app, string command)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Ketenhub.Hub.CommandLine");
        if (command == Retention.EraseCommand.Name)
        {
            return await Retention.EraseCommand.RunAsync(app).ConfigureAwait(false);
        }

        if (command != ReencryptBsn)
        {
            LogUnknown(logger, command, ReencryptBsn + ", " + Retention.EraseCommand.Name);
            return 2;
        }

        var protector = app.Services.GetRequiredService<BsnProtector>();
        var rotation = app.Services.GetRequiredService<BsnKeyRotation>();
        try
        {
            var result = await rotation.ReencryptAllAsync(app.Lifetime.ApplicationStopping).ConfigureAwait(false);
            LogDone(logger, result.Rewritten, result.Examined, protector.ActiveKeyId);
            var documents = await app.Services.GetRequiredService<Ketenhub.Hub.Storage.IHubStore>().ResealDocumentsAsync(app.Lifetime.ApplicationStopping).ConfigureAwait(false);
            LogDocumentsDone(logger, documents.Rewritten, documents.Examined, protector.ActiveKeyId);
            return 0;
        }
        catch (Common.HubException ex) when (ex.Reason == Common.ErrorReasons.BsnKeyUnavailable)
        {
            LogKeyMissing(logger, ex.Reason);
            return 1;
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unknown command '{Command}'; the hub knows: {Known}")]
    private static partial void LogUnknown(ILogger logger, string command, string known);

    [LoggerMessage(Level = LogLevel.Information, Message = "Re-encrypted {Rewritten} of {Examined} stored BSNs under key '{KeyId}'")]
    private static partial void LogDone(ILogger logger, int rewritten, int examined, string keyId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Re-encrypted {Rewritten} of {Examined} stored documents with free text under key '{KeyId}'")]
    private static partial void LogDocumentsDone(ILogger logger, int rewritten, int examined, string keyId);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Re-encryption stopped ({Reason}): a stored BSN uses a key that is not configured under Hub:BsnEncryption:Keys; earlier pages are rewritten, nothing else changed")]
    private static partial void LogKeyMissing(ILogger logger, string reason);
}

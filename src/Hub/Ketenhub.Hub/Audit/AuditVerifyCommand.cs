using Ketenhub.Hub.Audit;
using Ketenhub.Hub.Storage;
using Ketenhub.Hub.Storage.Sqlite;

namespace Ketenhub.Hub.Host.Audit;

/// <summary>
/// <c>Ketenhub.Hub audit verify</c>: checks the audit trail's hash chain in the hub's database (the same settings
/// as the hub, so <c>--Storage:DataDirectory &lt;folder&gt;</c> points it elsewhere) without starting the hub.
/// Prints one sentence; exit code 0 when the trail is intact, 2 when it is broken (the sentence names the first
/// bad event), 1 when there is no database to check.
/// </summary>
public static class AuditVerifyCommand
{
    public const int Intact = 0;
    public const int NoDatabase = 1;
    public const int Broken = 2;

    public static async Task<int> RunAsync(string[] args, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        var storage = builder.Configuration.GetSection(StorageOptions.Section).Get<StorageOptions>() ?? new StorageOptions();
        var options = new SqliteStoreOptions { DataDirectory = Path.GetFullPath(storage.DataDirectory) };
        if (!File.Exists(options.DatabasePath))
        {
            await output.WriteLineAsync($"There is no hub database at {options.DatabasePath}.").ConfigureAwait(false);
            return NoDatabase;
        }

        await using var store = new SqliteHubStore(options, TimeProvider.System);
        var result = await store.ReadAsync(session => AuditVerifier.Verify((after, limit) => session.ListAuditRecords(new AuditQuery(after, limit)))).ConfigureAwait(false);
        await output.WriteLineAsync(result.Describe()).ConfigureAwait(false);
        return result.Intact ? Intact : Broken;
    }
}

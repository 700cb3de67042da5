using Ketenhub.Hub.Audit;
using Ketenhub.Hub.Storage;
using Ketenhub.Hub.Storage.Sqlite;

namespace Ketenhub.Hub.Host.Audit;

/// <summary>
/// <c>Ketenhub.Hub audit verify</c>: checks the audit trail's hash chain in the hub's database (the same settings
/// as the hub, so <c>--Storage:DataDirectory &lt;folder&gt;</c> points it elsewhere) without starting the hub.
/// Prints one sentence; exit code 0 when the trail is intact, 2 when it is broken (the sentence names the first
/// bad event), 1 when there is no database to check.
/// <para>
/// The chain alone cannot show that its last events were removed. <c>--expect-head &lt;sequence&gt;:&lt;hash&gt;</c>
/// takes a head an earlier verification printed (kept outside the hub) and also requires that event to be still
/// in the trail, unchanged: a trail cut back before it, or rebuilt, is reported as broken.
/// </para>
/// </summary>
public static class AuditVerifyCommand
{
    public const int Intact = 0;
    public const int NoDatabase = 1;
    public const int Broken = 2;

    /// <summary>The option that names a head recorded earlier.</summary>
    public const string ExpectHeadOption = "expect-head";

    public static async Task<int> RunAsync(string[] args, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        AuditHead? expected = null;
        if (builder.Configuration[ExpectHeadOption] is { } head)
        {
            expected = ParseHead(head);
            if (expected is null)
            {
                await output.WriteLineAsync($"--{ExpectHeadOption} needs <sequence>:<hash> as a verification printed it, for example 42:3f0c… (64 hex digits).").ConfigureAwait(false);
                return NoDatabase;
            }
        }

        var storage = builder.Configuration.GetSection(StorageOptions.Section).Get<StorageOptions>() ?? new StorageOptions();
        var options = new SqliteStoreOptions { DataDirectory = Path.GetFullPath(storage.DataDirectory) };
        if (!File.Exists(options.DatabasePath))
        {
            await output.WriteLineAsync($"There is no hub database at {options.DatabasePath}.").ConfigureAwait(false);
            return NoDatabase;
        }

        await using var store = new SqliteHubStore(options, TimeProvider.System);
        var (result, kept) = await store.ReadAsync(session =>
        {
            var verification = AuditVerifier.Verify((after, limit) => session.ListAuditRecords(new AuditQuery(after, limit)));
            var records = expected is null ? [] : session.ListAuditRecords(new AuditQuery(expected.Sequence - 1, 1));
            return (verification, records.Count > 0 ? records[0] : null);
        }).ConfigureAwait(false);
        await output.WriteLineAsync(result.Describe()).ConfigureAwait(false);
        if (!result.Intact)
        {
            return Broken;
        }

        if (expected is not null)
        {
            if (kept is null || kept.Sequence != expected.Sequence)
            {
                await output.WriteLineAsync($"The audit trail is broken: event {expected.Sequence}, the head recorded earlier, is missing (the trail was cut back to {result.Head?.Sequence ?? 0} events).").ConfigureAwait(false);
                return Broken;
            }

            if (!string.Equals(kept.Hash, expected.Hash, StringComparison.OrdinalIgnoreCase))
            {
                await output.WriteLineAsync($"The audit trail is broken: event {expected.Sequence}, the head recorded earlier, has another hash now (the trail was rebuilt from there or before).").ConfigureAwait(false);
                return Broken;
            }

            await output.WriteLineAsync($"The head recorded earlier, event {expected.Sequence}, is still in the trail.").ConfigureAwait(false);
        }

        return Intact;
    }

    private static AuditHead? ParseHead(string text)
    {
        var parts = text.Trim().Split(':', 2);
        return parts.Length == 2
            && long.TryParse(parts[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var sequence) && sequence > 0
            && parts[1].Length == 64 && parts[1].All(Uri.IsHexDigit)
            ? new AuditHead(sequence, parts[1])
            : null;
    }
}

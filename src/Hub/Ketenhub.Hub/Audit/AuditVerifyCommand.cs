using Ketenhub.Hub.Audit;
using Ketenhub.Hub.Configuration;
using Ketenhub.Hub.Storage;
using Ketenhub.Hub.Storage.Postgres;
using Ketenhub.Hub.Storage.Sqlite;

namespace Ketenhub.Hub.Host.Audit;

/// <summary>
/// <c>Ketenhub.Hub audit verify</c>: checks the audit trail's hash chain in the hub's database (the same settings
/// as the hub, so <c>--Storage:DataDirectory &lt;folder&gt;</c> points it elsewhere) without starting the hub, then
/// checks it against the hub's signed checkpoints (<c>Hub:Audit:Checkpoints</c>): every checkpoint's event must still
/// be in the chain with the same hash. After retention removed the oldest events (<c>Hub:Retention:AuditEvents</c>) the
/// chain is checked from the recorded start, which a signed checkpoint must vouch for; without checkpoints the output
/// says at which event the trail starts. Prints plain sentences; exit code 0 when the trail is intact, 2 when it is
/// broken (it names the first bad event: altered, missing or out of place, the first event removed from the end, or
/// the event a rebuilt trail no longer matches; or the checkpoint line that was altered), 1 when there is nothing to
/// check or the command line is wrong.
/// <para>
/// The checkpoints are checked with <c>--checkpoint-key &lt;pem&gt;</c> (best: the public key, kept where the
/// hub's operators cannot change it), else the hub's own <c>Hub:Audit:Checkpoints:SigningKeyFile</c>, else in
/// Development the key the hub generated into its data folder.
/// <c>--expect-head &lt;sequence&gt;:&lt;hash&gt;</c> takes a head an earlier verification printed (kept outside the
/// hub) and also requires that event to be still in the trail, unchanged. An intact trail's head is printed in that
/// form (<c>Audit head: &lt;sequence&gt;:&lt;hash&gt;</c>), so a head recorded before a PostgreSQL dump checks its restore.
/// </para>
/// </summary>
public static class AuditVerifyCommand
{
    public const int Intact = 0;
    public const int NoDatabase = 1;
    public const int Broken = 2;

    /// <summary>The option that names a head recorded earlier.</summary>
    public const string ExpectHeadOption = "expect-head";

    /// <summary>The option that names the key (public or private PEM) to check the checkpoints with.</summary>
    public const string CheckpointKeyOption = "checkpoint-key";

    public static async Task<int> RunAsync(string[] args, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var builder = WebApplication.CreateBuilder(HubEnvironment.Options(args));
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

        StorageOptions storage;
        AuditCheckpointOptions checkpointSettings;
        try
        {
            storage = builder.Configuration.GetSection(StorageOptions.Section).Get<StorageOptions>() ?? new StorageOptions();
            checkpointSettings = builder.Configuration.GetSection(AuditCheckpointOptions.Section).Get<AuditCheckpointOptions>() ?? new AuditCheckpointOptions();
        }
        catch (InvalidOperationException)
        {
            var problems = SettingTypes.Problems(builder.Configuration, StorageOptions.Section, typeof(StorageOptions))
                .Concat(SettingTypes.Problems(builder.Configuration, AuditCheckpointOptions.Section, typeof(AuditCheckpointOptions)));
            foreach (var problem in problems)
            {
                await output.WriteLineAsync(problem).ConfigureAwait(false);
            }

            return NoDatabase;
        }

        var options = new SqliteStoreOptions { DataDirectory = Path.GetFullPath(storage.DataDirectory) };
        if (!storage.IsPostgres && !File.Exists(options.DatabasePath))
        {
            await output.WriteLineAsync($"There is no hub database at {options.DatabasePath}.").ConfigureAwait(false);
            return NoDatabase;
        }

        // The checkpoints: read before the chain, so every checkpoint's event is in what is read next.
        AuditCheckpointReading? checkpoints = null;
        var keyFile = builder.Configuration[CheckpointKeyOption];
        if (string.IsNullOrWhiteSpace(keyFile) && checkpointSettings.Enabled)
        {
            keyFile = !string.IsNullOrWhiteSpace(checkpointSettings.SigningKeyFile)
                ? checkpointSettings.SigningKeyFile
                : builder.Environment.IsDevelopment() && File.Exists(AuditCheckpointOptions.DevelopmentKeyFile(options.DataDirectory))
                    ? AuditCheckpointOptions.DevelopmentKeyFile(options.DataDirectory)
                    : null;
        }

        var folder = checkpointSettings.FolderFor(options.DataDirectory);
        if (!string.IsNullOrWhiteSpace(keyFile))
        {
            using var key = AuditCheckpointOptions.ReadKey(keyFile, out var problem);
            if (key is null)
            {
                await output.WriteLineAsync($"The checkpoint key {keyFile} {problem}").ConfigureAwait(false);
                return NoDatabase;
            }

            checkpoints = AuditCheckpointFile.Read(folder, key);
        }
        else if (checkpointSettings.Enabled && File.Exists(Path.Combine(folder, AuditCheckpointFile.FileName)))
        {
            await output.WriteLineAsync($"There are audit checkpoints in {folder} but no key to check them: pass --{CheckpointKeyOption} <the public key's PEM file>.").ConfigureAwait(false);
            return NoDatabase;
        }

        // With PostgreSQL the chain is the database's (one for every instance); the checkpoints are still this
        // instance's files under Storage:DataDirectory.
        IHubStore store = storage.IsPostgres
            ? new PostgresHubStore(new PostgresStoreOptions { ConnectionString = storage.ConnectionString }, TimeProvider.System)
            : new SqliteHubStore(options, TimeProvider.System);
        await using var closing = (IAsyncDisposable)store;
        var (result, kept) = await store.ReadAsync(session =>
        {
            var verification = AuditCheckpointCheck.Verify((after, limit) => session.ListAuditRecords(new AuditQuery(after, limit)), checkpoints, start: session.GetAuditStart());
            var records = expected is null ? [] : session.ListAuditRecords(new AuditQuery(expected.Sequence - 1, 1));
            return (verification, records.Count > 0 ? records[0] : null);
        }).ConfigureAwait(false);
        await output.WriteLineAsync(result.Describe()).ConfigureAwait(false);
        if (checkpoints is null)
        {
            await output.WriteLineAsync(checkpointSettings.Enabled
                ? "No checkpoint key is configured, so the trail was not checked against signed checkpoints."
                : "Audit checkpoints are switched off (Hub:Audit:Checkpoints:Enabled), so the trail was checked by its hash chain alone.").ConfigureAwait(false);
        }

        if (!result.Intact)
        {
            return Broken;
        }

        if (expected is not null && result.Start is { } start && expected.Sequence <= start.Sequence)
        {
            // The head recorded earlier was removed by retention since: only the start itself can still be compared.
            if (expected.Sequence == start.Sequence && !string.Equals(start.Hash, expected.Hash, StringComparison.OrdinalIgnoreCase))
            {
                await output.WriteLineAsync($"The audit trail is broken: event {expected.Sequence}, the head recorded earlier, has another hash than the trail starts from.").ConfigureAwait(false);
                return Broken;
            }

            await output.WriteLineAsync($"The head recorded earlier, event {expected.Sequence}, was removed by retention: the trail starts after event {start.Sequence}.").ConfigureAwait(false);
        }
        else if (expected is not null)
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

        if (result.Head is { } verified)
        {
            await output.WriteLineAsync($"Audit head: {verified.Sequence}:{verified.Hash} (check a backup or a restore of this trail with audit verify --{ExpectHeadOption} {verified.Sequence}:{verified.Hash}).").ConfigureAwait(false);
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

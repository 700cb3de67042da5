using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Ketenhub.Contracts;
using Ketenhub.Contracts.V1;
using Ketenhub.Hub.Audit;
using Ketenhub.Hub.Host.Audit;
using Ketenhub.Hub.Host.Transport;
using Ketenhub.Hub.Storage;
using Ketenhub.Hub.Storage.Sqlite;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Domain = Ketenhub.Hub.Audit;

namespace Ketenhub.HubTests.Integration;

/// <summary>
/// Signed checkpoints of the audit head, written outside the database, through the real host and real SQLite files:
/// a trail rebuilt with the same hash function, a cut tail and an altered checkpoint line are all found by
/// <c>audit verify</c> and by the API, which the chain alone cannot do.
/// </summary>
public sealed class AuditCheckpointTests : IDisposable
{
    private readonly HubFactory _hub = new HubFactory().With("Hub:Audit:Checkpoints:Interval", "00:05:00");
    private readonly List<GrpcChannel> _channels = [];
    private readonly string _copy = Path.Combine(Path.GetTempPath(), "ketenhub-tests", Guid.NewGuid().ToString("N") + "-copy");

    public void Dispose()
    {
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }

        _hub.Dispose();
        if (Directory.Exists(_copy))
        {
            Directory.Delete(_copy, recursive: true);
        }
    }

    private string DatabasePath => Path.Combine(_hub.DataDirectory, "ketenhub.db");

    private string CheckpointFolder => Path.Combine(_hub.DataDirectory, AuditCheckpointOptions.DefaultFolderName);

    private string CheckpointFile => Path.Combine(CheckpointFolder, AuditCheckpointFile.FileName);

    private string KeyFile => AuditCheckpointOptions.DevelopmentKeyFile(_hub.DataDirectory);

    private AuditCheckpointWriter Writer => _hub.Services.GetRequiredService<AuditCheckpointWriter>();

    private AuditService.AuditServiceClient Auditor()
    {
        var channel = GrpcChannel.ForAddress(_hub.Server.BaseAddress, new GrpcChannelOptions { HttpHandler = _hub.Server.CreateHandler() });
        _channels.Add(channel);
        return new AuditService.AuditServiceClient(channel.Intercept(metadata =>
        {
            metadata.Add(DevelopmentHeaders.Party, "sdd");
            metadata.Add(Callers.RolesHeader, "privacy-officer");
            return metadata;
        }));
    }

    /// <summary>Events in the trail: clients registered with a coach, each a few audited calls.</summary>
    private async Task MakeEventsAsync(int clients)
    {
        var waakvlam = _hub.As("waakvlam-zorg");
        for (var i = 0; i < clients; i++)
        {
            await Kit.ClientWithCoachAsync(waakvlam);
        }
    }

    private static List<object?[]> Sql(string database, string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<object?[]>();
        do
        {
            while (reader.Read())
            {
                var row = new object?[reader.FieldCount];
                reader.GetValues(row!);
                rows.Add(row);
            }
        }
        while (reader.NextResult());

        return rows;
    }

    private long HeadSequence(string database) => (long)Sql(database, "SELECT max(sequence) FROM audit_events;")[0][0]!;

    /// <summary>Runs <c>audit verify</c> on a data folder, checking the checkpoints with the key the development hub generated.</summary>
    private async Task<(int Code, string Output)> VerifyAsync(string dataDirectory, params string[] more)
    {
        using var output = new StringWriter();
        string[] args =
        [
            "--Storage:DataDirectory=" + dataDirectory,
            "--Hub:Audit:Checkpoints:Directory=" + CheckpointFolder,
            "--checkpoint-key=" + KeyFile,
            .. more,
        ];
        var code = await AuditVerifyCommand.RunAsync(args, output);
        return (code, output.ToString());
    }

    /// <summary>A copy of the hub's database (its committed state) in another data folder.</summary>
    private string CopyDatabase()
    {
        Directory.CreateDirectory(_copy);
        var copy = Path.Combine(_copy, "ketenhub.db");
        Sql(DatabasePath, $"VACUUM INTO '{copy.Replace("'", "''", StringComparison.Ordinal)}';");
        return copy;
    }

    /// <summary>
    /// What someone with write access to the file and the hub's code could do: drop the triggers, delete the whole trail
    /// and write a fresh, valid chain of <paramref name="count"/> made-up events with the same hash function.
    /// </summary>
    private static async Task RebuildChainAsync(string database, int count)
    {
        Sql(database, "DROP TRIGGER audit_events_append_only_update; DROP TRIGGER audit_events_prune_to_start; DELETE FROM audit_events;");
        await using var store = new SqliteHubStore(new SqliteStoreOptions { DataDirectory = Path.GetDirectoryName(database)! });
        var time = new DateTimeOffset(2026, 1, 5, 9, 0, 0, TimeSpan.Zero);
        for (var i = 1; i <= count; i++)
        {
            var made = new Domain.AuditEvent
            {
                Id = $"aud_rebuilt_{i:D4}",
                Time = time.AddSeconds(i),
                EventType = "ListParties",
                Action = Domain.AuditAction.Read,
                ActorParty = "sdd",
                Outcome = Domain.AuditOutcome.Success,
            };
            await store.WriteAsync(session =>
            {
                session.AppendAuditRecord(AuditChain.Next(session.GetAuditHead(), made));
                return true;
            });
        }
    }

    [Fact]
    public async Task TheWriter_SignsTheHead_OnlyWhenItMoved_OnItsInterval_AndTheKeyStaysOutOfTheDatabase()
    {
        await MakeEventsAsync(2);
        var head = HeadSequence(DatabasePath);

        var first = await Writer.WriteNowAsync(CancellationToken.None);
        Assert.NotNull(first);
        Assert.Equal(head, first!.Sequence);
        Assert.Equal(_hub.Clock.GetUtcNow(), first.Time);
        Assert.Null(await Writer.WriteNowAsync(CancellationToken.None));

        // The interval passes on the hub's clock after more events: the writer signs the new head by itself.
        await MakeEventsAsync(1);
        var moved = HeadSequence(DatabasePath);
        _hub.Clock.Advance(TimeSpan.FromMinutes(5));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (File.ReadAllLines(CheckpointFile).Length < 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        using var key = AuditCheckpointOptions.ReadKey(KeyFile, out _)!;
        var reading = AuditCheckpointFile.Read(CheckpointFolder, key);
        Assert.Empty(reading.Altered);
        Assert.Equal([head, moved], reading.Checkpoints.Select(c => c.Sequence));

        // An idle interval writes nothing.
        _hub.Clock.Advance(TimeSpan.FromMinutes(5));
        await Task.Delay(200);
        Assert.Equal(2, File.ReadAllLines(CheckpointFile).Length);

        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(CheckpointFile));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(KeyFile));
        }

        var (code, output) = await VerifyAsync(_hub.DataDirectory);
        Assert.Equal(AuditVerifyCommand.Intact, code);
        Assert.Contains($"It matches all 2 checkpoints in {CheckpointFile}; the newest vouches for event {moved}", output, StringComparison.Ordinal);

        // At shutdown the head is signed once more, if it moved.
        await MakeEventsAsync(1);
        var last = HeadSequence(DatabasePath);
        await Writer.StopAsync(CancellationToken.None);
        Assert.Equal([head, moved, last], AuditCheckpointFile.Read(CheckpointFolder, key).Checkpoints.Select(c => c.Sequence));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AChainRebuiltWithTheSameHashFunction_IsFound(bool longer)
    {
        await MakeEventsAsync(2);
        var checkpoint = (await Writer.WriteNowAsync(CancellationToken.None))!;
        await MakeEventsAsync(1);
        var copy = CopyDatabase();

        // A fresh chain with other events: longer than the checkpoint's event, or shorter.
        var count = longer ? (int)checkpoint.Sequence + 7 : (int)checkpoint.Sequence - 3;
        await RebuildChainAsync(copy, count);

        // The chain alone is intact: only the checkpoint tells.
        var (chainOnly, chainOutput) = await VerifyAsync(_copy, "--Hub:Audit:Checkpoints:Enabled=false", "--checkpoint-key=");
        Assert.Equal(AuditVerifyCommand.Intact, chainOnly);
        Assert.Contains($"The audit trail is intact: {count} events", chainOutput, StringComparison.Ordinal);

        var (code, output) = await VerifyAsync(_copy);
        Assert.Equal(AuditVerifyCommand.Broken, code);
        Assert.Contains(
            longer
                ? $"event {checkpoint.Sequence} has another hash than the checkpoint signed at"
                : $"it ends at event {count}, but the checkpoint signed at",
            output,
            StringComparison.Ordinal);
        Assert.Contains(longer ? $"the trail was rebuilt at event {checkpoint.Sequence} or before" : $"event {count + 1} and the events after it were removed", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACutTail_IsFound_WithTheFirstMissingEvent_ByTheCommandAndTheApi()
    {
        await MakeEventsAsync(3);
        var early = (await Writer.WriteNowAsync(CancellationToken.None))!;
        await MakeEventsAsync(2);
        var late = (await Writer.WriteNowAsync(CancellationToken.None))!;
        var keep = early.Sequence + 2;

        // Someone drops the append-only trigger and removes the last events, back to before the newest checkpoint.
        Sql(DatabasePath, "DROP TRIGGER audit_events_prune_to_start;");
        Sql(DatabasePath, $"DELETE FROM audit_events WHERE sequence > {keep};");

        var (code, output) = await VerifyAsync(_hub.DataDirectory);
        Assert.Equal(AuditVerifyCommand.Broken, code);
        Assert.Contains($"it ends at event {keep}, but the checkpoint signed at", output, StringComparison.Ordinal);
        Assert.Contains($"vouches for event {late.Sequence}; event {keep + 1} and the events after it were removed", output, StringComparison.Ordinal);
        Assert.Contains($"(the checkpoint for event {early.Sequence}", output, StringComparison.Ordinal);

        // The same check through the API: the first missing event.
        var result = await Auditor().VerifyAuditTrailAsync(new VerifyAuditTrailRequest());
        Assert.False(result.Intact);
        Assert.Equal(Contracts.V1.AuditProblem.Missing, result.Problem);
        Assert.Equal(keep + 1, result.FirstBadSequence);
        Assert.Contains("were removed", result.Description, StringComparison.Ordinal);

        // A head recorded by hand still works as before.
        var (expected, expectedOutput) = await VerifyAsync(_hub.DataDirectory, "--Hub:Audit:Checkpoints:Enabled=false", "--checkpoint-key=", "--expect-head", $"{late.Sequence}:{late.Hash}");
        Assert.Equal(AuditVerifyCommand.Broken, expected);
        Assert.Contains($"event {late.Sequence}, the head recorded earlier, is missing", expectedOutput, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("hash")]
    [InlineData("sequence")]
    [InlineData("garbage")]
    public async Task AnAlteredCheckpointLine_IsReportedAsAltered_NotSkipped(string change)
    {
        await MakeEventsAsync(2);
        var first = (await Writer.WriteNowAsync(CancellationToken.None))!;
        await MakeEventsAsync(1);
        await Writer.WriteNowAsync(CancellationToken.None);

        var lines = File.ReadAllLines(CheckpointFile);
        lines[0] = change switch
        {
            "hash" => lines[0].Replace(first.Hash, new string('0', 64), StringComparison.Ordinal),
            "sequence" => lines[0].Replace($"\"sequence\":{first.Sequence},", $"\"sequence\":{first.Sequence - 1},", StringComparison.Ordinal),
            _ => "{ not a checkpoint",
        };
        File.WriteAllLines(CheckpointFile, lines);

        var (code, output) = await VerifyAsync(_hub.DataDirectory);
        Assert.Equal(AuditVerifyCommand.Broken, code);
        Assert.Contains($"The audit checkpoints are broken: line 1 of {CheckpointFile} was altered", output, StringComparison.Ordinal);

        var result = await Auditor().VerifyAuditTrailAsync(new VerifyAuditTrailRequest());
        Assert.False(result.Intact);
        Assert.Equal(Contracts.V1.AuditProblem.Altered, result.Problem);
        Assert.Contains("was altered", result.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACheckpointSignedWithAnotherKey_DoesNotVerify()
    {
        await MakeEventsAsync(1);
        var head = await _hub.Services.GetRequiredService<IHubStore>().ReadAsync(s => s.GetAuditHead());
        using var forger = AuditCheckpointKey.Generate();
        AuditCheckpointFile.Append(CheckpointFolder, forger.Sign(new AuditCheckpoint(head!.Sequence, head.Hash, _hub.Clock.GetUtcNow())));

        var (code, output) = await VerifyAsync(_hub.DataDirectory);

        Assert.Equal(AuditVerifyCommand.Broken, code);
        Assert.Contains($"names key {forger.KeyId}, not the verifying key", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APrunedTrail_PassesAuditVerify_FromTheStartASignedCheckpointVouchesFor()
    {
        _hub.With("Hub:Retention:AuditEvents", "1.00:00:00");
        await MakeEventsAsync(3);
        var checkpoint = (await Writer.WriteNowAsync(CancellationToken.None))!;
        await MakeEventsAsync(1);

        // A day later every event is past the term: the trail is cut back to the checkpointed event, not to its head.
        _hub.Clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
        await _hub.Services.GetRequiredService<Ketenhub.Hub.Retention.RetentionWork>().RunOnceAsync(CancellationToken.None);
        var store = _hub.Services.GetRequiredService<IHubStore>();
        Assert.Equal(new AuditStart(checkpoint.Sequence, checkpoint.Hash), await store.ReadAsync(s => s.GetAuditStart()));
        Assert.Equal(checkpoint.Sequence + 1, (long)Sql(DatabasePath, "SELECT min(sequence) FROM audit_events;")[0][0]!);

        var (code, output) = await VerifyAsync(_hub.DataDirectory);
        Assert.Equal(AuditVerifyCommand.Intact, code);
        Assert.Contains($"events from event {checkpoint.Sequence + 1}", output, StringComparison.Ordinal);
        Assert.Contains($"Events 1 to {checkpoint.Sequence} were removed by retention; the checkpoint signed at", output, StringComparison.Ordinal);

        // Without the checkpoints the command says plainly where the trail starts.
        var (chainOnly, chainOutput) = await VerifyAsync(_hub.DataDirectory, "--Hub:Audit:Checkpoints:Enabled=false", "--checkpoint-key=");
        Assert.Equal(AuditVerifyCommand.Intact, chainOnly);
        Assert.Contains($"The trail starts at event {checkpoint.Sequence + 1} after pruning", chainOutput, StringComparison.Ordinal);

        // A head recorded before the pruning is reported as removed by retention, not as a cut.
        var (expected, expectedOutput) = await VerifyAsync(_hub.DataDirectory, "--expect-head", $"{checkpoint.Sequence}:{checkpoint.Hash}");
        Assert.Equal(AuditVerifyCommand.Intact, expected);
        Assert.Contains($"event {checkpoint.Sequence}, was removed by retention", expectedOutput, StringComparison.Ordinal);

        var result = await Auditor().VerifyAuditTrailAsync(new VerifyAuditTrailRequest());
        Assert.True(result.Intact, result.Description);
    }

    [Fact]
    public async Task ATrailCutAtItsStart_WithoutAStart_OrWithAStartNoCheckpointVouchesFor_IsBroken()
    {
        await MakeEventsAsync(3);
        var checkpoint = (await Writer.WriteNowAsync(CancellationToken.None))!;
        await MakeEventsAsync(1);
        var cut = checkpoint.Sequence - 1;

        // The oldest events removed by hand, the trigger dropped: no start is recorded, so the first event is missing.
        Sql(DatabasePath, "DROP TRIGGER audit_events_prune_to_start;");
        Sql(DatabasePath, $"DELETE FROM audit_events WHERE sequence <= {cut};");
        var (code, output) = await VerifyAsync(_hub.DataDirectory);
        Assert.Equal(AuditVerifyCommand.Broken, code);
        Assert.Contains("event 1 is missing", output, StringComparison.Ordinal);
        var (chainOnly, _) = await VerifyAsync(_hub.DataDirectory, "--Hub:Audit:Checkpoints:Enabled=false", "--checkpoint-key=");
        Assert.Equal(AuditVerifyCommand.Broken, chainOnly);

        // A start written by hand at an event no signed checkpoint names: the chain links on, the checkpoints do not vouch.
        var hash = (string)Sql(DatabasePath, $"SELECT previous_hash FROM audit_events WHERE sequence = {cut + 1};")[0][0]!;
        Sql(DatabasePath, "DROP TRIGGER audit_start_insert;");
        Sql(DatabasePath, $"INSERT INTO audit_start (id, sequence, hash) VALUES (1, {cut}, '{hash}');");
        (code, output) = await VerifyAsync(_hub.DataDirectory);
        Assert.Equal(AuditVerifyCommand.Broken, code);
        Assert.Contains($"it starts at event {cut + 1} after pruning, but no validly signed checkpoint", output, StringComparison.Ordinal);

        var result = await Auditor().VerifyAuditTrailAsync(new VerifyAuditTrailRequest());
        Assert.False(result.Intact);
        Assert.Equal(Contracts.V1.AuditProblem.Missing, result.Problem);
    }
}

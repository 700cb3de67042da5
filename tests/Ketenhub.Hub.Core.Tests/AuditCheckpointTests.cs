using Ketenhub.Hub.Audit;
using Ketenhub.Hub.Storage;

namespace Ketenhub.Hub.Core.Tests;

/// <summary>Signing, reading and checking audit checkpoints, without a database.</summary>
public sealed class AuditCheckpointTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 10, 9, 0, 0, TimeSpan.Zero);
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "ketenhub-checkpoint-tests", Guid.NewGuid().ToString("N"));
    private readonly AuditCheckpointKey _key = AuditCheckpointKey.Generate();

    public void Dispose()
    {
        _key.Dispose();
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private static List<AuditRecord> Chain(int count, string party = "sdd")
    {
        var records = new List<AuditRecord>();
        AuditHead? head = null;
        for (var i = 1; i <= count; i++)
        {
            var record = AuditChain.Next(head, new AuditEvent { Id = "aud_" + i, Time = T0.AddMinutes(i), EventType = "ListParties", Action = AuditAction.Read, ActorParty = party, Outcome = AuditOutcome.Success });
            records.Add(record);
            head = new AuditHead(record.Sequence, record.Hash);
        }

        return records;
    }

    private static Func<long, int, IReadOnlyList<AuditRecord>> Pages(IReadOnlyList<AuditRecord> records) =>
        (after, limit) => records.Where(r => r.Sequence > after).Take(limit).ToList();

    private AuditCheckpoint Checkpoint(IReadOnlyList<AuditRecord> chain, int sequence, int minutes = 0)
    {
        var checkpoint = new AuditCheckpoint(sequence, chain[sequence - 1].Hash, T0.AddHours(1).AddMinutes(minutes));
        AuditCheckpointFile.Append(_folder, _key.Sign(checkpoint));
        return checkpoint;
    }

    [Fact]
    public void ASignedLine_OpensUnderItsKey_AndOnlyThere()
    {
        var checkpoint = new AuditCheckpoint(42, new string('a', 64), T0.AddTicks(1234567));
        var line = _key.Sign(checkpoint);

        Assert.Equal(checkpoint, _key.Open(line, out _, out var problem));
        Assert.Null(problem);

        using var publicOnly = AuditCheckpointKey.FromPem(_key.ExportPublicKeyPem(), out _)!;
        Assert.False(publicOnly.CanSign);
        Assert.Equal(checkpoint, publicOnly.Open(line, out _, out _));

        using var other = AuditCheckpointKey.Generate();
        Assert.Null(other.Open(line, out var claimed, out problem));
        Assert.Equal(42, claimed);
        Assert.Contains("names key", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void AKeyThatIsNotP256_OrNoKey_IsRefused()
    {
        using var p384 = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP384);
        Assert.Null(AuditCheckpointKey.FromPem(p384.ExportPkcs8PrivateKeyPem(), out var problem));
        Assert.Contains("P-256", problem, StringComparison.Ordinal);
        Assert.Null(AuditCheckpointKey.FromPem("not a key", out problem));
        Assert.NotNull(problem);
    }

    [Fact]
    public void TheFile_KeepsEveryLine_SkipsALastLineCutShort_AndReportsOtherBadLines()
    {
        var chain = Chain(5);
        Checkpoint(chain, 2);
        Checkpoint(chain, 4);
        var path = Path.Combine(_folder, AuditCheckpointFile.FileName);
        File.AppendAllText(path, "{\"sequence\":5,\"ha");

        var torn = AuditCheckpointFile.Read(_folder, _key);
        Assert.Equal([2L, 4L], torn.Checkpoints.Select(c => c.Sequence));
        Assert.Empty(torn.Altered);

        // The next line starts on a line of its own; the cut-short line in between is now reported.
        Checkpoint(chain, 5);
        var reading = AuditCheckpointFile.Read(_folder, _key);
        Assert.Equal([2L, 4L, 5L], reading.Checkpoints.Select(c => c.Sequence));
        var bad = Assert.Single(reading.Altered);
        Assert.Equal(3, bad.Line);
    }

    [Fact]
    public void TheCheck_FindsTheEarliestCheckpointTheChainNoLongerMatches()
    {
        var chain = Chain(10);
        Checkpoint(chain, 3);
        Checkpoint(chain, 6);
        Checkpoint(chain, 9);
        var reading = AuditCheckpointFile.Read(_folder, _key);

        var intact = AuditCheckpointCheck.Verify(Pages(chain), reading);
        Assert.True(intact.Intact);
        Assert.Equal((3, 9L), (intact.CheckpointsChecked, intact.NewestCheckpoint!.Sequence));

        // Cut back to 7: the checkpoint for 9 names 8 as the first missing event; 6 still matches.
        var cut = AuditCheckpointCheck.Verify(Pages(chain.Take(7).ToList()), reading);
        Assert.Equal((AuditProblem.Truncated, 8L, 9L, 6L), (cut.Problem, cut.FirstBadSequence!.Value, cut.Checkpoint!.Sequence, cut.LastGoodCheckpoint!.Sequence));

        // Rebuilt from scratch with other events: the first checkpoint already differs.
        var rebuilt = AuditCheckpointCheck.Verify(Pages(Chain(12, party: "ketenhub")), reading);
        Assert.Equal((AuditProblem.Rebuilt, 3L), (rebuilt.Problem, rebuilt.FirstBadSequence!.Value));
        Assert.Null(rebuilt.LastGoodCheckpoint);
        Assert.Contains("rebuilt at event 3 or before", rebuilt.Describe(), StringComparison.Ordinal);

        // Rebuilt after event 6: the chain matches 3 and 6, not 9.
        var tail = chain.Take(6).ToList();
        var head = new AuditHead(6, chain[5].Hash);
        for (var i = 7; i <= 10; i++)
        {
            var record = AuditChain.Next(head, new AuditEvent { Id = "aud_x" + i, Time = T0.AddMinutes(i), EventType = "Forged", Action = AuditAction.Read, ActorParty = "sdd", Outcome = AuditOutcome.Success });
            tail.Add(record);
            head = new AuditHead(record.Sequence, record.Hash);
        }

        var partly = AuditCheckpointCheck.Verify(Pages(tail), reading);
        Assert.Equal((AuditProblem.Rebuilt, 9L, 6L), (partly.Problem, partly.FirstBadSequence!.Value, partly.LastGoodCheckpoint!.Sequence));
    }

    [Fact]
    public void AnAlteredLine_BreaksAnOtherwiseIntactTrail()
    {
        var chain = Chain(4);
        Checkpoint(chain, 2);
        Checkpoint(chain, 4);
        var path = Path.Combine(_folder, AuditCheckpointFile.FileName);
        var lines = File.ReadAllLines(path);
        lines[1] = lines[1].Replace("\"sequence\":4", "\"sequence\":3", StringComparison.Ordinal);
        File.WriteAllLines(path, lines);

        var result = AuditCheckpointCheck.Verify(Pages(chain), AuditCheckpointFile.Read(_folder, _key));

        Assert.Equal((AuditProblem.CheckpointAltered, 3L), (result.Problem, result.FirstBadSequence!.Value));
        Assert.Equal(2, result.AlteredLine!.Line);
        Assert.Contains("its signature does not verify", result.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void APrunedTrail_Verifies_FromAStartASignedCheckpointVouchesFor()
    {
        var chain = Chain(10);
        Checkpoint(chain, 2);
        var start = Checkpoint(chain, 4);
        Checkpoint(chain, 8);
        var reading = AuditCheckpointFile.Read(_folder, _key);
        var kept = chain.Skip(4).ToList();

        var result = AuditCheckpointCheck.Verify(Pages(kept), reading, start: new AuditStart(4, start.Hash));
        Assert.True(result.Intact, result.Describe());
        Assert.Equal((6L, 10L, 2, 1), (result.Checked, result.Head!.Sequence, result.CheckpointsChecked, result.CheckpointsBeforeStart));
        Assert.Equal(start, result.StartCheckpoint);
        Assert.Contains("6 events from event 5", result.Describe(), StringComparison.Ordinal);
        Assert.Contains("Events 1 to 4 were removed by retention; the checkpoint signed at", result.Describe(), StringComparison.Ordinal);

        // Events still there at or before the start (a pruning under way) are not read.
        Assert.True(AuditCheckpointCheck.Verify(Pages(chain.Skip(2).ToList()), reading, start: new AuditStart(4, start.Hash)).Intact);
    }

    [Fact]
    public void AStartNoSignedCheckpointVouchesFor_IsBroken()
    {
        var chain = Chain(10);
        Checkpoint(chain, 4);
        var reading = AuditCheckpointFile.Read(_folder, _key);

        // Cut at event 5, with a start recorded there by hand: the chain links, but no checkpoint names event 5.
        var kept = chain.Skip(5).ToList();
        var result = AuditCheckpointCheck.Verify(Pages(kept), reading, start: new AuditStart(5, chain[4].Hash));
        Assert.Equal(AuditProblem.UnvouchedStart, result.Problem);
        Assert.Equal(6, result.FirstBadSequence);
        Assert.Contains("it starts at event 6 after pruning, but no validly signed checkpoint", result.Describe(), StringComparison.Ordinal);

        // A start whose hash is not the checkpoint's is not vouched for either (and the chain does not link to it).
        Assert.False(AuditCheckpointCheck.Verify(Pages(chain.Skip(4).ToList()), reading, start: new AuditStart(4, chain[2].Hash)).Intact);
    }

    [Fact]
    public void ATrailCutAtItsStartWithoutARecordedStart_IsBroken_AndWithoutCheckpointsTheStartIsSaid()
    {
        var chain = Chain(10);
        Checkpoint(chain, 4);
        var kept = chain.Skip(4).ToList();

        var cut = AuditCheckpointCheck.Verify(Pages(kept), AuditCheckpointFile.Read(_folder, _key));
        Assert.Equal(AuditProblem.Missing, cut.Problem);
        Assert.Equal(1, cut.FirstBadSequence);

        var chainOnly = AuditCheckpointCheck.Verify(Pages(kept), null, start: new AuditStart(4, chain[3].Hash));
        Assert.True(chainOnly.Intact);
        Assert.Contains("The trail starts at event 5 after pruning: events 1 to 4 were removed, and no signed checkpoint was checked", chainOnly.Describe(), StringComparison.Ordinal);
    }
}

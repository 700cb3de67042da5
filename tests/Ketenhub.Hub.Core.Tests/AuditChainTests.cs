using Ketenhub.Hub.Audit;
using Ketenhub.Hub.Storage;

namespace Ketenhub.Hub.Core.Tests;

public sealed class AuditChainTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 10, 9, 0, 0, TimeSpan.Zero);

    private static AuditEvent Event(int n, string? client = "ap_0123") => new()
    {
        Id = "aud_" + n,
        Time = T0.AddMinutes(n).AddTicks(n),
        EventType = "CreateSignal",
        Action = AuditAction.Create,
        ActorParty = "sdd",
        ActorUser = n % 2 == 0 ? "user-7" : null,
        ActorRoles = n % 2 == 0 ? ["coach"] : [],
        Client = client,
        Purpose = "SIGNAL_FOLLOW_UP",
        Checks = [new AuditCheck(AuditCheckKind.Authorisation, "PARTY_ACTS_AS_ITSELF"), new AuditCheck(AuditCheckKind.Consent, "consents/cns_" + n)],
        Outcome = n == 3 ? AuditOutcome.Refused : AuditOutcome.Success,
        Reason = n == 3 ? "NO_ROLE_FOR_CLIENT" : null,
        Resources = ["signals/sig_" + n],
        RequestId = "req-" + n,
        TraceId = "0af7651916cd43dd8448eb211c80319c",
        Source = "127.0.0.1:5" + n,
    };

    private static void AssertSameEvent(AuditEvent expected, AuditEvent actual)
    {
        Assert.Equal(expected with { ActorRoles = [], Checks = [], Resources = [] }, actual with { ActorRoles = [], Checks = [], Resources = [] });
        Assert.Equal(expected.ActorRoles, actual.ActorRoles);
        Assert.Equal(expected.Checks, actual.Checks);
        Assert.Equal(expected.Resources, actual.Resources);
    }

    private static List<AuditRecord> Chain(int count)
    {
        var records = new List<AuditRecord>();
        AuditHead? head = null;
        for (var i = 1; i <= count; i++)
        {
            var record = AuditChain.Next(head, Event(i));
            records.Add(record);
            head = new AuditHead(record.Sequence, record.Hash);
        }

        return records;
    }

    private static AuditVerification Verify(IReadOnlyList<AuditRecord> records, int pageSize = 1000) =>
        AuditVerifier.Verify((after, limit) => records.Where(r => r.Sequence > after).Take(limit).ToList(), pageSize);

    [Fact]
    public void Next_HashesExactlyWhatLinkHashes_WithTheBodyWriteGives()
    {
        // Next writes the previous hash and the body into one buffer and hashes that; Link (the verifier's way)
        // hashes the strings. They must agree for any content, also non-ASCII and a long event that outgrows
        // the reused buffer, and a long one followed by a short one must not leave bytes behind.
        var longReason = string.Concat(Enumerable.Repeat("café ✓ 😀 ", 2_000));
        var events = new[] { Event(1), Event(2) with { Reason = longReason, Resources = [.. Enumerable.Range(0, 300).Select(i => "signals/sig_" + i)] }, Event(3), Event(4, client: null) };
        AuditHead? head = new(41, new string('a', 64));
        foreach (var e in events)
        {
            var record = AuditChain.Next(head, e);
            Assert.Equal(head.Hash, record.PreviousHash);
            Assert.Equal(AuditCanonical.Write(record.Sequence, e), record.Body);
            Assert.Equal(AuditChain.Link(record.PreviousHash, record.Body), record.Hash);
            AssertSameEvent(e, AuditCanonical.Parse(record.Body).Event);
            head = new AuditHead(record.Sequence, record.Hash);
        }
    }

    [Fact]
    public void Write_AfterAnEventThatCannotBeWritten_StillWritesTheNextOne()
    {
        // An event that fails halfway through (here: a list that is null, after several members were written)
        // must not leave the thread's reused writer and buffer in a state that spoils the next event.
        Assert.Throws<NullReferenceException>(() => AuditChain.Next(null, Event(1) with { Resources = null! }));
        var record = AuditChain.Next(null, Event(2));
        Assert.Equal(AuditCanonical.Write(1, Event(2)), record.Body);
        Assert.Equal(AuditChain.Link(AuditChain.Genesis, record.Body), record.Hash);
        AssertSameEvent(Event(2), AuditCanonical.Parse(record.Body).Event);
    }

    [Fact]
    public void CanonicalForm_RoundTripsEveryField()
    {
        var original = Event(2);

        var body = AuditCanonical.Write(42, original);
        var (sequence, parsed) = AuditCanonical.Parse(body);

        Assert.Equal(42, sequence);
        Assert.Equal(original with { ActorRoles = [], Checks = [], Resources = [] }, parsed with { ActorRoles = [], Checks = [], Resources = [] });
        Assert.Equal(original.ActorRoles, parsed.ActorRoles);
        Assert.Equal(original.Checks, parsed.Checks);
        Assert.Equal(original.Resources, parsed.Resources);
        Assert.Equal(body, AuditCanonical.Write(42, parsed));
        Assert.StartsWith("{\"v\":1,\"seq\":42,\"id\":\"aud_2\",\"time\":\"2026-01-10T09:02:00.0000002Z\",\"type\":\"CreateSignal\",\"action\":\"C\",", body, StringComparison.Ordinal);
    }

    [Fact]
    public void CanonicalForm_WritesAbsentValuesAsNull()
    {
        var body = AuditCanonical.Write(1, Event(1, client: null) with { Purpose = null, RequestId = null, TraceId = null, Source = null });

        Assert.Contains("\"user\":null", body, StringComparison.Ordinal);
        Assert.Contains("\"client\":null", body, StringComparison.Ordinal);
        Assert.Contains("\"roles\":[]", body, StringComparison.Ordinal);
        Assert.Null(AuditCanonical.Parse(body).Event.Client);
    }

    [Fact]
    public void Link_CoversThePreviousHashAndTheBody()
    {
        var body = AuditCanonical.Write(1, Event(1));

        var hash = AuditChain.Link(AuditChain.Genesis, body);

        Assert.Matches("^[0-9a-f]{64}$", hash);
        Assert.NotEqual(hash, AuditChain.Link(new string('1', 64), body));
        Assert.NotEqual(hash, AuditChain.Link(AuditChain.Genesis, body.Replace("sdd", "sde", StringComparison.Ordinal)));
    }

    [Fact]
    public void IntactChain_VerifiesAcrossPagesAndNamesItsHead()
    {
        var records = Chain(7);

        var result = Verify(records, pageSize: 3);

        Assert.True(result.Intact);
        Assert.Equal(7, result.Checked);
        Assert.Equal(new AuditHead(7, records[^1].Hash), result.Head);
        Assert.Equal(AuditChain.Genesis, records[0].PreviousHash);
        Assert.All(records.Skip(1).Zip(records), pair => Assert.Equal(pair.Second.Hash, pair.First.PreviousHash));
    }

    [Fact]
    public void EmptyTrail_IsIntact()
    {
        var result = Verify([]);

        Assert.True(result.Intact);
        Assert.Null(result.Head);
        Assert.Equal("The audit trail is empty.", result.Describe());
    }

    [Fact]
    public void AlteredBody_IsTheFirstBadEvent()
    {
        var records = Chain(6);
        records[3] = records[3] with { Body = records[3].Body.Replace("\"sdd\"", "\"waakvlam-zorg\"", StringComparison.Ordinal) };

        var result = Verify(records);

        Assert.Equal((AuditProblem.Altered, 4L, "aud_4"), (result.Problem, result.FirstBadSequence, result.FirstBadEventId));
        Assert.Contains("event 4 (aud_4) was altered", result.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void RecomputedHashOfAnAlteredEvent_BreaksTheNextLink()
    {
        var records = Chain(6);
        var body = records[1].Body.Replace("SUCCESS", "REFUSED", StringComparison.Ordinal);
        Assert.NotEqual(records[1].Body, body);
        records[1] = records[1] with { Body = body, Hash = AuditChain.Link(records[1].PreviousHash, body) };

        var result = Verify(records);

        Assert.Equal((AuditProblem.BrokenLink, 3L), (result.Problem, result.FirstBadSequence));
    }

    [Fact]
    public void ColumnsThatDisagreeWithTheBody_AreAnAlteration()
    {
        var records = Chain(5);
        records[1] = records[1] with { ClientPseudonym = "ap_other" };

        var result = Verify(records);

        Assert.Equal((AuditProblem.Altered, 2L), (result.Problem, result.FirstBadSequence));
    }

    [Fact]
    public void RemovedEvent_IsNamedAsMissing()
    {
        var records = Chain(6);
        records.RemoveAt(2);

        var result = Verify(records);

        Assert.Equal((AuditProblem.Missing, 3L, "aud_4"), (result.Problem, result.FirstBadSequence, result.FirstBadEventId));
    }

    [Fact]
    public void RemovedAndRenumberedEvents_BreakTheLink()
    {
        var records = Chain(6);
        records.RemoveAt(2);
        records = [.. records.Select((r, i) => r with { Sequence = i + 1 })];

        var result = Verify(records);

        Assert.Equal((AuditProblem.BrokenLink, 3L, "aud_4"), (result.Problem, result.FirstBadSequence, result.FirstBadEventId));
    }

    [Fact]
    public void SwappedEvents_BreakTheLinkAtTheFirstOfThem()
    {
        var records = Chain(6);
        (records[2], records[3]) = (records[3] with { Sequence = 3 }, records[2] with { Sequence = 4 });

        var result = Verify(records);

        Assert.Equal((AuditProblem.BrokenLink, 3L, "aud_4"), (result.Problem, result.FirstBadSequence, result.FirstBadEventId));
    }

    [Fact]
    public void UnreadableBody_IsAnAlteration()
    {
        var records = Chain(3);
        records[1] = records[1] with { Body = "not json" };

        var result = Verify(records);

        Assert.Equal((AuditProblem.Altered, 2L), (result.Problem, result.FirstBadSequence));
    }

    [Fact]
    public void Pseudonyms_AreStableKeyedAndUnlinkable()
    {
        var key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
        var pseudonyms = new AuditPseudonyms(key);
        var other = new AuditPseudonyms([.. key.Reverse()]);

        var p = pseudonyms.Of("cli_0194f0a0b1c2d3e4f5a6b7c8d9e0f1a2");

        Assert.Matches("^ap_[0-9a-f]{32}$", p);
        Assert.Equal(p, pseudonyms.Of("cli_0194f0a0b1c2d3e4f5a6b7c8d9e0f1a2"));
        Assert.NotEqual(p, pseudonyms.Of("cli_0194f0a0b1c2d3e4f5a6b7c8d9e0f1a3"));
        Assert.NotEqual(p, other.Of("cli_0194f0a0b1c2d3e4f5a6b7c8d9e0f1a2"));
        Assert.DoesNotContain("0194f0a0", p, StringComparison.Ordinal);
        Assert.NotEqual(p, AuditPseudonyms.DerivedFrom(key).Of("cli_0194f0a0b1c2d3e4f5a6b7c8d9e0f1a2"));
        Assert.Throws<ArgumentException>(() => new AuditPseudonyms(new byte[15]));
    }
}

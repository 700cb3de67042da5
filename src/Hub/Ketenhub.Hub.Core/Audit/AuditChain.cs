using System.Security.Cryptography;
using System.Text;
using Ketenhub.Hub.Storage;

namespace Ketenhub.Hub.Audit;

/// <summary>
/// The hash chain over the audit trail. Each event's hash is SHA-256 over the previous event's hash (lower-case
/// hex), a line feed, and the event's canonical form (<see cref="AuditCanonical"/>, which names the event's
/// chain position). Changing, removing or reordering any event breaks the link of that event or the next one.
/// </summary>
public static class AuditChain
{
    /// <summary>The "previous hash" of the first event.</summary>
    public static readonly string Genesis = new('0', 64);

    /// <summary>The hash of an event with canonical form <paramref name="body"/> that follows <paramref name="previousHash"/>.</summary>
    public static string Link(string previousHash, string body)
    {
        ArgumentNullException.ThrowIfNull(previousHash);
        ArgumentNullException.ThrowIfNull(body);
        var bytes = Encoding.UTF8.GetBytes(previousHash + "\n" + body);
        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    /// <summary>The record that appends <paramref name="auditEvent"/> after <paramref name="head"/> (null: the trail is empty).</summary>
    public static AuditRecord Next(AuditHead? head, AuditEvent auditEvent)
    {
        ArgumentNullException.ThrowIfNull(auditEvent);
        var sequence = (head?.Sequence ?? 0) + 1;
        var previous = head?.Hash ?? Genesis;

        // The hashed bytes are exactly Link's: the previous hash, a line feed, the canonical body, written once.
        var buffer = AuditCanonical.Render(sequence, auditEvent, previousHash: previous);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(buffer.WrittenSpan, hash);
        var body = Encoding.UTF8.GetString(buffer.WrittenSpan[(Encoding.UTF8.GetByteCount(previous) + 1)..]);
        return new AuditRecord(sequence, auditEvent.Time, auditEvent.Client, previous, Convert.ToHexStringLower(hash), body);
    }

    /// <summary>Reads a stored record back into an event at its place in the chain (without checking it; see <see cref="AuditVerifier"/>).</summary>
    public static ChainedAuditEvent Open(AuditRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var (_, auditEvent) = AuditCanonical.Parse(record.Body);
        return new ChainedAuditEvent(record.Sequence, auditEvent, record.PreviousHash, record.Hash);
    }
}

/// <summary>What is wrong with the first bad event of a chain.</summary>
public enum AuditProblem
{
    /// <summary>Nothing: the chain is intact.</summary>
    None,

    /// <summary>The event at this position is missing: the chain continues with a later position.</summary>
    Missing,

    /// <summary>The event's content (or a column stored with it) no longer matches its hash.</summary>
    Altered,

    /// <summary>The event does not link to the event before it: events were removed, inserted or reordered.</summary>
    BrokenLink,

    /// <summary>The stored text is not a canonical audit event.</summary>
    Unreadable,

    /// <summary>The chain ends before the event a signed checkpoint vouches for: its last events were removed.</summary>
    Truncated,

    /// <summary>The event a signed checkpoint vouches for has another hash: the chain was rebuilt from there or before.</summary>
    Rebuilt,

    /// <summary>A line of the checkpoint file is not a checkpoint signed by the hub's key: it was altered.</summary>
    CheckpointAltered,

    /// <summary>
    /// The trail starts after removed events (<see cref="AuditStart"/>), but no validly signed checkpoint vouches for the
    /// last removed event with that hash: its oldest events were removed other than by the hub's retention.
    /// </summary>
    UnvouchedStart,
}

/// <summary>The outcome of a verification.</summary>
/// <param name="Checked">How many events were checked (up to and including the first bad one).</param>
/// <param name="Problem">What is wrong with the first bad event; <see cref="AuditProblem.None"/> when the chain is intact.</param>
/// <param name="FirstBadSequence">The chain position of the first bad event.</param>
/// <param name="FirstBadEventId">The id of the event found at that position, when it can be read.</param>
/// <param name="Head">The last event of an intact chain: record it elsewhere to detect a later truncation.</param>
public sealed record AuditVerification(long Checked, AuditProblem Problem, long? FirstBadSequence, string? FirstBadEventId, AuditHead? Head)
{
    public bool Intact => Problem == AuditProblem.None;

    /// <summary>The checkpoint file the chain was checked against; null when checkpoints were not checked.</summary>
    public string? CheckpointFile { get; init; }

    /// <summary>How many valid checkpoints the chain was checked against.</summary>
    public int CheckpointsChecked { get; init; }

    /// <summary>The checkpoint with the highest sequence.</summary>
    public AuditCheckpoint? NewestCheckpoint { get; init; }

    /// <summary>The checkpoint the chain does not match (<see cref="AuditProblem.Truncated"/>, <see cref="AuditProblem.Rebuilt"/>).</summary>
    public AuditCheckpoint? Checkpoint { get; init; }

    /// <summary>The last checkpoint before <see cref="Checkpoint"/> that the chain still matches, if any.</summary>
    public AuditCheckpoint? LastGoodCheckpoint { get; init; }

    /// <summary>The first line of the checkpoint file that is not validly signed (<see cref="AuditProblem.CheckpointAltered"/>).</summary>
    public AlteredCheckpointLine? AlteredLine { get; init; }

    /// <summary>Where the trail starts after its oldest events were removed by retention; null when none were.</summary>
    public AuditStart? Start { get; init; }

    /// <summary>The signed checkpoint that vouches for <see cref="Start"/>; null when the start was not checked against checkpoints.</summary>
    public AuditCheckpoint? StartCheckpoint { get; init; }

    /// <summary>How many valid checkpoints name events removed before <see cref="Start"/> (not checked: their events are gone).</summary>
    public int CheckpointsBeforeStart { get; init; }

    /// <summary>Plain English sentences for an operator.</summary>
    public string Describe() => Problem switch
    {
        AuditProblem.None when Head is null => "The audit trail is empty." + CheckpointSummary(),
        AuditProblem.None when Start is not null && Head!.Sequence == Start.Sequence => $"The audit trail is intact: it holds no events after event {Start.Sequence}, where it starts after pruning." + StartSummary() + CheckpointSummary(),
        AuditProblem.None when Start is not null => $"The audit trail is intact: {Checked} events from event {Start.Sequence + 1}, head {Head!.Sequence} {Head.Hash}." + StartSummary() + CheckpointSummary(),
        AuditProblem.None => $"The audit trail is intact: {Checked} events, head {Head!.Sequence} {Head.Hash}." + CheckpointSummary(),
        AuditProblem.Missing => $"The audit trail is broken: event {FirstBadSequence} is missing (the chain continues with event {FirstBadEventId ?? "?"} after it).",
        AuditProblem.Altered => $"The audit trail is broken: event {FirstBadSequence} ({FirstBadEventId ?? "?"}) was altered.",
        AuditProblem.BrokenLink => $"The audit trail is broken: event {FirstBadSequence} ({FirstBadEventId ?? "?"}) does not follow the event before it (events were removed, inserted or reordered).",
        AuditProblem.Truncated => $"The audit trail is broken: it ends at event {Head?.Sequence ?? 0}, but the checkpoint signed at {Time(Checkpoint!)} vouches for event {Checkpoint!.Sequence}; "
            + $"event {FirstBadSequence} and the events after it were removed{Since()}.",
        AuditProblem.Rebuilt => $"The audit trail is broken: event {FirstBadSequence} has another hash than the checkpoint signed at {Time(Checkpoint!)} vouches for; "
            + $"the trail was rebuilt at event {FirstBadSequence} or before{Since()}.",
        AuditProblem.CheckpointAltered => $"The audit checkpoints are broken: line {AlteredLine!.Line} of {CheckpointFile} was altered ({AlteredLine.Problem})."
            + (AlteredLine.ClaimedSequence is { } claimed ? $" It names event {claimed}." : string.Empty),
        AuditProblem.UnvouchedStart => $"The audit trail is broken: it starts at event {Start!.Sequence + 1} after pruning, but no validly signed checkpoint in {CheckpointFile} vouches for event {Start.Sequence} "
            + "with the hash the trail starts from; its oldest events were removed other than by the hub's retention.",
        _ => $"The audit trail is broken: event {FirstBadSequence} cannot be read.",
    };

    private string StartSummary() => StartCheckpoint is not null
        ? $" Events 1 to {Start!.Sequence} were removed by retention; the checkpoint signed at {Time(StartCheckpoint)} vouches for event {Start.Sequence}, where the trail starts."
        : $" The trail starts at event {Start!.Sequence + 1} after pruning: events 1 to {Start.Sequence} were removed, and no signed checkpoint was checked for where it starts.";

    private string CheckpointSummary() => CheckpointFile is null
        ? string.Empty
        : NewestCheckpoint is null
            ? $" No checkpoint was found in {CheckpointFile}, so a rebuilt or cut-back trail cannot be told from it."
            : $" It matches all {CheckpointsChecked} checkpoints in {CheckpointFile}; the newest vouches for event {NewestCheckpoint.Sequence} (signed at {Time(NewestCheckpoint)})."
                + (CheckpointsBeforeStart > 0 ? $" {CheckpointsBeforeStart} older checkpoints name removed events." : string.Empty);

    private string Since() => LastGoodCheckpoint is null
        ? " (no earlier checkpoint matches)"
        : $" (the checkpoint for event {LastGoodCheckpoint.Sequence}, signed at {Time(LastGoodCheckpoint)}, still matches)";

    private static string Time(AuditCheckpoint checkpoint) =>
        checkpoint.Time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// Walks the chain from the first event (or the first after a recorded <see cref="AuditStart"/>, linking to its hash)
/// and stops at the first bad one.
/// </summary>
public sealed class AuditVerifier(AuditStart? start = null)
{
    private long _expected = (start?.Sequence ?? 0) + 1;
    private string _previous = start?.Hash ?? AuditChain.Genesis;
    private long _checked;
    private AuditVerification? _failure;

    /// <summary>Whether a bad event was found (no need to read further).</summary>
    public bool Failed => _failure is not null;

    /// <summary>Checks the next record in sequence order; returns false once the chain is known to be broken.</summary>
    public bool Check(AuditRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (_failure is not null)
        {
            return false;
        }

        _checked++;
        string? eventId = null;
        long bodySequence;
        AuditEvent auditEvent;
        try
        {
            (bodySequence, auditEvent) = AuditCanonical.Parse(record.Body);
            eventId = auditEvent.Id;
        }
        catch (FormatException)
        {
            // An unreadable body still has a hash: a changed body is an alteration.
            return Fail(AuditChain.Link(record.PreviousHash, record.Body) != record.Hash ? AuditProblem.Altered : AuditProblem.Unreadable, record.Sequence, null);
        }

        if (record.Sequence != _expected)
        {
            return Fail(record.Sequence > _expected ? AuditProblem.Missing : AuditProblem.BrokenLink, _expected, eventId);
        }

        if (AuditChain.Link(record.PreviousHash, record.Body) != record.Hash)
        {
            return Fail(AuditProblem.Altered, record.Sequence, eventId);
        }

        if (record.PreviousHash != _previous || bodySequence != record.Sequence)
        {
            return Fail(AuditProblem.BrokenLink, record.Sequence, eventId);
        }

        // The columns stored next to the body (to find events) must say what the body says.
        if (record.Time != auditEvent.Time || record.ClientPseudonym != auditEvent.Client)
        {
            return Fail(AuditProblem.Altered, record.Sequence, eventId);
        }

        _previous = record.Hash;
        _expected++;
        return true;
    }

    /// <summary>The verdict over everything checked so far.</summary>
    public AuditVerification Result() =>
        (_failure ?? new AuditVerification(_checked, AuditProblem.None, null, null, _expected > 1 ? new AuditHead(_expected - 1, _previous) : null)) with { Start = start };

    /// <summary>
    /// Verifies a whole trail read page by page from <paramref name="pages"/> (after sequence, limit → records), from
    /// <paramref name="start"/> when its oldest events were removed; <paramref name="checkedRecord"/> sees every record
    /// that passed its check.
    /// </summary>
    public static AuditVerification Verify(Func<long, int, IReadOnlyList<AuditRecord>> pages, int pageSize = 1000, Action<AuditRecord>? checkedRecord = null, AuditStart? start = null)
    {
        ArgumentNullException.ThrowIfNull(pages);
        var verifier = new AuditVerifier(start);
        var after = start?.Sequence ?? 0;
        while (true)
        {
            var page = pages(after, pageSize);
            foreach (var record in page)
            {
                if (!verifier.Check(record))
                {
                    return verifier.Result();
                }

                checkedRecord?.Invoke(record);
                after = record.Sequence;
            }

            if (page.Count < pageSize)
            {
                return verifier.Result();
            }
        }
    }

    private bool Fail(AuditProblem problem, long sequence, string? eventId)
    {
        _failure = new AuditVerification(_checked, problem, sequence, eventId, null);
        return false;
    }
}

using Ketenhub.Hub.Storage;

namespace Ketenhub.Hub.Audit;

/// <summary>
/// Where the audit trail may start after its oldest events are removed (<c>Hub:Retention:AuditEvents</c>). Removing a
/// prefix of the chain keeps the rest verifiable from the last removed event's hash (<see cref="AuditStart"/>); a signed
/// checkpoint of that event shows the start was the hub's own (<see cref="AuditCheckpointCheck"/>).
/// </summary>
public static class AuditPruning
{
    /// <summary>
    /// The new start: the newest event before <paramref name="cut"/> that is not the trail's last event, comes before the
    /// first event about any of <paramref name="heldPseudonyms"/>, and lies after the current start; with
    /// <paramref name="checkpoints"/>, the newest such event a valid checkpoint names with its stored hash. Null when
    /// there is none (nothing to remove).
    /// </summary>
    public static AuditStart? Start(IHubSession session, DateTimeOffset cut, AuditCheckpointReading? checkpoints, IReadOnlyCollection<string> heldPseudonyms)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(heldPseudonyms);
        var head = session.GetAuditHead();
        if (head is null)
        {
            return null;
        }

        var from = session.GetAuditStart()?.Sequence ?? 0;

        // Never the last event: the next one links on to it.
        var limit = head.Sequence - 1;

        // Events are appended in time order: the first one at or after the cut-off bounds the prefix.
        var young = session.ListAuditRecords(new AuditQuery(from, 1, From: cut));
        if (young.Count > 0)
        {
            limit = Math.Min(limit, young[0].Sequence - 1);
        }

        foreach (var pseudonym in heldPseudonyms)
        {
            var first = session.ListAuditRecords(new AuditQuery(from, 1, ClientPseudonym: pseudonym));
            if (first.Count > 0)
            {
                limit = Math.Min(limit, first[0].Sequence - 1);
            }
        }

        if (limit <= from)
        {
            return null;
        }

        if (checkpoints is null)
        {
            var records = session.ListAuditRecords(new AuditQuery(limit - 1, 1));
            return records.Count > 0 && records[0].Sequence == limit ? new AuditStart(limit, records[0].Hash) : null;
        }

        foreach (var checkpoint in checkpoints.Checkpoints.Where(c => c.Sequence > from && c.Sequence <= limit).OrderByDescending(c => c.Sequence))
        {
            var records = session.ListAuditRecords(new AuditQuery(checkpoint.Sequence - 1, 1));
            if (records.Count > 0 && records[0].Sequence == checkpoint.Sequence && string.Equals(records[0].Hash, checkpoint.Hash, StringComparison.Ordinal))
            {
                return new AuditStart(checkpoint.Sequence, checkpoint.Hash);
            }
        }

        return null;
    }
}

using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Journeys;
using Ketenhub.Hub.Messages;

namespace Ketenhub.Hub.Monitoring;

/// <summary>What the hub holds about one client, as the report reads it. Free text in the records is never used.</summary>
public sealed record ClientHistory(
    ClientRecord Client,
    IReadOnlyList<CoachAssignment> Coaches,
    IReadOnlyList<SignalRecord> Signals,
    IReadOnlyList<ReferralRecord> Referrals,
    IReadOnlyList<TransitionRecord> Transitions,
    IReadOnlyList<DeliveryRecord> Deliveries);

/// <summary>
/// The pilot report's figures (docs/monitor.md), computed from loaded histories: pure, so each figure can be checked on a
/// small hand-built history. Every count goes through <see cref="SmallCells"/>; durations are computed only from groups
/// of at least the minimum cell size, in items and in distinct clients.
/// </summary>
public static class PilotFigures
{
    private static readonly PilotLevel[] Parts = [PilotLevel.Under18, PilotLevel.Adult];
    private static readonly PilotLevel[] Levels = [PilotLevel.All, PilotLevel.Under18, PilotLevel.Adult];
    private static readonly LifeDomain[] Domains = [.. Enum.GetValues<LifeDomain>().Where(d => d != LifeDomain.Unspecified)];
    private static readonly SignalSeverity[] Severities = [.. Enum.GetValues<SignalSeverity>().Where(s => s != SignalSeverity.Unspecified)];
    private static readonly ServiceKind[] Services = [.. Enum.GetValues<ServiceKind>().Where(s => s != ServiceKind.Unspecified)];
    private static readonly TransitionKind[] Kinds = [.. Enum.GetValues<TransitionKind>().Where(k => k != TransitionKind.Unspecified)];

    /// <summary>Whether the client is counted in a report of <paramref name="period"/>: registered before its end, living in its municipality on its last day.</summary>
    public static bool Counts(ClientRecord client, PilotPeriod period)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(period);
        // An erased client's facts are gone (docs/privacy.md): the report no longer counts them.
        return client.EraseTime is null && client.CreateTime < period.End
            && (period.MunicipalityCode is null || client.MunicipalityOn(period.LastDay) == period.MunicipalityCode);
    }

    /// <summary>The level a client is counted in: their age on the period's last day.</summary>
    public static PilotLevel LevelOf(ClientRecord client, PilotPeriod period)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(period);
        return client.AgeOn(period.LastDay) < 18 ? PilotLevel.Under18 : PilotLevel.Adult;
    }

    public static PilotReport Compute(IEnumerable<ClientHistory> histories, PilotPeriod period, int minimumCellSize, DateTimeOffset now) =>
        ComputeWithCells(histories, period, minimumCellSize, now).Report;

    /// <summary><see cref="Compute"/>, with the cells behind it (for a test that tries to derive hidden cells).</summary>
    internal static (PilotReport Report, SmallCells Cells) ComputeWithCells(IEnumerable<ClientHistory> histories, PilotPeriod period, int minimumCellSize, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(histories);
        ArgumentNullException.ThrowIfNull(period);
        var cells = new SmallCells(minimumCellSize);
        var intervals = period.Intervals;
        Declare(cells, intervals.Count);
        var ackTimes = Levelled<(TimeSpan, string)>();
        var startTimes = Levelled<(TimeSpan, string)>();
        var startTimesByService = Services.ToDictionary(s => s, _ => Levelled<(TimeSpan, string)>());
        foreach (var history in histories.Where(h => Counts(h.Client, period)))
        {
            var tally = new Tally(cells, LevelOf(history.Client, period), history.Client.Id);
            CountCoaches(tally, history, period);
            CountSignals(tally, history, period, intervals, ackTimes);
            CountReferrals(tally, history, period, startTimes, startTimesByService);
            CountTransitions(tally, history, period);
            CountDeliveries(tally, history, period);
        }

        var shown = cells.Protect();
        var groups = new Dictionary<string, List<(TimeSpan, string)>>(StringComparer.Ordinal);
        var sets = new List<string[]>
        {
            new[] { Key(PilotLevel.Under18, "ack"), Key(PilotLevel.Adult, "ack") },
            new[] { Key(PilotLevel.Under18, "start"), Key(PilotLevel.Adult, "start") },
        };
        foreach (var level in Levels)
        {
            groups[Key(level, "ack")] = ackTimes[level];
            groups[Key(level, "start")] = startTimes[level];
            foreach (var service in Services)
            {
                groups[Key(level, "start." + service)] = startTimesByService[service][level];
            }

            sets.Add([.. Services.Select(v => Key(level, "start." + v))]);
        }

        sets.AddRange(Services.Select(v => new[] { Key(PilotLevel.Under18, "start." + v), Key(PilotLevel.Adult, "start." + v) }));
        var hidden = HiddenDurations(cells, groups, sets);
        PilotDurations DurationsOf(PilotLevel level, string figure) =>
            hidden.Contains(Key(level, figure)) ? PilotDurations.Hidden : Durations(cells, groups[Key(level, figure)]);
        var levels = Levels
            .Select(level => Level(level, new Shown(shown, level), figure => DurationsOf(level, figure), intervals))
            .ToList();
        return (new PilotReport(period, minimumCellSize, now, levels), cells);
    }

    /// <summary>
    /// The duration groups not to show: those below the minimum size, and, as for counts, one more in every set of parts
    /// (under 18 and adult; the services of a level) with exactly one hidden group that is not empty. Otherwise the whole's
    /// median next to the other parts' would tell about the few durations of the hidden group.
    /// </summary>
    internal static HashSet<string> HiddenDurations(SmallCells cells, IReadOnlyDictionary<string, List<(TimeSpan, string)>> groups, IReadOnlyList<string[]> sets)
    {
        var hidden = groups.Where(g => !cells.IsLargeEnough(g.Value.Count, g.Value.Select(d => d.Item2).Distinct(StringComparer.Ordinal).Count()))
            .Select(g => g.Key)
            .ToHashSet(StringComparer.Ordinal);
        bool changed;
        do
        {
            changed = false;
            foreach (var set in sets)
            {
                if (set.Count(k => hidden.Contains(k) && groups[k].Count > 0) != 1)
                {
                    continue;
                }

                var pick = set.Where(k => !hidden.Contains(k) && groups[k].Count > 0).OrderBy(k => groups[k].Count).ThenBy(k => k, StringComparer.Ordinal).FirstOrDefault();
                if (pick is not null)
                {
                    hidden.Add(pick);
                    changed = true;
                }
            }
        }
        while (changed);

        return hidden;
    }

    private static PilotLevelFigures Level(PilotLevel level, Shown s, Func<string, PilotDurations> durations, IReadOnlyList<PilotInterval> intervals)
    {
        var coach = new CoachFlow(s["coach.start"], s["coach.end"], s["coach.first"], s["coach.ended"], s["coach.changes"]);
        var presence = new EarlyPresence(
            s["signals"],
            [.. Domains.Select(d => new DomainSignals(d, s["signals.domain." + d]))],
            [.. Severities.Select(v => new SeveritySignals(v, s["signals.severity." + v]))],
            s["signals.acknowledged"],
            durations("ack"),
            s["signals.escalated"])
        {
            OverTime = [.. intervals.Select((interval, i) => new IntervalSignals(
                interval,
                s["signals.interval." + i],
                [.. Domains.Select(d => new DomainSignals(d, s["signals.interval." + i + ".domain." + d]))]))],
            TimeToAcknowledgementDistribution = [.. DurationRange.Acknowledgement.Select((r, b) => new DurationCount(r, s["signals.ack-time." + b]))],
        };
        var scaleUp = new ScaleUpSpeed(
            s["referrals.requested"],
            s["referrals.started"],
            durations("start"),
            [.. Services.Select(v => new ServiceScaleUp(v, s["referrals.requested." + v], s["referrals.started." + v], durations("start." + v)))])
        {
            TimeToStartDistribution = [.. DurationRange.Start.Select((r, b) => new DurationCount(r, s["referrals.start-time." + b]))],
        };
        var transitions = new TransitionContinuity(
            s["transitions"],
            s["transitions.coach-before"],
            s["transitions.coach-kept"],
            Share(s["transitions.coach-kept"], s["transitions.coach-before"]),
            [.. Kinds.Select(k => new KindContinuity(k, s["transitions." + k], s["transitions.coach-before." + k], s["transitions.coach-kept." + k], Share(s["transitions.coach-kept." + k], s["transitions.coach-before." + k])))]);
        var total = s["deliveries"];
        var consent = new ConsentCoverage(
            total,
            s["deliveries.content"],
            s["deliveries.thin-notice"],
            s["deliveries.withheld-or-blocked"],
            s["deliveries.awaiting-consent"],
            Share(s["deliveries.content"], total),
            Share(s["deliveries.thin-notice"], total),
            Share(s["deliveries.withheld-or-blocked"], total),
            Share(s["deliveries.awaiting-consent"], total));
        return new PilotLevelFigures(level, coach, presence, scaleUp, transitions, consent);
    }

    // Every cell and every sum between them, per level; and per figure, the level "all" as the sum of the two others.
    private static void Declare(SmallCells cells, int intervals)
    {
        var figures = new List<(string Key, bool Published, bool Total)>();
        var relations = new List<(string[] Plus, string[] Minus)>();
        void Cell(string key, bool published = true, bool total = false) => figures.Add((key, published, total));

        // Inflow and outflow. Per client the assignments follow each other, so: at start + first + returns + changes =
        // at end + ended. Returns (a coach again after a time without one) are not published.
        Cell("coach.start");
        Cell("coach.end");
        Cell("coach.first");
        Cell("coach.ended");
        Cell("coach.changes");
        Cell("coach.returns", published: false);
        relations.Add((["coach.start", "coach.first", "coach.returns", "coach.changes"], ["coach.end", "coach.ended"]));

        Cell("signals", total: true);
        Cell("signals.domain." + LifeDomain.Unspecified, published: false);
        foreach (var d in Domains)
        {
            Cell("signals.domain." + d);
        }

        Cell("signals.severity." + SignalSeverity.Unspecified, published: false);
        foreach (var v in Severities)
        {
            Cell("signals.severity." + v);
        }

        Cell("signals.acknowledged");
        Cell("signals.not-acknowledged", published: false);
        Cell("signals.escalated");
        Cell("signals.not-escalated", published: false);
        relations.Add((["signals"], [.. Enum.GetValues<LifeDomain>().Select(d => "signals.domain." + d)]));
        relations.Add((["signals"], [.. Enum.GetValues<SignalSeverity>().Select(v => "signals.severity." + v)]));
        relations.Add((["signals"], ["signals.acknowledged", "signals.not-acknowledged"]));
        relations.Add((["signals"], ["signals.escalated", "signals.not-escalated"]));

        // The series: per interval, its total is the sum over domains; the intervals add up to the period's total, and
        // per domain to the period's count of the domain. The acknowledged signals are the sum of their time ranges.
        for (var i = 0; i < intervals; i++)
        {
            var interval = "signals.interval." + i;
            Cell(interval, total: true);
            foreach (var d in Enum.GetValues<LifeDomain>())
            {
                Cell(interval + ".domain." + d, published: d != LifeDomain.Unspecified);
            }

            relations.Add(([interval], [.. Enum.GetValues<LifeDomain>().Select(d => interval + ".domain." + d)]));
        }

        relations.Add((["signals"], [.. Enumerable.Range(0, intervals).Select(i => "signals.interval." + i)]));
        foreach (var d in Enum.GetValues<LifeDomain>())
        {
            relations.Add((["signals.domain." + d], [.. Enumerable.Range(0, intervals).Select(i => "signals.interval." + i + ".domain." + d)]));
        }

        for (var b = 0; b < DurationRange.Acknowledgement.Count; b++)
        {
            Cell("signals.ack-time." + b);
        }

        relations.Add((["signals.acknowledged"], [.. Enumerable.Range(0, DurationRange.Acknowledgement.Count).Select(b => "signals.ack-time." + b)]));

        Cell("referrals.requested", total: true);
        Cell("referrals.started", total: true);
        foreach (var v in Enum.GetValues<ServiceKind>())
        {
            var published = v != ServiceKind.Unspecified;
            Cell("referrals.requested." + v, published);
            Cell("referrals.started." + v, published);
            Cell("referrals.not-started." + v, published: false);
            relations.Add((["referrals.requested." + v], ["referrals.started." + v, "referrals.not-started." + v]));
        }

        relations.Add((["referrals.requested"], [.. Enum.GetValues<ServiceKind>().Select(v => "referrals.requested." + v)]));
        relations.Add((["referrals.started"], [.. Enum.GetValues<ServiceKind>().Select(v => "referrals.started." + v)]));
        for (var b = 0; b < DurationRange.Start.Count; b++)
        {
            Cell("referrals.start-time." + b);
        }

        relations.Add((["referrals.started"], [.. Enumerable.Range(0, DurationRange.Start.Count).Select(b => "referrals.start-time." + b)]));

        Cell("transitions", total: true);
        Cell("transitions.coach-before", total: true);
        Cell("transitions.coach-kept", total: true);
        foreach (var k in Enum.GetValues<TransitionKind>())
        {
            var published = k != TransitionKind.Unspecified;
            Cell("transitions." + k, published);
            Cell("transitions.coach-before." + k, published);
            Cell("transitions.coach-kept." + k, published);
            Cell("transitions.no-coach-before." + k, published: false);
            Cell("transitions.coach-changed." + k, published: false);
            relations.Add((["transitions." + k], ["transitions.coach-before." + k, "transitions.no-coach-before." + k]));
            relations.Add((["transitions.coach-before." + k], ["transitions.coach-kept." + k, "transitions.coach-changed." + k]));
        }

        relations.Add((["transitions"], [.. Enum.GetValues<TransitionKind>().Select(k => "transitions." + k)]));
        relations.Add((["transitions.coach-before"], [.. Enum.GetValues<TransitionKind>().Select(k => "transitions.coach-before." + k)]));
        relations.Add((["transitions.coach-kept"], [.. Enum.GetValues<TransitionKind>().Select(k => "transitions.coach-kept." + k)]));

        Cell("deliveries", total: true);
        Cell("deliveries.content");
        Cell("deliveries.thin-notice");
        Cell("deliveries.withheld-or-blocked");
        Cell("deliveries.awaiting-consent");
        relations.Add((["deliveries"], ["deliveries.content", "deliveries.thin-notice", "deliveries.withheld-or-blocked", "deliveries.awaiting-consent"]));

        foreach (var (key, published, total) in figures)
        {
            cells.Declare(Key(PilotLevel.All, key), published, total: true);
            foreach (var part in Parts)
            {
                cells.Declare(Key(part, key), published, total);
            }

            cells.Sum(Key(PilotLevel.All, key), [.. Parts.Select(p => Key(p, key))]);
        }

        foreach (var level in new[] { PilotLevel.All, PilotLevel.Under18, PilotLevel.Adult })
        {
            foreach (var (plus, minus) in relations)
            {
                cells.Relation([.. plus.Select(k => Key(level, k))], [.. minus.Select(k => Key(level, k))]);
            }
        }
    }

    private static void CountCoaches(Tally tally, ClientHistory history, PilotPeriod period)
    {
        var assignments = history.Coaches.OrderBy(a => a.From).ToList();
        // "At the start" is just before the period began, "at the end" just before it ended: so what starts or ends in
        // the period is exactly the difference between the two.
        if (assignments.Exists(a => HoldsJustBefore(a, period.Start)))
        {
            tally.Count("coach.start");
        }

        if (assignments.Exists(a => HoldsJustBefore(a, period.End)))
        {
            tally.Count("coach.end");
        }

        for (var i = 0; i < assignments.Count; i++)
        {
            var a = assignments[i];
            if (period.Contains(a.From))
            {
                if (i == 0)
                {
                    tally.Count("coach.first");
                }
                else if (!assignments.Exists(b => b.Until == a.From))
                {
                    tally.Count("coach.returns");
                }
            }

            if (a.Until is { } until && period.Contains(until))
            {
                tally.Count("coach.ended");
                if (assignments.Exists(b => b != a && b.From == until))
                {
                    tally.Count("coach.changes");
                }
            }
        }
    }

    private static bool HoldsJustBefore(CoachAssignment assignment, DateTimeOffset time) =>
        assignment.From < time && (assignment.Until is null || time <= assignment.Until);

    private static void CountSignals(Tally tally, ClientHistory history, PilotPeriod period, IReadOnlyList<PilotInterval> intervals, Dictionary<PilotLevel, List<(TimeSpan, string)>> ackTimes)
    {
        foreach (var signal in history.Signals.Where(s => period.Contains(s.CreateTime)))
        {
            var domain = Enum.IsDefined(signal.Domain) ? signal.Domain : LifeDomain.Unspecified;
            var interval = "signals.interval." + Index(intervals, i => i.Contains(signal.CreateTime));
            tally.Count("signals");
            tally.Count("signals.domain." + domain);
            tally.Count(interval);
            tally.Count(interval + ".domain." + domain);
            tally.Count("signals.severity." + (Enum.IsDefined(signal.Severity) ? signal.Severity : SignalSeverity.Unspecified));
            var deliveries = history.Deliveries.Where(d => d.MessageId == signal.Id).ToList();
            var firstAck = deliveries.Where(d => d.SignalAckTime is not null).Select(d => d.SignalAckTime!.Value).DefaultIfEmpty().Min();
            if (firstAck != default)
            {
                var toAck = Max(firstAck - signal.CreateTime, TimeSpan.Zero);
                tally.Count("signals.acknowledged");
                tally.Count("signals.ack-time." + Index(DurationRange.Acknowledgement, r => r.Contains(toAck)));
                tally.Add(ackTimes, toAck);
            }
            else
            {
                tally.Count("signals.not-acknowledged");
            }

            tally.Count(deliveries.Exists(d => d.Escalated) ? "signals.escalated" : "signals.not-escalated");
        }
    }

    private static void CountReferrals(
        Tally tally,
        ClientHistory history,
        PilotPeriod period,
        Dictionary<PilotLevel, List<(TimeSpan, string)>> startTimes,
        Dictionary<ServiceKind, Dictionary<PilotLevel, List<(TimeSpan, string)>>> startTimesByService)
    {
        foreach (var referral in history.Referrals.Where(r => period.Contains(r.CreateTime)))
        {
            var service = Enum.IsDefined(referral.Service) ? referral.Service : ServiceKind.Unspecified;
            tally.Count("referrals.requested");
            tally.Count("referrals.requested." + service);

            // As the client's report: the earliest start date of a performer that started care.
            var start = referral.Performers.Where(p => p.StartDate is not null && p.Status is PerformerStatus.Started or PerformerStatus.Ended)
                .Select(p => DutchTime.StartOf(p.StartDate!.Value)).DefaultIfEmpty().Min();
            if (start == default)
            {
                tally.Count("referrals.not-started." + service);
                continue;
            }

            tally.Count("referrals.started");
            tally.Count("referrals.started." + service);
            var toStart = Max(start - referral.CreateTime, TimeSpan.Zero);
            tally.Count("referrals.start-time." + Index(DurationRange.Start, r => r.Contains(toStart)));
            tally.Add(startTimes, toStart);
            if (service != ServiceKind.Unspecified)
            {
                tally.Add(startTimesByService[service], toStart);
            }
        }
    }

    private static void CountTransitions(Tally tally, ClientHistory history, PilotPeriod period)
    {
        foreach (var transition in history.Transitions.Where(t => period.Contains(t.CreateTime)))
        {
            var kind = Enum.IsDefined(transition.Kind) ? transition.Kind : TransitionKind.Unspecified;
            tally.Count("transitions");
            tally.Count("transitions." + kind);
            var before = CoachBefore(history.Coaches, transition.CreateTime);
            if (before is null)
            {
                tally.Count("transitions.no-coach-before." + kind);
                continue;
            }

            tally.Count("transitions.coach-before");
            tally.Count("transitions.coach-before." + kind);
            if (transition.Coach is { } after && after.PartyId == before.PartyId && after.CoachId == before.CoachId)
            {
                tally.Count("transitions.coach-kept");
                tally.Count("transitions.coach-kept." + kind);
            }
            else
            {
                tally.Count("transitions.coach-changed." + kind);
            }
        }
    }

    /// <summary>
    /// The coach just before <paramref name="time"/>. A transition that names a new coach ends the old assignment and starts
    /// the new one at its own time, so of the assignments that hold at that instant the earlier one was the coach before.
    /// </summary>
    public static CoachInfo? CoachBefore(IEnumerable<CoachAssignment> assignments, DateTimeOffset time) =>
        assignments.Where(a => a.From <= time && (a.Until is null || time <= a.Until)).OrderBy(a => a.From).FirstOrDefault()?.Coach;

    private static void CountDeliveries(Tally tally, ClientHistory history, PilotPeriod period)
    {
        var messages = history.Deliveries.Where(d =>
            period.Contains(d.CreateTime)
            && d.EscalationOf is null
            && d.PayloadKind is PayloadKind.Referral or PayloadKind.Transition or PayloadKind.Signal or PayloadKind.ThinNotice);
        foreach (var delivery in messages)
        {
            tally.Count("deliveries");
            tally.Count("deliveries." + CoverageOf(delivery));
        }
    }

    /// <summary>What the recipient got: <c>content</c>, <c>thin-notice</c>, <c>withheld-or-blocked</c> or <c>awaiting-consent</c>.</summary>
    public static string CoverageOf(DeliveryRecord delivery)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        if (delivery.Status is DeliveryStatus.Withheld or DeliveryStatus.Expired || delivery.Decision.Outcome == RecipientOutcome.Blocked)
        {
            return "withheld-or-blocked";
        }

        if (delivery.Status == DeliveryStatus.AwaitingConsent)
        {
            return "awaiting-consent";
        }

        return delivery.PayloadKind == PayloadKind.ThinNotice || delivery.Decision.Outcome == RecipientOutcome.ThinNotice ? "thin-notice" : "content";
    }

    /// <summary>
    /// The median and 90th percentile (linear between the nearest ranks, so neither is one client's own value unless the
    /// group is one) of a group of at least the minimum cell size, in items and in distinct clients; hidden otherwise.
    /// </summary>
    public static PilotDurations Durations(SmallCells cells, IReadOnlyCollection<(TimeSpan Duration, string ClientId)> group)
    {
        ArgumentNullException.ThrowIfNull(cells);
        ArgumentNullException.ThrowIfNull(group);
        if (!cells.IsLargeEnough(group.Count, group.Select(g => g.ClientId).Distinct(StringComparer.Ordinal).Count()))
        {
            return PilotDurations.Hidden;
        }

        var sorted = group.Select(g => g.Duration.Ticks).Order().ToList();
        return new PilotDurations(false, Percentile(sorted, 0.5), Percentile(sorted, 0.9));
    }

    /// <summary>The <paramref name="p"/>-quantile of sorted ticks, interpolated between ranks (as a spreadsheet's PERCENTILE).</summary>
    public static TimeSpan Percentile(IReadOnlyList<long> sorted, double p)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        if (sorted.Count == 0)
        {
            return TimeSpan.Zero;
        }

        var rank = p * (sorted.Count - 1);
        var low = (int)Math.Floor(rank);
        var high = (int)Math.Ceiling(rank);
        var ticks = sorted[low] + ((rank - low) * (sorted[high] - sorted[low]));
        return TimeSpan.FromTicks((long)Math.Round(ticks));
    }

    private static PilotShare Share(PilotCount part, PilotCount total) =>
        part.Suppressed || total.Suppressed || total.Value == 0 ? PilotShare.Hidden : new PilotShare(false, (double)part.Value / total.Value);

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static int Index<T>(IReadOnlyList<T> items, Func<T, bool> match)
    {
        for (var i = 0; i < items.Count; i++)
        {
            if (match(items[i]))
            {
                return i;
            }
        }

        throw new InvalidOperationException("No range holds the value.");
    }

    private static string Key(PilotLevel level, string figure) => LevelKey(level) + ":" + figure;

    private static string LevelKey(PilotLevel level) => level switch
    {
        PilotLevel.Under18 => "under-18",
        PilotLevel.Adult => "adult",
        _ => "all",
    };

    private static Dictionary<PilotLevel, List<T>> Levelled<T>() =>
        new() { [PilotLevel.All] = [], [PilotLevel.Under18] = [], [PilotLevel.Adult] = [] };

    /// <summary>Counts one client's items at its level and at the level of all.</summary>
    private sealed class Tally(SmallCells cells, PilotLevel level, string clientId)
    {
        public void Count(string figure)
        {
            cells.Count(Key(level, figure), clientId);
            cells.Count(Key(PilotLevel.All, figure), clientId);
        }

        public void Add(Dictionary<PilotLevel, List<(TimeSpan, string)>> groups, TimeSpan duration)
        {
            groups[level].Add((duration, clientId));
            groups[PilotLevel.All].Add((duration, clientId));
        }
    }

    /// <summary>The protected cells of one level, by figure.</summary>
    private sealed class Shown(IReadOnlyDictionary<string, PilotCount> cells, PilotLevel level)
    {
        public PilotCount this[string figure] => cells[Key(level, figure)];
    }
}

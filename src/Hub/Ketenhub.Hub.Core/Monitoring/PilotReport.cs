using Ketenhub.Hub.Common;

namespace Ketenhub.Hub.Monitoring;

/// <summary>Which clients a level of the report counts, by their age on the period's last day.</summary>
public enum PilotLevel
{
    /// <summary>Every client.</summary>
    All = 1,

    /// <summary>Young people: under 18 on the period's last day.</summary>
    Under18 = 2,

    /// <summary>18 or older on the period's last day.</summary>
    Adult = 3,
}

/// <summary>The period of a report: <see cref="From"/> inclusive to <see cref="To"/> exclusive, Dutch dates.</summary>
public sealed record PilotPeriod(DateOnly From, DateOnly To, string? MunicipalityCode)
{
    public DateTimeOffset Start => DutchTime.StartOf(From);

    public DateTimeOffset End => DutchTime.StartOf(To);

    /// <summary>The period's last day, on which age and municipality are taken.</summary>
    public DateOnly LastDay => To.AddDays(-1);

    public bool Contains(DateTimeOffset instant) => Start <= instant && instant < End;

    /// <summary>
    /// The intervals of the period's series: calendar months when the period is at most a year (366 days), calendar
    /// quarters when it is longer; the first and the last are cut at the period's edges.
    /// </summary>
    public IReadOnlyList<PilotInterval> Intervals
    {
        get
        {
            var months = To.DayNumber - From.DayNumber <= 366 ? 1 : 3;
            var intervals = new List<PilotInterval>();
            var from = From;
            while (from < To)
            {
                var first = new DateOnly(from.Year, ((from.Month - 1) / months * months) + 1, 1);
                var next = first.AddMonths(months);
                var to = next < To ? next : To;
                intervals.Add(new PilotInterval(from, to));
                from = to;
            }

            return intervals;
        }
    }
}

/// <summary>One interval of a series: <see cref="From"/> inclusive to <see cref="To"/> exclusive, Dutch dates.</summary>
public sealed record PilotInterval(DateOnly From, DateOnly To)
{
    public bool Contains(DateTimeOffset instant) => DutchTime.StartOf(From) <= instant && instant < DutchTime.StartOf(To);
}

/// <summary>A range of durations, <see cref="From"/> inclusive to <see cref="To"/> exclusive (open when null).</summary>
public sealed record DurationRange(TimeSpan From, TimeSpan? To)
{
    /// <summary>The ranges of the time to acknowledgement: under an hour, 1 to 4 hours, 4 to 24 hours, 1 to 3 days, 3 to 7 days, a week or more.</summary>
    public static readonly IReadOnlyList<DurationRange> Acknowledgement = Ranges(TimeSpan.FromHours(1), TimeSpan.FromHours(4), TimeSpan.FromHours(24), TimeSpan.FromDays(3), TimeSpan.FromDays(7));

    /// <summary>The ranges of the time from request to start of care: under a week, 1 to 2, 2 to 4, 4 to 8 weeks, 8 weeks or more.</summary>
    public static readonly IReadOnlyList<DurationRange> Start = Ranges(TimeSpan.FromDays(7), TimeSpan.FromDays(14), TimeSpan.FromDays(28), TimeSpan.FromDays(56));

    public bool Contains(TimeSpan duration) => From <= duration && (To is null || duration < To);

    private static DurationRange[] Ranges(params TimeSpan[] bounds) =>
        [.. bounds.Select((b, i) => new DurationRange(i == 0 ? TimeSpan.Zero : bounds[i - 1], b)), new DurationRange(bounds[^1], null)];
}

/// <summary>How many durations fall in a range.</summary>
public sealed record DurationCount(DurationRange Range, PilotCount Count);

/// <summary>Signals raised in one interval of the period, in total and by life domain.</summary>
public sealed record IntervalSignals(PilotInterval Interval, PilotCount Signals, IReadOnlyList<DomainSignals> ByDomain);

/// <summary>A median and a 90th percentile, shown only when computed from a large enough group.</summary>
public sealed record PilotDurations(bool Suppressed, TimeSpan Median, TimeSpan Percentile90)
{
    public static readonly PilotDurations Hidden = new(true, TimeSpan.Zero, TimeSpan.Zero);
}

/// <summary>A share (0 to 1), shown only when its numerator and denominator are.</summary>
public sealed record PilotShare(bool Suppressed, double Value)
{
    public static readonly PilotShare Hidden = new(true, 0);
}

/// <summary>The pilot report: per level, only aggregates, with the small-cell rule applied.</summary>
public sealed record PilotReport(PilotPeriod Period, int MinimumCellSize, DateTimeOffset CreateTime, IReadOnlyList<PilotLevelFigures> Levels)
{
    /// <summary>The cost view, for all clients together (docs/monitor.md, "Costs"); null when not computed.</summary>
    public PilotCostView? Costs { get; init; }
}

/// <summary>The figures of one level.</summary>
public sealed record PilotLevelFigures(
    PilotLevel Level,
    CoachFlow Coach,
    EarlyPresence EarlyPresence,
    ScaleUpSpeed ScaleUp,
    TransitionContinuity Transitions,
    ConsentCoverage ConsentCoverage);

/// <summary>Inflow and outflow: clients with a coach at the period's start and end, first coaches, ended assignments.</summary>
public sealed record CoachFlow(PilotCount WithCoachAtStart, PilotCount WithCoachAtEnd, PilotCount FirstCoaches, PilotCount AssignmentsEnded, PilotCount CoachChanges);

/// <summary>Early presence: signals raised in the period, by life domain and severity, their acknowledgement and escalation.</summary>
public sealed record EarlyPresence(
    PilotCount Signals,
    IReadOnlyList<DomainSignals> ByDomain,
    IReadOnlyList<SeveritySignals> BySeverity,
    PilotCount Acknowledged,
    PilotDurations TimeToAcknowledgement,
    PilotCount Escalated)
{
    /// <summary>The same signals per interval of the period (<see cref="PilotPeriod.Intervals"/>), by life domain.</summary>
    public IReadOnlyList<IntervalSignals> OverTime { get; init; } = [];

    /// <summary>The acknowledged signals by their time to acknowledgement (<see cref="DurationRange.Acknowledgement"/>).</summary>
    public IReadOnlyList<DurationCount> TimeToAcknowledgementDistribution { get; init; } = [];
}

/// <summary>Signals of one life domain.</summary>
public sealed record DomainSignals(LifeDomain Domain, PilotCount Signals);

/// <summary>Signals of one severity.</summary>
public sealed record SeveritySignals(SignalSeverity Severity, PilotCount Signals);

/// <summary>Scale-up speed: referrals requested in the period, how many started, and the time from request to start.</summary>
public sealed record ScaleUpSpeed(PilotCount Requested, PilotCount Started, PilotDurations TimeToStart, IReadOnlyList<ServiceScaleUp> ByService)
{
    /// <summary>The started referrals by their time from request to start (<see cref="DurationRange.Start"/>).</summary>
    public IReadOnlyList<DurationCount> TimeToStartDistribution { get; init; } = [];
}

/// <summary>One service's referrals.</summary>
public sealed record ServiceScaleUp(ServiceKind Service, PilotCount Requested, PilotCount Started, PilotDurations TimeToStart);

/// <summary>Connection at transitions: transitions in the period, those with a coach before, and those that kept that coach.</summary>
public sealed record TransitionContinuity(PilotCount Transitions, PilotCount WithCoachBefore, PilotCount CoachKept, PilotShare KeptShare, IReadOnlyList<KindContinuity> ByKind);

/// <summary>One kind of transition.</summary>
public sealed record KindContinuity(TransitionKind Kind, PilotCount Transitions, PilotCount WithCoachBefore, PilotCount CoachKept, PilotShare KeptShare);

/// <summary>Consent coverage: deliveries of messages made in the period, by what the recipient got.</summary>
public sealed record ConsentCoverage(
    PilotCount Deliveries,
    PilotCount Content,
    PilotCount ThinNotice,
    PilotCount WithheldOrBlocked,
    PilotCount AwaitingConsent,
    PilotShare ContentShare,
    PilotShare ThinNoticeShare,
    PilotShare WithheldOrBlockedShare,
    PilotShare AwaitingConsentShare);

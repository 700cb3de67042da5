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
}

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
    PilotCount Escalated);

/// <summary>Signals of one life domain.</summary>
public sealed record DomainSignals(LifeDomain Domain, PilotCount Signals);

/// <summary>Signals of one severity.</summary>
public sealed record SeveritySignals(SignalSeverity Severity, PilotCount Signals);

/// <summary>Scale-up speed: referrals requested in the period, how many started, and the time from request to start.</summary>
public sealed record ScaleUpSpeed(PilotCount Requested, PilotCount Started, PilotDurations TimeToStart, IReadOnlyList<ServiceScaleUp> ByService);

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

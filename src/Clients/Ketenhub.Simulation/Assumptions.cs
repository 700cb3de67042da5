using Ketenhub.Contracts.V1;

namespace Ketenhub.Simulation;

/// <summary>
/// The simulated pilot's assumptions, at full size (docs/monitor.md, "A simulated pilot", gives the reasons). Two
/// part-time coaches of about 16 hours a week each carry 15 to 25 clients at a time; over two years each sees a few dozen.
/// </summary>
public static class Assumptions
{
    /// <summary>Young people on the youth coach's caseload when the pilot starts (with the school year).</summary>
    public const int YoungAtStart = 10;

    /// <summary>Adults on the adult coach's caseload when the pilot starts.</summary>
    public const int AdultsAtStart = 12;

    /// <summary>New young people per month (from the two VSO schools), Poisson.</summary>
    public const double YoungInflowPerMonth = 0.9;

    /// <summary>New adults per month (from the social service), Poisson.</summary>
    public const double AdultInflowPerMonth = 1.0;

    /// <summary>No new clients in the pilot's last months (the pilot is winding down).</summary>
    public const int NoIntakeInLastMonths = 2;

    /// <summary>Support lasts at least this long, then an exponential time with the mean below (about 18 months on average).</summary>
    public const double MinimumSupportMonths = 6;

    public const double MeanSupportMonthsAfterMinimum = 12;

    /// <summary>Signals per client per month while in support (Poisson).</summary>
    public const double YoungSignalsPerMonth = 0.35;

    public const double AdultSignalsPerMonth = 0.4;

    /// <summary>Of the young people, the share whose consent for the coach covers every life domain (the others leave out health and family).</summary>
    public const double ConsentToAllDomains = 0.85;

    /// <summary>Share of signals the coach acknowledges; the others are left (a crisis then escalates after four hours).</summary>
    public const double AcknowledgedShare = 0.93;

    /// <summary>The spread of the time to acknowledgement: its logarithm's standard deviation around the median.</summary>
    public const double AcknowledgeSpread = 0.9;

    /// <summary>After an acknowledged urgent or crisis signal, the share that leads to heavier support within two weeks.</summary>
    public const double ScaleUpAfterUrgentSignal = 0.35;

    /// <summary>The coach stays at a scale-up in this share; otherwise the provider's counsellor takes over until the step down.</summary>
    public const double CoachKeptAtScaleUp = 0.9;

    /// <summary>For debt counselling at the social service, the share of clients who consent to it (it needs consent).</summary>
    public const double ConsentForDebtCounselling = 0.85;

    /// <summary>Share of referrals the provider accepts (the rest are declined and the client steps back at once).</summary>
    public const double ReferralAccepted = 0.92;

    /// <summary>Days from acceptance to the start of care: at least this, then an exponential time with the mean below.</summary>
    public const double DaysToStartMinimum = 3;

    public const double MeanDaysToStartAfterMinimum = 16;

    /// <summary>Heavier support lasts at least this many months, then an exponential time with the mean below.</summary>
    public const double MinimumMonthsHeavier = 3;

    public const double MeanMonthsHeavierAfterMinimum = 5;

    /// <summary>At 18: the share of school leavers with a referral for work and participation at the social service.</summary>
    public const double ParticipationReferralAt18 = 0.6;

    /// <summary>At 18: the share who keep their coach; the others move to the adult coach.</summary>
    public const double CoachKeptAt18 = 0.85;

    /// <summary>At 18: the share who give the social service their own consent within three weeks of the announcement.</summary>
    public const double OwnConsentForSocialService = 0.8;

    /// <summary>After 18: the share who confirm the parent's consent with the coach within a month.</summary>
    public const double ParentConsentConfirmedShare = 0.85;

    /// <summary>Share of clients who move once during their support, and of those the share who stay in the region.</summary>
    public const double MoveShare = 0.08;

    public const double MovesWithinRegion = 0.7;

    /// <summary>Share of clients who withdraw their consent for the coach during their support.</summary>
    public const double WithdrawalShare = 0.07;

    /// <summary>Life domains of the signals about young people, with weights.</summary>
    public static readonly IReadOnlyList<(LifeDomain Value, double Weight)> YoungDomains =
    [
        (LifeDomain.Education, 30), (LifeDomain.Care, 20), (LifeDomain.Work, 15), (LifeDomain.Safety, 10),
        (LifeDomain.Finances, 10), (LifeDomain.Housing, 8), (LifeDomain.Parenting, 7),
    ];

    /// <summary>Life domains of the signals about adults, with weights.</summary>
    public static readonly IReadOnlyList<(LifeDomain Value, double Weight)> AdultDomains =
    [
        (LifeDomain.Finances, 32), (LifeDomain.Housing, 20), (LifeDomain.Care, 18), (LifeDomain.Work, 12),
        (LifeDomain.Parenting, 8), (LifeDomain.Safety, 6), (LifeDomain.Education, 4),
    ];

    /// <summary>Severities of the signals, with weights.</summary>
    public static readonly IReadOnlyList<(SignalSeverity Value, double Weight)> Severities =
    [
        (SignalSeverity.Info, 10), (SignalSeverity.Concern, 55), (SignalSeverity.Urgent, 27), (SignalSeverity.Crisis, 8),
    ];

    /// <summary>The median hours from a signal to the coach's acknowledgement, per severity.</summary>
    public static readonly IReadOnlyDictionary<SignalSeverity, double> MedianHoursToAcknowledge = new Dictionary<SignalSeverity, double>
    {
        [SignalSeverity.Info] = 60,
        [SignalSeverity.Concern] = 22,
        [SignalSeverity.Urgent] = 5,
        [SignalSeverity.Crisis] = 1.5,
    };
}

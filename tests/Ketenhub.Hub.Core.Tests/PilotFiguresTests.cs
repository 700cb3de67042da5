using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Journeys;
using Ketenhub.Hub.Messages;
using Ketenhub.Hub.Monitoring;

namespace Ketenhub.Hub.Core.Tests;

/// <summary>
/// Each figure of the pilot report on a small hand-built history with a known answer (docs/monitor.md), the small-cell
/// rule, and attempts to find a hidden count by subtraction.
/// </summary>
public sealed class PilotFiguresTests
{
    private const string Dordrecht = "0505";
    private const string Zwijndrecht = "0642";
    private static readonly PilotPeriod Q1 = new(new DateOnly(2026, 1, 1), new DateOnly(2026, 4, 1), null);
    private static readonly DateTimeOffset Now = At(2026, 5, 1);
    private static readonly DateOnly Adult = new(1995, 5, 5);
    private static readonly DateOnly Young = new(2010, 5, 5);
    private static readonly CoachInfo Lisa = new("zorg-a", "lisa", "Lisa", "", "");
    private static readonly CoachInfo Piet = new("zorg-a", "piet", "Piet", "", "");

    // No suppression: the figures themselves.
    private static PilotReport Exact(params ClientHistory[] histories) => PilotFigures.Compute(histories, Q1, 1, Now);

    private static PilotLevelFigures Level(PilotReport report, PilotLevel level) => Assert.Single(report.Levels, l => l.Level == level);

    [Fact]
    public void Period_BeginsAndEndsAtDutchMidnight()
    {
        Assert.Equal(new DateTimeOffset(2025, 12, 31, 23, 0, 0, TimeSpan.Zero), Q1.Start);
        Assert.Equal(new DateTimeOffset(2026, 3, 31, 22, 0, 0, TimeSpan.Zero), Q1.End);
        Assert.Equal(new DateOnly(2026, 3, 31), Q1.LastDay);
    }

    [Fact]
    public void CoachFlow_CountsCoachesAtStartAndEnd_FirstCoaches_EndedAssignmentsAndChanges()
    {
        var report = Exact(
            History("a", Adult, coaches: [Assignment(Lisa, At(2025, 6, 1))]),
            History("b", Adult, coaches: [Assignment(Lisa, At(2026, 2, 1))]),
            History("c", Young, coaches: [Assignment(Lisa, At(2025, 10, 1), At(2026, 3, 1)), Assignment(Piet, At(2026, 3, 1))]),
            History("d", Young, coaches: [Assignment(Lisa, At(2026, 5, 1))]));

        var all = Level(report, PilotLevel.All).Coach;
        Assert.Equal(new long[] { 2, 3, 1, 1, 1 }, Values(all));
        Assert.Equal(new long[] { 1, 1, 0, 1, 1 }, Values(Level(report, PilotLevel.Under18).Coach));
        Assert.Equal(new long[] { 1, 2, 1, 0, 0 }, Values(Level(report, PilotLevel.Adult).Coach));

        static long[] Values(CoachFlow f) => [f.WithCoachAtStart.Value, f.WithCoachAtEnd.Value, f.FirstCoaches.Value, f.AssignmentsEnded.Value, f.CoachChanges.Value];
    }

    [Fact]
    public void EarlyPresence_CountsSignalsByDomainAndSeverity_AndTimesTheFirstAcknowledgement()
    {
        var s1 = Signal("a", LifeDomain.Finances, SignalSeverity.Urgent, At(2026, 2, 1, 10));
        var s2 = Signal("a", LifeDomain.Housing, SignalSeverity.Concern, At(2026, 2, 2, 10));
        var s3 = Signal("b", LifeDomain.Finances, SignalSeverity.Crisis, At(2026, 3, 1, 10));
        var later = Signal("b", LifeDomain.Safety, SignalSeverity.Crisis, At(2026, 4, 2, 10));
        var report = Exact(
            History("a", Adult, signals: [s1, s2], deliveries: [
                SignalDelivery(s1, ack: s1.CreateTime.AddHours(5)),
                SignalDelivery(s1, ack: s1.CreateTime.AddHours(2)),
                SignalDelivery(s2, escalated: true)]),
            History("b", Young, signals: [s3, later], deliveries: [SignalDelivery(s3, ack: s3.CreateTime.AddHours(4)), SignalDelivery(later, ack: later.CreateTime.AddHours(1))]));

        var all = Level(report, PilotLevel.All).EarlyPresence;
        Assert.Equal(3, all.Signals.Value);
        Assert.Equal(2, all.ByDomain.Single(d => d.Domain == LifeDomain.Finances).Signals.Value);
        Assert.Equal(1, all.ByDomain.Single(d => d.Domain == LifeDomain.Housing).Signals.Value);
        Assert.Equal(0, all.ByDomain.Single(d => d.Domain == LifeDomain.Safety).Signals.Value);
        Assert.Equal(7, all.ByDomain.Count);
        Assert.Equal(new long[] { 1, 1, 1 }, all.BySeverity.Where(s => s.Severity != SignalSeverity.Info).Select(s => s.Signals.Value));
        Assert.Equal(2, all.Acknowledged.Value);
        Assert.Equal(1, all.Escalated.Value);

        // The first acknowledgement per signal: 2 h and 4 h; the median between them, the 90th percentile interpolated.
        Assert.False(all.TimeToAcknowledgement.Suppressed);
        Assert.Equal(TimeSpan.FromHours(3), all.TimeToAcknowledgement.Median);
        Assert.Equal(TimeSpan.FromHours(3.8), all.TimeToAcknowledgement.Percentile90);
        Assert.Equal(1, Level(report, PilotLevel.Under18).EarlyPresence.Signals.Value);
    }

    [Fact]
    public void ScaleUp_TimesRequestToStart_PerService()
    {
        var report = Exact(
            History("a", Adult, referrals: [
                Referral("r1", "a", ServiceKind.WaakvlamSupport, At(2026, 2, 1), started: new DateOnly(2026, 2, 11)),
                Referral("r2", "a", ServiceKind.IndividualGuidance, At(2026, 2, 1), started: new DateOnly(2026, 2, 21))]),
            History("b", Young, referrals: [
                Referral("r3", "b", ServiceKind.IndividualGuidance, At(2026, 3, 1)),
                Referral("r4", "b", ServiceKind.DebtCounselling, At(2025, 12, 1), started: new DateOnly(2026, 1, 5))]));

        var all = Level(report, PilotLevel.All).ScaleUp;
        Assert.Equal(3, all.Requested.Value);
        Assert.Equal(2, all.Started.Value);
        Assert.Equal(TimeSpan.FromDays(15), all.TimeToStart.Median);
        Assert.Equal(TimeSpan.FromDays(19), all.TimeToStart.Percentile90);
        var guidance = all.ByService.Single(s => s.Service == ServiceKind.IndividualGuidance);
        Assert.Equal((2L, 1L), (guidance.Requested.Value, guidance.Started.Value));
        Assert.Equal(TimeSpan.FromDays(20), guidance.TimeToStart.Median);
        Assert.Equal(0, all.ByService.Single(s => s.Service == ServiceKind.DebtCounselling).Requested.Value);
    }

    [Fact]
    public void Transitions_KeptCoach_IsTheCoachAfterEqualToTheCoachBefore()
    {
        var change = At(2026, 3, 1, 10);
        var report = Exact(
            History(
                "a",
                Adult,
                coaches: [Assignment(Lisa, At(2025, 6, 1), change), Assignment(Piet, change)],
                transitions: [Transition("a", TransitionKind.ScaleUp, At(2026, 2, 1), Lisa), Transition("a", TransitionKind.ProviderChange, change, Piet)]),
            History("b", Young, transitions: [Transition("b", TransitionKind.SchoolLeaver18, At(2026, 2, 15), null)]));

        var all = Level(report, PilotLevel.All).Transitions;
        Assert.Equal((3L, 2L, 1L), (all.Transitions.Value, all.WithCoachBefore.Value, all.CoachKept.Value));
        Assert.Equal(0.5, all.KeptShare.Value);
        var byKind = all.ByKind.ToDictionary(k => k.Kind);
        Assert.Equal((1L, 1L, 1L), (byKind[TransitionKind.ScaleUp].Transitions.Value, byKind[TransitionKind.ScaleUp].WithCoachBefore.Value, byKind[TransitionKind.ScaleUp].CoachKept.Value));
        Assert.Equal((1L, 1L, 0L), (byKind[TransitionKind.ProviderChange].Transitions.Value, byKind[TransitionKind.ProviderChange].WithCoachBefore.Value, byKind[TransitionKind.ProviderChange].CoachKept.Value));
        Assert.Equal((1L, 0L, 0L), (byKind[TransitionKind.SchoolLeaver18].Transitions.Value, byKind[TransitionKind.SchoolLeaver18].WithCoachBefore.Value, byKind[TransitionKind.SchoolLeaver18].CoachKept.Value));
        Assert.True(byKind[TransitionKind.SchoolLeaver18].KeptShare.Suppressed);
    }

    [Fact]
    public void ConsentCoverage_CountsMessageDeliveriesOfThePeriod_ByWhatTheRecipientGot()
    {
        var t = At(2026, 2, 1);
        var report = Exact(History("a", Adult, deliveries: [
            Delivery(PayloadKind.Referral, RecipientOutcome.Content, DeliveryStatus.Acknowledged, t),
            Delivery(PayloadKind.ThinNotice, RecipientOutcome.ThinNotice, DeliveryStatus.Pending, t),
            Delivery(PayloadKind.Signal, RecipientOutcome.Content, DeliveryStatus.Withheld, t),
            Delivery(PayloadKind.Transition, RecipientOutcome.Blocked, DeliveryStatus.Withheld, t),
            Delivery(PayloadKind.Signal, RecipientOutcome.AwaitingConsent, DeliveryStatus.AwaitingConsent, t),
            Delivery(PayloadKind.Task, RecipientOutcome.Content, DeliveryStatus.Pending, t),
            Delivery(PayloadKind.Signal, RecipientOutcome.Content, DeliveryStatus.Pending, t) with { EscalationOf = "dlv_x" },
            Delivery(PayloadKind.Signal, RecipientOutcome.Content, DeliveryStatus.Pending, At(2025, 12, 1))]));

        var c = Level(report, PilotLevel.All).ConsentCoverage;
        Assert.Equal(new long[] { 5, 1, 1, 2, 1 }, new[] { c.Deliveries, c.Content, c.ThinNotice, c.WithheldOrBlocked, c.AwaitingConsent }.Select(x => x.Value));
        Assert.Equal(0.4, c.WithheldOrBlockedShare.Value, 6);
        Assert.Equal(0.2, c.ContentShare.Value, 6);
    }

    [Fact]
    public void Level_IsTheAgeOnThePeriodsLastDay_AndMunicipalityTheOneLivedInThen()
    {
        var eighteenOnLastDay = History("a", new DateOnly(2008, 3, 31), coaches: [Assignment(Lisa, At(2025, 1, 1))]);
        var eighteenTheDayAfter = History("b", new DateOnly(2008, 4, 1), coaches: [Assignment(Lisa, At(2025, 1, 1))]);
        var stayed = History("c", Adult, coaches: [Assignment(Lisa, At(2025, 1, 1))]);
        var moved = stayed with { Client = stayed.Client.WithResidence(new Residence(Zwijndrecht, new DateOnly(2026, 3, 15), ResidenceSource.Relocation, "sdd", At(2026, 3, 1))) };

        var report = Exact(eighteenOnLastDay, eighteenTheDayAfter, moved);
        Assert.Equal(2, Level(report, PilotLevel.Adult).Coach.WithCoachAtEnd.Value);
        Assert.Equal(1, Level(report, PilotLevel.Under18).Coach.WithCoachAtEnd.Value);

        var dordrecht = PilotFigures.Compute([eighteenOnLastDay, eighteenTheDayAfter, moved], Q1 with { MunicipalityCode = Dordrecht }, 1, Now);
        Assert.Equal(2, Level(dordrecht, PilotLevel.All).Coach.WithCoachAtEnd.Value);
        var zwijndrecht = PilotFigures.Compute([eighteenOnLastDay, eighteenTheDayAfter, moved], Q1 with { MunicipalityCode = Zwijndrecht }, 1, Now);
        Assert.Equal(1, Level(zwijndrecht, PilotLevel.All).Coach.WithCoachAtEnd.Value);
    }

    [Fact]
    public void SmallCounts_AreSuppressed_AndTheirComplementToo_SoTheTotalCannotBeSubtracted()
    {
        // Seven adults and two young people each raise one signal in finances.
        var histories = Enumerable.Range(0, 9).Select(i =>
        {
            var id = "c" + i;
            var signal = Signal(id, LifeDomain.Finances, SignalSeverity.Concern, At(2026, 2, 1 + i));
            return History(id, i < 7 ? Adult : Young, signals: [signal], deliveries: [SignalDelivery(signal, ack: signal.CreateTime.AddHours(i + 1))]);
        }).ToList();

        var report = PilotFigures.Compute(histories, Q1, 5, Now);
        var all = Level(report, PilotLevel.All).EarlyPresence;
        var young = Level(report, PilotLevel.Under18).EarlyPresence;
        var adult = Level(report, PilotLevel.Adult).EarlyPresence;

        Assert.Equal(PilotCount.Shown(9), all.Signals);
        Assert.Equal(Suppression.SmallCount, young.Signals.Suppression);
        Assert.Equal(0, young.Signals.Value);

        // The differencing attempt: young = all - adult. The adult count is hidden as a complement, so it fails.
        Assert.Equal(Suppression.Complementary, adult.Signals.Suppression);
        Assert.False(!all.Signals.Suppressed && !adult.Signals.Suppressed, "all - adult would give the young count");

        // Within a level the breakdowns follow the same rule: the young people's two signals in finances are small.
        Assert.True(young.ByDomain.Single(d => d.Domain == LifeDomain.Finances).Signals.Suppressed);

        // Durations only from a group at least the minimum size: nine shown, two not; and the adults' seven not either,
        // or the median of all next to the adults' would tell about the two young people's times.
        Assert.False(all.TimeToAcknowledgement.Suppressed);
        Assert.Equal(TimeSpan.FromHours(5), all.TimeToAcknowledgement.Median);
        Assert.True(young.TimeToAcknowledgement.Suppressed);
        Assert.True(adult.TimeToAcknowledgement.Suppressed);
    }

    [Fact]
    public void Durations_OfAnEmptyPart_HideNothingElse()
    {
        // Seven adults acknowledged, the young people raised nothing: the adults' durations are the whole's, and shown.
        var histories = Enumerable.Range(0, 7).Select(i =>
        {
            var signal = Signal("c" + i, LifeDomain.Finances, SignalSeverity.Concern, At(2026, 2, 1 + i));
            return History("c" + i, Adult, signals: [signal], deliveries: [SignalDelivery(signal, ack: signal.CreateTime.AddHours(i + 1))]);
        }).ToList();

        var report = PilotFigures.Compute(histories, Q1, 5, Now);
        Assert.Equal(TimeSpan.FromHours(4), Level(report, PilotLevel.Adult).EarlyPresence.TimeToAcknowledgement.Median);
        Assert.False(Level(report, PilotLevel.Adult).EarlyPresence.TimeToAcknowledgement.Suppressed);
        Assert.True(Level(report, PilotLevel.Under18).EarlyPresence.TimeToAcknowledgement.Suppressed);
    }

    [Fact]
    public void ZeroCounts_AreShown()
    {
        var report = PilotFigures.Compute([History("a", Adult)], Q1, 5, Now);
        Assert.Equal(PilotCount.Shown(0), Level(report, PilotLevel.All).EarlyPresence.Signals);
    }

    [Fact]
    public void ManyItemsOfFewClients_AreStillSuppressed()
    {
        // Six signals, but of one client: a count below the minimum in distinct clients.
        var signals = Enumerable.Range(1, 6).Select(d => Signal("a", LifeDomain.Care, SignalSeverity.Info, At(2026, 2, d))).ToList();
        var report = PilotFigures.Compute([History("a", Adult, signals: signals)], Q1, 5, Now);
        Assert.Equal(Suppression.SmallCount, Level(report, PilotLevel.All).EarlyPresence.Signals.Suppression);
    }

    [Fact]
    public void CoachFlow_NoHiddenFirstCoachesBySubtractingStartFromEnd()
    {
        // Twenty clients had a coach throughout, two got their first: end - start would give the small inflow.
        var histories = Enumerable.Range(0, 20).Select(i => History("s" + i, Adult, coaches: [Assignment(Lisa, At(2025, 6, 1))]))
            .Concat(Enumerable.Range(0, 2).Select(i => History("n" + i, Adult, coaches: [Assignment(Lisa, At(2026, 2, 1))])))
            .ToList();

        var flow = Level(PilotFigures.Compute(histories, Q1, 5, Now), PilotLevel.Adult).Coach;
        Assert.Equal(Suppression.SmallCount, flow.FirstCoaches.Suppression);
        Assert.True(flow.WithCoachAtStart.Suppressed || flow.WithCoachAtEnd.Suppressed, "end - start would give the first coaches");
    }

    [Fact]
    public void NoHiddenCount_CanBeDerived_ByAnyChainOfSubtractions()
    {
        // A mixed history in which many cells are small.
        var histories = new List<ClientHistory>();
        for (var i = 0; i < 23; i++)
        {
            var id = "m" + i;
            var signal = Signal(id, (LifeDomain)(1 + (i % 7)), (SignalSeverity)(1 + (i % 4)), At(2026, 1, 2 + i));
            var referral = Referral("r" + i, id, (ServiceKind)(1 + (i % 3)), At(2026, 1, 2 + i), started: i % 2 == 0 ? new DateOnly(2026, 3, 1) : null);
            var coaches = new List<CoachAssignment> { Assignment(Lisa, i % 5 == 0 ? At(2026, 1, 10) : At(2025, 1, 1)) };
            histories.Add(History(
                id,
                i % 3 == 0 ? Young : Adult,
                coaches: coaches,
                signals: [signal],
                referrals: [referral],
                transitions: i % 4 == 0 ? new List<TransitionRecord> { Transition(id, TransitionKind.ScaleUp, At(2026, 3, 2), i % 8 == 0 ? Lisa : Piet) } : null,
                deliveries: [SignalDelivery(signal, ack: i % 6 == 0 ? null : signal.CreateTime.AddHours(i), escalated: i % 6 == 0)]));
        }

        AssertNoSmallCountDerivable(histories, Q1);
    }

    /// <summary>Shows the small-cell rule on <paramref name="histories"/>, then subtracts along every sum: no small count comes out.</summary>
    private static void AssertNoSmallCountDerivable(List<ClientHistory> histories, PilotPeriod period)
    {
        var (_, cells) = PilotFigures.ComputeWithCells(histories, period, 5, Now);
        var shown = cells.Protect();
        Assert.Contains(shown.Values, c => c.Suppression == Suppression.SmallCount);
        Assert.Contains(shown.Values, c => c.Suppression == Suppression.Complementary);

        // What a reader knows: the shown counts. Subtract along every sum until nothing new comes out.
        var known = shown.Where(c => !c.Value.Suppressed).ToDictionary(c => c.Key, c => c.Value.Value, StringComparer.Ordinal);
        bool learned;
        do
        {
            learned = false;
            foreach (var (plus, minus) in cells.Relations)
            {
                var unknown = plus.Concat(minus).Distinct(StringComparer.Ordinal).Where(k => !known.ContainsKey(k)).ToList();
                if (unknown.Count != 1)
                {
                    continue;
                }

                var key = unknown[0];
                var value = plus.Where(known.ContainsKey).Sum(k => known[k]) - minus.Where(known.ContainsKey).Sum(k => known[k]);
                known[key] = plus.Contains(key) ? -value : value;
                Assert.Equal(cells.ValueOf(key), known[key]);
                learned = true;
            }
        }
        while (learned);

        var leaked = known.Keys.Where(cells.IsSmall).ToList();
        Assert.True(leaked.Count == 0, "Derived small counts: " + string.Join(", ", leaked));
    }

    [Fact]
    public void Intervals_AreMonthsUpToAYear_AndQuartersBeyond_CutAtThePeriodsEdges()
    {
        Assert.Equal(
            [(D(2026, 1, 1), D(2026, 2, 1)), (D(2026, 2, 1), D(2026, 3, 1)), (D(2026, 3, 1), D(2026, 4, 1))],
            Q1.Intervals.Select(i => (i.From, i.To)));
        Assert.Equal(12, new PilotPeriod(D(2026, 1, 1), D(2027, 1, 1), null).Intervals.Count);

        var twoYears = new PilotPeriod(D(2025, 2, 15), D(2027, 2, 15), null).Intervals;
        Assert.Equal(9, twoYears.Count);
        Assert.Equal((D(2025, 2, 15), D(2025, 4, 1)), (twoYears[0].From, twoYears[0].To));
        Assert.Equal((D(2025, 4, 1), D(2025, 7, 1)), (twoYears[1].From, twoYears[1].To));
        Assert.Equal((D(2027, 1, 1), D(2027, 2, 15)), (twoYears[^1].From, twoYears[^1].To));
    }

    [Fact]
    public void SignalsOverTime_AreCountedPerIntervalAndDomain_InDutchTime()
    {
        var report = Exact(
            History("a", Adult, signals: [
                Signal("a", LifeDomain.Finances, SignalSeverity.Concern, At(2026, 1, 5)),
                Signal("a", LifeDomain.Finances, SignalSeverity.Concern, At(2026, 1, 20)),
                Signal("a", LifeDomain.Housing, SignalSeverity.Urgent, At(2026, 3, 31, 23))]),
            History("b", Young, signals: [
                // Half past midnight on 1 February in the Netherlands, still 31 January in UTC: February.
                Signal("b", LifeDomain.Finances, SignalSeverity.Concern, At(2026, 2, 1).AddMinutes(30)),
                Signal("b", LifeDomain.Finances, SignalSeverity.Concern, At(2026, 4, 1))]));

        var overTime = Level(report, PilotLevel.All).EarlyPresence.OverTime;
        Assert.Equal(new long[] { 2, 1, 1 }, overTime.Select(i => i.Signals.Value));
        Assert.Equal(new long[] { 2, 1, 0 }, overTime.Select(i => Domain(i, LifeDomain.Finances)));
        Assert.Equal(new long[] { 0, 0, 1 }, overTime.Select(i => Domain(i, LifeDomain.Housing)));
        Assert.All(overTime, i => Assert.Equal(7, i.ByDomain.Count));
        Assert.Equal(new long[] { 0, 1, 0 }, Level(report, PilotLevel.Under18).EarlyPresence.OverTime.Select(i => i.Signals.Value));

        static long Domain(IntervalSignals interval, LifeDomain domain) => interval.ByDomain.Single(d => d.Domain == domain).Signals.Value;
    }

    [Fact]
    public void Distributions_PutEachDurationInItsRange_LowerBoundInclusive()
    {
        var times = new[] { TimeSpan.FromMinutes(30), TimeSpan.FromHours(1), TimeSpan.FromHours(5), TimeSpan.FromDays(2), TimeSpan.FromDays(10) };
        var signals = times.Select((_, i) => Signal("a", LifeDomain.Care, SignalSeverity.Concern, At(2026, 2, 1 + i))).ToList();
        var report = Exact(History(
            "a",
            Adult,
            signals: [.. signals, Signal("a", LifeDomain.Care, SignalSeverity.Concern, At(2026, 3, 1))],
            deliveries: [.. signals.Select((signal, i) => SignalDelivery(signal, ack: signal.CreateTime + times[i]))],
            referrals: [
                Referral("r1", "a", ServiceKind.IndividualGuidance, At(2026, 2, 1), started: D(2026, 2, 1)),
                Referral("r2", "a", ServiceKind.IndividualGuidance, At(2026, 2, 1), started: D(2026, 2, 8)),
                Referral("r3", "a", ServiceKind.DebtCounselling, At(2026, 2, 1), started: D(2026, 4, 15)),
                Referral("r4", "a", ServiceKind.DebtCounselling, At(2026, 2, 1))]));

        var all = Level(report, PilotLevel.All);
        Assert.Equal(new long[] { 1, 1, 1, 1, 0, 1 }, all.EarlyPresence.TimeToAcknowledgementDistribution.Select(d => d.Count.Value));
        Assert.Equal(TimeSpan.FromDays(7), all.EarlyPresence.TimeToAcknowledgementDistribution[^1].Range.From);
        Assert.Null(all.EarlyPresence.TimeToAcknowledgementDistribution[^1].Range.To);

        // Requested and started on the same day, a week later (7 days: the second range), after ten weeks; one not started.
        Assert.Equal(new long[] { 1, 1, 0, 0, 1 }, all.ScaleUp.TimeToStartDistribution.Select(d => d.Count.Value));
    }

    [Fact]
    public void SeriesCells_FollowTheSmallCellRule_AndCannotBeSubtractedFromThePeriodsTotals()
    {
        // Eight clients raise a signal about finances in January, two in February; six about housing in January and six
        // in February. All acknowledged within the hour but one.
        var histories = Enumerable.Range(0, 22).Select(i =>
        {
            var id = "c" + i;
            var (domain, at) = i switch
            {
                < 8 => (LifeDomain.Finances, At(2026, 1, 2 + i)),
                < 10 => (LifeDomain.Finances, At(2026, 2, 2 + i)),
                < 16 => (LifeDomain.Housing, At(2026, 1, 2 + i)),
                _ => (LifeDomain.Housing, At(2026, 2, 2 + i)),
            };
            var signal = Signal(id, domain, SignalSeverity.Concern, at);
            return History(id, Adult, signals: [signal], deliveries: [SignalDelivery(signal, ack: signal.CreateTime + (i == 0 ? TimeSpan.FromDays(2) : TimeSpan.FromMinutes(10)))]);
        }).ToList();

        var presence = Level(PilotFigures.Compute(histories, Q1, 5, Now), PilotLevel.All).EarlyPresence;
        var finances = presence.ByDomain.Single(d => d.Domain == LifeDomain.Finances).Signals;
        var january = presence.OverTime[0].ByDomain.Single(d => d.Domain == LifeDomain.Finances).Signals;
        var february = presence.OverTime[1].ByDomain.Single(d => d.Domain == LifeDomain.Finances).Signals;
        var march = presence.OverTime[2].ByDomain.Single(d => d.Domain == LifeDomain.Finances).Signals;
        Assert.Equal(PilotCount.Shown(10), finances);
        Assert.Equal(Suppression.SmallCount, february.Suppression);
        Assert.Equal(PilotCount.Shown(0), march);

        // The differencing attempt: February = the period's finances - January - March. January is hidden as a complement.
        Assert.Equal(Suppression.Complementary, january.Suppression);

        // And February's total less its housing would give it too: February's housing is hidden.
        Assert.True(presence.OverTime[1].Signals.Suppressed || presence.OverTime[1].ByDomain.Single(d => d.Domain == LifeDomain.Housing).Signals.Suppressed);

        // The same for the distribution: one signal took two days; acknowledged - the shown ranges would give it.
        Assert.Equal(PilotCount.Shown(22), presence.Acknowledged);
        var ranges = presence.TimeToAcknowledgementDistribution;
        Assert.Equal(Suppression.SmallCount, ranges[3].Count.Suppression);
        Assert.Equal(Suppression.Complementary, ranges[0].Count.Suppression);

        AssertNoSmallCountDerivable(histories, Q1);
    }

    [Fact]
    public void NoHiddenCount_CanBeDerived_OverATwoYearSeries()
    {
        // Forty clients over two years (quarters), signals spread over domains and time, many cells small.
        var period = new PilotPeriod(D(2025, 1, 1), D(2027, 1, 1), null);
        var histories = Enumerable.Range(0, 40).Select(i =>
        {
            var id = "s" + i;
            var signals = Enumerable.Range(0, 1 + (i % 4)).Select(k => Signal(id, (LifeDomain)(1 + ((i + k) % 7)), SignalSeverity.Concern, At(2025, 1, 1).AddDays((i * 17) + (k * 90)))).ToList();
            var referral = Referral("r" + i, id, ServiceKind.IndividualGuidance, At(2025, 3, 1).AddDays(i * 11), started: D(2025, 3, 2).AddDays((i * 11) + (i % 9 * 5)));
            return History(id, i % 3 == 0 ? Young : Adult, signals: signals, referrals: [referral], deliveries: [.. signals.Select((s, k) => SignalDelivery(s, ack: k == 1 ? null : s.CreateTime.AddHours(i % 30)))]);
        }).ToList();

        AssertNoSmallCountDerivable(histories, period);
    }

    [Fact]
    public void Percentile_InterpolatesBetweenRanks()
    {
        long[] ticks = [10, 20, 30, 40, 50];
        Assert.Equal(TimeSpan.FromTicks(30), PilotFigures.Percentile(ticks, 0.5));
        Assert.Equal(TimeSpan.FromTicks(46), PilotFigures.Percentile(ticks, 0.9));
        Assert.Equal(TimeSpan.FromTicks(7), PilotFigures.Percentile([7], 0.9));
    }

    [Fact]
    public void Costs_CountCoachingTimeOnce_AndPriceItAsARange()
    {
        // Five clients coached the whole quarter, one from 1 February under two overlapping assignments, one never.
        var whole = Enumerable.Range(0, 5).Select(i => History("w" + i, Adult, coaches: [Assignment(Lisa, At(2025, 6, 1))])).ToList();
        var twice = History("f", Young, coaches: [Assignment(Lisa, At(2026, 2, 1), At(2026, 3, 1)), Assignment(Piet, At(2026, 2, 15))]);
        var never = History("n", Adult);
        Assert.Equal((At(2026, 4, 1) - At(2026, 2, 1)).TotalDays, PilotCosts.CoachedDays(twice, Q1), 6);
        Assert.Equal((Q1.End - Q1.Start).TotalDays, PilotCosts.CoachedDays(whole[0], Q1), 6);

        var view = PilotCosts.Compute([.. whole, twice, never], Q1, new CostAssumptions(), 5);

        var clientYears = Math.Round((5 * (Q1.End - Q1.Start).TotalDays + (At(2026, 4, 1) - At(2026, 2, 1)).TotalDays) / 365.25, 1);
        Assert.Equal((false, clientYears, 6), (view.PilotCost.Suppressed, view.PilotCost.Quantity, view.PilotCost.Clients));
        Assert.Equal(new EuroRange(Hundreds(clientYears * 700), Hundreds(clientYears * 2600)), view.PilotCost.Euros);

        // What would pay for it: the cost over a crisis's saving (high over low), the evaluation's 1-2 per ten clients.
        Assert.Equal(Math.Round(view.PilotCost.Euros.Low / 16_000.0, 1), view.BreakEven.CrisesNeededLow);
        Assert.Equal(Math.Round(view.PilotCost.Euros.High!.Value / 900.0, 1), view.BreakEven.CrisesNeededHigh);
        Assert.Equal((0.6, 1.2), (view.BreakEven.CrisesByRuleLow, view.BreakEven.CrisesByRuleHigh));
        Assert.Equal(Math.Round(view.PilotCost.Euros.High!.Value / 15_000.0, 1), view.BreakEven.ShelteredHousingYearsHigh);

        // Fewer coached clients than the cell size: no cost and no break-even at all.
        var few = PilotCosts.Compute([.. whole.Take(4)], Q1, new CostAssumptions(), 5);
        Assert.True(few.PilotCost.Suppressed && few.BreakEven.Suppressed);
        Assert.Equal(0, few.PilotCost.Clients);

        static long Hundreds(double euros) => (long)(Math.Round(euros / 100, MidpointRounding.AwayFromZero) * 100);
    }

    [Fact]
    public void Costs_CountTheMonthsStepsDownCameBeforeTheReference_AsAtLeastASaving()
    {
        // a: four months of heavier support, then down in the period (about 8 months before the 12-month reference);
        // b: down after more than the reference (0); c: down without a scale-up seen (0); d: down after the period.
        var a = History("a", Adult, transitions: [Transition("a", TransitionKind.ScaleUp, At(2025, 10, 1, 12), Lisa), Transition("a", TransitionKind.ScaleDown, At(2026, 2, 1, 12), Lisa)]);
        var b = History("b", Adult, transitions: [Transition("b", TransitionKind.ScaleUp, At(2025, 1, 10, 12), Lisa), Transition("b", TransitionKind.ScaleDown, At(2026, 3, 1, 12), Lisa)]);
        var c = History("c", Young, transitions: [Transition("c", TransitionKind.ScaleDown, At(2026, 1, 20, 12), Lisa)]);
        var d = History("d", Adult, transitions: [Transition("d", TransitionKind.ScaleUp, At(2026, 1, 5, 12), Lisa), Transition("d", TransitionKind.ScaleDown, At(2026, 4, 5, 12), Lisa)]);

        var earlier = 12 - (new DateOnly(2026, 2, 1).DayNumber - new DateOnly(2025, 10, 1).DayNumber) / (365.25 / 12);
        Assert.Equal([earlier], PilotCosts.MonthsEarlier(a, Q1, 12));
        Assert.Equal([0.0], PilotCosts.MonthsEarlier(b, Q1, 12));
        Assert.Equal([0.0], PilotCosts.MonthsEarlier(c, Q1, 12));
        Assert.Empty(PilotCosts.MonthsEarlier(d, Q1, 12));

        var shown = PilotCosts.Compute([a, b, c, d], Q1, new CostAssumptions(), 3).StepDownSavings;
        Assert.Equal((false, Math.Round(earlier, 1), 3), (shown.Suppressed, shown.Quantity, shown.Clients));
        Assert.Equal(new EuroRange(2400, null), shown.Euros);

        // A longer reference makes every step down earlier; fewer clients than the cell size hide the line.
        var longer = PilotCosts.Compute([a, b, c, d], Q1, new CostAssumptions { ReferenceMonthsToStepDown = 24 }, 3).StepDownSavings;
        Assert.True(longer.Quantity > shown.Quantity);
        Assert.True(PilotCosts.Compute([a, b, c, d], Q1, new CostAssumptions(), 4).StepDownSavings.Suppressed);
    }

    [Fact]
    public void CostAssumptions_RefuseALowAboveItsHigh()
    {
        var results = new List<System.ComponentModel.DataAnnotations.ValidationResult>();
        var ranges = new CostAssumptions { WaakvlamPerClientYearLow = 3000, DebtCrisisAvoidedLow = 20_000, BreakEvenCrisesPerTenClientsLow = 3 };
        Assert.False(System.ComponentModel.DataAnnotations.Validator.TryValidateObject(ranges, new(ranges), results, validateAllProperties: true));
        Assert.Equal(3, results.Count);
        var defaults = new CostAssumptions();
        Assert.True(System.ComponentModel.DataAnnotations.Validator.TryValidateObject(defaults, new(defaults), [], validateAllProperties: true));
    }

    private static DateOnly D(int year, int month, int day) => new(year, month, day);

    private static DateTimeOffset At(int year, int month, int day, int hour = 0) => DutchTime.StartOf(new DateOnly(year, month, day)).AddHours(hour);

    private static ClientHistory History(
        string id,
        DateOnly birthDate,
        List<CoachAssignment>? coaches = null,
        List<SignalRecord>? signals = null,
        List<ReferralRecord>? referrals = null,
        List<TransitionRecord>? transitions = null,
        List<DeliveryRecord>? deliveries = null) =>
        new(
            new ClientRecord(id, "hash-" + id, "sealed", birthDate, Dordrecht, At(2024, 1, 1)),
            [.. (coaches ?? []).Select(a => a with { ClientId = id })],
            signals ?? [],
            referrals ?? [],
            transitions ?? [],
            [.. (deliveries ?? []).Select(d => d with { ClientId = id })]);

    private static int _ids;

    private static string NextId(string prefix) => prefix + "_" + Interlocked.Increment(ref _ids);

    private static CoachAssignment Assignment(CoachInfo coach, DateTimeOffset from, DateTimeOffset? until = null) => new(NextId("cch"), "", coach, from, until);

    private static SignalRecord Signal(string clientId, LifeDomain domain, SignalSeverity severity, DateTimeOffset at) =>
        new(NextId("sig"), clientId, "sdd", SignalKind.PaymentArrears, domain, severity, "not used", at);

    private static ReferralRecord Referral(string id, string clientId, ServiceKind service, DateTimeOffset at, DateOnly? started = null) =>
        new(id, clientId, "sdd", service, "not used", [LifeDomain.Finances], ReferralUrgency.Routine, "", [
            new PerformerState("zorg-a", started is null ? PerformerStatus.Requested : PerformerStatus.Started, null, at, started),
        ], null, at, null);

    private static TransitionRecord Transition(string clientId, TransitionKind kind, DateTimeOffset at, CoachInfo? coachAfter) =>
        new(NextId("trn"), clientId, "sdd", kind, null, null, DateOnly.FromDateTime(at.UtcDateTime), "not used", coachAfter, [], at);

    private static DeliveryRecord SignalDelivery(SignalRecord signal, DateTimeOffset? ack = null, bool escalated = false) =>
        Delivery(PayloadKind.Signal, RecipientOutcome.Content, DeliveryStatus.Acknowledged, signal.CreateTime) with
        {
            MessageId = signal.Id,
            SignalAckTime = ack,
            Escalated = escalated,
        };

    private static DeliveryRecord Delivery(PayloadKind kind, RecipientOutcome outcome, DeliveryStatus status, DateTimeOffset at) => new()
    {
        Id = NextId("dlv"),
        Recipient = "zorg-a",
        ClientId = "",
        Sender = "sdd",
        PayloadKind = kind,
        MessageId = NextId("msg"),
        Status = status,
        Decision = new Decision("zorg-a", outcome, [], Purpose.Coaching, [], null, null, "TEST", "test"),
        CreateTime = at,
        UpdateTime = at,
    };
}

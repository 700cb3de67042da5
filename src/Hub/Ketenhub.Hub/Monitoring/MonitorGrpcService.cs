using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.Hub.Host.Transport;
using Ketenhub.Hub.Monitoring;
using Domain = Ketenhub.Hub.Monitoring;

namespace Ketenhub.Hub.Host.Monitoring;

/// <summary>The pilot report for the monitor role (docs/monitor.md): aggregates only, with the small-cell rule.</summary>
public sealed class MonitorGrpcService(PilotMonitor monitor) : MonitorService.MonitorServiceBase
{
    public override async Task<GetPilotReportResponse> GetPilotReport(GetPilotReportRequest request, ServerCallContext context)
    {
        var from = Wire.Date(request.StartDate, "start_date");
        var to = Wire.Date(request.EndDate, "end_date");
        var report = await monitor.GetReportAsync(context.Actor(), from, to, request.MunicipalityCode, context.CancellationToken);
        return new GetPilotReportResponse { Report = ToContract(report) };
    }

    public static Contracts.V1.PilotReport ToContract(Domain.PilotReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var contract = new Contracts.V1.PilotReport
        {
            StartDate = Wire.Date(report.Period.From),
            EndDate = Wire.Date(report.Period.To),
            MunicipalityCode = report.Period.MunicipalityCode ?? string.Empty,
            MinimumCellSize = report.MinimumCellSize,
            CreateTime = Wire.Time(report.CreateTime),
        };
        contract.Levels.Add(report.Levels.Select(ToContract));
        if (report.Costs is { } costs)
        {
            contract.Costs = ToContract(costs);
        }

        return contract;
    }

    private static Contracts.V1.PilotCosts ToContract(PilotCostView costs)
    {
        var a = costs.Assumptions;
        return new Contracts.V1.PilotCosts
        {
            Assumptions = new PilotCostAssumptions
            {
                WaakvlamPerClientYearLow = a.WaakvlamPerClientYearLow,
                WaakvlamPerClientYearHigh = a.WaakvlamPerClientYearHigh,
                StepDownSavingPerMonth = a.StepDownSavingPerMonth,
                ReferenceMonthsToStepDown = a.ReferenceMonthsToStepDown,
                DebtCrisisAvoidedLow = a.DebtCrisisAvoidedLow,
                DebtCrisisAvoidedHigh = a.DebtCrisisAvoidedHigh,
                ShelteredHousingPerYear = a.ShelteredHousingPerYear,
                BreakEvenCrisesPerTenClientsLow = a.BreakEvenCrisesPerTenClientsLow,
                BreakEvenCrisesPerTenClientsHigh = a.BreakEvenCrisesPerTenClientsHigh,
            },
            PilotCost = Line(costs.PilotCost),
            StepDownSavings = Line(costs.StepDownSavings),
            BreakEven = costs.BreakEven.Suppressed
                ? new PilotBreakEven { Suppressed = true }
                : new PilotBreakEven
                {
                    CrisesNeededLow = costs.BreakEven.CrisesNeededLow,
                    CrisesNeededHigh = costs.BreakEven.CrisesNeededHigh,
                    CrisesByRuleLow = costs.BreakEven.CrisesByRuleLow,
                    CrisesByRuleHigh = costs.BreakEven.CrisesByRuleHigh,
                    ShelteredHousingYearsLow = costs.BreakEven.ShelteredHousingYearsLow,
                    ShelteredHousingYearsHigh = costs.BreakEven.ShelteredHousingYearsHigh,
                },
        };

        static PilotCostLine Line(CostLine line)
        {
            if (line.Suppressed)
            {
                return new PilotCostLine { Suppressed = true };
            }

            var contract = new PilotCostLine { Quantity = line.Quantity, Clients = line.Clients, LowEuros = line.Euros.Low };
            if (line.Euros.High is { } high)
            {
                contract.HighEuros = high;
            }

            return contract;
        }
    }

    private static Contracts.V1.PilotLevelFigures ToContract(Domain.PilotLevelFigures level)
    {
        var presence = new Contracts.V1.EarlyPresence
        {
            Signals = Count(level.EarlyPresence.Signals),
            Acknowledged = Count(level.EarlyPresence.Acknowledged),
            TimeToAcknowledgement = Durations(level.EarlyPresence.TimeToAcknowledgement),
            Escalated = Count(level.EarlyPresence.Escalated),
        };
        presence.ByLifeDomain.Add(level.EarlyPresence.ByDomain.Select(d => new Contracts.V1.DomainSignals { LifeDomain = (Contracts.V1.LifeDomain)d.Domain, Signals = Count(d.Signals) }));
        presence.BySeverity.Add(level.EarlyPresence.BySeverity.Select(s => new Contracts.V1.SeveritySignals { Severity = (Contracts.V1.SignalSeverity)s.Severity, Signals = Count(s.Signals) }));
        presence.SignalsOverTime.Add(level.EarlyPresence.OverTime.Select(i =>
        {
            var interval = new Contracts.V1.SignalsInInterval { StartDate = Wire.Date(i.Interval.From), EndDate = Wire.Date(i.Interval.To), Signals = Count(i.Signals) };
            interval.ByLifeDomain.Add(i.ByDomain.Select(d => new Contracts.V1.DomainSignals { LifeDomain = (Contracts.V1.LifeDomain)d.Domain, Signals = Count(d.Signals) }));
            return interval;
        }));
        presence.TimeToAcknowledgementDistribution.Add(level.EarlyPresence.TimeToAcknowledgementDistribution.Select(Ranges));

        var scaleUp = new Contracts.V1.ScaleUpSpeed
        {
            Requested = Count(level.ScaleUp.Requested),
            Started = Count(level.ScaleUp.Started),
            TimeToStart = Durations(level.ScaleUp.TimeToStart),
        };
        scaleUp.ByService.Add(level.ScaleUp.ByService.Select(s => new Contracts.V1.ServiceScaleUp
        {
            Service = (Contracts.V1.ServiceKind)s.Service,
            Requested = Count(s.Requested),
            Started = Count(s.Started),
            TimeToStart = Durations(s.TimeToStart),
        }));
        scaleUp.TimeToStartDistribution.Add(level.ScaleUp.TimeToStartDistribution.Select(Ranges));

        var transitions = new Contracts.V1.TransitionContinuity
        {
            Transitions = Count(level.Transitions.Transitions),
            WithCoachBefore = Count(level.Transitions.WithCoachBefore),
            CoachKept = Count(level.Transitions.CoachKept),
            CoachKeptShare = Share(level.Transitions.KeptShare),
        };
        transitions.ByKind.Add(level.Transitions.ByKind.Select(k => new Contracts.V1.KindContinuity
        {
            Kind = (Contracts.V1.TransitionKind)k.Kind,
            Transitions = Count(k.Transitions),
            WithCoachBefore = Count(k.WithCoachBefore),
            CoachKept = Count(k.CoachKept),
            CoachKeptShare = Share(k.KeptShare),
        }));

        var coverage = level.ConsentCoverage;
        return new Contracts.V1.PilotLevelFigures
        {
            Level = level.Level switch
            {
                Domain.PilotLevel.Under18 => Contracts.V1.PilotLevel.Under18,
                Domain.PilotLevel.Adult => Contracts.V1.PilotLevel.Adult,
                _ => Contracts.V1.PilotLevel.All,
            },
            CoachFlow = new Contracts.V1.CoachFlow
            {
                WithCoachAtStart = Count(level.Coach.WithCoachAtStart),
                WithCoachAtEnd = Count(level.Coach.WithCoachAtEnd),
                FirstCoaches = Count(level.Coach.FirstCoaches),
                AssignmentsEnded = Count(level.Coach.AssignmentsEnded),
                CoachChanges = Count(level.Coach.CoachChanges),
            },
            EarlyPresence = presence,
            ScaleUp = scaleUp,
            Transitions = transitions,
            ConsentCoverage = new Contracts.V1.ConsentCoverage
            {
                Deliveries = Count(coverage.Deliveries),
                Content = Count(coverage.Content),
                ThinNotice = Count(coverage.ThinNotice),
                WithheldOrBlocked = Count(coverage.WithheldOrBlocked),
                AwaitingConsent = Count(coverage.AwaitingConsent),
                ContentShare = Share(coverage.ContentShare),
                ThinNoticeShare = Share(coverage.ThinNoticeShare),
                WithheldOrBlockedShare = Share(coverage.WithheldOrBlockedShare),
                AwaitingConsentShare = Share(coverage.AwaitingConsentShare),
            },
        };
    }

    private static Contracts.V1.DurationRangeCount Ranges(Domain.DurationCount count)
    {
        var contract = new Contracts.V1.DurationRangeCount { LowerBound = Duration.FromTimeSpan(count.Range.From), Count = Count(count.Count) };
        if (count.Range.To is { } to)
        {
            contract.UpperBound = Duration.FromTimeSpan(to);
        }

        return contract;
    }

    private static Contracts.V1.PilotCount Count(Domain.PilotCount count) => new()
    {
        Value = count.Suppressed ? 0 : count.Value,
        Suppressed = count.Suppressed,
        Suppression = count.Suppression switch
        {
            Domain.Suppression.SmallCount => Contracts.V1.Suppression.SmallCount,
            Domain.Suppression.Complementary => Contracts.V1.Suppression.Complementary,
            _ => Contracts.V1.Suppression.Unspecified,
        },
    };

    private static Contracts.V1.PilotDurations Durations(Domain.PilotDurations durations) => durations.Suppressed
        ? new Contracts.V1.PilotDurations { Suppressed = true }
        : new Contracts.V1.PilotDurations { Median = Duration.FromTimeSpan(durations.Median), Percentile90 = Duration.FromTimeSpan(durations.Percentile90) };

    private static Contracts.V1.PilotShare Share(Domain.PilotShare share) =>
        share.Suppressed ? new Contracts.V1.PilotShare { Suppressed = true } : new Contracts.V1.PilotShare { Value = share.Value };
}

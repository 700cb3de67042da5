using System.ComponentModel.DataAnnotations;
using Ketenhub.Hub.Common;

namespace Ketenhub.Hub.Monitoring;

/// <summary>
/// The cost view's assumptions (section <c>Hub:Monitor:Costs</c>), with the defaults of the evaluation of comparable
/// waakvlam projects (Regioplan, 2021); docs/monitor.md, "Costs", argues each one. Validated at start-up.
/// </summary>
public sealed class CostAssumptions : IValidatableObject
{
    public const string Section = "Hub:Monitor:Costs";

    /// <summary>What the waakvlam costs per client per year, at least. <value>700 euros.</value></summary>
    [Range(0, 1_000_000)]
    public int WaakvlamPerClientYearLow { get; set; } = 700;

    /// <summary>What the waakvlam costs per client per year, at most. <value>2,600 euros.</value></summary>
    [Range(0, 1_000_000)]
    public int WaakvlamPerClientYearHigh { get; set; } = 2600;

    /// <summary>What a step down to lighter support saves per month it comes earlier, at least. <value>300 euros.</value></summary>
    [Range(0, 1_000_000)]
    public int StepDownSavingPerMonth { get; set; } = 300;

    /// <summary>
    /// How long heavier support lasts, in months, before a step down back to the waakvlam, when nobody is there early:
    /// the reference a step down is compared with. <value>12 months (a Wmo indication for guidance commonly runs a year).</value>
    /// </summary>
    [Range(1, 120)]
    public int ReferenceMonthsToStepDown { get; set; } = 12;

    /// <summary>What an avoided debt crisis saves, at least. <value>900 euros.</value></summary>
    [Range(0, 10_000_000)]
    public int DebtCrisisAvoidedLow { get; set; } = 900;

    /// <summary>What an avoided debt crisis saves, at most. <value>16,000 euros.</value></summary>
    [Range(0, 10_000_000)]
    public int DebtCrisisAvoidedHigh { get; set; } = 16_000;

    /// <summary>What a year of sheltered housing avoided saves, about. <value>15,000 euros.</value></summary>
    [Range(0, 10_000_000)]
    public int ShelteredHousingPerYear { get; set; } = 15_000;

    /// <summary>The evaluation's break-even, in avoided crises per ten clients: the lower end. <value>1.</value></summary>
    [Range(0, 10)]
    public int BreakEvenCrisesPerTenClientsLow { get; set; } = 1;

    /// <summary>The evaluation's break-even, in avoided crises per ten clients: the upper end. <value>2.</value></summary>
    [Range(0, 10)]
    public int BreakEvenCrisesPerTenClientsHigh { get; set; } = 2;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (WaakvlamPerClientYearLow > WaakvlamPerClientYearHigh)
        {
            yield return new ValidationResult("WaakvlamPerClientYearLow must not exceed WaakvlamPerClientYearHigh.", [nameof(WaakvlamPerClientYearLow)]);
        }

        if (DebtCrisisAvoidedLow > DebtCrisisAvoidedHigh || DebtCrisisAvoidedLow == 0)
        {
            yield return new ValidationResult("DebtCrisisAvoidedLow must be above 0 and not exceed DebtCrisisAvoidedHigh.", [nameof(DebtCrisisAvoidedLow)]);
        }

        if (BreakEvenCrisesPerTenClientsLow > BreakEvenCrisesPerTenClientsHigh)
        {
            yield return new ValidationResult("BreakEvenCrisesPerTenClientsLow must not exceed BreakEvenCrisesPerTenClientsHigh.", [nameof(BreakEvenCrisesPerTenClientsLow)]);
        }

        if (ShelteredHousingPerYear == 0)
        {
            yield return new ValidationResult("ShelteredHousingPerYear must be above 0.", [nameof(ShelteredHousingPerYear)]);
        }
    }
}

/// <summary>A range of euros, rounded to hundreds; <see cref="High"/> is null for "at least <see cref="Low"/>".</summary>
public sealed record EuroRange(long Low, long? High);

/// <summary>A cost or saving the hub can base on what it observed: the quantity, the euros it implies, and whether it is hidden.</summary>
/// <param name="Suppressed">Based on fewer clients than the minimum cell size: nothing shown.</param>
/// <param name="Quantity">Client-years of coaching, or months by which steps down came earlier (one decimal).</param>
/// <param name="Clients">How many clients the quantity comes from (shown only when not suppressed).</param>
/// <param name="Euros">The quantity times the assumption's range.</param>
public sealed record CostLine(bool Suppressed, double Quantity, int Clients, EuroRange Euros)
{
    public static readonly CostLine Hidden = new(true, 0, 0, new EuroRange(0, 0));
}

/// <summary>
/// What would make the pilot pay for itself, never what it saved: avoided debt crises needed (its cost over the saving
/// per crisis), the evaluation's rule (one to two per ten clients), and years of sheltered housing that would need to be
/// avoided instead.
/// </summary>
public sealed record BreakEven(bool Suppressed, double CrisesNeededLow, double CrisesNeededHigh, double CrisesByRuleLow, double CrisesByRuleHigh, double ShelteredHousingYearsLow, double ShelteredHousingYearsHigh)
{
    public static readonly BreakEven Hidden = new(true, 0, 0, 0, 0, 0, 0);
}

/// <summary>The cost view of a report (all clients of the period together): every figure a range, with its assumptions.</summary>
public sealed record PilotCostView(CostAssumptions Assumptions, CostLine PilotCost, CostLine StepDownSavings, BreakEven BreakEven);

/// <summary>
/// The cost view's arithmetic (docs/monitor.md, "Costs"). Pure. Only for all clients together (a cost per level would let
/// a reader subtract one level from the total), and each line only from at least the minimum cell size of clients.
/// </summary>
public static class PilotCosts
{
    private const double DaysPerYear = 365.25;
    private const double DaysPerMonth = DaysPerYear / 12;

    public static PilotCostView Compute(IEnumerable<ClientHistory> histories, PilotPeriod period, CostAssumptions assumptions, int minimumCellSize)
    {
        ArgumentNullException.ThrowIfNull(histories);
        ArgumentNullException.ThrowIfNull(period);
        ArgumentNullException.ThrowIfNull(assumptions);
        var coachedDays = 0.0;
        var coachedClients = 0;
        var monthsEarlier = 0.0;
        var steppedDownClients = new HashSet<string>(StringComparer.Ordinal);
        foreach (var history in histories.Where(h => PilotFigures.Counts(h.Client, period)))
        {
            var days = CoachedDays(history, period);
            if (days > 0)
            {
                coachedDays += days;
                coachedClients++;
            }

            foreach (var earlier in MonthsEarlier(history, period, assumptions.ReferenceMonthsToStepDown))
            {
                steppedDownClients.Add(history.Client.Id);
                monthsEarlier += earlier;
            }
        }

        var clientYears = Math.Round(coachedDays / DaysPerYear, 1);
        var pilotCost = coachedClients < minimumCellSize
            ? CostLine.Hidden
            : new CostLine(false, clientYears, coachedClients, new EuroRange(Hundreds(clientYears * assumptions.WaakvlamPerClientYearLow), Hundreds(clientYears * assumptions.WaakvlamPerClientYearHigh)));
        var months = Math.Round(monthsEarlier, 1);
        var stepDowns = steppedDownClients.Count < minimumCellSize
            ? CostLine.Hidden
            : new CostLine(false, months, steppedDownClients.Count, new EuroRange(Hundreds(months * assumptions.StepDownSavingPerMonth), null));
        var breakEven = pilotCost.Suppressed
            ? BreakEven.Hidden
            : new BreakEven(
                false,
                Math.Round((double)pilotCost.Euros.Low / assumptions.DebtCrisisAvoidedHigh, 1),
                Math.Round((double)pilotCost.Euros.High!.Value / assumptions.DebtCrisisAvoidedLow, 1),
                Math.Round(coachedClients * assumptions.BreakEvenCrisesPerTenClientsLow / 10.0, 1),
                Math.Round(coachedClients * assumptions.BreakEvenCrisesPerTenClientsHigh / 10.0, 1),
                Math.Round((double)pilotCost.Euros.Low / assumptions.ShelteredHousingPerYear, 1),
                Math.Round((double)pilotCost.Euros.High!.Value / assumptions.ShelteredHousingPerYear, 1));
        return new PilotCostView(assumptions, pilotCost, stepDowns, breakEven);
    }

    /// <summary>The days in the period during which the client had a coach (overlapping assignments counted once).</summary>
    internal static double CoachedDays(ClientHistory history, PilotPeriod period)
    {
        var total = TimeSpan.Zero;
        var coveredUntil = period.Start;
        foreach (var assignment in history.Coaches.OrderBy(a => a.From))
        {
            var from = Max(Max(assignment.From, period.Start), coveredUntil);
            var until = Min(assignment.Until ?? period.End, period.End);
            if (until > from)
            {
                total += until - from;
                coveredUntil = until;
            }
        }

        return total.TotalDays;
    }

    /// <summary>
    /// For each step down in the period (a scale-down transition effective in it), the months by which it came before the
    /// reference, counted from the client's last scale-up effective before it; a step down after the reference, or without
    /// a scale-up the hub saw, counts 0 months but still counts its client.
    /// </summary>
    internal static IEnumerable<double> MonthsEarlier(ClientHistory history, PilotPeriod period, int referenceMonths)
    {
        var ups = history.Transitions.Where(t => t.Kind == TransitionKind.ScaleUp).Select(t => t.EffectiveDate).Order().ToList();
        foreach (var down in history.Transitions.Where(t => t.Kind == TransitionKind.ScaleDown && period.Contains(DutchTime.StartOf(t.EffectiveDate))))
        {
            var up = ups.LastOrDefault(d => d <= down.EffectiveDate);
            if (up == default)
            {
                yield return 0;
                continue;
            }

            var heavierMonths = (down.EffectiveDate.DayNumber - up.DayNumber) / DaysPerMonth;
            yield return Math.Max(0, referenceMonths - heavierMonths);
        }
    }

    private static long Hundreds(double euros) => (long)(Math.Round(euros / 100, MidpointRounding.AwayFromZero) * 100);

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}

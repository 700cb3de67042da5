using Ketenhub.Client;
using Ketenhub.Contracts.V1;
using Ketenhub.Reports;
using Ketenhub.Web.Monitoring;
using Ketenhub.Web.Text;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Ketenhub.Web.Pages.Monitoring;

/// <summary>
/// The pilot monitor's page: the hub's pilot report over a period (aggregates only, small counts hidden by the hub), as
/// charts drawn on the server and as tables. Only for a person with the <c>monitor</c> role; the hub checks it again.
/// </summary>
public sealed class IndexModel(KetenhubClient hub, TimeProvider time, TimeZoneInfo zone) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public DateOnly? Van { get; set; }

    [BindProperty(SupportsGet = true)]
    public DateOnly? Tot { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Gemeente { get; set; }

    public PilotReport Report { get; private set; } = new();

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(time.GetUtcNow(), zone).DateTime);
        Tot ??= today;
        Van ??= Tot.Value.AddYears(-1).AddDays(1);
        if (Gemeente is { Length: > 0 } code && (code.Length != 4 || !code.All(char.IsAsciiDigit)))
        {
            ModelState.AddModelError(nameof(Gemeente), "Een gemeentecode heeft vier cijfers.");
            return Page();
        }

        // "Tot en met": the day the person names is the period's last day, so the report runs to the day after it.
        Report = await hub.Monitor.GetPilotReportAsync(Van.Value, Tot.Value.AddDays(1), Gemeente, cancellationToken: cancellationToken).ConfigureAwait(false);
        return Page();
    }

    public PilotLevelFigures? All => Report.Levels.FirstOrDefault(l => l.Level == PilotLevel.All);

    public IReadOnlyList<Bar> SignalsByDomain(PilotLevelFigures level)
    {
        ArgumentNullException.ThrowIfNull(level);
        return [.. level.EarlyPresence.ByLifeDomain.Select(d => CountBar(Dutch.Domain(d.LifeDomain), d.Signals))];
    }

    public IReadOnlyList<Bar> SignalsBySeverity(PilotLevelFigures level)
    {
        ArgumentNullException.ThrowIfNull(level);
        return [.. level.EarlyPresence.BySeverity.Select(s => CountBar(Dutch.Severity(s.Severity), s.Signals))];
    }

    public IReadOnlyList<Bar> CoachKept(PilotLevelFigures level)
    {
        ArgumentNullException.ThrowIfNull(level);
        return [.. level.Transitions.ByKind.Select(k => new Bar(Dutch.TransitionKind(k.Kind), k.CoachKeptShare is { Suppressed: false } s ? s.Value * 100 : null, Dutch.Share(k.CoachKeptShare)))];
    }

    public IReadOnlyList<Bar> Coverage(PilotLevelFigures level)
    {
        ArgumentNullException.ThrowIfNull(level);
        var c = level.ConsentCoverage;
        return
        [
            CountBar("met inhoud", c.Content),
            CountBar("alleen een seintje", c.ThinNotice),
            CountBar("wacht op toestemming", c.AwaitingConsent),
            CountBar("niet gestuurd", c.WithheldOrBlocked),
        ];
    }

    public string Count(PilotCount? count) => Dutch.Count(count, Report.MinimumCellSize);

    /// <summary>The cost view in plain Dutch: each line a heading and a sentence that names the assumption behind the range.</summary>
    public IReadOnlyList<(string Title, string Text)> CostLines()
    {
        var costs = Report.Costs ?? new PilotCosts();
        var a = costs.Assumptions ?? new PilotCostAssumptions();
        var minimum = Report.MinimumCellSize;
        var cost = costs.PilotCost ?? new PilotCostLine { Suppressed = true };
        var down = costs.StepDownSavings ?? new PilotCostLine { Suppressed = true };
        var even = costs.BreakEven ?? new PilotBreakEven { Suppressed = true };
        return
        [
            ("Wat de waakvlam kostte", cost.Suppressed
                ? $"Niet getoond: minder dan {minimum} cliënten hadden een coach."
                : $"{Euros(cost.LowEuros)} tot {Euros(cost.HighEuros)}. Dat is {Number(cost.Quantity)} jaar begeleiding (van {cost.Clients} cliënten samen), keer {Euros(a.WaakvlamPerClientYearLow)} tot {Euros(a.WaakvlamPerClientYearHigh)} per cliënt per jaar."),
            ("Eerder afschalen", down.Suppressed
                ? $"Niet getoond: minder dan {minimum} cliënten gingen terug naar lichtere hulp."
                : $"Minstens {Euros(down.LowEuros)}. Cliënten gingen samen {Number(down.Quantity)} maanden eerder terug naar lichtere hulp dan na {a.ReferenceMonthsToStepDown} maanden. Elke maand eerder spaart minstens {Euros(a.StepDownSavingPerMonth)}."),
            ("Wanneer de pilot zich terugverdient", even.Suppressed
                ? "Niet getoond, omdat de kosten niet getoond worden."
                : $"Als de pilot {Number(even.CrisesNeededLow)} tot {Number(even.CrisesNeededHigh)} schuldcrises voorkomt ({Euros(a.DebtCrisisAvoidedLow)} tot {Euros(a.DebtCrisisAvoidedHigh)} per crisis). Of {Number(even.ShelteredHousingYearsLow)} tot {Number(even.ShelteredHousingYearsHigh)} jaar beschermd wonen ({Euros(a.ShelteredHousingPerYear)} per jaar). De evaluatie zegt: {a.BreakEvenCrisesPerTenClientsLow} tot {a.BreakEvenCrisesPerTenClientsHigh} crises per tien cliënten, hier {Number(even.CrisesByRuleLow)} tot {Number(even.CrisesByRuleHigh)}. De hub ziet niet welke crises er niet kwamen. Dit zijn drempels, geen resultaten."),
        ];

        static string Euros(long euros) => "€ " + euros.ToString("#,0", Dutch.Culture);
        static string Number(double value) => value.ToString("0.0", Dutch.Culture);
    }

    /// <summary>The signals per interval, stacked by life domain: a column per interval, a series per domain.</summary>
    public (IReadOnlyList<StackColumn> Columns, IReadOnlyList<StackSeries> Series) SignalsOverTime(PilotLevelFigures level)
    {
        ArgumentNullException.ThrowIfNull(level);
        var intervals = level.EarlyPresence.SignalsOverTime;
        var columns = intervals.Select(i => new StackColumn(
            SvgColumnChart.IntervalLabel(new DateOnly(i.StartDate.Year, i.StartDate.Month, i.StartDate.Day), new DateOnly(i.EndDate.Year, i.EndDate.Month, i.EndDate.Day)),
            i.Signals is { Suppressed: false } total ? total.Value : null,
            Count(i.Signals))).ToList();
        var domains = intervals.SelectMany(i => i.ByLifeDomain.Select(d => d.LifeDomain)).Distinct().ToList();
        var series = domains.Select(domain => new StackSeries(
            Dutch.Domain(domain),
            [.. intervals.Select(i => i.ByLifeDomain.FirstOrDefault(d => d.LifeDomain == domain)?.Signals is { Suppressed: false } c ? (double?)c.Value : null)])).ToList();
        return (columns, series);
    }

    /// <summary>The acknowledged signals per range of time to acknowledgement.</summary>
    public IReadOnlyList<Bar> AcknowledgementTimes(PilotLevelFigures level)
    {
        ArgumentNullException.ThrowIfNull(level);
        return [.. level.EarlyPresence.TimeToAcknowledgementDistribution.Select(r => CountBar(Dutch.Range(r.LowerBound, r.UpperBound), r.Count))];
    }

    /// <summary>The started referrals per range of time from request to start.</summary>
    public IReadOnlyList<Bar> StartTimes(PilotLevelFigures level)
    {
        ArgumentNullException.ThrowIfNull(level);
        return [.. level.ScaleUp.TimeToStartDistribution.Select(r => CountBar(Dutch.Range(r.LowerBound, r.UpperBound), r.Count))];
    }

    private Bar CountBar(string label, PilotCount? count) =>
        new(label, count is { Suppressed: false } c ? c.Value : null, Count(count));
}

using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using Ketenhub.Cli.Commands;
using Ketenhub.Cli.Tests.Infrastructure;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Cli.Tests;

/// <summary><c>report pilot</c> against a stand-in for the hub: the request it sends and the schema of docs/monitor.md.</summary>
public sealed class ReportCommandTests
{
    private readonly FakeHub _hub = new();

    public ReportCommandTests() =>
        _hub.On<GetPilotReportRequest, GetPilotReportResponse>(r => new() { Report = Report(r) });

    private static PilotReport Report(GetPilotReportRequest request)
    {
        var all = new PilotLevelFigures
        {
            Level = PilotLevel.All,
            CoachFlow = new CoachFlow { FirstCoaches = new PilotCount { Value = 7 }, WithCoachAtStart = new PilotCount { Suppressed = true, Suppression = Suppression.Complementary } },
            EarlyPresence = new EarlyPresence
            {
                Signals = new PilotCount { Value = 12 },
                ByLifeDomain = { new DomainSignals { LifeDomain = LifeDomain.Finances, Signals = new PilotCount { Suppressed = true, Suppression = Suppression.SmallCount } } },
                TimeToAcknowledgement = new PilotDurations { Median = Duration.FromTimeSpan(TimeSpan.FromMinutes(90)), Percentile90 = Duration.FromTimeSpan(TimeSpan.FromHours(6)) },
                SignalsOverTime =
                {
                    Interval(1, Shown(9), (LifeDomain.Finances, Shown(6)), (LifeDomain.Housing, Small)),
                    Interval(2, Small, (LifeDomain.Finances, Small), (LifeDomain.Housing, Shown(0))),
                },
                TimeToAcknowledgementDistribution =
                {
                    Range(0, 1, Shown(5)), Range(1, 4, Small), Range(4, 24, Complementary), Range(24, 72, Shown(0)), Range(72, 168, Shown(0)), Range(168, null, Shown(0)),
                },
            },
            ScaleUp = new ScaleUpSpeed
            {
                TimeToStartDistribution =
                {
                    Range(0, 7 * 24, Shown(6)), Range(7 * 24, 14 * 24, Shown(0)), Range(14 * 24, 28 * 24, Shown(0)), Range(28 * 24, 56 * 24, Shown(0)), Range(56 * 24, null, Small),
                },
            },
            Transitions = new TransitionContinuity { CoachKeptShare = new PilotShare { Value = 0.75 } },
        };
        var young = new PilotLevelFigures { Level = PilotLevel.Under18, EarlyPresence = new EarlyPresence { TimeToAcknowledgement = new PilotDurations { Suppressed = true } } };
        return new PilotReport
        {
            StartDate = request.StartDate,
            EndDate = request.EndDate,
            MunicipalityCode = request.MunicipalityCode,
            MinimumCellSize = 5,
            CreateTime = Timestamp.FromDateTimeOffset(new DateTimeOffset(2026, 4, 2, 8, 0, 0, TimeSpan.Zero)),
            Levels = { all, young },
            Costs = new PilotCosts
            {
                Assumptions = new PilotCostAssumptions
                {
                    WaakvlamPerClientYearLow = 700, WaakvlamPerClientYearHigh = 2600, StepDownSavingPerMonth = 300, ReferenceMonthsToStepDown = 12,
                    DebtCrisisAvoidedLow = 900, DebtCrisisAvoidedHigh = 16000, ShelteredHousingPerYear = 15000,
                    BreakEvenCrisesPerTenClientsLow = 1, BreakEvenCrisesPerTenClientsHigh = 2,
                },
                PilotCost = new PilotCostLine { Quantity = 6.5, Clients = 9, LowEuros = 4600, HighEuros = 16900 },
                StepDownSavings = new PilotCostLine { Suppressed = true },
                BreakEven = new PilotBreakEven { CrisesNeededLow = 0.3, CrisesNeededHigh = 18.8, CrisesByRuleLow = 0.9, CrisesByRuleHigh = 1.8, ShelteredHousingYearsLow = 0.3, ShelteredHousingYearsHigh = 1.1 },
            },
        };
    }

    private static PilotCount Small => new() { Suppressed = true, Suppression = Suppression.SmallCount };

    private static PilotCount Complementary => new() { Suppressed = true, Suppression = Suppression.Complementary };

    private static PilotCount Shown(long value) => new() { Value = value };

    private static SignalsInInterval Interval(int month, PilotCount total, params (LifeDomain Domain, PilotCount Count)[] domains)
    {
        var interval = new SignalsInInterval
        {
            StartDate = new Google.Type.Date { Year = 2026, Month = month, Day = 1 },
            EndDate = new Google.Type.Date { Year = 2026, Month = month + 1, Day = 1 },
            Signals = total,
        };
        interval.ByLifeDomain.Add(domains.Select(d => new DomainSignals { LifeDomain = d.Domain, Signals = d.Count }));
        return interval;
    }

    private static DurationRangeCount Range(int fromHours, int? toHours, PilotCount count)
    {
        var range = new DurationRangeCount { LowerBound = Duration.FromTimeSpan(TimeSpan.FromHours(fromHours)), Count = count };
        if (toHours is { } to)
        {
            range.UpperBound = Duration.FromTimeSpan(TimeSpan.FromHours(to));
        }

        return range;
    }

    private Task<CliResult> Run(params string[] args) => Tool.RunAsync(new Dictionary<string, string>(), _hub.Connect, args);

    [Fact]
    public async Task Csv_HasOneRowPerFigure_WithSuppressedValuesEmpty()
    {
        var result = await Run("report", "pilot", "--as", "sdd", "--from", "2026-01-01", "--to", "2026-04-01", "--municipality", "0505", "--format", "csv");

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        var request = Assert.Single(_hub.Requests<GetPilotReportRequest>());
        Assert.Equal(new Google.Type.Date { Year = 2026, Month = 1, Day = 1 }, request.StartDate);
        Assert.Equal(new Google.Type.Date { Year = 2026, Month = 4, Day = 1 }, request.EndDate);
        Assert.Equal("0505", request.MunicipalityCode);

        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(PilotRows.Header, lines[0]);
        Assert.Contains("all,coach_flow,first_coaches,,count,7,shown", lines);
        Assert.Contains("all,coach_flow,with_coach_at_start,,count,,complementary", lines);
        Assert.Contains("all,early_presence,signals,life_domain=finances,count,,small", lines);
        Assert.Contains("all,early_presence,time_to_acknowledgement_median,,hours,1.5,shown", lines);
        Assert.Contains("all,transitions,coach_kept_share,,share,0.75,shown", lines);
        Assert.Contains("under_18,early_presence,time_to_acknowledgement_percentile_90,,hours,,too_small_group", lines);
        Assert.All(lines.Skip(1), l => Assert.Equal(7, l.Split(',').Length));

        // The cost view: its assumptions, and each line as a range; a hidden line has no value, a lower bound no upper end.
        Assert.Contains("all,cost_assumptions,waakvlam_per_client_year_low,,euros,700,shown", lines);
        Assert.Contains("all,cost_assumptions,reference_months_to_step_down,,months,12,shown", lines);
        Assert.Contains("all,costs,pilot_cost_client_years,,client_years,6.5,shown", lines);
        Assert.Contains("all,costs,pilot_cost_euros_low,,euros,4600,shown", lines);
        Assert.Contains("all,costs,pilot_cost_euros_high,,euros,16900,shown", lines);
        Assert.Contains("all,costs,step_down_savings_euros_low,,euros,,small", lines);
        Assert.Contains("all,break_even,crises_by_rule_high,,crises,1.8,shown", lines);

        // The series: per interval its total and its domains; the distributions per range, in hours or days.
        Assert.Contains("all,early_presence,signals_over_time,interval=2026-01-01/2026-02-01,count,9,shown", lines);
        Assert.Contains("all,early_presence,signals_over_time,interval=2026-01-01/2026-02-01;life_domain=finances,count,6,shown", lines);
        Assert.Contains("all,early_presence,signals_over_time,interval=2026-02-01/2026-03-01;life_domain=housing,count,0,shown", lines);
        Assert.Contains("all,early_presence,signals_over_time,interval=2026-02-01/2026-03-01,count,,small", lines);
        Assert.Contains("all,early_presence,time_to_acknowledgement_distribution,hours=0-1,count,5,shown", lines);
        Assert.Contains("all,early_presence,time_to_acknowledgement_distribution,hours=4-24,count,,complementary", lines);
        Assert.Contains("all,early_presence,time_to_acknowledgement_distribution,hours=168-,count,0,shown", lines);
        Assert.Contains("all,scale_up,time_to_start_distribution,days=0-7,count,6,shown", lines);
        Assert.Contains("all,scale_up,time_to_start_distribution,days=56-,count,,small", lines);
    }

    [Fact]
    public async Task Json_HasTheSameRows_UnderThePeriod()
    {
        var result = await Run("report", "pilot", "--as", "sdd", "--from", "2026-01-01", "--to", "2026-04-01", "--format", "json");

        using var document = JsonDocument.Parse(result.Output);
        var root = document.RootElement;
        Assert.Equal("2026-01-01", root.GetProperty("start_date").GetString());
        Assert.Equal(5, root.GetProperty("minimum_cell_size").GetInt32());
        var rows = root.GetProperty("rows").EnumerateArray().ToList();
        var first = Assert.Single(rows, r => r.GetProperty("level").GetString() == "all" && r.GetProperty("figure").GetString() == "first_coaches");
        Assert.Equal(7, first.GetProperty("value").GetDouble());
        var small = Assert.Single(rows, r => r.GetProperty("breakdown").GetString() == "life_domain=finances");
        Assert.Equal(JsonValueKind.Null, small.GetProperty("value").ValueKind);
        Assert.Equal("small", small.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Markdown_ShowsSmallCountsAsBelowTheMinimum()
    {
        var result = await Run("report", "pilot", "--as", "sdd", "--from", "2026-01-01", "--to", "2026-04-01");

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Contains("| early_presence | signals | life_domain=finances | <5 |", result.Output, StringComparison.Ordinal);
        Assert.Contains("| coach_flow | with_coach_at_start |  | x |", result.Output, StringComparison.Ordinal);
        Assert.Contains("| transitions | coach_kept_share |  | 75.0% |", result.Output, StringComparison.Ordinal);
        Assert.Contains("## Under 18", result.Output, StringComparison.Ordinal);

        // The series as a table of intervals by domain, not as rows of the level's table.
        Assert.Contains("| Interval | signals | finances | housing |", result.Output, StringComparison.Ordinal);
        Assert.Contains("| 2026-01-01/2026-02-01 | 9 | 6 | <5 |", result.Output, StringComparison.Ordinal);
        Assert.Contains("| 2026-02-01/2026-03-01 | <5 | <5 | 0 |", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("| signals_over_time |", result.Output, StringComparison.Ordinal);

        // The cost view in sentences, with the assumption behind each figure, and no level table holding it.
        Assert.Contains("- Cost of the waakvlam: €4,600 to €16,900: 6.5 client-years of coaching (9 clients) at €700 to €2,600 per client per year.", result.Output, StringComparison.Ordinal);
        Assert.Contains("- Steps down earlier than the reference: not shown", result.Output, StringComparison.Ordinal);
        Assert.Contains("avoid 0.3 to 18.8 debt crises (€900 to €16,000 each)", result.Output, StringComparison.Ordinal);
        Assert.Contains("these are thresholds, not results", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("| costs |", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Svg_IsOneWellFormedDocument_WithTheChartsOfAllClients()
    {
        var result = await Run("report", "pilot", "--as", "sdd", "--from", "2026-01-01", "--to", "2026-04-01", "--format", "svg");

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        var document = System.Xml.Linq.XDocument.Parse(result.Output);
        System.Xml.Linq.XNamespace svg = "http://www.w3.org/2000/svg";
        Assert.Equal(svg + "svg", document.Root!.Name);
        Assert.Equal("Pilot report 2026-01-01 to 2026-04-01 (exclusive)", document.Root.Element(svg + "title")!.Value);
        var charts = document.Root.Elements(svg + "svg").ToList();
        Assert.Equal(
            [
                "Signals over time, per life domain", "Time to acknowledgement", "Time from request to start of care",
                "Signals per life domain", "Signals per severity", "Same coach after a transition, per kind", "What recipients got",
            ],
            charts.Select(c => c.Element(svg + "title")!.Value));
        Assert.All(charts, c => Assert.Equal("img", c.Attribute("role")!.Value));
        Assert.Equal(charts.Select(c => c.Element(svg + "title")!.Value), document.Root.Elements(svg + "text").Select(t => t.Value));

        // Over time: a series per life domain and the grey remainder. January's total (9) is shown with finances (6) and
        // housing hidden: finances and 3 in grey. February's total is hidden: no column, "<5" written instead.
        var overTime = charts[0];
        var series = overTime.Elements(svg + "g").ToDictionary(g => g.Attribute("data-series")!.Value);
        Assert.Equal(["finances", "housing", "hidden"], series.Keys);
        Assert.Equal(["2026-01, finances: 6"], series["finances"].Elements(svg + "rect").Select(r => r.Element(svg + "title")!.Value));
        Assert.Empty(series["housing"].Elements(svg + "rect"));
        Assert.Equal(["2026-01, hidden: 3"], series["hidden"].Elements(svg + "rect").Select(r => r.Element(svg + "title")!.Value));
        var texts = overTime.Elements(svg + "text").Select(t => t.Value).ToList();
        Assert.Contains("9", texts);
        Assert.Contains("<5", texts);
        Assert.Contains("2026-02", texts);

        // The distributions: one series, a column per shown range that is not zero; hidden ranges as text.
        var ack = charts[1];
        var acknowledged = Assert.Single(ack.Elements(svg + "g"));
        Assert.Equal("acknowledged", acknowledged.Attribute("data-series")!.Value);
        Assert.Equal(["<1h: 5"], acknowledged.Elements(svg + "rect").Select(r => r.Element(svg + "title")!.Value));
        Assert.Equal(["<1h", "1-4h", "4-24h", "24-72h", "72-168h", "168h+"], ack.Elements(svg + "text").Select(t => t.Value).Where(t => t.EndsWith('h') || t.EndsWith('+')));
        Assert.Contains("x", ack.Elements(svg + "text").Select(t => t.Value));
        Assert.Equal(["<7d: 6"], charts[2].Descendants(svg + "rect").Select(r => r.Element(svg + "title")!.Value));

        // The one life domain in the report is hidden: written as "<5", with no bar; the charts are stacked, not overlaid.
        var domains = charts[3];
        Assert.Equal(["finances", "<5"], domains.Elements(svg + "text").Select(t => t.Value));
        Assert.Empty(domains.Elements(svg + "rect"));
        var tops = charts.Select(c => int.Parse(c.Attribute("y")?.Value ?? "0", System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(tops.Order(), tops);
        Assert.Equal(tops.Count, tops.Distinct().Count());
    }

    [Fact]
    public async Task AnUnknownFormat_IsAUsageError()
    {
        var result = await Run("report", "pilot", "--as", "sdd", "--from", "2026-01-01", "--to", "2026-04-01", "--format", "xlsx");
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Empty(_hub.Calls);
    }
}

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

        // The cost view in sentences, with the assumption behind each figure, and no level table holding it.
        Assert.Contains("- Cost of the waakvlam: €4,600 to €16,900: 6.5 client-years of coaching (9 clients) at €700 to €2,600 per client per year.", result.Output, StringComparison.Ordinal);
        Assert.Contains("- Steps down earlier than the reference: not shown", result.Output, StringComparison.Ordinal);
        Assert.Contains("avoid 0.3 to 18.8 debt crises (€900 to €16,000 each)", result.Output, StringComparison.Ordinal);
        Assert.Contains("these are thresholds, not results", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("| costs |", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Svg_IsOneWellFormedDocument_WithTheFourChartsOfAllClients()
    {
        var result = await Run("report", "pilot", "--as", "sdd", "--from", "2026-01-01", "--to", "2026-04-01", "--format", "svg");

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        var document = System.Xml.Linq.XDocument.Parse(result.Output);
        System.Xml.Linq.XNamespace svg = "http://www.w3.org/2000/svg";
        Assert.Equal(svg + "svg", document.Root!.Name);
        Assert.Equal("Pilot report 2026-01-01 to 2026-04-01 (exclusive)", document.Root.Element(svg + "title")!.Value);
        var charts = document.Root.Elements(svg + "svg").ToList();
        Assert.Equal(["Signals per life domain", "Signals per severity", "Same coach after a transition, per kind", "What recipients got"], charts.Select(c => c.Element(svg + "title")!.Value));
        Assert.All(charts, c => Assert.Equal("img", c.Attribute("role")!.Value));

        // The one life domain in the report is hidden: written as "<5", with no bar; the charts are stacked, not overlaid.
        var domains = charts[0];
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

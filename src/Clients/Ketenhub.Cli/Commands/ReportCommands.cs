using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Cli.Commands;

/// <summary><c>report pilot</c>: the pilot monitor's report (docs/monitor.md), as Markdown, CSV or JSON.</summary>
public static class ReportCommands
{
    /// <summary>The output formats of <c>report pilot</c>.</summary>
    public static readonly IReadOnlyList<string> Formats = ["md", "csv", "json", "svg"];

    public static Command Create(CliContext context)
    {
        var from = CliOptions.Date("--from", "The period's first day (inclusive).", required: true);
        var to = CliOptions.Date("--to", "The day after the period's last day (exclusive).", required: true);
        var municipality = CliOptions.Text("--municipality", "Only clients living in this municipality on the period's last day: its CBS code, for example 0505.", helpName: "code");
        var format = new Option<string>("--format")
        {
            Description = "md (a table per level, for people), csv or json (one row per figure, the schema of docs/monitor.md), or svg (the charts of all clients, one SVG document).",
            HelpName = "md|csv|json|svg",
            DefaultValueFactory = _ => "md",
        };
        format.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is { } value && !Formats.Contains(value))
            {
                result.AddError($"--format must be one of {string.Join(", ", Formats)}.");
            }
        });
        var pilot = new Command("pilot", "Prints the pilot report of a period: aggregate figures only, small counts suppressed. Needs the monitor role.")
        {
            from, to, municipality, format,
        };
        context.SetAction(pilot, async (call, parse, cancellationToken) =>
        {
            var request = new GetPilotReportRequest
            {
                StartDate = Render.ToDate(parse.GetValue(from)!.Value),
                EndDate = Render.ToDate(parse.GetValue(to)!.Value),
                MunicipalityCode = parse.GetValue(municipality)?.Trim() ?? string.Empty,
            };
            var response = await new MonitorService.MonitorServiceClient(call.Invoker).GetPilotReportAsync(request, call.Unary(cancellationToken));
            if (call.Json)
            {
                call.WriteJson(response);
                return ExitCodes.Ok;
            }

            var report = response.Report;
            var rows = PilotRows.Of(report);
            call.Host.Output.Write(parse.GetValue(format) switch
            {
                "csv" => PilotRows.Csv(rows),
                "json" => PilotRows.Json(report, rows),
                "svg" => PilotCharts.Svg(report, rows),
                _ => PilotRows.Markdown(report, rows),
            });
            return ExitCodes.Ok;
        });

        return new Command("report", "Reports over the hub's records.") { pilot };
    }
}

/// <summary>One figure of the pilot report: the row of the CSV and JSON schema (docs/monitor.md, "The schema").</summary>
/// <param name="Level"><c>all</c>, <c>under_18</c> or <c>adult</c>.</param>
/// <param name="Section"><c>coach_flow</c>, <c>early_presence</c>, <c>scale_up</c>, <c>transitions</c>, <c>consent_coverage</c>, or for the
/// cost view (level <c>all</c> only) <c>cost_assumptions</c>, <c>costs</c> and <c>break_even</c>.</param>
/// <param name="Figure">The figure, the contract's field name.</param>
/// <param name="Breakdown">Empty, or <c>life_domain=…</c>, <c>severity=…</c>, <c>service=…</c>, <c>kind=…</c>.</param>
/// <param name="Unit"><c>count</c>, <c>hours</c> or <c>share</c>; in the cost view also <c>euros</c>, <c>months</c>, <c>client_years</c>,
/// <c>months_earlier</c>, <c>crises</c> and <c>years</c>.</param>
/// <param name="Value">The value; null when hidden.</param>
/// <param name="Status"><c>shown</c>, <c>small</c>, <c>complementary</c> or <c>too_small_group</c>.</param>
public sealed record PilotRow(string Level, string Section, string Figure, string Breakdown, string Unit, double? Value, string Status);

/// <summary>The pilot report as rows, and the rows as CSV, JSON and Markdown.</summary>
public static class PilotRows
{
    /// <summary>The CSV header, the names of the row's fields.</summary>
    public const string Header = "level,section,figure,breakdown,unit,value,status";

    public static List<PilotRow> Of(PilotReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var rows = new List<PilotRow>();
        foreach (var figures in report.Levels)
        {
            var level = EnumNames<PilotLevel>.Format(figures.Level).ToLowerInvariant();
            void Count(string section, string figure, PilotCount? count, string breakdown = "") =>
                rows.Add(count is null || count.Suppressed
                    ? new PilotRow(level, section, figure, breakdown, "count", null, count?.Suppression == Suppression.Complementary ? "complementary" : "small")
                    : new PilotRow(level, section, figure, breakdown, "count", count.Value, "shown"));
            void Share(string section, string figure, PilotShare? share, string breakdown = "") =>
                rows.Add(share is null || share.Suppressed
                    ? new PilotRow(level, section, figure, breakdown, "share", null, "suppressed")
                    : new PilotRow(level, section, figure, breakdown, "share", Math.Round(share.Value, 4), "shown"));
            void Durations(string section, string figure, PilotDurations? durations, string breakdown = "")
            {
                var hidden = durations is null || durations.Suppressed;
                rows.Add(new PilotRow(level, section, figure + "_median", breakdown, "hours", hidden ? null : Hours(durations!.Median), hidden ? "too_small_group" : "shown"));
                rows.Add(new PilotRow(level, section, figure + "_percentile_90", breakdown, "hours", hidden ? null : Hours(durations!.Percentile90), hidden ? "too_small_group" : "shown"));
            }

            var flow = figures.CoachFlow ?? new CoachFlow();
            Count("coach_flow", "with_coach_at_start", flow.WithCoachAtStart);
            Count("coach_flow", "with_coach_at_end", flow.WithCoachAtEnd);
            Count("coach_flow", "first_coaches", flow.FirstCoaches);
            Count("coach_flow", "assignments_ended", flow.AssignmentsEnded);
            Count("coach_flow", "coach_changes", flow.CoachChanges);

            var presence = figures.EarlyPresence ?? new EarlyPresence();
            Count("early_presence", "signals", presence.Signals);
            foreach (var d in presence.ByLifeDomain)
            {
                Count("early_presence", "signals", d.Signals, "life_domain=" + EnumNames<LifeDomain>.Format(d.LifeDomain).ToLowerInvariant());
            }

            foreach (var s in presence.BySeverity)
            {
                Count("early_presence", "signals", s.Signals, "severity=" + EnumNames<SignalSeverity>.Format(s.Severity).ToLowerInvariant());
            }

            Count("early_presence", "acknowledged", presence.Acknowledged);
            Durations("early_presence", "time_to_acknowledgement", presence.TimeToAcknowledgement);
            Count("early_presence", "escalated", presence.Escalated);
            foreach (var i in presence.SignalsOverTime)
            {
                var interval = "interval=" + Render.Date(i.StartDate) + "/" + Render.Date(i.EndDate);
                Count("early_presence", "signals_over_time", i.Signals, interval);
                foreach (var d in i.ByLifeDomain)
                {
                    Count("early_presence", "signals_over_time", d.Signals, interval + ";life_domain=" + EnumNames<LifeDomain>.Format(d.LifeDomain).ToLowerInvariant());
                }
            }

            foreach (var r in presence.TimeToAcknowledgementDistribution)
            {
                Count("early_presence", "time_to_acknowledgement_distribution", r.Count, RangeOf("hours", r, 1));
            }

            var scaleUp = figures.ScaleUp ?? new ScaleUpSpeed();
            Count("scale_up", "requested", scaleUp.Requested);
            Count("scale_up", "started", scaleUp.Started);
            Durations("scale_up", "time_to_start", scaleUp.TimeToStart);
            foreach (var r in scaleUp.TimeToStartDistribution)
            {
                Count("scale_up", "time_to_start_distribution", r.Count, RangeOf("days", r, 24));
            }
            foreach (var s in scaleUp.ByService)
            {
                var service = "service=" + EnumNames<ServiceKind>.Format(s.Service).ToLowerInvariant();
                Count("scale_up", "requested", s.Requested, service);
                Count("scale_up", "started", s.Started, service);
                Durations("scale_up", "time_to_start", s.TimeToStart, service);
            }

            var transitions = figures.Transitions ?? new TransitionContinuity();
            Count("transitions", "transitions", transitions.Transitions);
            Count("transitions", "with_coach_before", transitions.WithCoachBefore);
            Count("transitions", "coach_kept", transitions.CoachKept);
            Share("transitions", "coach_kept_share", transitions.CoachKeptShare);
            foreach (var k in transitions.ByKind)
            {
                var kind = "kind=" + EnumNames<TransitionKind>.Format(k.Kind).ToLowerInvariant();
                Count("transitions", "transitions", k.Transitions, kind);
                Count("transitions", "with_coach_before", k.WithCoachBefore, kind);
                Count("transitions", "coach_kept", k.CoachKept, kind);
                Share("transitions", "coach_kept_share", k.CoachKeptShare, kind);
            }

            var coverage = figures.ConsentCoverage ?? new ConsentCoverage();
            Count("consent_coverage", "deliveries", coverage.Deliveries);
            Count("consent_coverage", "content", coverage.Content);
            Count("consent_coverage", "thin_notice", coverage.ThinNotice);
            Count("consent_coverage", "withheld_or_blocked", coverage.WithheldOrBlocked);
            Count("consent_coverage", "awaiting_consent", coverage.AwaitingConsent);
            Share("consent_coverage", "content_share", coverage.ContentShare);
            Share("consent_coverage", "thin_notice_share", coverage.ThinNoticeShare);
            Share("consent_coverage", "withheld_or_blocked_share", coverage.WithheldOrBlockedShare);
            Share("consent_coverage", "awaiting_consent_share", coverage.AwaitingConsentShare);
        }

        if (report.Costs is { } costs)
        {
            AddCosts(rows, costs);
        }

        return rows;
    }

    /// <summary>The cost view's rows (level <c>all</c>): its assumptions, then each line as ranges (docs/monitor.md, "Costs").</summary>
    private static void AddCosts(List<PilotRow> rows, PilotCosts costs)
    {
        var a = costs.Assumptions ?? new PilotCostAssumptions();
        void Assumption(string figure, string unit, double value) => rows.Add(new PilotRow("all", "cost_assumptions", figure, "", unit, value, "shown"));
        Assumption("waakvlam_per_client_year_low", "euros", a.WaakvlamPerClientYearLow);
        Assumption("waakvlam_per_client_year_high", "euros", a.WaakvlamPerClientYearHigh);
        Assumption("step_down_saving_per_month", "euros", a.StepDownSavingPerMonth);
        Assumption("reference_months_to_step_down", "months", a.ReferenceMonthsToStepDown);
        Assumption("debt_crisis_avoided_low", "euros", a.DebtCrisisAvoidedLow);
        Assumption("debt_crisis_avoided_high", "euros", a.DebtCrisisAvoidedHigh);
        Assumption("sheltered_housing_per_year", "euros", a.ShelteredHousingPerYear);
        Assumption("break_even_crises_per_ten_clients_low", "crises", a.BreakEvenCrisesPerTenClientsLow);
        Assumption("break_even_crises_per_ten_clients_high", "crises", a.BreakEvenCrisesPerTenClientsHigh);

        void Line(string prefix, string unit, PilotCostLine? line)
        {
            var hidden = line is null || line.Suppressed;
            void Row(string figure, string rowUnit, double? value) => rows.Add(new PilotRow("all", "costs", prefix + "_" + figure, "", rowUnit, hidden ? null : value, hidden ? "small" : "shown"));
            Row(unit, unit, line?.Quantity);
            Row("clients", "count", line?.Clients);
            Row("euros_low", "euros", line?.LowEuros);
            if (line is null || line.Suppressed || line.HasHighEuros)
            {
                Row("euros_high", "euros", line?.HighEuros);
            }
        }

        Line("pilot_cost", "client_years", costs.PilotCost);
        Line("step_down_savings", "months_earlier", costs.StepDownSavings);
        var b = costs.BreakEven ?? new PilotBreakEven { Suppressed = true };
        void BreakEven(string figure, string unit, double value) => rows.Add(new PilotRow("all", "break_even", figure, "", unit, b.Suppressed ? null : value, b.Suppressed ? "small" : "shown"));
        BreakEven("crises_needed_low", "crises", b.CrisesNeededLow);
        BreakEven("crises_needed_high", "crises", b.CrisesNeededHigh);
        BreakEven("crises_by_rule_low", "crises", b.CrisesByRuleLow);
        BreakEven("crises_by_rule_high", "crises", b.CrisesByRuleHigh);
        BreakEven("sheltered_housing_years_low", "years", b.ShelteredHousingYearsLow);
        BreakEven("sheltered_housing_years_high", "years", b.ShelteredHousingYearsHigh);
    }

    public static string Csv(IEnumerable<PilotRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var text = new StringBuilder().Append(Header).Append('\n');
        foreach (var r in rows)
        {
            text.Append(CultureInfo.InvariantCulture, $"{r.Level},{r.Section},{r.Figure},{r.Breakdown},{r.Unit},{Number(r.Value)},{r.Status}\n");
        }

        return text.ToString();
    }

    public static string Json(PilotReport report, IEnumerable<PilotRow> rows)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(rows);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("start_date", Render.Date(report.StartDate));
            json.WriteString("end_date", Render.Date(report.EndDate));
            json.WriteString("municipality_code", report.MunicipalityCode);
            json.WriteNumber("minimum_cell_size", report.MinimumCellSize);
            json.WriteString("create_time", report.CreateTime is null ? string.Empty : report.CreateTime.ToDateTimeOffset().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
            json.WriteStartArray("rows");
            foreach (var r in rows)
            {
                json.WriteStartObject();
                json.WriteString("level", r.Level);
                json.WriteString("section", r.Section);
                json.WriteString("figure", r.Figure);
                json.WriteString("breakdown", r.Breakdown);
                json.WriteString("unit", r.Unit);
                if (r.Value is { } value)
                {
                    json.WriteNumber("value", value);
                }
                else
                {
                    json.WriteNull("value");
                }

                json.WriteString("status", r.Status);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    public static string Markdown(PilotReport report, IReadOnlyList<PilotRow> rows)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(rows);
        var minimum = report.MinimumCellSize.ToString(CultureInfo.InvariantCulture);
        string Cell(PilotRow r) => Shown(r, report.MinimumCellSize);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"# Pilot report {Render.Date(report.StartDate)} to {Render.Date(report.EndDate)} (exclusive)")
            .Append(report.MunicipalityCode.Length > 0 ? ", municipality " + report.MunicipalityCode : ", all municipalities").Append("\n\n")
            .Append(CultureInfo.InvariantCulture, $"`<{minimum}`: fewer than {minimum}. `x`: hidden so that a small figure cannot be found by subtraction. `-`: group too small.\n");
        foreach (var level in rows.Where(r => !CostSections.Contains(r.Section)).GroupBy(r => r.Level))
        {
            text.Append("\n## ").Append(level.Key switch { "under_18" => "Under 18", "adult" => "18 and older", _ => "All clients" }).Append("\n\n")
                .Append("| Section | Figure | Breakdown | Value |\n| --- | --- | --- | ---: |\n");
            foreach (var r in level.Where(r => r.Figure != "signals_over_time"))
            {
                text.Append(CultureInfo.InvariantCulture, $"| {r.Section} | {r.Figure} | {r.Breakdown} | {Cell(r)} |\n");
            }

            // The series as one table: a row per interval, its total and a column per life domain.
            var series = level.Where(r => r.Figure == "signals_over_time").ToList();
            var domains = series.Where(r => r.Breakdown.Contains(';', StringComparison.Ordinal)).Select(r => r.Breakdown[(r.Breakdown.IndexOf(';', StringComparison.Ordinal) + "life_domain=".Length + 1)..]).Distinct().ToList();
            if (series.Count > 0)
            {
                text.Append("\nSignals over time (`signals_over_time`):\n\n| Interval | signals | ").Append(string.Join(" | ", domains)).Append(" |\n| --- |").Append(string.Concat(Enumerable.Repeat(" ---: |", domains.Count + 1))).Append('\n');
                foreach (var interval in series.GroupBy(r => r.Breakdown.Split(';')[0]))
                {
                    text.Append("| ").Append(interval.Key["interval=".Length..]).Append(" | ").Append(string.Join(" | ", interval.Select(Cell))).Append(" |\n");
                }
            }
        }

        if (report.Costs is { } costs)
        {
            text.Append('\n').Append(CostsMarkdown(costs));
        }

        return text.ToString();
    }

    private static readonly HashSet<string> CostSections = ["cost_assumptions", "costs", "break_even"];

    /// <summary>A row's value as the Markdown shows it: the number, a share in percent, <c>&lt;5</c>, <c>x</c> or <c>-</c>.</summary>
    public static string Shown(PilotRow row, int minimumCellSize)
    {
        ArgumentNullException.ThrowIfNull(row);
        return row.Status switch
        {
            "shown" => row.Unit == "share" ? (row.Value!.Value * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%" : Number(row.Value),
            "small" => "<" + minimumCellSize.ToString(CultureInfo.InvariantCulture),
            "complementary" => "x",
            _ => "-",
        };
    }

    /// <summary>The cost view in sentences, each with the assumption it rests on; never one "saved" figure.</summary>
    public static string CostsMarkdown(PilotCosts costs)
    {
        ArgumentNullException.ThrowIfNull(costs);
        var a = costs.Assumptions ?? new PilotCostAssumptions();
        var text = new StringBuilder("## Costs: ranges from assumptions, not measured savings\n\n");
        var cost = costs.PilotCost ?? new PilotCostLine { Suppressed = true };
        text.Append(cost.Suppressed
            ? "- Cost of the waakvlam: not shown (fewer coached clients than the minimum cell size).\n"
            : $"- Cost of the waakvlam: {Euros(cost.LowEuros)} to {Euros(cost.HighEuros)}: {Decimal(cost.Quantity)} client-years of coaching ({cost.Clients} clients) at {Euros(a.WaakvlamPerClientYearLow)} to {Euros(a.WaakvlamPerClientYearHigh)} per client per year.\n");
        var down = costs.StepDownSavings ?? new PilotCostLine { Suppressed = true };
        text.Append(down.Suppressed
            ? "- Steps down earlier than the reference: not shown (fewer clients who stepped down than the minimum cell size).\n"
            : $"- Steps down earlier than the reference of {a.ReferenceMonthsToStepDown} months: at least {Euros(down.LowEuros)}: {Decimal(down.Quantity)} months earlier in all ({down.Clients} clients) at least {Euros(a.StepDownSavingPerMonth)} per month.\n");
        var b = costs.BreakEven ?? new PilotBreakEven { Suppressed = true };
        text.Append(b.Suppressed
            ? "- To break even: not shown (the cost is not shown).\n"
            : $"- To break even, the pilot would have to avoid {Decimal(b.CrisesNeededLow)} to {Decimal(b.CrisesNeededHigh)} debt crises ({Euros(a.DebtCrisisAvoidedLow)} to {Euros(a.DebtCrisisAvoidedHigh)} each), or {Decimal(b.ShelteredHousingYearsLow)} to {Decimal(b.ShelteredHousingYearsHigh)} years of sheltered housing ({Euros(a.ShelteredHousingPerYear)} a year). The evaluation puts break-even at {a.BreakEvenCrisesPerTenClientsLow} to {a.BreakEvenCrisesPerTenClientsHigh} avoided crises per ten clients: {Decimal(b.CrisesByRuleLow)} to {Decimal(b.CrisesByRuleHigh)} here. The hub cannot see avoided crises: these are thresholds, not results.\n");
        return text.ToString();

        static string Euros(long euros) => "€" + euros.ToString("#,0", CultureInfo.InvariantCulture);
        static string Decimal(double value) => value.ToString("0.0", CultureInfo.InvariantCulture);
    }

    /// <summary>A range's breakdown: <c>hours=4-24</c>, <c>days=56-</c> (lower bound inclusive, upper exclusive, open at the end).</summary>
    private static string RangeOf(string unit, DurationRangeCount range, double hoursPerUnit) =>
        unit + "=" + Number(Hours(range.LowerBound) / hoursPerUnit) + "-" + (range.UpperBound is null ? string.Empty : Number(Hours(range.UpperBound) / hoursPerUnit));

    private static double Hours(Google.Protobuf.WellKnownTypes.Duration? duration) =>
        duration is null ? 0 : Math.Round(duration.ToTimeSpan().TotalHours, 2);

    private static string Number(double? value) => value is { } v ? v.ToString(CultureInfo.InvariantCulture) : string.Empty;
}

/// <summary>
/// The pilot report's charts for all clients as one SVG document (<c>report pilot --format svg</c>): signals over time
/// by life domain, the times to acknowledgement and to start of care in ranges, signals per life domain and per severity,
/// the share of transitions that kept the coach per kind, and what recipients got. Hidden figures are written as "&lt;5"
/// or "x" and draw no bar, as in the Markdown.
/// </summary>
public static class PilotCharts
{
    private const int Gap = 20;
    private const int Heading = 24;

    public static string Svg(PilotReport report, IReadOnlyList<PilotRow> rows)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(rows);
        var minimum = report.MinimumCellSize.ToString(CultureInfo.InvariantCulture);
        var all = rows.Where(r => r.Level == "all").ToList();
        Ketenhub.Reports.Bar Bar(PilotRow r, string label) => new(
            label,
            r.Status == "shown" ? (r.Unit == "share" ? r.Value * 100 : r.Value) : null,
            r.Status switch
            {
                "shown" => r.Unit == "share" ? (r.Value!.Value * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%" : (r.Value ?? 0).ToString(CultureInfo.InvariantCulture),
                "small" => "<" + minimum,
                "complementary" => "x",
                _ => "-",
            });
        List<Ketenhub.Reports.Bar> Breakdown(string section, string figure, string prefix) =>
            [.. all.Where(r => r.Section == section && r.Figure == figure && r.Breakdown.StartsWith(prefix, StringComparison.Ordinal))
                .Select(r => Bar(r, r.Breakdown[prefix.Length..].Replace('_', ' ')))];
        var bars = new (string Id, string Title, string Description, List<Ketenhub.Reports.Bar> Bars, double? Max)[]
        {
            ("signals-domain", "Signals per life domain", "Signals raised in the period per life domain, all clients.", Breakdown("early_presence", "signals", "life_domain="), null),
            ("signals-severity", "Signals per severity", "Signals raised in the period per severity, all clients.", Breakdown("early_presence", "signals", "severity="), null),
            ("coach-kept", "Same coach after a transition, per kind", "Share of transitions in which the client kept the coach, in percent.", Breakdown("transitions", "coach_kept_share", "kind="), 100),
            ("coverage", "What recipients got", "Deliveries with content, as a notice only, waiting for consent, or not sent.",
                [.. new[] { ("content", "content"), ("thin_notice", "notice only"), ("awaiting_consent", "waiting for consent"), ("withheld_or_blocked", "not sent") }
                    .SelectMany(f => all.Where(r => r.Section == "consent_coverage" && r.Figure == f.Item1 && r.Breakdown.Length == 0).Select(r => Bar(r, f.Item2)))], null),
        };
        var charts = new List<(int Height, Func<int, string> Render)>
        {
            (Ketenhub.Reports.SvgColumnChart.StackedHeightOf(7), y => OverTime(all, report.MinimumCellSize, y)),
            (Ketenhub.Reports.SvgColumnChart.HistogramHeight, y => Ketenhub.Reports.SvgColumnChart.Histogram(
                "ack-time", "Time to acknowledgement", "Acknowledged signals by the time from the signal to its first acknowledgement, all clients.", "acknowledged",
                Breakdown("early_presence", "time_to_acknowledgement_distribution", "hours=").Select(b => b with { Label = RangeLabel(b.Label, "h") }).ToList(), y)),
            (Ketenhub.Reports.SvgColumnChart.HistogramHeight, y => Ketenhub.Reports.SvgColumnChart.Histogram(
                "start-time", "Time from request to start of care", "Started referrals by the time from the request to the start of care, all clients.", "started",
                Breakdown("scale_up", "time_to_start_distribution", "days=").Select(b => b with { Label = RangeLabel(b.Label, "d") }).ToList(), y)),
        };
        charts.AddRange(bars.Select(c => (Ketenhub.Reports.SvgBarChart.HeightOf(c.Bars.Count), (Func<int, string>)(y => Ketenhub.Reports.SvgBarChart.Render(c.Id, c.Title, c.Description, c.Bars, c.Max, y)))));
        var height = charts.Sum(c => c.Height + Gap + Heading) + 30;
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Ketenhub.Reports.SvgBarChart.Width}\" height=\"{height}\" viewBox=\"0 0 {Ketenhub.Reports.SvgBarChart.Width} {height}\">\n");
        text.Append(CultureInfo.InvariantCulture, $"<title>Pilot report {Render.Date(report.StartDate)} to {Render.Date(report.EndDate)} (exclusive){(report.MunicipalityCode.Length > 0 ? ", municipality " + report.MunicipalityCode : string.Empty)}</title>\n");
        text.Append("<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n");
        var y = 30;
        foreach (var chart in charts)
        {
            // Each chart's title written above it too: the document is also looked at as one image.
            var drawn = chart.Render(y + Heading);
            var title = System.Xml.Linq.XElement.Parse(drawn).Elements().First().Value;
            text.Append(CultureInfo.InvariantCulture, $"<text x=\"8\" y=\"{y + 16}\" font-size=\"15\" font-weight=\"bold\" fill=\"#1b1b1b\">{System.Net.WebUtility.HtmlEncode(title)}</text>\n");
            text.Append(drawn).Append('\n');
            y += chart.Height + Gap + Heading;
        }

        return text.Append("</svg>\n").ToString();
    }

    /// <summary>The stacked chart of signals per interval by life domain, from the rows of <c>signals_over_time</c>.</summary>
    private static string OverTime(List<PilotRow> all, int minimumCellSize, int y)
    {
        var rows = all.Where(r => r.Figure == "signals_over_time").ToList();
        var intervals = rows.Where(r => !r.Breakdown.Contains(';', StringComparison.Ordinal)).ToList();
        var columns = intervals.Select(r =>
        {
            var dates = r.Breakdown["interval=".Length..].Split('/');
            var label = Ketenhub.Reports.SvgColumnChart.IntervalLabel(DateOnly.ParseExact(dates[0], "yyyy-MM-dd", CultureInfo.InvariantCulture), DateOnly.ParseExact(dates[1], "yyyy-MM-dd", CultureInfo.InvariantCulture));
            return new Ketenhub.Reports.StackColumn(label, r.Status == "shown" ? r.Value : null, PilotRows.Shown(r, minimumCellSize));
        }).ToList();
        var series = rows.Where(r => r.Breakdown.Contains(';', StringComparison.Ordinal))
            .GroupBy(r => r.Breakdown[(r.Breakdown.IndexOf(';', StringComparison.Ordinal) + 1 + "life_domain=".Length)..])
            .Select(g => new Ketenhub.Reports.StackSeries(g.Key.Replace('_', ' '), [.. g.Select(r => r.Status == "shown" ? r.Value : null)]))
            .ToList();
        return Ketenhub.Reports.SvgColumnChart.Stacked(
            "signals-over-time",
            "Signals over time, per life domain",
            "Signals raised per interval of the period, stacked by life domain, all clients; hidden counts together in grey where the interval's total is shown.",
            columns,
            series,
            y);
    }

    // "0-1" in hours as "<1h", "1-4" as "1-4h", "168-" as "168h+".
    private static string RangeLabel(string range, string unit)
    {
        var parts = range.Split('-');
        return parts[0] == "0" ? "<" + parts[1] + unit : parts[1].Length == 0 ? parts[0] + unit + "+" : parts[0] + "-" + parts[1] + unit;
    }
}

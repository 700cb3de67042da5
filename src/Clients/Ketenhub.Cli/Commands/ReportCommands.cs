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
    public static readonly IReadOnlyList<string> Formats = ["md", "csv", "json"];

    public static Command Create(CliContext context)
    {
        var from = CliOptions.Date("--from", "The period's first day (inclusive).", required: true);
        var to = CliOptions.Date("--to", "The day after the period's last day (exclusive).", required: true);
        var municipality = CliOptions.Text("--municipality", "Only clients living in this municipality on the period's last day: its CBS code, for example 0505.", helpName: "code");
        var format = new Option<string>("--format")
        {
            Description = "md (a table per level, for people), csv or json (one row per figure, the schema of docs/monitor.md).",
            HelpName = "md|csv|json",
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
                _ => PilotRows.Markdown(report, rows),
            });
            return ExitCodes.Ok;
        });

        return new Command("report", "Reports over the hub's records.") { pilot };
    }
}

/// <summary>One figure of the pilot report: the row of the CSV and JSON schema (docs/monitor.md, "The schema").</summary>
/// <param name="Level"><c>all</c>, <c>under_18</c> or <c>adult</c>.</param>
/// <param name="Section"><c>coach_flow</c>, <c>early_presence</c>, <c>scale_up</c>, <c>transitions</c> or <c>consent_coverage</c>.</param>
/// <param name="Figure">The figure, the contract's field name.</param>
/// <param name="Breakdown">Empty, or <c>life_domain=…</c>, <c>severity=…</c>, <c>service=…</c>, <c>kind=…</c>.</param>
/// <param name="Unit"><c>count</c>, <c>hours</c> or <c>share</c>.</param>
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

            var scaleUp = figures.ScaleUp ?? new ScaleUpSpeed();
            Count("scale_up", "requested", scaleUp.Requested);
            Count("scale_up", "started", scaleUp.Started);
            Durations("scale_up", "time_to_start", scaleUp.TimeToStart);
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

        return rows;
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
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"# Pilot report {Render.Date(report.StartDate)} to {Render.Date(report.EndDate)} (exclusive)")
            .Append(report.MunicipalityCode.Length > 0 ? ", municipality " + report.MunicipalityCode : ", all municipalities").Append("\n\n")
            .Append(CultureInfo.InvariantCulture, $"`<{minimum}`: fewer than {minimum}. `x`: hidden so that a small figure cannot be found by subtraction. `-`: group too small.\n");
        foreach (var level in rows.GroupBy(r => r.Level))
        {
            text.Append("\n## ").Append(level.Key switch { "under_18" => "Under 18", "adult" => "18 and older", _ => "All clients" }).Append("\n\n")
                .Append("| Section | Figure | Breakdown | Value |\n| --- | --- | --- | ---: |\n");
            foreach (var r in level)
            {
                var value = r.Status switch
                {
                    "shown" => r.Unit == "share" ? (r.Value!.Value * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%" : Number(r.Value),
                    "small" => "<" + minimum,
                    "complementary" => "x",
                    _ => "-",
                };
                text.Append(CultureInfo.InvariantCulture, $"| {r.Section} | {r.Figure} | {r.Breakdown} | {value} |\n");
            }
        }

        return text.ToString();
    }

    private static double Hours(Google.Protobuf.WellKnownTypes.Duration? duration) =>
        duration is null ? 0 : Math.Round(duration.ToTimeSpan().TotalHours, 2);

    private static string Number(double? value) => value is { } v ? v.ToString(CultureInfo.InvariantCulture) : string.Empty;
}

using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Ketenhub.Contracts.V1;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Ketenhub.Cli;

/// <summary>Human output: tables of decisions, rules, consents and journey events.</summary>
public static class Render
{
    private static readonly TimeZoneInfo Dutch = FindDutchTimeZone();

    public static void Decisions(IAnsiConsole console, IEnumerable<RecipientDecision> decisions)
    {
        var table = NewTable("Recipient", "Outcome", "Reason", "~Explanation");
        foreach (var d in decisions)
        {
            // A decision without a recipient says that nobody could be found (NO_SOCIAL_SERVICE, say).
            var recipient = d.Recipient.Length == 0 ? "(nobody)" : Names.ShortParty(d.Recipient);
            table.AddRow(Cell(recipient), Cell(EnumNames<RecipientOutcome>.Format(d.Outcome)), Cell(d.Reason), Cell(d.Explanation));
        }

        if (table.Rows.Count == 0)
        {
            console.WriteLine("No recipients.");
            return;
        }

        console.Write(table);
    }

    public static void MatchedRules(IAnsiConsole console, IEnumerable<MatchedRule> rules)
    {
        var table = NewTable("Rule", "~Description");
        foreach (var rule in rules)
        {
            table.AddRow(Cell(rule.RuleId), Cell(rule.Description));
        }

        if (table.Rows.Count == 0)
        {
            console.WriteLine("No rules matched.");
            return;
        }

        console.Write(table);
    }

    /// <summary>One block per consent: name and state, then who granted it to whom and when, then what it covers. Width-independent, unlike a table of long names.</summary>
    public static void Consents(TextWriter output, IEnumerable<Consent> consents)
    {
        var any = false;
        foreach (var c in consents)
        {
            if (any)
            {
                output.WriteLine();
            }

            any = true;
            var recipient = c.RecipientParty.Length > 0 ? Names.ShortParty(c.RecipientParty) : "every " + EnumNames<PartyKind>.Format(c.RecipientKind);
            var period = "from " + Date(c.StartTime) + (c.EndTime is null ? string.Empty : " until " + Date(c.EndTime));
            var confirmed = c.ConfirmTime is null ? string.Empty : ", confirmed " + Date(c.ConfirmTime);
            var withdrawn = c.WithdrawTime is null ? string.Empty : ", withdrawn " + Date(c.WithdrawTime);
            output.WriteLine($"{c.Name}  {EnumNames<ConsentState>.Format(c.State)}");
            output.WriteLine($"    granted by {EnumNames<GrantorRole>.Format(c.GrantorRole)} to {recipient}, {period}{confirmed}{withdrawn}; recorded by {Names.ShortParty(c.RecordedBy)}");
            output.WriteLine($"    purposes:   {EnumNames<Purpose>.Format(c.Purposes)}");
            output.WriteLine($"    categories: {EnumNames<DataCategory>.Format(c.DataCategories)}");
        }

        if (!any)
        {
            output.WriteLine("No consents.");
        }
    }

    public static void Journey(IAnsiConsole console, IEnumerable<JourneyEvent> events)
    {
        var table = NewTable("#", "Time", "Event", "Party", "~Resource", "~Detail");
        foreach (var e in events)
        {
            table.AddRow(
                Cell(e.Sequence.ToString(CultureInfo.InvariantCulture)),
                Cell(Time(e.EventTime)),
                Cell(EnumNames<JourneyEventType>.Format(e.Type)),
                Cell(Names.ShortParty(e.Party)),
                Cell(e.Resource),
                Cell(e.Detail));
        }

        if (table.Rows.Count == 0)
        {
            console.WriteLine("No journey events.");
            return;
        }

        console.Write(table);
    }

    /// <summary>A moment in Dutch local time with its offset from UTC, <c>yyyy-MM-dd HH:mm +01:00</c> (<c>+02:00</c> in summer time).</summary>
    public static string Time(Timestamp? timestamp) =>
        timestamp is null ? string.Empty : TimeZoneInfo.ConvertTime(timestamp.ToDateTimeOffset(), Dutch).ToString("yyyy-MM-dd HH:mm zzz", CultureInfo.InvariantCulture);

    /// <summary>The Dutch calendar date of a moment.</summary>
    public static string Date(Timestamp? timestamp) =>
        timestamp is null ? string.Empty : TimeZoneInfo.ConvertTime(timestamp.ToDateTimeOffset(), Dutch).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static string Date(Google.Type.Date? date) =>
        date is null ? string.Empty : string.Create(CultureInfo.InvariantCulture, $"{date.Year:D4}-{date.Month:D2}-{date.Day:D2}");

    /// <summary>The start of a calendar day in Dutch time, as the hub reads dates.</summary>
    public static Timestamp StartOfDutchDay(DateOnly date)
    {
        var local = date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        return Timestamp.FromDateTimeOffset(new DateTimeOffset(local, Dutch.GetUtcOffset(local)));
    }

    public static Google.Type.Date ToDate(DateOnly date) => new() { Year = date.Year, Month = date.Month, Day = date.Day };

    /// <summary>
    /// A table whose columns never wrap (names, codes, dates) except those marked with a leading <c>~</c>
    /// (free text such as explanations), which take what width is left.
    /// </summary>
    private static Table NewTable(params string[] headers)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var header in headers)
        {
            var wraps = header.StartsWith('~');
            var column = new TableColumn(new Text(wraps ? header[1..] : header));
            if (!wraps)
            {
                column.NoWrap();
            }

            table.AddColumn(column);
        }

        return table;
    }

    private static IRenderable Cell(string? text) => new Text(text ?? string.Empty);

    private static TimeZoneInfo FindDutchTimeZone()
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById("Europe/Amsterdam");
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return TimeZoneInfo.Utc;
        }
    }
}

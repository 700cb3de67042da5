using System.Globalization;
using System.Net;
using System.Text;

namespace Ketenhub.Reports;

/// <summary>One series of a stacked chart: its name and, per column, its value (null when hidden).</summary>
public sealed record StackSeries(string Name, IReadOnlyList<double?> Values);

/// <summary>One column of a stacked chart: its label, its total (null when hidden) and the total's text.</summary>
public sealed record StackColumn(string Label, double? Total, string Shown);

/// <summary>
/// Vertical column charts as SVG, with no script: a stacked chart over time (one colour per series, a legend under it)
/// and a histogram. Each is an image with a title and a description; every drawn part has its own title with its
/// figure, and every column's figure is written above it. A hidden figure draws nothing: in a stacked column whose total
/// is shown, what its hidden parts hold together is drawn in grey ("hidden"), which a reader could compute from the
/// total and the shown parts anyway; a hidden total is written as its text ("&lt;5", "x") without a column.
/// </summary>
public static class SvgColumnChart
{
    public const int Width = SvgBarChart.Width;

    /// <summary>The default name of the grey part of a stacked column: what its hidden series hold together.</summary>
    public const string HiddenSeries = "hidden";

    /// <summary>Colours that stay apart for colour-blind readers (Okabe and Ito), in the order of the series.</summary>
    private static readonly string[] Palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#8C6D00", "#000000"];
    private const string Grey = "#9e9e9e";
    private const int Left = 50;
    private const int Top = 24;
    private const int Plot = 200;
    private const int Below = 44;
    private const int LegendRow = 22;

    /// <summary>The height of a stacked chart of <paramref name="series"/> series.</summary>
    public static int StackedHeightOf(int series) => Top + Plot + Below + (LegendRows(series + 1) * LegendRow) + 10;

    /// <summary>The height of a histogram.</summary>
    public static int HistogramHeight => Top + Plot + Below + 10;

    /// <summary>
    /// A stacked column chart: one column per entry of <paramref name="columns"/>, stacked from the series in their order;
    /// each series a <c>&lt;g&gt;</c> with <c>data-series</c> set to its name, the hidden remainder one named
    /// <paramref name="hiddenName"/>. Placed at <paramref name="y"/> inside another SVG document (omitted at 0).
    /// </summary>
    public static string Stacked(string id, string title, string description, IReadOnlyList<StackColumn> columns, IReadOnlyList<StackSeries> series, int y = 0, string hiddenName = HiddenSeries)
    {
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(series);
        if (series.Any(s => s.Values.Count != columns.Count))
        {
            throw new ArgumentException("Every series needs one value per column.", nameof(series));
        }

        var height = StackedHeightOf(series.Count);
        var max = Math.Max(1, columns.Select((c, i) => c.Total ?? series.Sum(s => s.Values[i] ?? 0)).DefaultIfEmpty(0).Max());
        var slot = (Width - Left - 10) / (double)Math.Max(1, columns.Count);
        var svg = Open(id, title, description, height, y);
        Axis(svg, max);

        // The grey remainder per column: a shown total less its shown parts.
        var hidden = columns.Select((c, i) => c.Total is { } total ? Math.Max(0, total - series.Sum(s => s.Values[i] ?? 0)) : 0).ToList();
        var stacked = new double[columns.Count];
        var all = series.Select((s, k) => (s.Name, s.Values, Colour: Palette[k % Palette.Length]))
            .Append((Name: hiddenName, Values: (IReadOnlyList<double?>)[.. hidden.Select(h => (double?)h)], Colour: Grey))
            .ToList();
        foreach (var (name, values, colour) in all)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<g data-series=\"{E(name)}\" fill=\"{colour}\">");
            for (var i = 0; i < columns.Count; i++)
            {
                if (values[i] is not { } v || v <= 0)
                {
                    continue;
                }

                var h = v / max * Plot;
                var x = Left + (i * slot) + (slot * 0.15);
                var top = Top + Plot - ((stacked[i] / max * Plot) + h);
                svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x:F1}\" y=\"{top:F1}\" width=\"{slot * 0.7:F1}\" height=\"{h:F1}\"><title>{E(columns[i].Label)}, {E(name)}: {N(v)}</title></rect>");
                stacked[i] += v;
            }

            svg.Append("</g>");
        }

        for (var i = 0; i < columns.Count; i++)
        {
            var x = Left + (i * slot) + (slot / 2);
            var top = Top + Plot - (stacked[i] / max * Plot);
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x:F1}\" y=\"{top - 4:F1}\" text-anchor=\"middle\" font-size=\"11\" fill=\"#1b1b1b\">{E(columns[i].Shown)}</text>");
            ColumnLabel(svg, x, columns[i].Label, columns.Count);
        }

        // The legend, three entries a row.
        var legendTop = Top + Plot + Below;
        for (var k = 0; k < all.Count; k++)
        {
            var lx = Left + (k % 3 * 190);
            var ly = legendTop + (k / 3 * LegendRow);
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{lx}\" y=\"{ly}\" width=\"12\" height=\"12\" fill=\"{all[k].Colour}\"/><text x=\"{lx + 18}\" y=\"{ly + 11}\" font-size=\"12\" fill=\"#1b1b1b\">{E(all[k].Name)}</text>");
        }

        return svg.Append("</svg>").ToString();
    }

    /// <summary>
    /// A histogram: one column per bar, in order, in one <c>&lt;g data-series="…"&gt;</c> named <paramref name="seriesName"/>;
    /// a bar without a value is written as its text without a column.
    /// </summary>
    public static string Histogram(string id, string title, string description, string seriesName, IReadOnlyList<Bar> bars, int y = 0)
    {
        ArgumentNullException.ThrowIfNull(bars);
        var max = Math.Max(1, bars.Where(b => b.Value is not null).Select(b => b.Value!.Value).DefaultIfEmpty(0).Max());
        var slot = (Width - Left - 10) / (double)Math.Max(1, bars.Count);
        var svg = Open(id, title, description, HistogramHeight, y);
        Axis(svg, max);
        svg.Append(CultureInfo.InvariantCulture, $"<g data-series=\"{E(seriesName)}\" fill=\"{Palette[0]}\">");
        for (var i = 0; i < bars.Count; i++)
        {
            if (bars[i].Value is { } v && v > 0)
            {
                var h = v / max * Plot;
                svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Left + (i * slot) + (slot * 0.1):F1}\" y=\"{Top + Plot - h:F1}\" width=\"{slot * 0.8:F1}\" height=\"{h:F1}\"><title>{E(bars[i].Label)}: {N(v)}</title></rect>");
            }
        }

        svg.Append("</g>");
        for (var i = 0; i < bars.Count; i++)
        {
            var x = Left + (i * slot) + (slot / 2);
            var top = Top + Plot - ((bars[i].Value ?? 0) / max * Plot);
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x:F1}\" y=\"{top - 4:F1}\" text-anchor=\"middle\" font-size=\"12\" fill=\"#1b1b1b\">{E(bars[i].Shown)}</text>");
            ColumnLabel(svg, x, bars[i].Label, bars.Count);
        }

        return svg.Append("</svg>").ToString();
    }

    /// <summary>
    /// A short label of an interval: <c>2026-03</c> for a calendar month, <c>2026 Q1</c> for a calendar quarter, else
    /// its first day and the day after its last (<c>2026-02-15/2026-04-01</c>).
    /// </summary>
    public static string IntervalLabel(DateOnly from, DateOnly to)
    {
        if (from.Day == 1 && to == from.AddMonths(1))
        {
            return from.ToString("yyyy-MM", CultureInfo.InvariantCulture);
        }

        if (from.Day == 1 && (from.Month - 1) % 3 == 0 && to == from.AddMonths(3))
        {
            return string.Create(CultureInfo.InvariantCulture, $"{from.Year} Q{((from.Month - 1) / 3) + 1}");
        }

        return from.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + "/" + to.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
    }

    private static StringBuilder Open(string id, string title, string description, int height, int y)
    {
        var at = y == 0 ? string.Empty : string.Create(CultureInfo.InvariantCulture, $" y=\"{y}\"");
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\"{at} viewBox=\"0 0 {Width} {height}\" width=\"{Width}\" height=\"{height}\">");
        svg.Append(CultureInfo.InvariantCulture, $"<title id=\"{id}-title\">{E(title)}</title><desc id=\"{id}-desc\">{E(description)}</desc>");
        return svg;
    }

    // The baseline, and the largest value on a thin line at the top.
    private static void Axis(StringBuilder svg, double max)
    {
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{Top + Plot}\" x2=\"{Width - 10}\" y2=\"{Top + Plot}\" stroke=\"#1b1b1b\"/>");
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{Top}\" x2=\"{Width - 10}\" y2=\"{Top}\" stroke=\"#d0d0d0\"/>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 6}\" y=\"{Top + 4}\" text-anchor=\"end\" font-size=\"11\" fill=\"#1b1b1b\">{N(max)}</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 6}\" y=\"{Top + Plot + 4}\" text-anchor=\"end\" font-size=\"11\" fill=\"#1b1b1b\">0</text>");
    }

    // Under the column; turned when many columns leave too little room for the text.
    private static void ColumnLabel(StringBuilder svg, double x, string label, int columns)
    {
        var y = Top + Plot + 16;
        var turn = columns > 8 ? string.Create(CultureInfo.InvariantCulture, $" transform=\"rotate(-30 {x:F1} {y})\"") : string.Empty;
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x:F1}\" y=\"{y}\" text-anchor=\"{(columns > 8 ? "end" : "middle")}\" font-size=\"11\" fill=\"#1b1b1b\"{turn}>{E(label)}</text>");
    }

    private static int LegendRows(int entries) => (entries + 2) / 3;

    private static string N(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    private static string E(string text) => WebUtility.HtmlEncode(text);
}

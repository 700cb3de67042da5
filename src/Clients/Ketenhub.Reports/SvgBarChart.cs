using System.Globalization;
using System.Net;
using System.Text;

namespace Ketenhub.Reports;

/// <summary>One bar of a chart: a label, the value to draw (null for a hidden or missing figure) and the text to show.</summary>
public sealed record Bar(string Label, double? Value, string Shown);

/// <summary>
/// Horizontal bar charts as SVG: each an image with a title and a description, its figures also written next to the
/// bars, and a hidden figure ("&lt;5") shown as text without a bar.
/// </summary>
public static class SvgBarChart
{
    public const int Width = 640;
    private const int LabelWidth = 230;
    private const int Row = 30;

    /// <summary>The height a chart of <paramref name="bars"/> bars takes.</summary>
    public static int HeightOf(int bars) => (bars * Row) + 10;

    /// <summary>
    /// A chart as an <c>&lt;svg&gt;</c> element, with ids prefixed by <paramref name="id"/>; at <paramref name="y"/> when it
    /// is placed inside another SVG document (omitted at 0). The longest bar is <paramref name="maximum"/>, or the largest value.
    /// </summary>
    public static string Render(string id, string title, string description, IReadOnlyList<Bar> bars, double? maximum = null, int y = 0)
    {
        ArgumentNullException.ThrowIfNull(bars);
        var max = maximum ?? Math.Max(1, bars.Where(b => b.Value is not null).Select(b => b.Value!.Value).DefaultIfEmpty(0).Max());
        var height = HeightOf(bars.Count);
        var room = Width - LabelWidth - 70;
        var svg = new StringBuilder();
        var at = y == 0 ? string.Empty : string.Create(CultureInfo.InvariantCulture, $" y=\"{y}\"");
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\"{at} viewBox=\"0 0 {Width} {height}\" width=\"{Width}\" height=\"{height}\">");
        svg.Append(CultureInfo.InvariantCulture, $"<title id=\"{id}-title\">{E(title)}</title><desc id=\"{id}-desc\">{E(description)}</desc>");
        for (var i = 0; i < bars.Count; i++)
        {
            var bar = bars[i];
            var top = (i * Row) + 5;
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{LabelWidth - 8}\" y=\"{top + 18}\" text-anchor=\"end\" font-size=\"14\" fill=\"#1b1b1b\">{E(bar.Label)}</text>");
            var length = bar.Value is { } v ? Math.Max(1, v / max * room) : 0;
            if (length > 0)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{LabelWidth}\" y=\"{top + 4}\" width=\"{length:F1}\" height=\"{Row - 10}\" fill=\"#0b5394\"/>");
            }

            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{LabelWidth + length + 6:F1}\" y=\"{top + 18}\" font-size=\"14\" fill=\"#1b1b1b\">{E(bar.Shown)}</text>");
        }

        svg.Append("</svg>");
        return svg.ToString();
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);
}

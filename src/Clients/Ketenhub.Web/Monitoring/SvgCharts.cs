using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Html;

namespace Ketenhub.Web.Monitoring;

/// <summary>One bar of a chart: a label, the value to draw (null for a hidden or missing figure) and the text to show.</summary>
public sealed record Bar(string Label, double? Value, string Shown);

/// <summary>
/// Bar charts drawn as SVG on the server, no script: each an image with a title and a description, its figures also
/// written next to the bars, and a hidden figure ("&lt;5") shown as text without a bar. The pages put the same figures
/// in a table as well.
/// </summary>
public static class SvgCharts
{
    private const int Width = 640;
    private const int LabelWidth = 230;
    private const int Row = 30;

    public static IHtmlContent HorizontalBars(string id, string title, string description, IReadOnlyList<Bar> bars, double? maximum = null)
    {
        ArgumentNullException.ThrowIfNull(bars);
        var max = maximum ?? Math.Max(1, bars.Where(b => b.Value is not null).Select(b => b.Value!.Value).DefaultIfEmpty(0).Max());
        var height = (bars.Count * Row) + 10;
        var room = Width - LabelWidth - 70;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" viewBox=\"0 0 {Width} {height}\" width=\"{Width}\" height=\"{height}\">");
        svg.Append(CultureInfo.InvariantCulture, $"<title id=\"{id}-title\">{E(title)}</title><desc id=\"{id}-desc\">{E(description)}</desc>");
        for (var i = 0; i < bars.Count; i++)
        {
            var bar = bars[i];
            var y = (i * Row) + 5;
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{LabelWidth - 8}\" y=\"{y + 18}\" text-anchor=\"end\" font-size=\"14\" fill=\"#1b1b1b\">{E(bar.Label)}</text>");
            var length = bar.Value is { } v ? Math.Max(1, v / max * room) : 0;
            if (length > 0)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{LabelWidth}\" y=\"{y + 4}\" width=\"{length:F1}\" height=\"{Row - 10}\" fill=\"#0b5394\"/>");
            }

            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{LabelWidth + length + 6:F1}\" y=\"{y + 18}\" font-size=\"14\" fill=\"#1b1b1b\">{E(bar.Shown)}</text>");
        }

        svg.Append("</svg>");
        return new HtmlString(svg.ToString());
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);
}

using Ketenhub.Reports;
using Microsoft.AspNetCore.Html;

namespace Ketenhub.Web.Monitoring;

/// <summary>
/// Bar charts drawn as SVG on the server (<see cref="SvgBarChart"/>), no script: each an image with a title and a
/// description. The pages put the same figures in a table as well.
/// </summary>
public static class SvgCharts
{
    public static IHtmlContent HorizontalBars(string id, string title, string description, IReadOnlyList<Bar> bars, double? maximum = null) =>
        new HtmlString(SvgBarChart.Render(id, title, description, bars, maximum));
}

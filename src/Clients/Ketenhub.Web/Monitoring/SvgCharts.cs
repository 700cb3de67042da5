using Ketenhub.Reports;
using Microsoft.AspNetCore.Html;

namespace Ketenhub.Web.Monitoring;

/// <summary>
/// Bar and column charts drawn as SVG on the server (<see cref="SvgBarChart"/>, <see cref="SvgColumnChart"/>), no script: each an image with a title and a
/// description. The pages put the same figures in a table as well.
/// </summary>
public static class SvgCharts
{
    public static IHtmlContent HorizontalBars(string id, string title, string description, IReadOnlyList<Bar> bars, double? maximum = null) =>
        new HtmlString(SvgBarChart.Render(id, title, description, bars, maximum));

    public static IHtmlContent StackedColumns(string id, string title, string description, (IReadOnlyList<StackColumn> Columns, IReadOnlyList<StackSeries> Series) chart) =>
        new HtmlString(SvgColumnChart.Stacked(id, title, description, chart.Columns, chart.Series, hiddenName: "verborgen"));

    public static IHtmlContent Histogram(string id, string title, string description, string seriesName, IReadOnlyList<Bar> bars) =>
        new HtmlString(SvgColumnChart.Histogram(id, title, description, seriesName, bars));
}

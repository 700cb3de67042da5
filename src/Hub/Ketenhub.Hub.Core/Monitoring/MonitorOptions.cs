using System.ComponentModel.DataAnnotations;

namespace Ketenhub.Hub.Monitoring;

/// <summary>The pilot monitor's settings (section <c>Hub:Monitor</c>). Validated at start-up.</summary>
public sealed class MonitorOptions
{
    public const string Section = "Hub:Monitor";

    /// <summary>
    /// The smallest group the pilot report shows: a count below it (in items or in distinct clients) is suppressed, and a
    /// median or percentile is computed only from a group at least this large (docs/monitor.md).
    /// <value>The default value is 5.</value>
    /// </summary>
    [Range(3, 1000)]
    public int MinimumCellSize { get; set; } = 5;
}

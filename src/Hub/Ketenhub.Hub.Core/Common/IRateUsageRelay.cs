namespace Ketenhub.Hub.Common;

/// <summary>
/// Carries call permits between hub instances that share one database, so that a party's rate limit holds across them
/// (docs/operations.md, "Running with PostgreSQL"): each instance publishes how many permits each party took on it since
/// its last publication, and drains the permits the other instances publish from its own buckets. Party ids and counts
/// only. With one instance (SQLite) there is no relay and the limits are the instance's own.
/// </summary>
public interface IRateUsageRelay
{
    /// <summary>Sends this instance's permits per party (taken since the last call) to the other instances.</summary>
    void PublishUsage(IReadOnlyDictionary<string, int> permits);

    /// <summary>Where the permits the other instances publish go (one receiver).</summary>
    void AttachUsage(Action<IReadOnlyDictionary<string, int>> receive);
}

using System.ComponentModel.DataAnnotations;

namespace Ketenhub.Hub;

/// <summary>The hub's settings (section <c>Hub</c>). Validated at start-up; a bad value stops the hub with its key.</summary>
public sealed class HubOptions
{
    public const string Section = "Hub";

    /// <summary>Path of the parties file. <value>The default value is the demo parties shipped with the hub.</value></summary>
    [Required]
    public string PartiesFile { get; set; } = "config/parties.json";

    /// <summary>Path of the routing rules file. <value>The default value is the Drechtsteden demo rules.</value></summary>
    [Required]
    public string RoutingFile { get; set; } = "config/routing.json";

    /// <summary>
    /// How many times a delivery is sent without an acknowledgement before it is set aside.
    /// <value>The default value is 5.</value>
    /// </summary>
    [Range(1, 100)]
    public int MaxDeliveryAttempts { get; set; } = 5;

    /// <summary>How often deadlines (escalation, coming of age, consent waits) are checked. <value>The default value is one minute.</value></summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ScheduledWorkInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Key (base64, at least 16 bytes) for the keyed hash by which clients are found by BSN. Keep it
    /// secret and stable: changing it makes known clients unfindable by BSN.
    /// </summary>
    [Required]
    [MinLength(24)]
    public string BsnLookupKey { get; set; } = string.Empty;

    /// <summary>
    /// Key (base64, at least 32 bytes) from which each recipient's pseudonym of a client is derived. Keep it
    /// secret and stable: changing it gives every client new pseudonyms at every party.
    /// </summary>
    [Required]
    [MinLength(44)]
    public string PseudonymKey { get; set; } = string.Empty;

    /// <summary>
    /// How far ahead an effective, start or end date about a client may lie; later dates are refused (INVALID_DATE).
    /// <value>The default value is 730 days (two years).</value>
    /// </summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "3650.00:00:00")]
    public TimeSpan DateHorizon { get; set; } = Clients.DateLimits.DefaultHorizon;

    /// <summary>How many deliveries a stream claims per read. <value>The default value is 64.</value></summary>
    [Range(1, 1000)]
    public int StreamBatchSize { get; set; } = 64;

    /// <summary>
    /// This instance's stable name among the hub instances that share one database (PostgreSQL): lower-case letters,
    /// digits and hyphens, at most 40, for example the host or pod name. Its delivery streams' leases carry it, so an
    /// instance that restarts under the same name takes back at once what its earlier run held, instead of waiting for
    /// those leases to end. Two running instances may not share a name: with PostgreSQL an instance holds its name while
    /// it runs, and one started under a name in use refuses to start. <value>The default value is none: a new random
    /// name at every start.</value>
    /// </summary>
    [RegularExpression("^[a-z0-9][a-z0-9-]{0,39}$", ErrorMessage = "Hub:InstanceId must be 1 to 40 lower-case letters, digits or hyphens, starting with a letter or digit.")]
    public string? InstanceId { get; set; }
}

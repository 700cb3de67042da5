using System.ComponentModel.DataAnnotations;

namespace Ketenhub.Hub.Retention;

/// <summary>
/// How long the hub keeps each kind of data (section <c>Hub:Retention</c>; docs/privacy.md argues the defaults).
/// Validated at start-up: a bad value stops the hub with its key.
/// </summary>
public sealed class RetentionOptions
{
    public const string Section = HubOptions.Section + ":Retention";

    /// <summary>Whether the hub removes data whose term has passed. <value>The default value is true.</value></summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often the retention work runs. <value>The default value is ten minutes.</value></summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How many records one transaction of the retention work handles; the store has one writer, so batches stay small.
    /// <value>The default value is 100.</value>
    /// </summary>
    [Range(1, 1000)]
    public int BatchSize { get; set; } = 100;

    /// <summary>
    /// How long after every delivery of a message has ended the hub keeps the message's content (free text and inline
    /// payloads, see <see cref="MessageContent"/>). <value>The default value is 30 days.</value>
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "3650.00:00:00")]
    public TimeSpan MessageContent { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// How long the hub keeps the stored answer of an idempotent request; a request id repeated after that is a new
    /// request. <value>The default value is 7 days.</value>
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "365.00:00:00")]
    public TimeSpan IdempotencyRecords { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How long the hub keeps a journey event (coded, without content). <value>The default value is 730 days (two years).</value></summary>
    [Range(typeof(TimeSpan), "00:01:00", "7300.00:00:00")]
    public TimeSpan JourneyEvents { get; set; } = TimeSpan.FromDays(730);

    /// <summary>
    /// How long after every delivery of a message has ended the hub keeps the message's record (its ids, parties,
    /// states and times, once the content is gone) and its deliveries' records; deliveries that carry no message (a
    /// notice, a task) are kept as long after they ended. Never removed: a referral that is still open, a transition
    /// still in effect or named by a referral still kept, the records of a client under a legal hold. Must not be
    /// shorter than <see cref="MessageContent"/>. <value>The default value is 365 days (one year).</value>
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "3650.00:00:00")]
    public TimeSpan MessageRecords { get; set; } = TimeSpan.FromDays(365);

    /// <summary>
    /// How long the hub keeps an audit event. The oldest events are removed only up to an event a signed checkpoint
    /// vouches for (when checkpoints are on), never the trail's last event, never from the first event about a client
    /// under a legal hold; the trail then starts after the removed events (<c>audit verify</c> says so).
    /// <value>The default value is 1827 days (five years, NEN 7513).</value>
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "7305.00:00:00")]
    public TimeSpan AuditEvents { get; set; } = TimeSpan.FromDays(1827);

    /// <summary>
    /// Clients under a legal hold (a complaint, a court case, an inspection), by the hub's id (<c>cli_…</c>): erasing
    /// them is refused (<c>LEGAL_RETENTION_APPLIES</c>, <c>LEGAL_HOLD</c>) until the hold is taken off this list.
    /// <value>The default value is none.</value>
    /// </summary>
    public List<string> LegalHolds { get; set; } = [];
}

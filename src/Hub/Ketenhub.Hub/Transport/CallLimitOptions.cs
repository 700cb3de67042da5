using System.ComponentModel.DataAnnotations;
using Ketenhub.Hub.Parties;
using Microsoft.Extensions.Options;

namespace Ketenhub.Hub.Host.Transport;

/// <summary>
/// Limits on calls (section <c>Hub:Limits</c>): each party's call rate, the rate of calls that prove no known party
/// (per connection), and the longest a unary call may run. docs/security.md ("Bad input and abuse") gives the reasoning
/// behind the defaults.
/// </summary>
public sealed class CallLimitOptions
{
    public const string Section = HubOptions.Section + ":Limits";

    /// <summary>Calls per second a party may make on average. <value>The default value is 100.</value></summary>
    [Range(0.001, 1_000_000)]
    public double PermitsPerSecond { get; set; } = 100;

    /// <summary>Calls a party may make at once above its rate (the token bucket's size). <value>The default value is 600.</value></summary>
    [Range(1, 1_000_000)]
    public int Burst { get; set; } = 600;

    /// <summary>
    /// The longest a unary call may run on the hub, whatever deadline the caller set (or none); after it the call
    /// ends with CALL_TIMED_OUT. Delivery streams are not limited. <value>The default value is 30 seconds.</value>
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan MaxCallDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Per-party rates by party id, replacing <see cref="PermitsPerSecond"/> and <see cref="Burst"/> for that party.</summary>
    public Dictionary<string, PartyRateLimit> Parties { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The rate of calls that prove no known party (no identity, a bad token, an unmapped certificate or token), per
    /// connection. <value>The default value is 2 calls per second with a burst of 20.</value>
    /// </summary>
    public PartyRateLimit UnknownCallers { get; set; } = new() { PermitsPerSecond = 2, Burst = 20 };

    /// <summary>
    /// With several instances on one database (PostgreSQL): how often each instance tells the others how many calls each
    /// party made on it, which they take from their own buckets. A party can exceed its limit across the instances by at
    /// most what it can take in one interval on each other instance (docs/operations.md, "Running with PostgreSQL").
    /// <value>The default value is one second.</value>
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan ShareInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How often a refusal of the same cause is logged (<see cref="RefusalLog"/>): once per interval, with the number left
    /// out. <value>The default value is one minute.</value>
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RefusalLogInterval { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>A call rate: a token bucket.</summary>
public sealed class PartyRateLimit
{
    /// <summary>Calls per second on average.</summary>
    public double PermitsPerSecond { get; set; }

    /// <summary>Calls at once above the rate.</summary>
    public int Burst { get; set; }

    internal bool IsValid => PermitsPerSecond is >= 0.001 and <= 1_000_000 && Burst is >= 1 and <= 1_000_000;
}

/// <summary>Checks the per-party limits against the configured parties, and the limit for unknown callers.</summary>
public sealed class CallLimitOptionsValidator(PartyDirectory parties) : IValidateOptions<CallLimitOptions>
{
    public ValidateOptionsResult Validate(string? name, CallLimitOptions options)
    {
        var problems = new List<string>();
        foreach (var (party, limit) in options.Parties)
        {
            if (parties.Find(party) is null)
            {
                problems.Add($"{CallLimitOptions.Section}:Parties:{party} names no configured party.");
            }

            if (!limit.IsValid)
            {
                problems.Add($"{CallLimitOptions.Section}:Parties:{party} needs PermitsPerSecond from 0.001 to 1000000 and Burst from 1 to 1000000.");
            }
        }

        if (!options.UnknownCallers.IsValid)
        {
            problems.Add($"{CallLimitOptions.Section}:UnknownCallers needs PermitsPerSecond from 0.001 to 1000000 and Burst from 1 to 1000000.");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}

using System.ComponentModel.DataAnnotations;
using Ketenhub.Adapters.Webhooks;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Parties;
using Microsoft.Extensions.Options;

namespace Ketenhub.Hub.Host.Push;

/// <summary>
/// How the hub pushes deliveries to parties whose channel is FHIR, IWMO or WEBHOOK (section <c>Hub:Push</c>).
/// Two layers of retry: within one delivery attempt the HTTP pipeline retries briefly (<see cref="HttpRetries"/>, with
/// exponential backoff and jitter, behind a per-attempt timeout and a circuit breaker per partner endpoint); between
/// attempts the hub waits (<see cref="BackoffBase"/> doubling up to <see cref="BackoffMax"/>, or longer if the partner
/// said so in <c>Retry-After</c>) and after <c>Hub:MaxDeliveryAttempts</c> sets the delivery aside.
/// </summary>
public sealed class PushOptions
{
    public const string Section = HubOptions.Section + ":Push";

    /// <summary>
    /// The hub's public base address, which qualifies the hub's ids in what partners receive (FHIR identifier systems,
    /// the CloudEvent source). Required when a party is pushed to. Empty: <c>Hub:Inbound:PublicBaseUrl</c>.
    /// </summary>
    [Url]
    public string? PublicBaseUrl { get; set; }

    /// <summary>
    /// Whether the hub pushes at all. <see langword="false"/>: the deliveries of parties on a push channel stay pending
    /// (visible in <c>ListDeliveries</c>) until a hub with pushing on sends them. <value>The default value is true.</value>
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Longest one HTTP request to a partner may take. <value>The default value is 10 seconds.</value></summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest one delivery attempt may take, its HTTP retries included. <value>The default value is 30 seconds.</value></summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:15:00")]
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>HTTP retries within one delivery attempt (timeouts, 408, 429, 5xx, dropped connections). <value>The default value is 2.</value></summary>
    [Range(0, 10)]
    public int HttpRetries { get; set; } = 2;

    /// <summary>The first HTTP retry's delay; each next one doubles, with jitter. <value>The default value is 1 second.</value></summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan HttpRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A partner's <c>Retry-After</c> up to this long is waited for within the attempt; a longer one ends the attempt and
    /// the hub waits that long before the next. <value>The default value is 5 seconds.</value>
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan MaxInlineRetryAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Share of failed requests to one endpoint, within <see cref="BreakerSamplingDuration"/>, that opens its circuit. <value>The default value is 0.5.</value></summary>
    [Range(0.01, 1.0)]
    public double BreakerFailureRatio { get; set; } = 0.5;

    /// <summary>Requests to one endpoint needed within the sampling window before its circuit may open. <value>The default value is 5.</value></summary>
    [Range(2, 1000)]
    public int BreakerMinimumThroughput { get; set; } = 5;

    /// <summary>The window the failure ratio is measured over. <value>The default value is 30 seconds.</value></summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "01:00:00")]
    public TimeSpan BreakerSamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an open circuit refuses requests to the endpoint before one is let through. <value>The default value is 30 seconds.</value></summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "01:00:00")]
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The hub's wait after the first failed delivery attempt; it doubles per attempt, with jitter. <value>The default value is 30 seconds.</value></summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan BackoffBase { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest wait between two delivery attempts, also for a partner's <c>Retry-After</c>. <value>The default value is one hour.</value></summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan BackoffMax { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often an idle pushed party's queue is looked at even without a wake-up. <value>The default value is one minute.</value></summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long a pushed iWmo or iJw message waits for the partner's retour (302 on a 301, 316 on a 315) before it is
    /// set aside (<c>RETOUR_OVERDUE</c>) and the referral's requester is told with a task. The iStandaarden ask for a
    /// retour within three working days; five calendar days cover a weekend. <value>The default value is five days.</value>
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")]
    public TimeSpan RetourTimeout { get; set; } = TimeSpan.FromDays(5);

    /// <summary>
    /// A PEM file of extra certificates trusted as roots for partner endpoints (a partner's private CA), in addition to
    /// the system's. Empty: only the system's.
    /// </summary>
    public string? TrustedCertificatesFile { get; set; }

    /// <summary>
    /// The hub's own OIN (twenty digits). When set, the CloudEvent <c>source</c> of webhooks is
    /// <c>urn:nld:oin:{oin}:systeem:ketenhub</c> (NL GOV profile for CloudEvents); empty: the public base URL.
    /// </summary>
    public string? HubOin { get; set; }

    /// <summary>
    /// The partner endpoint (<c>Hub:PartnerHttp</c>) as webhook recipients reach it, for example <c>https://ketenhub.example.nl:8443/</c>:
    /// a lean event's <c>dataref</c> is <c>{FetchBaseUrl}webhooks/v1/deliveries/{id}</c>. Required once a party is lean.
    /// </summary>
    [Url]
    public string? FetchBaseUrl { get; set; }

    /// <summary>Per pushed party, by party id: the webhook signing secret(s). Never in parties.json.</summary>
    public Dictionary<string, PushPartyOptions> Parties { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>The secrets of one pushed party (section <c>Hub:Push:Parties:{partyId}</c>).</summary>
public sealed class PushPartyOptions
{
    /// <summary>The webhook signing secret (at least 32 bytes). Required for a WEBHOOK party.</summary>
    public string? Secret { get; set; }

    /// <summary>The secret being replaced, while the party rotates: the hub signs with both.</summary>
    public string? PreviousSecret { get; set; }

    /// <summary>
    /// Lean events ("informatiearm", WEBHOOK only): the event carries a <c>dataref</c> instead of the content, and the party
    /// fetches the content with an identified call (<see cref="PushOptions.FetchBaseUrl"/>). <value>The default value is false.</value>
    /// </summary>
    public bool Lean { get; set; }
}

/// <summary>Checks what the attributes cannot: the relations between the timeouts, and each pushed party's secret.</summary>
public sealed class PushOptionsValidator(PartyDirectory parties, IConfiguration configuration) : IValidateOptions<PushOptions>
{
    public ValidateOptionsResult Validate(string? name, PushOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();
        if (options.AttemptTimeout > options.TotalTimeout)
        {
            problems.Add($"{PushOptions.Section}:AttemptTimeout must not be longer than {PushOptions.Section}:TotalTimeout.");
        }

        if (options.BackoffBase > options.BackoffMax)
        {
            problems.Add($"{PushOptions.Section}:BackoffBase must not be longer than {PushOptions.Section}:BackoffMax.");
        }

        if (options.BreakerSamplingDuration < options.AttemptTimeout * 2)
        {
            problems.Add($"{PushOptions.Section}:BreakerSamplingDuration must be at least twice {PushOptions.Section}:AttemptTimeout.");
        }

        if (!string.IsNullOrEmpty(options.TrustedCertificatesFile) && !File.Exists(options.TrustedCertificatesFile))
        {
            problems.Add($"{PushOptions.Section}:TrustedCertificatesFile names a file that does not exist.");
        }

        if (!string.IsNullOrEmpty(options.HubOin) && !Ketenhub.Adapters.Webhooks.WebhookAdapter.IsOin(options.HubOin))
        {
            problems.Add($"{PushOptions.Section}:HubOin must be an OIN of twenty digits.");
        }

        var pushed = parties.All.Where(p => p.IsPushed).ToList();
        if (pushed.Count > 0 && PushSettings.BaseUrl(options, configuration) is null)
        {
            problems.Add($"{PushOptions.Section}:PublicBaseUrl (or Hub:Inbound:PublicBaseUrl) is required when a party's deliveryChannel is not STREAM: it names the hub in what partners receive.");
        }

        foreach (var (partyId, party) in options.Parties)
        {
            var configured = parties.Find(partyId);
            if (configured is null)
            {
                problems.Add($"{PushOptions.Section}:Parties:{partyId} names no configured party.");
                continue;
            }

            if (configured.Channel != DeliveryChannel.Webhook && (party.Secret is not null || party.PreviousSecret is not null))
            {
                problems.Add($"{PushOptions.Section}:Parties:{partyId}: a secret is only used for deliveryChannel WEBHOOK.");
            }

            if (party.Lean && configured.Channel != DeliveryChannel.Webhook)
            {
                problems.Add($"{PushOptions.Section}:Parties:{partyId}:Lean is only for deliveryChannel WEBHOOK.");
            }

            if (party.Lean && string.IsNullOrEmpty(options.FetchBaseUrl))
            {
                problems.Add($"{PushOptions.Section}:FetchBaseUrl is required: party {partyId} gets lean webhook events and fetches their content there.");
            }
        }

        foreach (var party in pushed.Where(p => p.Channel == DeliveryChannel.Webhook))
        {
            var secrets = options.Parties.GetValueOrDefault(party.Id);
            if (string.IsNullOrEmpty(secrets?.Secret))
            {
                problems.Add($"{PushOptions.Section}:Parties:{party.Id}:Secret is required: party {party.Id} receives signed webhooks.");
                continue;
            }

            if (System.Text.Encoding.UTF8.GetByteCount(secrets.Secret) < WebhookSecrets.MinimumLength
                || (!string.IsNullOrEmpty(secrets.PreviousSecret) && System.Text.Encoding.UTF8.GetByteCount(secrets.PreviousSecret) < WebhookSecrets.MinimumLength))
            {
                problems.Add($"{PushOptions.Section}:Parties:{party.Id}: a webhook secret must be at least {WebhookSecrets.MinimumLength} bytes.");
            }
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}

/// <summary>Settings derived from <see cref="PushOptions"/>.</summary>
internal static class PushSettings
{
    /// <summary>The hub's public base address with a trailing slash, or null if none is configured.</summary>
    public static Uri? BaseUrl(PushOptions options, IConfiguration configuration)
    {
        var value = string.IsNullOrEmpty(options.PublicBaseUrl) ? configuration["Hub:Inbound:PublicBaseUrl"] : options.PublicBaseUrl;
        if (string.IsNullOrEmpty(value) || !Uri.TryCreate(value.EndsWith('/') ? value : value + "/", UriKind.Absolute, out var uri))
        {
            return null;
        }

        return uri;
    }
}

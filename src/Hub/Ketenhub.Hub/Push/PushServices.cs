using Ketenhub.Hub.Configuration;
using Ketenhub.Hub.Host.Transport;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Ketenhub.Adapters;
using Ketenhub.Adapters.Fhir;
using Ketenhub.Adapters.IWmo;
using Ketenhub.Adapters.Webhooks;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Host.Inbound;
using Ketenhub.Hub.Parties;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Polly;

namespace Ketenhub.Hub.Host.Push;

/// <summary>Wires push delivery: the options, the outbound HTTP pipeline, the adapters and the dispatcher.</summary>
public static class PushServices
{
    /// <summary>The name of the <see cref="IHttpClientFactory"/> client every push adapter sends with.</summary>
    public const string HttpClientName = "ketenhub-push";

    public static IServiceCollection AddKetenhubPush(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<PushOptions>()
            .BindChecked(configuration, PushOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<PushOptions>, PushOptionsValidator>();
        services.AddSingleton<PushTrust>();

        services.AddHttpClient(HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                ConnectTimeout = TimeSpan.FromSeconds(30),
                SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = sp.GetRequiredService<PushTrust>().Validate },
            })
            .AddResilienceHandler("push", (builder, context) =>
            {
                var options = context.ServiceProvider.GetRequiredService<IOptions<PushOptions>>().Value;
                PushPipeline.Configure(builder, options, context.ServiceProvider.GetRequiredService<TimeProvider>());
            })
            .SelectPipelineByAuthority();

        services.AddSingleton<IPartyAdapter>(sp => new WebhookAdapter(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName),
            sp.GetRequiredService<TimeProvider>(),
            WebhookSecretsOf(sp.GetRequiredService<IOptions<PushOptions>>().Value, sp.GetRequiredService<PartyDirectory>()),
            sp.GetRequiredService<IOptions<PushOptions>>().Value.HubOin,
            LeanModeOf(sp.GetRequiredService<IOptions<PushOptions>>().Value)));
        services.AddSingleton<IPartyAdapter>(sp => new FhirAdapter(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName),
            sp.GetRequiredService<TimeProvider>()));
        // The same directory the inbound side uses: parties by AGB, CBS code or name (an outbound message needs no more).
        services.TryAddSingleton<HubIWmoDirectory>();
        services.AddSingleton<IPartyAdapter>(sp => new IWmoAdapter(
            sp.GetRequiredService<HubIWmoDirectory>().View,
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName),
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<PushAdapters>();
        services.AddSingleton<PushDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<PushDispatcher>());
        return services;
    }

    private static WebhookLeanMode? LeanModeOf(PushOptions options)
    {
        var lean = options.Parties.Where(p => p.Value.Lean).Select(p => "parties/" + p.Key).ToHashSet(StringComparer.Ordinal);
        if (lean.Count == 0 || string.IsNullOrEmpty(options.FetchBaseUrl))
        {
            return null;
        }

        return new WebhookLeanMode(lean, new Uri(options.FetchBaseUrl.EndsWith('/') ? options.FetchBaseUrl : options.FetchBaseUrl + "/"));
    }

    private static WebhookSecrets WebhookSecretsOf(PushOptions options, PartyDirectory parties)
    {
        var secrets = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var party in parties.All.Where(p => p.Channel == DeliveryChannel.Webhook))
        {
            if (options.Parties.GetValueOrDefault(party.Id) is { Secret: { Length: > 0 } secret } configured)
            {
                secrets[party.Name] = string.IsNullOrEmpty(configured.PreviousSecret) ? [secret] : [secret, configured.PreviousSecret];
            }
        }

        return new WebhookSecrets(secrets);
    }
}

/// <summary>
/// The outbound HTTP pipeline, outermost first: a timeout for the whole attempt; retries with exponential backoff and
/// jitter on timeouts, 408, 429, 5xx and dropped connections, waiting for a short <c>Retry-After</c>; a circuit breaker
/// (one per endpoint authority, so one dead partner does not open the circuit of another); a timeout per request.
/// </summary>
internal static class PushPipeline
{
    public static void Configure(ResiliencePipelineBuilder<HttpResponseMessage> builder, PushOptions options, TimeProvider time)
    {
        builder.AddTimeout(options.TotalTimeout);
        if (options.HttpRetries > 0)
        {
            builder.AddRetry(new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = options.HttpRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.HttpRetryDelay,
                ShouldRetryAfterHeader = true,
                ShouldHandle = args => ValueTask.FromResult(
                    HttpClientResiliencePredicates.IsTransient(args.Outcome) && !(RetryAfter(args.Outcome.Result, time) > options.MaxInlineRetryAfter)),
            });
        }

        builder.AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
        {
            FailureRatio = options.BreakerFailureRatio,
            MinimumThroughput = options.BreakerMinimumThroughput,
            SamplingDuration = options.BreakerSamplingDuration,
            BreakDuration = options.BreakDuration,
        });
        builder.AddTimeout(options.AttemptTimeout);
    }

    /// <summary>The wait a response's <c>Retry-After</c> asks for (seconds or a date), or null.</summary>
    public static TimeSpan? RetryAfter(HttpResponseMessage? response, TimeProvider time) => response?.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - time.GetUtcNow() > TimeSpan.Zero ? date - time.GetUtcNow() : TimeSpan.Zero,
        _ => null,
    };
}

/// <summary>
/// Which adapter serves which channel: FHIR → <c>fhir-r4</c>, IWMO → <c>iwmo-3.2</c>, WEBHOOK → <c>webhook</c>, chosen by
/// the registered adapters' <see cref="IPartyAdapter.Format"/>.
/// </summary>
public sealed class PushAdapters(IEnumerable<IPartyAdapter> adapters)
{
    private readonly Dictionary<string, IPartyAdapter> _byFormat = adapters.ToDictionary(a => a.Format, StringComparer.OrdinalIgnoreCase);

    /// <summary>The format a channel speaks, or null for STREAM.</summary>
    public static string? FormatOf(DeliveryChannel channel) => channel switch
    {
        DeliveryChannel.Fhir => FhirAdapter.FormatName,
        DeliveryChannel.Iwmo => IWmoAdapter.FormatName,
        DeliveryChannel.Webhook => WebhookAdapter.FormatName,
        _ => null,
    };

    /// <summary>The adapter for a party's channel, or null if none is registered.</summary>
    public IPartyAdapter? For(Party party) =>
        FormatOf(party.Channel) is { } format && _byFormat.TryGetValue(format, out var adapter) ? adapter : null;
}

/// <summary>
/// Trust for partner endpoints: the system's roots, plus the certificates of <see cref="PushOptions.TrustedCertificatesFile"/>
/// as extra roots (a partner's private CA). A wrong host name is never accepted.
/// </summary>
public sealed class PushTrust
{
    private readonly X509Certificate2Collection _extra = [];

    public PushTrust(IOptions<PushOptions> options)
    {
        var file = options.Value.TrustedCertificatesFile;
        if (!string.IsNullOrEmpty(file))
        {
            _extra.ImportFromPemFile(file);
        }
    }

    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        if (errors != SslPolicyErrors.RemoteCertificateChainErrors || certificate is null || _extra.Count == 0)
        {
            return false;
        }

        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(_extra);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            custom.ChainPolicy.ExtraStore.AddRange(chain.ChainPolicy.ExtraStore);
        }

        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return custom.Build(leaf);
    }
}

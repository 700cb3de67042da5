using Ketenhub.Hub.Audit;
using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Configuration;
using Ketenhub.Hub.Journeys;
using Ketenhub.Hub.Consent;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Messages;
using Ketenhub.Hub.Monitoring;
using Ketenhub.Hub.Parties;
using Ketenhub.Hub.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Ketenhub.Hub;

/// <summary>Registers the hub's domain. The host adds a store (<c>IHubStore</c>) and the transport.</summary>
public static class HubCoreRegistration
{
    public static IServiceCollection AddKetenhubCore(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<HubOptions>()
            .BindChecked(configuration, HubOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => IsBase64Key(o.BsnLookupKey, 16), $"{HubOptions.Section}:{nameof(HubOptions.BsnLookupKey)} must be base64 of at least 16 bytes.")
            .Validate(o => IsBase64Key(o.PseudonymKey, 32), $"{HubOptions.Section}:{nameof(HubOptions.PseudonymKey)} must be base64 of at least 32 bytes.")
            .ValidateOnStart();
        services.AddOptions<BsnEncryptionOptions>()
            .BindChecked(configuration, BsnEncryptionOptions.Section)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<BsnEncryptionOptions>, BsnEncryptionOptionsValidator>();
        services.AddOptions<ConsentOptions>()
            .BindChecked(configuration, HubOptions.Section + ":Consent")
            .Validate(o => o.ComingOfAgeGracePeriod >= TimeSpan.Zero && o.DefaultAwaitConsent > TimeSpan.Zero, $"{HubOptions.Section}:Consent has a negative grace period or a non-positive wait.")
            .ValidateOnStart();

        services.AddOptions<AuditOptions>()
            .BindChecked(configuration, AuditOptions.Section)
            .Validate(o => string.IsNullOrEmpty(o.PseudonymKey) || IsBase64Key(o.PseudonymKey, 16), $"{AuditOptions.Section}:{nameof(AuditOptions.PseudonymKey)} must be base64 of at least 16 bytes, or empty.")
            .ValidateOnStart();

        services.AddOptions<DeliveryStreamOptions>()
            .BindChecked(configuration, DeliveryStreamOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => o.MaxRedeliveryBackoff >= o.RedeliveryBackoff, $"{DeliveryStreamOptions.Section}:{nameof(DeliveryStreamOptions.MaxRedeliveryBackoff)} must not be shorter than {nameof(DeliveryStreamOptions.RedeliveryBackoff)}.")
            .ValidateOnStart();

        services.AddOptions<Retention.RetentionOptions>()
            .BindChecked(configuration, Retention.RetentionOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => o.IdempotencyRecords <= o.MessageContent, $"{Retention.RetentionOptions.Section}:{nameof(Retention.RetentionOptions.IdempotencyRecords)} must not be longer than {nameof(Retention.RetentionOptions.MessageContent)}: a stored answer repeats the message's content.")
            .Validate(o => o.MessageRecords >= o.MessageContent, $"{Retention.RetentionOptions.Section}:{nameof(Retention.RetentionOptions.MessageRecords)} must not be shorter than {nameof(Retention.RetentionOptions.MessageContent)}: a message's record goes after its content.")
            .ValidateOnStart();

        services.AddOptions<MonitorOptions>()
            .BindChecked(configuration, MonitorOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        services.AddOptions<CostAssumptions>()
            .BindChecked(configuration, CostAssumptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => PartyConfigLoader.LoadFile(Resolve(PartiesFile(sp.GetRequiredService<IConfiguration>()))));
        services.AddSingleton(sp => RoutingConfigLoader.LoadFile(Resolve(RoutingFile(sp.GetRequiredService<IConfiguration>())), sp.GetRequiredService<PartyDirectory>()));
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<ConsentOptions>>().Value);
        services.AddSingleton(sp => new BsnHasher(Convert.FromBase64String(sp.GetRequiredService<IOptions<HubOptions>>().Value.BsnLookupKey)));
        services.AddSingleton(sp => BsnProtector.FromOptions(sp.GetRequiredService<IOptions<BsnEncryptionOptions>>().Value));
        services.AddSingleton(sp => FreeTextProtector.FromOptions(sp.GetRequiredService<IOptions<BsnEncryptionOptions>>().Value));
        services.AddSingleton(sp => new ClientPseudonyms(Convert.FromBase64String(sp.GetRequiredService<IOptions<HubOptions>>().Value.PseudonymKey)));
        services.AddSingleton(sp => new ClientNames(Convert.FromBase64String(sp.GetRequiredService<IOptions<HubOptions>>().Value.PseudonymKey)));
        services.AddSingleton(sp => new DateLimits(sp.GetRequiredService<IOptions<HubOptions>>().Value.DateHorizon));
        services.AddSingleton<ClientDisclosure>();
        services.AddSingleton<BsnKeyRotation>();
        services.AddSingleton(sp =>
        {
            var audit = sp.GetRequiredService<IOptions<AuditOptions>>().Value;
            return string.IsNullOrEmpty(audit.PseudonymKey)
                ? AuditPseudonyms.DerivedFrom(Convert.FromBase64String(sp.GetRequiredService<IOptions<HubOptions>>().Value.BsnLookupKey))
                : new AuditPseudonyms(Convert.FromBase64String(audit.PseudonymKey));
        });
        services.AddSingleton<AuditTrail>();
        services.AddSingleton<AccessReports>();
        services.AddSingleton<PilotMonitor>();
        services.AddSingleton<ConsentEvaluator>();
        services.AddSingleton<Router>();
        services.AddSingleton<Dispatcher>();
        services.AddSingleton<DeliveryNotifier>();
        services.AddSingleton<DeliveryStreams>();
        services.AddSingleton<DeliveryStreaming>();
        services.AddSingleton<Messaging>();
        services.AddSingleton<MessageReader>();
        services.AddSingleton<MessageListing>();
        services.AddSingleton<ClientPlans>();
        services.AddSingleton<Caseloads>();
        services.AddSingleton<CorrectionRequests>();
        services.AddSingleton<ClientRegistry>();
        services.AddSingleton<ClientRepresentatives>();
        services.TryAddSingleton<IPersonSource, NoPersonSource>();
        services.AddSingleton<PersonFacts>();
        services.AddSingleton<ConsentBook>();
        services.AddSingleton<DeliveryQueue>();
        services.AddSingleton<RetourWaits>();
        services.AddSingleton<ScheduledWork>();
        services.AddHostedService<ScheduledWorkService>();
        services.AddSingleton<Retention.RetentionWork>();
        services.AddSingleton<Retention.ClientErasure>();
        services.AddHostedService<Retention.RetentionService>();
        return services;
    }

    /// <summary>
    /// The configured parties file (<c>Hub:PartiesFile</c>), read on its own so that the file is loaded and checked
    /// even when another of the hub's settings is wrong (start-up reports all problems at once).
    /// </summary>
    public static string PartiesFile(IConfiguration configuration) =>
        configuration[$"{HubOptions.Section}:{nameof(HubOptions.PartiesFile)}"] ?? new HubOptions().PartiesFile;

    /// <summary>The configured routing rules file (<c>Hub:RoutingFile</c>); see <see cref="PartiesFile"/>.</summary>
    public static string RoutingFile(IConfiguration configuration) =>
        configuration[$"{HubOptions.Section}:{nameof(HubOptions.RoutingFile)}"] ?? new HubOptions().RoutingFile;

    /// <summary>Relative configuration paths are relative to the application's folder.</summary>
    public static string Resolve(string path) => Path.IsPathRooted(path) ? path : Path.Combine(AppContext.BaseDirectory, path);

    private static bool IsBase64Key(string value, int minBytes)
    {
        var buffer = new byte[value.Length];
        return Convert.TryFromBase64String(value, buffer, out var length) && length >= minBytes;
    }

    /// <summary>Reports every problem of the BSN encryption keys, each naming its setting.</summary>
    private sealed class BsnEncryptionOptionsValidator : IValidateOptions<BsnEncryptionOptions>
    {
        public ValidateOptionsResult Validate(string? name, BsnEncryptionOptions options)
        {
            var problems = options.Problems();
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}

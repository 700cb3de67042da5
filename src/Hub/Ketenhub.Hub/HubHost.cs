using Grpc.HealthCheck;
using Ketenhub.Hub.Configuration;
using Ketenhub.Hub.Host.Audit;
using Ketenhub.Hub.Host.Clients;
using Ketenhub.Hub.Host.Clients.PersonSources;
using Ketenhub.Hub.Host.Consent;
using Ketenhub.Hub.Host.Delivery;
using Ketenhub.Hub.Host.Identity;
using Ketenhub.Hub.Host.Inbound;
using Ketenhub.Hub.Host.Journeys;
using Ketenhub.Hub.Host.Messages;
using Ketenhub.Hub.Host.Monitoring;
using Ketenhub.Hub.Host.Operations;
using Ketenhub.Hub.Host.Parties;
using Ketenhub.Hub.Host.Push;
using Ketenhub.Hub.Host.Routing;
using Ketenhub.Hub.Host.Transport;
using Ketenhub.Hub.Parties;
using Ketenhub.Hub.Routing;
using Ketenhub.Hub.Storage;
using Ketenhub.Hub.Storage.Postgres;
using Ketenhub.Hub.Storage.Sqlite;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Ketenhub.Hub.Host;

/// <summary>Wires the hub: domain, storage, the call pipeline, gRPC services, health, reflection and the inbound endpoints.</summary>
public static partial class HubHost
{
    /// <summary>Largest request accepted. Big enough that an oversize text field gets a coded FIELD_TOO_LONG, not a transport error.</summary>
    public const int MaxReceiveMessageSize = 6 * 1024 * 1024;

    public static WebApplicationBuilder AddKetenhub(this WebApplicationBuilder builder)
    {
        var services = builder.Services;

        // Log lines carry the W3C trace and span ids (in the request's scope), for the JSON console format
        // (Logging:Console:FormatterName=json, docs/operations.md "Logs").
        builder.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId | ActivityTrackingOptions.ParentId);
        UseJsonLogsOutsideDevelopment(builder);
        services.AddKetenhubCore(builder.Configuration);
        services.AddOptions<StorageOptions>()
            .BindChecked(builder.Configuration, StorageOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<StorageOptions>, StorageOptionsValidator>();
        services.AddSingleton<IHubStore>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<StorageOptions>>().Value;
            var protector = new Ketenhub.Hub.Clients.DeferredDocumentProtector(sp.GetRequiredService<Ketenhub.Hub.Clients.FreeTextProtector>);
            if (options.IsPostgres)
            {
                return new PostgresHubStore(
                    new PostgresStoreOptions { ConnectionString = options.ConnectionString, MaxBatchSize = options.MaxBatchSize, DocumentProtector = protector },
                    sp.GetRequiredService<TimeProvider>());
            }

            return new SqliteHubStore(
                new SqliteStoreOptions { DataDirectory = Path.GetFullPath(options.DataDirectory), MaxBatchSize = options.MaxBatchSize, DocumentProtector = protector },
                sp.GetRequiredService<TimeProvider>());
        });
        if (builder.Configuration.GetSection(StorageOptions.Section).Get<StorageOptions>() is { IsPostgres: true } postgres)
        {
            // Several instances may share the database: delivery wake-ups go between them (LISTEN/NOTIFY). The
            // notifier takes the relay when one is registered; with SQLite none is, and wake-ups stay in-process.
            services.AddSingleton(sp => new PostgresDeliveryWakeupRelay(
                postgres.ConnectionString, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<PostgresDeliveryWakeupRelay>>()));
            services.AddSingleton<Ketenhub.Hub.Delivery.IDeliveryWakeupRelay>(sp => sp.GetRequiredService<PostgresDeliveryWakeupRelay>());
            services.AddHostedService<DeliveryWakeupRelayService>();

            // Rate limits hold across the instances: each tells the others the permits its parties took (same channel).
            services.AddSingleton<Ketenhub.Hub.Common.IRateUsageRelay>(sp => sp.GetRequiredService<PostgresDeliveryWakeupRelay>());
            services.AddHostedService<RateUsageSharing>();

            // Scheduled work (escalations, expiry, the person facts check) runs on one instance at a time.
            var locks = new PostgresScheduleLease(postgres.ConnectionString);
            services.AddSingleton<Ketenhub.Hub.Delivery.IScheduleLease>(locks);

            // A stable instance name (Hub:InstanceId), when given, is held on the database while this instance runs.
            services.AddSingleton(locks);
            services.AddHostedService<Ketenhub.Hub.Host.Operations.InstanceName>();
        }

        builder.AddKetenhubIdentity();

        // Server-side HTTP/2 keepalive, so a delivery stream whose recipient is gone ends here too (docs/clients.md, "Delivery streams").
        services.AddOptions<KeepAliveOptions>()
            .BindChecked(builder.Configuration, KeepAliveOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            var keepAlive = context.Configuration.GetSection(KeepAliveOptions.Section).Get<KeepAliveOptions>() ?? new KeepAliveOptions();
            kestrel.Limits.Http2.KeepAlivePingDelay = keepAlive.PingDelay;
            kestrel.Limits.Http2.KeepAlivePingTimeout = keepAlive.PingTimeout;
        });
        services.AddSingleton<ReferralCommands>();
        services.AddSingleton<Ketenhub.Hub.Host.Delivery.DeliveryCommands>();
        services.AddOptions<CallLimitOptions>()
            .BindChecked(builder.Configuration, CallLimitOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<CallLimitOptions>, CallLimitOptionsValidator>();
        services.AddKetenhubCallPipeline();
        services.AddSingleton<ClientNameRewriter>();
        services.AddSingleton(sp => new PageTokens(Convert.FromBase64String(sp.GetRequiredService<IOptions<HubOptions>>().Value.PseudonymKey)));
        services.AddSingleton<Messages.MessageLists>();
        services.AddHostedService<StartupCheck>();

        // Signed checkpoints of the audit head, after the start-up check (which opens the store).
        services.AddOptions<AuditCheckpointOptions>()
            .BindChecked(builder.Configuration, AuditCheckpointOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<AuditCheckpointOptions>, AuditCheckpointOptionsValidator>();
        services.AddSingleton<AuditCheckpointSetup>();
        services.AddSingleton<Ketenhub.Hub.Audit.IAuditCheckpointSource>(sp => sp.GetRequiredService<AuditCheckpointSetup>());
        services.AddSingleton<AuditCheckpointWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<AuditCheckpointWriter>());
        services.AddGrpc(o =>
        {
            // Identity, rate limits, the time limit and the call's origin are the call pipeline's (CallPipeline), for
            // gRPC and HTTP alike; only a service's exceptions need an interceptor, as gRPC shows them nowhere else.
            o.Interceptors.Add<ErrorInterceptor>();
            o.Interceptors.Add<ClientNameInterceptor>();
            o.MaxReceiveMessageSize = MaxReceiveMessageSize;
            o.EnableDetailedErrors = false;
        });
        services.AddGrpcReflection();
        services.AddOptions<ReflectionOptions>().BindChecked(builder.Configuration, ReflectionOptions.Section);
        services.AddKetenhubInbound(builder.Configuration);
        builder.AddKetenhubPartnerHttp();
        builder.AddKetenhubOperationsHttp();
        builder.AddKetenhubTelemetry();
        services.AddKetenhubPush(builder.Configuration);
        services.AddKetenhubPersonSource(builder.Configuration);
        services.AddGrpcHealthChecks().AddCheck<StoreHealthCheck>("store");
        return builder;
    }

    public static WebApplication MapKetenhub(this WebApplication app)
    {
        app.UseKetenhubCallMetrics();
        app.UseKetenhubTransportGuard();
        app.UseKetenhubPartnerRoutes();
        app.UseKetenhubOperationsRoutes();
        app.UseKetenhubCallPipeline();

        // Closed by default: every endpoint needs a caller that is a configured party (the fallback policy), except
        // those marked AllowAnonymous here. The contract is public (protos/); its reflection reveals no data.
        app.MapGrpcService<PartyGrpcService>();
        app.MapGrpcService<ClientGrpcService>();
        app.MapGrpcService<CaseloadGrpcService>();
        app.MapGrpcService<SelfGrpcService>();
        app.MapGrpcService<ConsentGrpcService>();
        app.MapGrpcService<ReferralGrpcService>();
        app.MapGrpcService<TransitionGrpcService>();
        app.MapGrpcService<SignalGrpcService>();
        app.MapGrpcService<DeliveryGrpcService>();
        app.MapGrpcService<ExplainGrpcService>();
        app.MapGrpcService<AuditGrpcService>();
        app.MapGrpcService<MonitorGrpcService>();
        app.MapGrpcHealthChecksService().AllowAnonymous();
        if (ReflectionOptions.IsEnabled(app.Configuration, app.Environment))
        {
            app.MapGrpcReflectionService().AllowAnonymous();
        }

        app.MapKetenhubInbound();
        app.MapKetenhubWebhookFetch();
        app.MapKetenhubOperations();
        return app;
    }

    /// <summary>The hub serves only while its store answers a read.</summary>
    private sealed class StoreHealthCheck(IHubStore store) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                await store.ReadAsync(session => session.FindRequest("health", "health", "health"), timeout.Token).ConfigureAwait(false);
                return HealthCheckResult.Healthy();
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                return HealthCheckResult.Unhealthy("The store does not answer.");
            }
        }
    }

    /// <summary>
    /// Outside Development the console speaks JSON, one object per line with a UTC timestamp and the call's scopes (trace
    /// id, party, method), unless <c>Logging:Console:FormatterName</c> names a format; each formatter setting given in
    /// configuration still wins. Development keeps the plain format (docs/operations.md, "Logs").
    /// </summary>
    private static void UseJsonLogsOutsideDevelopment(WebApplicationBuilder builder)
    {
        var console = builder.Configuration.GetSection("Logging:Console");
        if (builder.Environment.IsDevelopment() || !string.IsNullOrEmpty(console["FormatterName"]))
        {
            return;
        }

        var given = console.GetSection("FormatterOptions");
        builder.Logging.AddJsonConsole(json =>
        {
            json.IncludeScopes = given.GetValue(nameof(json.IncludeScopes), true);
            json.UseUtcTimestamp = given.GetValue(nameof(json.UseUtcTimestamp), true);
            json.TimestampFormat = given[nameof(json.TimestampFormat)] ?? "yyyy-MM-ddTHH:mm:ss.fffZ";

            // A log is no HTML page: Dutch letters and quotes stay readable instead of \u escapes.
            json.JsonWriterOptions = new System.Text.Json.JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        });
    }

    /// <summary>
    /// Loads and validates the configuration files and opens the store before the hub takes calls, so a
    /// broken rule file or an unusable data folder stops the start with a message that names it.
    /// </summary>
    private sealed partial class StartupCheck(IServiceProvider services, IHostEnvironment environment, IConfiguration configuration, ILogger<StartupCheck> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            var parties = services.GetRequiredService<PartyDirectory>();
            var rules = services.GetRequiredService<RoutingRuleSet>();
            var demo = DemoConfiguration.Problems(environment, configuration, parties, rules);
            if (demo.Count > 0)
            {
                throw new StartupProblemsException(demo);
            }

            services.GetRequiredService<IHubStore>();
            LogReady(parties.All.Count, rules.Rules.Count, environment.EnvironmentName, ReflectionOptions.IsEnabled(configuration, environment) ? "on" : "off");
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        [LoggerMessage(Level = LogLevel.Information, Message = "Ketenhub ready: {Parties} parties, {Rules} routing rules, environment {Environment}, gRPC reflection {Reflection}")]
        private partial void LogReady(int parties, int rules, string environment, string reflection);
    }
}

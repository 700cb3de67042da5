using Grpc.AspNetCore.Server;
using Ketenhub.Hub.Audit;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Configuration;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Ketenhub.Hub.Host.Operations;

/// <summary>
/// The hub's metrics (docs/operations.md, "Metrics"): the meter <see cref="HubMetrics.MeterName"/>, scraped by
/// Prometheus at <c>GET /metrics</c> on the operations endpoint only, and pushed over OTLP when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (or <c>Hub:Telemetry:OtlpEndpoint</c>) is set. Every gRPC call is counted by its
/// method (the contract's name, or <c>unknown</c> for a path the hub does not serve) and gRPC status.
/// </summary>
public static class Telemetry
{
    public const string Section = HubOptions.Section + ":Telemetry";

    public static WebApplicationBuilder AddKetenhubTelemetry(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<TelemetryOptions>().BindChecked(builder.Configuration, Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddHostedService<QueueSampler>();

        // The Logboek Dataverwerkingen: one record (span) per processing of a client's data, exported with the traces.
        builder.Services.AddOptions<LogboekOptions>().BindChecked(builder.Configuration, LogboekOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton(sp => ProcessingRegister.Load(HubCoreRegistration.Resolve(sp.GetRequiredService<IOptions<LogboekOptions>>().Value.ActivitiesFile)));
        builder.Services.AddSingleton(sp =>
        {
            var configured = sp.GetRequiredService<IOptions<LogboekOptions>>().Value.SubjectKey;
            var key = string.IsNullOrEmpty(configured)
                ? System.Security.Cryptography.HKDF.DeriveKey(System.Security.Cryptography.HashAlgorithmName.SHA256, Convert.FromBase64String(sp.GetRequiredService<IOptions<HubOptions>>().Value.BsnLookupKey), 32, salt: [], info: System.Text.Encoding.UTF8.GetBytes("ketenhub logboek key v1"))
                : Convert.FromBase64String(configured);
            return new LogboekSubjects(key);
        });
        builder.Services.AddSingleton<IProcessingLog, Logboek>();
        // Over OTLP when the setting or the standard variable names a collector (the exporter reads the variable itself);
        // a malformed setting is a start-up problem (TelemetryOptions), so it is only ever used when it parses.
        var otlp = builder.Configuration[Section + ":" + nameof(TelemetryOptions.OtlpEndpoint)];
        var exportOtlp = !string.IsNullOrWhiteSpace(otlp) || !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        void Collector(OpenTelemetry.Exporter.OtlpExporterOptions options)
        {
            if (Uri.TryCreate(otlp, UriKind.Absolute, out var endpoint))
            {
                options.Endpoint = endpoint;
            }
        }

        var telemetry = builder.Services.AddOpenTelemetry();
        telemetry.WithTracing(tracing =>
        {
            // The hub's own spans, and ASP.NET Core's span of each request, which takes an incoming traceparent as its
            // parent; nothing else is instrumented, so no URL query or header reaches a span.
            tracing.AddSource(HubTraces.SourceName, Logboek.SourceName, "Microsoft.AspNetCore");
            if (exportOtlp)
            {
                tracing.AddOtlpExporter(Collector);
            }
        });
        telemetry.WithMetrics(metrics =>
        {
            metrics.AddMeter(HubMetrics.MeterName).AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0);
            if (exportOtlp)
            {
                metrics.AddOtlpExporter(Collector);
            }
        });
        return builder;
    }

    /// <summary>Counts every gRPC call when it ends: method and status.</summary>
    public static WebApplication UseKetenhubCallMetrics(this WebApplication app)
    {
        var time = app.Services.GetRequiredService<TimeProvider>();
        app.Use(async (context, next) =>
        {
            if (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) != true)
            {
                await next(context).ConfigureAwait(false);
                return;
            }

            var started = time.GetTimestamp();
            try
            {
                await next(context).ConfigureAwait(false);
            }
            finally
            {
                var method = context.GetEndpoint()?.Metadata.GetMetadata<GrpcMethodMetadata>()?.Method.FullName.TrimStart('/') ?? "unknown";
                var status = context.Features.Get<IHttpResponseTrailersFeature>()?.Trailers["grpc-status"].ToString() is { Length: > 0 } trailer
                    ? trailer
                    : context.Response.Headers["grpc-status"].ToString();
                HubMetrics.Call(method, StatusName(status), time.GetElapsedTime(started));
            }
        });
        return app;
    }

    // The canonical names (INVALID_ARGUMENT) by the number sent in grpc-status, made once rather than per call.
    private static readonly Dictionary<string, string> StatusNames = Enum.GetValues<Grpc.Core.StatusCode>().ToDictionary(
        code => ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture),
        code => System.Text.RegularExpressions.Regex.Replace(code.ToString(), "(?<=[a-z])(?=[A-Z])", "_").ToUpperInvariant(),
        StringComparer.Ordinal);

    /// <summary>The status's canonical name (<c>INVALID_ARGUMENT</c>), or <c>NONE</c> when the call ended without one.</summary>
    private static string StatusName(string code) => StatusNames.GetValueOrDefault(code, "NONE");
}

/// <summary>Section <c>Hub:Telemetry</c>. Checked at start-up.</summary>
public sealed class TelemetryOptions : System.ComponentModel.DataAnnotations.IValidatableObject
{
    /// <summary>Where to push metrics over OTLP (an absolute <c>http</c> or <c>https</c> address); empty for none.</summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>How often the parties' queues are sampled for the queue gauges. <value>15 seconds; from 1 second to 10 minutes.</value></summary>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan QueueSampleInterval { get; set; } = TimeSpan.FromSeconds(15);

    public IEnumerable<System.ComponentModel.DataAnnotations.ValidationResult> Validate(System.ComponentModel.DataAnnotations.ValidationContext validationContext)
    {
        if (!string.IsNullOrWhiteSpace(OtlpEndpoint)
            && !(Uri.TryCreate(OtlpEndpoint, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
        {
            yield return new($"{Telemetry.Section}:{nameof(OtlpEndpoint)} must be an absolute http or https address.", [nameof(OtlpEndpoint)]);
        }
    }
}

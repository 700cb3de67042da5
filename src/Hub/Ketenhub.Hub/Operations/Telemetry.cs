using Grpc.AspNetCore.Server;
using Ketenhub.Hub.Common;
using Microsoft.AspNetCore.Http.Features;
using OpenTelemetry.Metrics;

namespace Ketenhub.Hub.Host.Operations;

/// <summary>
/// The hub's metrics (docs/operations.md, "Metrics"): the meter <see cref="HubMetrics.MeterName"/>, scraped by
/// Prometheus at <c>GET /metrics</c> on the operations endpoint only, and pushed over OTLP when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (or <c>Hub:Telemetry:OtlpEndpoint</c>) is set. Every gRPC call is counted by its
/// method (the contract's name, or <c>unknown</c> for a path the hub does not serve) and gRPC status.
/// </summary>
public static class Telemetry
{
    public const string OtlpSetting = HubOptions.Section + ":Telemetry:OtlpEndpoint";

    public static WebApplicationBuilder AddKetenhubTelemetry(this WebApplicationBuilder builder)
    {
        var otlp = builder.Configuration[OtlpSetting] ?? builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        builder.Services.AddOpenTelemetry().WithMetrics(metrics =>
        {
            metrics.AddMeter(HubMetrics.MeterName).AddPrometheusExporter();
            if (!string.IsNullOrWhiteSpace(otlp))
            {
                metrics.AddOtlpExporter(o => o.Endpoint = new Uri(otlp));
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

    /// <summary>The status's canonical name (<c>INVALID_ARGUMENT</c>), or <c>NONE</c> when the call ended without one.</summary>
    private static string StatusName(string code) =>
        int.TryParse(code, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number) && Enum.IsDefined((Grpc.Core.StatusCode)number)
            ? System.Text.RegularExpressions.Regex.Replace(((Grpc.Core.StatusCode)number).ToString(), "(?<=[a-z])(?=[A-Z])", "_").ToUpperInvariant()
            : "NONE";
}

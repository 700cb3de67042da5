using System.Net;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Ketenhub.Hub.Configuration;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Ketenhub.Hub.Host.Operations;

/// <summary>
/// The operations endpoint (section <c>Hub:Operations</c>): HTTP/1.1 on its own port, off the partner endpoints, for a
/// load balancer or orchestrator. <c>GET /healthz</c> answers 200 while the process serves (liveness);
/// <c>GET /readyz</c> answers 200 once the hub has started (its configuration loaded and checked) and its store answers,
/// else 503 naming what is not ready (readiness). Neither needs an identity, and neither says anything about clients.
/// The routes exist only with an endpoint configured, and answer only on it; on the operations endpoint nothing else
/// answers.
/// </summary>
public static class OperationsHttp
{
    public const string Section = HubOptions.Section + ":Operations";

    private const string ConnectionMark = "ketenhub.operations";

    public static WebApplicationBuilder AddKetenhubOperationsHttp(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<OperationsOptions>().BindChecked(builder.Configuration, Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<OperationsOptions>, OperationsOptionsValidator>();
        if (AddressOf(builder.Configuration) is not { } address)
        {
            return builder;
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            void Configure(ListenOptions listen)
            {
                listen.Protocols = HttpProtocols.Http1;
                listen.Use(next => connection =>
                {
                    connection.Items[ConnectionMark] = true;
                    return next(connection);
                });
            }

            if (IPAddress.TryParse(address.Host.Trim('[', ']'), out var ip) && !ip.Equals(IPAddress.Any) && !ip.Equals(IPAddress.IPv6Any))
            {
                kestrel.Listen(ip, address.Port, Configure);
            }
            else if (string.Equals(address.Host, "localhost", StringComparison.OrdinalIgnoreCase))
            {
                kestrel.ListenLocalhost(address.Port, Configure);
            }
            else
            {
                kestrel.ListenAnyIP(address.Port, Configure);
            }
        });
        return builder;
    }

    /// <summary>Maps <c>/healthz</c> and <c>/readyz</c> and keeps them and every other route to their own endpoint.</summary>
    public static WebApplication MapKetenhubOperations(this WebApplication app)
    {
        if (AddressOf(app.Configuration) is null)
        {
            return app;
        }

        app.MapGet("/healthz", () => Results.Text("alive\n")).WithMetadata(OperationsRoute.Instance).AllowAnonymous();
        app.MapPrometheusScrapingEndpoint("/metrics").WithMetadata(OperationsRoute.Instance).AllowAnonymous();
        app.MapGet("/readyz", async (HealthCheckService health, IHostApplicationLifetime lifetime, CancellationToken cancellationToken) =>
        {
            if (!lifetime.ApplicationStarted.IsCancellationRequested)
            {
                return Results.Text("not ready: starting\n", statusCode: StatusCodes.Status503ServiceUnavailable);
            }

            var report = await health.CheckHealthAsync(cancellationToken).ConfigureAwait(false);
            return report.Status == HealthStatus.Healthy
                ? Results.Text("ready\n")
                : Results.Text("not ready: " + string.Join(", ", report.Entries.Where(e => e.Value.Status != HealthStatus.Healthy).Select(e => e.Key)) + "\n", statusCode: StatusCodes.Status503ServiceUnavailable);
        }).WithMetadata(OperationsRoute.Instance).AllowAnonymous();
        return app;
    }

    /// <summary>On the operations endpoint only its routes; its routes on no other endpoint. Runs before identity.</summary>
    public static WebApplication UseKetenhubOperationsRoutes(this WebApplication app)
    {
        if (AddressOf(app.Configuration) is null)
        {
            return app;
        }

        app.Use((http, next) =>
        {
            var onOperations = http.Features.Get<IConnectionItemsFeature>()?.Items.ContainsKey(ConnectionMark) == true;
            var operationsRoute = http.GetEndpoint()?.Metadata.GetMetadata<OperationsRoute>() is not null;
            if (onOperations == operationsRoute)
            {
                return next(http);
            }

            http.SetEndpoint(null);
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });
        return app;
    }

    /// <summary>The configured address (<c>Hub:Operations:Url</c>, http with an explicit port), or null for none.</summary>
    public static Uri? AddressOf(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var url = configuration[Section + ":Url"];
        return Uri.TryCreate(url, UriKind.Absolute, out var address) && address.Scheme == Uri.UriSchemeHttp && !address.IsDefaultPort && address.AbsolutePath == "/"
            ? address
            : null;
    }
}

/// <summary>Marks a route of the operations endpoint.</summary>
public sealed class OperationsRoute
{
    public static readonly OperationsRoute Instance = new();

    private OperationsRoute()
    {
    }
}

/// <summary>The operations endpoint's settings (section <c>Hub:Operations</c>).</summary>
public sealed class OperationsOptions
{
    /// <summary>Where <c>/healthz</c> and <c>/readyz</c> listen: an http address with an explicit port; empty for none.</summary>
    public string? Url { get; set; }
}

/// <summary>A <c>Hub:Operations:Url</c> that is set must be one the endpoint can listen on: checked at start-up.</summary>
public sealed class OperationsOptionsValidator : IValidateOptions<OperationsOptions>
{
    public ValidateOptionsResult Validate(string? name, OperationsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrEmpty(options.Url)
            || (Uri.TryCreate(options.Url, UriKind.Absolute, out var address) && address.Scheme == Uri.UriSchemeHttp && !address.IsDefaultPort && address.AbsolutePath == "/"))
        {
            return ValidateOptionsResult.Success;
        }

        return ValidateOptionsResult.Fail($"{OperationsHttp.Section}:Url must be an http:// address with an explicit port and no path (the operations endpoint is plain HTTP/1.1 for probes), or empty for none.");
    }
}

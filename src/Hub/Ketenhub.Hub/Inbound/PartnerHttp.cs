using System.Net;
using Ketenhub.Hub.Configuration;
using Ketenhub.Hub.Host.Identity;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Options;

namespace Ketenhub.Hub.Host.Inbound;

/// <summary>Marks an endpoint that belongs on the partner HTTP endpoint (FHIR, iWmo), not on the gRPC endpoint.</summary>
public sealed class PartnerRoute
{
    public static readonly PartnerRoute Instance = new();

    private PartnerRoute()
    {
    }
}

/// <summary>
/// The partner HTTP endpoint (<see cref="PartnerHttpOptions"/>): its own Kestrel listener with HTTP/1.1 and HTTP/2, TLS
/// and client certificates where configured, and the rule that binds routes to their endpoint: on a partner connection
/// only partner routes are served, on any other connection none of them.
/// </summary>
public static class PartnerHttp
{
    private const string ConnectionMark = "ketenhub.partner-http";

    /// <summary>The response header that carries <see cref="ApiVersion"/>.</summary>
    public const string ApiVersionHeader = "API-Version";

    /// <summary>
    /// The version of the partner HTTP API (the FHIR and iWmo endpoints, their answers and refusals), semantic versioning:
    /// the major changes with a change partners must follow, the minor with an addition, the patch with a fix.
    /// </summary>
    public const string ApiVersion = "1.1.0";

    public static WebApplicationBuilder AddKetenhubPartnerHttp(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<PartnerHttpOptions>()
            .BindChecked(builder.Configuration, PartnerHttpOptions.Section)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<PartnerHttpOptions>, PartnerHttpOptionsValidator>();

        var settings = PartnerHttpOptions.Read(builder.Configuration);
        if (settings.Address is not { } address)
        {
            // Not configured, or not an address the start-up check accepts (it says why before anything listens).
            return builder;
        }

        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            void Configure(ListenOptions listen)
            {
                // HTTP/2 next to HTTP/1.1 needs TLS (ALPN); without TLS the endpoint is HTTP/1.1, which is what partner software speaks.
                listen.Protocols = settings.IsHttps ? HttpProtocols.Http1AndHttp2 : HttpProtocols.Http1;
                listen.Use(next => connection =>
                {
                    connection.Items[ConnectionMark] = true;
                    return next(connection);
                });
                if (settings.IsHttps)
                {
                    var certificates = kestrel.ApplicationServices.GetRequiredService<ClientCertificates>();
                    listen.UseHttps(https =>
                    {
                        https.ServerCertificate = settings.LoadCertificate();
                        https.ClientCertificateMode = settings.ClientCertificates switch
                        {
                            PartnerClientCertificates.Require => ClientCertificateMode.RequireCertificate,
                            PartnerClientCertificates.Allow => ClientCertificateMode.AllowCertificate,
                            _ => ClientCertificateMode.NoCertificate,
                        };
                        https.CheckCertificateRevocation = false; // revocation is part of IsTrusted, per Identity:Certificates:RevocationMode
                        https.ClientCertificateValidation = (certificate, _, _) => certificates.IsTrusted(certificate);
                    });
                }
            }

            var host = address.Host;
            if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
            {
                kestrel.ListenLocalhost(address.Port, Configure);
            }
            else if (IPAddress.TryParse(address.Host.Trim('[', ']'), out var ip))
            {
                if (ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any))
                {
                    kestrel.ListenAnyIP(address.Port, Configure);
                }
                else
                {
                    kestrel.Listen(ip, address.Port, Configure);
                }
            }
            else
            {
                kestrel.ListenAnyIP(address.Port, Configure);
            }
        });
        return builder;
    }

    /// <summary>
    /// With a partner endpoint configured, a partner route answers 404 on any other endpoint and every other route answers
    /// 404 on the partner endpoint, before identity or anything else runs. Without one, nothing is restricted.
    /// </summary>
    public static WebApplication UseKetenhubPartnerRoutes(this WebApplication app)
    {
        // Every answer of a partner route, refusals included, says which version of the partner API gave it (NL API
        // Design Rules: the full version in the API-Version response header).
        app.Use((http, next) =>
        {
            if (http.GetEndpoint()?.Metadata.GetMetadata<PartnerRoute>() is not null)
            {
                http.Response.OnStarting(static state =>
                {
                    ((HttpContext)state).Response.Headers[ApiVersionHeader] = ApiVersion;
                    return Task.CompletedTask;
                }, http);
            }

            return next(http);
        });

        if (!app.Services.GetRequiredService<IOptions<PartnerHttpOptions>>().Value.IsConfigured)
        {
            return app;
        }

        app.Use((http, next) =>
        {
            var onPartner = IsPartnerConnection(http);
            var partnerRoute = http.GetEndpoint()?.Metadata.GetMetadata<PartnerRoute>() is not null;
            if (onPartner == partnerRoute)
            {
                return next(http);
            }

            http.SetEndpoint(null);
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });
        return app;
    }

    /// <summary>Whether the request came in on the partner endpoint.</summary>
    public static bool IsPartnerConnection(HttpContext http) =>
        http.Features.Get<IConnectionItemsFeature>()?.Items.ContainsKey(ConnectionMark) == true;
}

using System.Globalization;
using Ketenhub.Adapters;
using Ketenhub.Adapters.Fhir;
using Ketenhub.Adapters.IWmo;
using Ketenhub.Adapters.IWmo.Inbound;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Configuration;
using Ketenhub.Hub.Host.Transport;
using Ketenhub.Hub.Parties;
using Microsoft.Extensions.Options;
using ContractParty = Ketenhub.Contracts.V1.Party;

namespace Ketenhub.Hub.Host.Inbound;

/// <summary>
/// HTTP endpoints for partners that speak FHIR R4 or iWmo 3.2 instead of the gRPC contract (docs/adapters.md,
/// "Inbound endpoints"). The path chooses the adapter; the caller is identified exactly as a gRPC caller; the
/// adapter's requests run as that party through the gRPC services' own command classes; every answer, refusals
/// included, is in the partner's format. Identity, rate limit, time limit, the call's origin and error mapping are the
/// call pipeline's, as for a gRPC call (<see cref="CallPipeline"/>).
/// </summary>
public static class InboundEndpoints
{
    /// <summary>The FHIR R4 base path: <c>POST /fhir/r4</c> (Bundle), <c>POST /fhir/r4/{type}</c>, <c>PUT /fhir/r4/Task/{id}</c>.</summary>
    public const string FhirBase = "/fhir/r4";

    /// <summary>The iWmo base path: <c>POST /iwmo</c> or <c>POST /iwmo/{message}</c> (for example <c>/iwmo/WMO305</c>).</summary>
    public const string IWmoBase = "/iwmo";

    /// <summary>The hub's own party description, the recipient of every inbound message.</summary>
    private static readonly ContractParty HubParty = new() { Name = "parties/ketenhub", DisplayName = "Ketenhub" };

    public static IServiceCollection AddKetenhubInbound(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<InboundOptions>()
            .BindChecked(configuration, InboundOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddHttpClient();
        services.AddSingleton<InboundExecutor>();
        services.AddSingleton<HubIWmoDirectory>();
        services.AddSingleton<InboundClientLookup>();
        services.AddSingleton<InboundAdapters>();
        services.AddHostedService<FhirValidationWarmUp>();
        return services;
    }

    public static WebApplication MapKetenhubInbound(this WebApplication app)
    {
        // Each endpoint names its format, so the call pipeline answers its refusals as the partner reads them.
        var fhir = new InboundFormat(DeliveryChannel.Fhir);
        var iwmo = new InboundFormat(DeliveryChannel.Iwmo);
        app.MapMethods(FhirBase, ["POST"], (HttpContext http) => HandleAsync(http, DeliveryChannel.Fhir, string.Empty)).WithMetadata(fhir, PartnerRoute.Instance);
        app.MapMethods(FhirBase + "/{**path}", ["POST", "PUT"], (HttpContext http, string path) => HandleAsync(http, DeliveryChannel.Fhir, path)).WithMetadata(fhir, PartnerRoute.Instance);
        // What the FHIR endpoint does, for client software that asks first; open like the gRPC health check: it shows no data.
        app.MapGet(FhirBase + "/metadata", (HttpContext http) => WriteCapabilitiesAsync(http)).WithMetadata(fhir, PartnerRoute.Instance).AllowAnonymous();
        // The hub's conformance resources (profiles, extensions, code systems, value sets), open for the same reason: a
        // partner's validator resolves them by their canonical URL; they hold no data.
        foreach (var type in FhirAdapter.ConformanceTypes)
        {
            app.MapGet(FhirBase + "/" + type, (HttpContext http) => WriteConformanceSearchAsync(http, type)).WithMetadata(fhir, PartnerRoute.Instance).AllowAnonymous();
            app.MapGet(FhirBase + "/" + type + "/{id}", (HttpContext http, string id) => WriteConformanceResourceAsync(http, type, id)).WithMetadata(fhir, PartnerRoute.Instance).AllowAnonymous();
        }

        app.MapMethods(IWmoBase, ["POST"], (HttpContext http) => HandleAsync(http, DeliveryChannel.Iwmo, string.Empty)).WithMetadata(iwmo, PartnerRoute.Instance);
        app.MapMethods(IWmoBase + "/{**path}", ["POST"], (HttpContext http, string path) => HandleAsync(http, DeliveryChannel.Iwmo, path)).WithMetadata(iwmo, PartnerRoute.Instance);

        // The OpenAPI document of the partner routes that are not FHIR (NL API Design Rules API-51: at openapi.json, in
        // JSON), open like the CapabilityStatement: it describes the API and holds no data.
        app.MapGet(OpenApiRoute, (HttpContext http) => WriteOpenApiAsync(http)).WithMetadata(new WebhookFetch.ProblemFormat(), PartnerRoute.Instance).AllowAnonymous();
        return app;
    }

    /// <summary>Where the OpenAPI document of the partner endpoints is served.</summary>
    public const string OpenApiRoute = "/openapi.json";

    private static readonly Lazy<byte[]> OpenApiDocument = new(() =>
    {
        using var stream = typeof(InboundEndpoints).Assembly.GetManifestResourceStream("Ketenhub.Hub.Inbound.openapi.json")
            ?? throw new InvalidOperationException("The OpenAPI document is not embedded in the hub's assembly.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    private static Task WriteOpenApiAsync(HttpContext http)
    {
        http.Response.ContentType = "application/json";
        return http.Response.Body.WriteAsync(OpenApiDocument.Value, http.RequestAborted).AsTask();
    }

    // The call pipeline (CallPipeline) has identified the caller, taken its rate and set the call's time limit before this
    // runs; an exception thrown here is answered in the partner's format (InboundFormat).
    private static async Task HandleAsync(HttpContext http, DeliveryChannel channel, string path)
    {
        var services = http.RequestServices;
        var adapters = services.GetRequiredService<InboundAdapters>();
        var adapter = adapters.For(channel);
        var options = services.GetRequiredService<IOptions<InboundOptions>>().Value;
        var refusals = services.GetRequiredService<RefusalLog>();
        var ct = http.RequestAborted;
        var party = http.Caller().Party;

        // Cheap checks before the body is read; then the body, whatever its declared length said.
        if (Check(party, channel, adapter, http.Request.ContentType, http.Request.ContentLength, options.MaxBodyBytes) is { } refusal)
        {
            throw refusal;
        }

        var body = await ReadBodyAsync(http.Request.Body, options.MaxBodyBytes, ct).ConfigureAwait(false) ?? throw TooLarge(options.MaxBodyBytes);
        var message = new InboundMessage(http.Request.Method, path, http.Request.ContentType ?? string.Empty, body);
        var context = adapters.Context(http, party);
        var translation = adapter.TranslateInbound(message, context);
        InboundOutcome outcome;
        if (translation is InboundTranslation.Requests requests)
        {
            outcome = await ExecuteAsync(services.GetRequiredService<InboundExecutor>(), party, requests, refusals, CallRefusals.Where(http), ct).ConfigureAwait(false);
        }
        else
        {
            var rejected = (InboundTranslation.Rejected)translation;
            refusals.Refused(HubErrors.ReasonOf(rejected.Error), CallRefusals.Where(http));
            outcome = new InboundOutcome(rejected.Error, []);
        }

        await WriteAsync(http, adapter.RenderReply(message, outcome, context)).ConfigureAwait(false);
    }

    private static Task WriteCapabilitiesAsync(HttpContext http)
    {
        var options = http.RequestServices.GetRequiredService<IOptions<InboundOptions>>().Value;
        var hub = InboundAdapters.BaseUrl(http, options);
        return WriteFhirAsync(http, FhirAdapter.CapabilityStatementOf(new Uri(hub, FhirBase.TrimStart('/'))));
    }

    private static Task WriteConformanceResourceAsync(HttpContext http, string type, string id)
    {
        if (FhirConformance.Package.Find(type, id) is not { } resource)
        {
            var refusal = HubException.NotFound(ErrorReasons.ConformanceResourceNotFound, "The " + type);
            http.RequestServices.GetRequiredService<RefusalLog>().Refused(refusal.Reason, CallRefusals.Where(http));
            return http.RequestServices.GetRequiredService<CallRefusals>().WriteAsync(http, refusal);
        }

        return WriteFhirAsync(http, resource);
    }

    private static Task WriteConformanceSearchAsync(HttpContext http, string type)
    {
        var options = http.RequestServices.GetRequiredService<IOptions<InboundOptions>>().Value;
        var baseUrl = new Uri(InboundAdapters.BaseUrl(http, options), FhirBase.TrimStart('/'));
        var url = http.Request.Query.TryGetValue("url", out var values) ? values.ToString() : null;
        return WriteFhirAsync(http, FhirAdapter.ConformanceSearch(baseUrl, type, url));
    }

    private static Task WriteFhirAsync(HttpContext http, Hl7.Fhir.Model.Resource resource)
    {
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = FhirFormat.ContentType;
        return http.Response.Body.WriteAsync(FhirFormat.Serialize(resource), http.RequestAborted).AsTask();
    }

    // The requests in order, as the partner; the first error stops the rest.
    private static async Task<InboundOutcome> ExecuteAsync(InboundExecutor executor, Party party, InboundTranslation.Requests requests, RefusalLog refusals, string where, CancellationToken ct)
    {
        var responses = new List<Google.Protobuf.IMessage>();
        string? registered = null;
        foreach (var message in requests.Messages)
        {
            var request = message;
            if (request is Ketenhub.Contracts.V1.CreateReferralRequest { Referral: { Client: "" } } create && registered is not null)
            {
                // A referral without a client after a registration is about the client just registered (the adapter
                // contract's chaining rule: an iWmo verzoek om toewijzing names its client by BSN and birth date only).
                request = create.Clone();
                ((Ketenhub.Contracts.V1.CreateReferralRequest)request).Referral.Client = registered;
            }

            try
            {
                var response = await executor.ExecuteAsync(party, request, ct).ConfigureAwait(false);
                responses.Add(response);
                registered = response is Ketenhub.Contracts.V1.RegisterClientResponse r ? r.Client.Name : registered;
            }
            catch (HubException ex)
            {
                refusals.Refused(ex.Reason, where);
                return new InboundOutcome(ErrorInterceptor.ToStatus(ex), responses);
            }
        }

        return new InboundOutcome(null, responses);
    }

    // Channel, media type and declared size, in that order: cheap checks before the body is read.
    private static HubException? Check(Party party, DeliveryChannel channel, IPartyAdapter adapter, string? contentType, long? contentLength, int maxBytes)
    {
        if (party.Channel != channel)
        {
            return HubException.Denied(ErrorReasons.ChannelMismatch, $"The calling party is not configured for {adapter.Format}; it must use the channel it is configured for.").With("format", adapter.Format);
        }

        if (!InboundAdapters.Accepts(channel, contentType))
        {
            return new HubException(ErrorCategory.InvalidArgument, ErrorReasons.UnsupportedMediaType, $"The Content-Type is not one {adapter.Format} takes ({string.Join(", ", InboundAdapters.MediaTypes(channel))}).")
                .With("format", adapter.Format)
                .With("mediaTypes", string.Join(",", InboundAdapters.MediaTypes(channel)));
        }

        return contentLength > maxBytes ? TooLarge(maxBytes) : null;
    }

    private static HubException TooLarge(int maxBytes) =>
        new HubException(ErrorCategory.ResourceExhausted, ErrorReasons.MessageTooLarge, $"The message is larger than the hub accepts on this endpoint ({maxBytes.ToString(CultureInfo.InvariantCulture)} bytes).")
            .With("maxBytes", maxBytes.ToString(CultureInfo.InvariantCulture));

    // The body, or null when it is longer than the limit (whatever the declared length said).
    private static async Task<byte[]?> ReadBodyAsync(Stream body, int maxBytes, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static async Task WriteAsync(HttpContext http, AdapterReply reply)
    {
        http.Response.StatusCode = reply.StatusCode;
        http.Response.ContentType = reply.Payload.ContentType;
        if (reply.StatusCode == StatusCodes.Status401Unauthorized)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
        }

        await http.Response.Body.WriteAsync(reply.Payload.Body, http.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>Writes the hub's refusals in an inbound endpoint's format (<see cref="InboundAdapters.Refusal"/>).</summary>
    private sealed class InboundFormat(DeliveryChannel channel) : IRefusalFormat
    {
        public Task WriteAsync(HttpContext http, Google.Rpc.Status refusal)
        {
            var reply = InboundAdapters.Refusal(http.RequestServices.GetRequiredService<InboundAdapters>().For(channel), refusal);
            http.Response.ContentType = reply.Payload.ContentType;
            return http.Response.Body.WriteAsync(reply.Payload.Body, http.RequestAborted).AsTask();
        }
    }

    /// <summary>The adapters behind the inbound endpoints, and what they need from the host.</summary>
    internal sealed class InboundAdapters(IHttpClientFactory http, TimeProvider time, HubIWmoDirectory directory, PartyDirectory parties, IOptions<InboundOptions> options, InboundClientLookup clients)
    {
        private readonly FhirAdapter _fhir = new(http.CreateClient(FhirAdapter.FormatName), time);
        private readonly IWmoAdapter _iwmo = new(directory.View, http.CreateClient(IWmoAdapter.FormatName), time);
        private readonly Dictionary<string, ContractParty> _parties = parties.All.ToDictionary(p => p.Name, ContractMapping.ToContract, StringComparer.Ordinal);

        public IPartyAdapter For(DeliveryChannel channel) => channel == DeliveryChannel.Fhir ? _fhir : _iwmo;

        public static IReadOnlyList<string> MediaTypes(DeliveryChannel channel) => channel == DeliveryChannel.Fhir
            ? ["application/fhir+json", "application/json"]
            : ["application/xml", "text/xml"];

        public static bool Accepts(DeliveryChannel channel, string? contentType)
        {
            if (string.IsNullOrEmpty(contentType) || !Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var parsed))
            {
                return false;
            }

            return MediaTypes(channel).Any(m => string.Equals(parsed.MediaType.Value, m, StringComparison.OrdinalIgnoreCase));
        }

        public AdapterContext Context(HttpContext request, Party caller) =>
            new(BaseUrl(request, options.Value), HubParty, _parties[caller.Name], _parties)
            {
                ClientByBsn = bsn => clients.ClientByBsn(caller, bsn),
            };

        /// <summary>The hub's public base address: <c>Hub:Inbound:PublicBaseUrl</c>, else the address the request came in on.</summary>
        public static Uri BaseUrl(HttpContext request, InboundOptions options)
        {
            var configured = options.PublicBaseUrl;
            return string.IsNullOrEmpty(configured)
                ? new Uri($"{request.Request.Scheme}://{request.Request.Host}{request.Request.PathBase}/")
                : new Uri(configured.EndsWith('/') ? configured : configured + "/");
        }

        /// <summary>
        /// A refusal the call pipeline answers (identity, rate, channel, media type, size, the time limit, an unexpected
        /// error), in the format's own error form where it has one: a FHIR OperationOutcome; for iWmo, whose retour messages answer
        /// only valid messages, the reason as plain text.
        /// </summary>
        public static AdapterReply Refusal(IPartyAdapter adapter, Google.Rpc.Status error)
        {
            var status = CallRefusals.HttpStatusOf(error);
            if (adapter is FhirAdapter)
            {
                return new AdapterReply(status, new AdapterPayload(FhirFormat.ContentType, FhirFormat.Serialize(FhirAdapter.OperationOutcomeOf(error))));
            }

            var text = HubErrors.ReasonOf(error) + ": " + error.Message + "\n";
            return new AdapterReply(status, new AdapterPayload("text/plain; charset=utf-8", System.Text.Encoding.UTF8.GetBytes(text)));
        }
    }
}

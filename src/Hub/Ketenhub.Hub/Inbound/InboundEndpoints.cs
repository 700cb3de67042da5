using System.Globalization;
using Ketenhub.Adapters;
using Ketenhub.Adapters.Fhir;
using Ketenhub.Adapters.IWmo;
using Ketenhub.Adapters.IWmo.Inbound;
using Ketenhub.Hub.Audit;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Host.Transport;
using Ketenhub.Hub.Parties;
using Microsoft.Extensions.Options;
using ContractParty = Ketenhub.Contracts.V1.Party;
using GrpcCode = Grpc.Core.StatusCode;

namespace Ketenhub.Hub.Host.Inbound;

/// <summary>
/// HTTP endpoints for partners that speak FHIR R4 or iWmo 3.2 instead of the gRPC contract (docs/adapters.md,
/// "Inbound endpoints"). The path chooses the adapter; the caller is identified exactly as a gRPC caller; the
/// adapter's requests run as that party through the gRPC services' own command classes; every answer, refusals
/// included, is in the partner's format.
/// </summary>
public static partial class InboundEndpoints
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
            .Bind(configuration.GetSection(InboundOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddHttpClient();
        services.AddSingleton<InboundExecutor>();
        services.AddSingleton<HubIWmoDirectory>();
        services.AddSingleton<InboundAdapters>();
        return services;
    }

    public static WebApplication MapKetenhubInbound(this WebApplication app)
    {
        app.MapMethods(FhirBase, ["POST"], (HttpContext http) => HandleAsync(http, DeliveryChannel.Fhir, string.Empty));
        app.MapMethods(FhirBase + "/{**path}", ["POST", "PUT"], (HttpContext http, string path) => HandleAsync(http, DeliveryChannel.Fhir, path));
        app.MapMethods(IWmoBase, ["POST"], (HttpContext http) => HandleAsync(http, DeliveryChannel.Iwmo, string.Empty));
        app.MapMethods(IWmoBase + "/{**path}", ["POST"], (HttpContext http, string path) => HandleAsync(http, DeliveryChannel.Iwmo, path));
        return app;
    }

    private static async Task HandleAsync(HttpContext http, DeliveryChannel channel, string path)
    {
        var services = http.RequestServices;
        var adapters = services.GetRequiredService<InboundAdapters>();
        var adapter = adapters.For(channel);
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(InboundEndpoints));
        var refusals = services.GetRequiredService<RefusalLog>();
        var options = services.GetRequiredService<IOptions<InboundOptions>>().Value;
        var ct = http.RequestAborted;
        var message = new InboundMessage(http.Request.Method, path, http.Request.ContentType ?? string.Empty, ReadOnlyMemory<byte>.Empty);

        // Who is calling, before anything of the body is read.
        Actor actor;
        try
        {
            actor = services.GetRequiredService<Callers>().ResolveActor(http);
        }
        catch (HubException ex)
        {
            refusals.Refused(ex.Reason, Where(adapter));
            await WriteAsync(http, InboundAdapters.Refusal(adapter, ErrorInterceptor.ToStatus(ex))).ConfigureAwait(false);
            return;
        }

        var party = actor.Party;
        var refusal = Check(party, channel, adapter, http.Request.ContentType, http.Request.ContentLength, options.MaxBodyBytes);
        if (refusal is null)
        {
            try
            {
                services.GetRequiredService<PartyRateLimiter>().Take(party.Id);
            }
            catch (HubException ex)
            {
                refusal = ex;
            }
        }

        byte[]? body = null;
        if (refusal is null)
        {
            body = await ReadBodyAsync(http.Request.Body, options.MaxBodyBytes, ct).ConfigureAwait(false);
            refusal = body is null ? TooLarge(options.MaxBodyBytes) : null;
        }

        if (refusal is not null || body is null)
        {
            refusals.Refused(refusal!.Reason, Where(adapter));
            if (refusal.RetryDelay is { } delay)
            {
                http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(delay.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            }

            await WriteAsync(http, InboundAdapters.Refusal(adapter, ErrorInterceptor.ToStatus(refusal))).ConfigureAwait(false);
            return;
        }

        message = message with { Body = body };
        CallOrigin.Current = new CallOrigin(actor, CallOriginInterceptor.SourceOf(http));
        var context = adapters.Context(http, party);
        AdapterReply reply;
        try
        {
            var translation = adapter.TranslateInbound(message, context);
            InboundOutcome outcome;
            if (translation is InboundTranslation.Requests requests)
            {
                outcome = await ExecuteAsync(services.GetRequiredService<InboundExecutor>(), party, requests, refusals, Where(adapter), ct).ConfigureAwait(false);
            }
            else
            {
                var rejected = (InboundTranslation.Rejected)translation;
                var reason = HubErrors.ReasonOf(rejected.Error);
                refusals.Refused(reason, Where(adapter));
                outcome = new InboundOutcome(rejected.Error, []);
            }

            reply = adapter.RenderReply(message, outcome, context);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            LogFailed(logger, adapter.Format, ex.GetType().Name);
            reply = InboundAdapters.Refusal(adapter, Internal());
        }

        await WriteAsync(http, reply).ConfigureAwait(false);
    }

    // The requests in order, as the partner; the first error stops the rest.
    private static async Task<InboundOutcome> ExecuteAsync(InboundExecutor executor, Party party, InboundTranslation.Requests requests, RefusalLog refusals, string where, CancellationToken ct)
    {
        var responses = new List<Google.Protobuf.IMessage>();
        foreach (var request in requests.Messages)
        {
            try
            {
                responses.Add(await executor.ExecuteAsync(party, request, ct).ConfigureAwait(false));
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
            return HubException.Denied(ErrorReasons.ChannelMismatch, $"The calling party is not configured for {adapter.Format}; it must use the channel it is configured for.");
        }

        if (!InboundAdapters.Accepts(channel, contentType))
        {
            return new HubException(ErrorCategory.InvalidArgument, ErrorReasons.UnsupportedMediaType, $"The Content-Type is not one {adapter.Format} takes ({string.Join(", ", InboundAdapters.MediaTypes(channel))}).");
        }

        return contentLength > maxBytes ? TooLarge(maxBytes) : null;
    }

    private static HubException TooLarge(int maxBytes) =>
        new(ErrorCategory.ResourceExhausted, ErrorReasons.MessageTooLarge, $"The message is larger than the hub accepts on this endpoint ({maxBytes.ToString(CultureInfo.InvariantCulture)} bytes).");

    private static Google.Rpc.Status Internal() =>
        ErrorInterceptor.ToStatus(new HubException(ErrorCategory.Internal, ErrorReasons.Internal, "The hub could not complete the call."));

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

    private static string Where(IPartyAdapter adapter) => "Inbound " + adapter.Format + " message";

    [LoggerMessage(Level = LogLevel.Error, Message = "Inbound {Format} message failed with {ExceptionType}")]
    private static partial void LogFailed(ILogger logger, string format, string exceptionType);

    /// <summary>The adapters behind the inbound endpoints, and what they need from the host.</summary>
    internal sealed class InboundAdapters(IHttpClientFactory http, TimeProvider time, HubIWmoDirectory directory, PartyDirectory parties, IOptions<InboundOptions> options)
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

        public AdapterContext Context(HttpContext request, Party caller)
        {
            var configured = options.Value.PublicBaseUrl;
            var baseUrl = string.IsNullOrEmpty(configured)
                ? new Uri($"{request.Request.Scheme}://{request.Request.Host}{request.Request.PathBase}/")
                : new Uri(configured.EndsWith('/') ? configured : configured + "/");
            return new AdapterContext(baseUrl, HubParty, _parties[caller.Name], _parties);
        }

        /// <summary>
        /// A refusal before the adapter translated anything (identity, channel, media type, size, rate), in the
        /// format's own error form where it has one: a FHIR OperationOutcome; for iWmo, whose retour messages answer
        /// only valid messages, the reason as plain text.
        /// </summary>
        public static AdapterReply Refusal(IPartyAdapter adapter, Google.Rpc.Status error)
        {
            var status = HttpStatusOf(error);
            if (adapter is FhirAdapter)
            {
                return new AdapterReply(status, new AdapterPayload(FhirFormat.ContentType, FhirFormat.Serialize(FhirAdapter.OperationOutcomeOf(error))));
            }

            var text = HubErrors.ReasonOf(error) + ": " + error.Message + "\n";
            return new AdapterReply(status, new AdapterPayload("text/plain; charset=utf-8", System.Text.Encoding.UTF8.GetBytes(text)));
        }

        private static int HttpStatusOf(Google.Rpc.Status error) => HubErrors.ReasonOf(error) switch
        {
            ErrorReasons.UnsupportedMediaType => StatusCodes.Status415UnsupportedMediaType,
            ErrorReasons.MessageTooLarge => StatusCodes.Status413PayloadTooLarge,
            ErrorReasons.RateLimited => StatusCodes.Status429TooManyRequests,
            _ => (GrpcCode)error.Code switch
            {
                GrpcCode.InvalidArgument => 400,
                GrpcCode.Unauthenticated => 401,
                GrpcCode.PermissionDenied => 403,
                GrpcCode.NotFound => 404,
                GrpcCode.FailedPrecondition or GrpcCode.AlreadyExists => 409,
                GrpcCode.Unavailable => 503,
                _ => 500,
            },
        };
    }
}

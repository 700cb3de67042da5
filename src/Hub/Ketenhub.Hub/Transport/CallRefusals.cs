using System.Globalization;
using Google.Protobuf;
using Ketenhub.Adapters;
using Ketenhub.Hub.Common;
using Microsoft.Extensions.Options;
using GrpcCode = Grpc.Core.StatusCode;

namespace Ketenhub.Hub.Host.Transport;

/// <summary>
/// Endpoint metadata: writes the hub's coded errors in the endpoint's own format (a FHIR OperationOutcome, an iWmo
/// partner's plain text). The HTTP status code, <c>Retry-After</c> and <c>WWW-Authenticate</c> are set already.
/// </summary>
public interface IRefusalFormat
{
    /// <summary>Writes the error's body and its content type.</summary>
    Task WriteAsync(HttpContext http, Google.Rpc.Status refusal);
}

/// <summary>
/// The error mapping every call shares, gRPC and HTTP: an exception becomes a coded error from the catalogue
/// (docs/errors.md), logged through the <see cref="RefusalLog"/>; an error is written in the endpoint's format. A gRPC
/// call gets its status with <c>ErrorInfo</c> (and <c>RetryInfo</c>, <c>BadRequest</c>) in the trailers; an HTTP endpoint
/// the matching status code (<see cref="HttpStatusOf"/>) and its <see cref="IRefusalFormat"/>, else plain text
/// <c>REASON: message</c>.
/// </summary>
public sealed class CallRefusals(RefusalLog refusals, IOptions<CallLimitOptions> options)
{
    private const string StatusHeader = "grpc-status";
    private const string MessageHeader = "grpc-message";
    private const string DetailsHeader = "grpc-status-details-bin";

    /// <summary>
    /// The coded error for an exception a call ended with, logged once per reason and interval; null when the call was
    /// cancelled by its caller (no one is left to answer). Anything unexpected becomes INTERNAL without its message,
    /// which could carry data; the log names only the exception's type and where it happened.
    /// </summary>
    /// <param name="exception">What the call ended with.</param>
    /// <param name="http">The call.</param>
    /// <param name="cancellation">The cancellation the call's work saw.</param>
    public HubException? Map(Exception exception, HttpContext http, CancellationToken cancellation)
    {
        switch (exception)
        {
            case HubException hub:
                refusals.Refused(hub.Reason, Where(http));
                return hub;
            case OperationCanceledException when http.Features.Get<HubCall>()?.TimeLimitReached == true:
                var limit = options.Value.MaxCallDuration;
                refusals.Refused(ErrorReasons.CallTimedOut, Where(http));
                return new HubException(ErrorCategory.DeadlineExceeded, ErrorReasons.CallTimedOut, $"The call did not finish within the hub's limit of {limit.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} seconds.")
                    .With("limitSeconds", limit.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture));
            case OperationCanceledException when cancellation.IsCancellationRequested:
                return null;
            default:
                refusals.Refused(ErrorReasons.Internal, $"{Where(http)} ({exception.GetType().Name})", LogLevel.Error);
                return new HubException(ErrorCategory.Internal, ErrorReasons.Internal, "The hub could not complete the call.");
        }
    }

    /// <summary>Answers the call with the error, in its endpoint's format. The caller logs it.</summary>
    public Task WriteAsync(HttpContext http, HubException error)
    {
        var status = ErrorInterceptor.ToStatus(error);
        var response = http.Response;
        if (CallPipeline.IsGrpc(http))
        {
            // A trailers-only answer: the status in the headers of a response without a body.
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/grpc";
            response.Headers[StatusHeader] = status.Code.ToString(CultureInfo.InvariantCulture);
            response.Headers[MessageHeader] = Uri.EscapeDataString(status.Message);
            response.Headers[DetailsHeader] = Convert.ToBase64String(status.ToByteArray());
            return Task.CompletedTask;
        }

        response.StatusCode = HttpStatusOf(status);
        if (error.RetryDelay is { } delay)
        {
            response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(delay.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        if (response.StatusCode == StatusCodes.Status401Unauthorized)
        {
            response.Headers.WWWAuthenticate = "Bearer";
        }

        if (http.GetEndpoint()?.Metadata.GetMetadata<IRefusalFormat>() is { } format)
        {
            return format.WriteAsync(http, status);
        }

        response.ContentType = "text/plain; charset=utf-8";
        return response.WriteAsync(error.Reason + ": " + error.Message + "\n", http.RequestAborted);
    }

    /// <summary>What a log line names for the call: its endpoint (the gRPC method, the route), never a value from the request.</summary>
    public static string Where(HttpContext http) => http.GetEndpoint()?.DisplayName ?? "A request that matched no endpoint";

    /// <summary>The HTTP status code of a coded error, as the HTTP endpoints answer it.</summary>
    public static int HttpStatusOf(Google.Rpc.Status error) => HubErrors.ReasonOf(error) switch
    {
        ErrorReasons.UnsupportedMediaType => StatusCodes.Status415UnsupportedMediaType,
        ErrorReasons.MessageTooLarge => StatusCodes.Status413PayloadTooLarge,
        ErrorReasons.RateLimited => StatusCodes.Status429TooManyRequests,
        _ => (GrpcCode)error.Code switch
        {
            GrpcCode.InvalidArgument => StatusCodes.Status400BadRequest,
            GrpcCode.Unauthenticated => StatusCodes.Status401Unauthorized,
            GrpcCode.PermissionDenied => StatusCodes.Status403Forbidden,
            GrpcCode.NotFound => StatusCodes.Status404NotFound,
            GrpcCode.FailedPrecondition or GrpcCode.AlreadyExists or GrpcCode.Aborted => StatusCodes.Status409Conflict,
            GrpcCode.Unavailable => StatusCodes.Status503ServiceUnavailable,
            GrpcCode.DeadlineExceeded => StatusCodes.Status504GatewayTimeout,
            _ => StatusCodes.Status500InternalServerError,
        },
    };
}

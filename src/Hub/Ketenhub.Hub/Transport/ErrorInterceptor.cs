using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Ketenhub.Hub.Common;

namespace Ketenhub.Hub.Host.Transport;

/// <summary>
/// The gRPC side of the hub's error mapping (<see cref="CallRefusals"/>, which the HTTP endpoints share): an exception
/// from a service, which the gRPC framework shows only to interceptors, becomes <c>google.rpc.Status</c> with an
/// <c>ErrorInfo</c> reason from the catalogue (docs/errors.md) and its metadata, and <c>BadRequest</c> field violations, each
/// with its own reason. Anything unexpected
/// becomes INTERNAL without its message, which could carry data.
/// </summary>
public sealed class ErrorInterceptor(CallRefusals refusals) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not RpcException)
        {
            throw Translate(ex, context);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not RpcException)
        {
            throw Translate(ex, context);
        }
    }

    private RpcException Translate(Exception exception, ServerCallContext context) =>
        refusals.Map(exception, context.GetHttpContext(), context.CancellationToken) is { } error
            ? ToRpc(error)
            : new RpcException(new Grpc.Core.Status(StatusCode.Cancelled, "The call was cancelled."));

    public static RpcException ToRpc(HubException exception) => ToStatus(exception).ToRpcException();

    /// <summary>The error as <c>google.rpc.Status</c> (for answers that are not gRPC, such as an adapter's reply).</summary>
    public static Google.Rpc.Status ToStatus(HubException exception)
    {
        var info = new ErrorInfo { Domain = ErrorReasons.Domain, Reason = exception.Reason };
        foreach (var (key, value) in exception.Metadata)
        {
            info.Metadata[key] = value;
        }

        var status = new Google.Rpc.Status
        {
            Code = (int)CodeOf(exception.Category),
            Message = exception.Message,
            Details =
            {
                Any.Pack(info),
            },
        };
        if (exception.RetryDelay is { } delay)
        {
            status.Details.Add(Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(delay) }));
        }

        if (exception.Violations.Count > 0)
        {
            var badRequest = new BadRequest();
            foreach (var violation in exception.Violations)
            {
                badRequest.FieldViolations.Add(new BadRequest.Types.FieldViolation { Field = violation.Field, Description = violation.Description, Reason = violation.Reason });
            }

            status.Details.Add(Any.Pack(badRequest));
        }

        return status;
    }

    public static StatusCode CodeOf(ErrorCategory category) => category switch
    {
        ErrorCategory.InvalidArgument => StatusCode.InvalidArgument,
        ErrorCategory.NotFound => StatusCode.NotFound,
        ErrorCategory.FailedPrecondition => StatusCode.FailedPrecondition,
        ErrorCategory.Aborted => StatusCode.Aborted,
        ErrorCategory.AlreadyExists => StatusCode.AlreadyExists,
        ErrorCategory.PermissionDenied => StatusCode.PermissionDenied,
        ErrorCategory.Unauthenticated => StatusCode.Unauthenticated,
        ErrorCategory.ResourceExhausted => StatusCode.ResourceExhausted,
        ErrorCategory.Unavailable => StatusCode.Unavailable,
        ErrorCategory.DeadlineExceeded => StatusCode.DeadlineExceeded,
        _ => StatusCode.Internal,
    };
}

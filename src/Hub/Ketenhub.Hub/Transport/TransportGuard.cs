using System.Globalization;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Ketenhub.Hub.Common;

namespace Ketenhub.Hub.Host.Transport;

/// <summary>
/// An error the gRPC framework answers by itself, before a service runs (a request over the size limit, a body
/// that is not a valid message, a deadline that passed, an unknown method), gets an <c>ErrorInfo</c> from the
/// catalogue like every other error.
/// </summary>
public static class TransportGuard
{
    private const string StatusHeader = "grpc-status";
    private const string MessageHeader = "grpc-message";
    private const string DetailsHeader = "grpc-status-details-bin";

    public static IApplicationBuilder UseKetenhubTransportGuard(this IApplicationBuilder app)
    {
        return app.Use((context, next) =>
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<GrpcMethodMetadata>() is not null
                || context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true)
            {
                context.Response.OnStarting(AddErrorInfo, context);
            }

            return next(context);
        });
    }

    private static Task AddErrorInfo(object state)
    {
        var headers = ((HttpContext)state).Response.Headers;
        if (!int.TryParse(headers[StatusHeader], NumberStyles.None, CultureInfo.InvariantCulture, out var code) || code == 0 || headers.ContainsKey(DetailsHeader))
        {
            return Task.CompletedTask;
        }

        var maxBytes = HubHost.MaxReceiveMessageSize.ToString(CultureInfo.InvariantCulture);
        (StatusCode status, string reason, string message)? coded = (StatusCode)code switch
        {
            StatusCode.ResourceExhausted => (StatusCode.ResourceExhausted, ErrorReasons.MessageTooLarge, $"The request is larger than the hub accepts ({maxBytes} bytes)."),
            StatusCode.Unknown or StatusCode.Internal => (StatusCode.InvalidArgument, ErrorReasons.MalformedMessage, "The request body is not a valid protobuf message of the method's request type."),
            StatusCode.DeadlineExceeded => (StatusCode.DeadlineExceeded, ErrorReasons.CallTimedOut, "The call did not finish within the caller's deadline."),
            StatusCode.Unimplemented => (StatusCode.Unimplemented, ErrorReasons.MethodNotFound, "The hub has no such service or method."),
            StatusCode.Cancelled => (StatusCode.Cancelled, ErrorReasons.Cancelled, "The call was cancelled."),
            _ => null,
        };
        if (coded is not { } c)
        {
            return Task.CompletedTask;
        }

        var info = new ErrorInfo { Domain = ErrorReasons.Domain, Reason = c.reason };
        if (c.reason == ErrorReasons.MessageTooLarge)
        {
            info.Metadata["maxBytes"] = maxBytes;
        }

        var details = new Google.Rpc.Status
        {
            Code = (int)c.status,
            Message = c.message,
            Details = { Any.Pack(info) },
        };
        headers[StatusHeader] = ((int)c.status).ToString(CultureInfo.InvariantCulture);
        headers[MessageHeader] = Uri.EscapeDataString(c.message);
        headers[DetailsHeader] = Convert.ToBase64String(details.ToByteArray());
        return Task.CompletedTask;
    }
}

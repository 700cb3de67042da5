using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Ketenhub.Hub.Host.Clients;

namespace Ketenhub.Testing.InProcess;

/// <summary>
/// Lets tests speak of a client by one name whatever party they call as. Every party has its own name for a client
/// (docs/security.md); on the wire this interceptor sends each party's own names (turning the hub's form into the
/// calling party's) and turns the party's names in answers and deliveries back into the hub's form, with the hub's
/// own <see cref="ClientNameRewriter"/>. So a test can pass the name one party got to another, as the story it tells
/// intends, while the hub still resolves every party's own names. Tests of the names themselves call without it
/// (<see cref="HubFactory.AsSeenBy"/>).
/// </summary>
public sealed class HubFormClientNames(Func<ClientNameRewriter> rewriter, string partyId) : Interceptor
{
    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
    {
        var call = continuation(Sent(request), context);
        return new AsyncUnaryCall<TResponse>(Received(call.ResponseAsync), call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, call.Dispose);
    }

    public override TResponse BlockingUnaryCall<TRequest, TResponse>(TRequest request, ClientInterceptorContext<TRequest, TResponse> context, BlockingUnaryCallContinuation<TRequest, TResponse> continuation) =>
        Back(continuation(Sent(request), context));

    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncServerStreamingCallContinuation<TRequest, TResponse> continuation)
    {
        var call = continuation(Sent(request), context);
        return new AsyncServerStreamingCall<TResponse>(new Reader<TResponse>(call.ResponseStream, Back), call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, call.Dispose);
    }

    private TRequest Sent<TRequest>(TRequest request)
    {
        if (request is IMessage message)
        {
            // A copy: the test may send the same request object again, or read it afterwards.
            var copy = message.Clone();
            rewriter().Outbound(copy, partyId);
            return (TRequest)copy;
        }

        return request;
    }

    private async Task<TResponse> Received<TResponse>(Task<TResponse> response) => Back(await response.ConfigureAwait(false));

    private TResponse Back<TResponse>(TResponse response)
    {
        if (response is IMessage message)
        {
            rewriter().Inbound(message, partyId);
        }

        return response;
    }

    private sealed class Reader<T>(IAsyncStreamReader<T> inner, Func<T, T> back) : IAsyncStreamReader<T>
    {
        public T Current => back(inner.Current);

        public Task<bool> MoveNext(CancellationToken cancellationToken) => inner.MoveNext(cancellationToken);
    }
}

/// <summary>Clone of a message of unknown type.</summary>
internal static class MessageCloning
{
    public static IMessage Clone(this IMessage message)
    {
        var copy = message.Descriptor.Parser.ParseFrom(message.ToByteString());
        return copy;
    }
}

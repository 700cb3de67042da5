using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Ketenhub.Hub.Host.Transport;

namespace Ketenhub.Hub.Host.Clients;

/// <summary>
/// Every party has its own name for a client (<see cref="Ketenhub.Hub.Clients.ClientNames"/>): on every gRPC call the
/// caller's names in the request become the hub's before the service sees them, and the hub's names in the answer, or
/// in each delivery on a stream, become the caller's. A call without a known caller passes unchanged (the pipeline
/// refuses it).
/// </summary>
public sealed class ClientNameInterceptor(ClientNameRewriter rewriter) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        var party = PartyOf(context);
        if (party is null)
        {
            return await continuation(request, context).ConfigureAwait(false);
        }

        rewriter.Inbound(request as IMessage, party);
        var response = await continuation(request, context).ConfigureAwait(false);
        rewriter.Outbound(response as IMessage, party);
        return response;
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var party = PartyOf(context);
        if (party is null)
        {
            return continuation(request, responseStream, context);
        }

        rewriter.Inbound(request as IMessage, party);
        return continuation(request, new Writer<TResponse>(responseStream, rewriter, party), context);
    }

    private static string? PartyOf(ServerCallContext context) => context.GetHttpContext().Features.Get<HubCall>()?.Caller?.Party.Id;

    private sealed class Writer<T>(IServerStreamWriter<T> inner, ClientNameRewriter rewriter, string party) : IServerStreamWriter<T>
    {
        public WriteOptions? WriteOptions
        {
            get => inner.WriteOptions;
            set => inner.WriteOptions = value;
        }

        public Task WriteAsync(T message)
        {
            rewriter.Outbound(message as IMessage, party);
            return inner.WriteAsync(message);
        }

        public Task WriteAsync(T message, CancellationToken cancellationToken)
        {
            rewriter.Outbound(message as IMessage, party);
            return inner.WriteAsync(message, cancellationToken);
        }
    }
}

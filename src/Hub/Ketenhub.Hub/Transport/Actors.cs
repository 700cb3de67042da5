using Grpc.Core;
using Ketenhub.Hub.Audit;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Parties;
using Grpc.Core.Interceptors;

namespace Ketenhub.Hub.Host.Transport;

/// <summary>The caller as an <see cref="Actor"/> (see <see cref="Callers"/>), for audit events.</summary>
public sealed class Actors(Callers callers)
{
    public Actor Resolve(ServerCallContext context) => callers.ResolveActor(context);

    /// <summary>The actor, or null when the call proves no known party (the service refuses it itself).</summary>
    public Actor? TryResolve(ServerCallContext context)
    {
        try
        {
            return Resolve(context);
        }
        catch (HubException)
        {
            return null;
        }
    }
}

/// <summary>
/// Gives the domain what only the transport knows about a call, for its audit events: the actor (person and
/// roles) and the remote endpoint (<see cref="CallOrigin"/>).
/// </summary>
public sealed class CallOriginInterceptor(Actors actors) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        CallOrigin.Current = Origin(context);
        return await continuation(request, context).ConfigureAwait(false);
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        CallOrigin.Current = Origin(context);
        await continuation(request, responseStream, context).ConfigureAwait(false);
    }

    private CallOrigin Origin(ServerCallContext context) => new(actors.TryResolve(context), Source(context));

    // The remote address and port; the peer string (ipv4:1.2.3.4:5678) when the connection does not say.
    private static string? Source(ServerCallContext context) =>
        SourceOf(context.GetHttpContext()) ?? (string.IsNullOrEmpty(context.Peer) ? null : context.Peer);

    /// <summary>The remote address and port of a request, as audit events record it; null when the connection does not say.</summary>
    public static string? SourceOf(HttpContext http)
    {
        var connection = http.Connection;
        if (connection.RemoteIpAddress is { } address)
        {
            var ip = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
            return ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
                ? $"[{ip}]:{connection.RemotePort}"
                : $"{ip}:{connection.RemotePort}";
        }

        return null;
    }
}

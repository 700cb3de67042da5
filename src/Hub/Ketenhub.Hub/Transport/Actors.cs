using Grpc.Core;
using Ketenhub.Hub.Audit;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Parties;
using Grpc.Core.Interceptors;

namespace Ketenhub.Hub.Host.Transport;

/// <summary>
/// The caller as an <see cref="Actor"/>: its party (from <see cref="Callers"/>) and, in Development only, the
/// person and roles named in the <c>ketenhub-user</c> and <c>ketenhub-roles</c> headers (the development
/// identity; outside Development these headers are ignored and the identity's own claims will count).
/// </summary>
public sealed class Actors(Callers callers, IHostEnvironment environment)
{
    public const string UserHeader = "ketenhub-user";
    public const string RolesHeader = "ketenhub-roles";

    public Actor Resolve(ServerCallContext context)
    {
        var party = callers.Resolve(context);
        if (!environment.IsDevelopment())
        {
            return new Actor(party, null, []);
        }

        var user = context.RequestHeaders.GetValue(UserHeader);
        var roles = context.RequestHeaders.GetValue(RolesHeader);
        return new Actor(
            party,
            string.IsNullOrWhiteSpace(user) ? null : user.Trim(),
            string.IsNullOrWhiteSpace(roles) ? [] : [.. roles.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)]);
    }

    /// <summary>The actor, or null when the call names no known party (the service refuses it itself).</summary>
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
    private static string? Source(ServerCallContext context)
    {
        var connection = context.GetHttpContext().Connection;
        if (connection.RemoteIpAddress is { } address)
        {
            var ip = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
            return ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
                ? $"[{ip}]:{connection.RemotePort}"
                : $"{ip}:{connection.RemotePort}";
        }

        return string.IsNullOrEmpty(context.Peer) ? null : context.Peer;
    }
}

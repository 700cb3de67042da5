using Grpc.AspNetCore.Server;
using Grpc.Core;
using Ketenhub.Hub.Audit;
using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Parties;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.Extensions.Options;

namespace Ketenhub.Hub.Host.Transport;

/// <summary>
/// What the hub's call pipeline learned about a call, carried on the call's <see cref="HttpContext"/> as a feature: the
/// caller, resolved once (or why the call proves no known party), and the call's time limit. Services read the caller
/// from here (<see cref="HubCalls"/>); nothing resolves it a second time.
/// </summary>
public sealed class HubCall
{
    private CancellationTokenSource? _timeLimit;
    private CancellationToken _aborted;

    /// <summary>The calling party with the person and roles of its identity; null when the call proves no known party.</summary>
    public Actor? Caller { get; private set; }

    /// <summary>The client acting for themselves, on <c>SelfService</c> only; null on every other call.</summary>
    public Citizen? Citizen { get; private set; }

    /// <summary>Why the call has no <see cref="Caller"/>: CALLER_UNKNOWN, TOKEN_INVALID, CALLER_MISMATCH or RATE_LIMITED.</summary>
    public HubException? Refusal { get; private set; }

    /// <summary>Whether the hub's own time limit ended the call (and not the caller, who is still there).</summary>
    public bool TimeLimitReached => _timeLimit?.IsCancellationRequested == true && !_aborted.IsCancellationRequested;

    internal void Identified(Actor caller) => Caller = caller;

    internal void CitizenIdentified(Citizen citizen) => Citizen = citizen;

    internal void Refused(HubException refusal) => Refusal = refusal;

    internal void Limit(CancellationTokenSource timeLimit, CancellationToken aborted)
    {
        _timeLimit = timeLimit;
        _aborted = aborted;
    }
}

/// <summary>The caller of a call, as the pipeline resolved it: what services use instead of resolving it themselves.</summary>
public static class HubCalls
{
    /// <summary>The calling party, the person acting through it and the roles of its identity.</summary>
    /// <exception cref="HubException">CALLER_UNKNOWN when the call did not come through the pipeline with a known caller.</exception>
    public static Actor Caller(this HttpContext http) =>
        http.Features.Get<HubCall>()?.Caller
        ?? throw new HubException(ErrorCategory.Unauthenticated, ErrorReasons.CallerUnknown, "The call must identify its party.");

    /// <inheritdoc cref="Caller(HttpContext)"/>
    public static Actor Actor(this ServerCallContext context) => context.GetHttpContext().Caller();

    /// <summary>The calling party.</summary>
    public static Party Party(this ServerCallContext context) => context.Actor().Party;

    /// <summary>The client acting for themselves (<c>SelfService</c>).</summary>
    /// <exception cref="HubException">CALLER_UNKNOWN when the call did not prove a citizen.</exception>
    public static Citizen Citizen(this ServerCallContext context) =>
        context.GetHttpContext().Features.Get<HubCall>()?.Citizen
        ?? throw new HubException(ErrorCategory.Unauthenticated, ErrorReasons.CallerUnknown, "The call must carry a citizen's token.");

    /// <summary>The caller, who must hold the <c>admin</c> role; others get <c>ADMIN_ROLE_REQUIRED</c>.</summary>
    public static Actor RequireAdmin(this ServerCallContext context, string what)
    {
        var actor = context.Actor();
        return actor.HasRole(ActorRoles.Admin)
            ? actor
            : throw HubException.Denied(ErrorReasons.AdminRoleRequired, $"{what} needs the '{ActorRoles.Admin}' role.").With("role", ActorRoles.Admin);
    }
}

/// <summary>
/// The one path every call to the hub takes, gRPC and the HTTP inbound endpoints alike (docs/security.md):
/// <list type="number">
/// <item>the connection guard: a connection whose calls keep proving no known party is refused with RATE_LIMITED before
/// its token is checked (<see cref="CallLimitOptions.UnknownCallers"/>);</item>
/// <item>authentication: bearer tokens are validated;</item>
/// <item>authorisation: closed by default. Every endpoint without a policy of its own gets the fallback policy, which
/// holds only when the caller resolves to a configured party (<see cref="PartyCallerRequirement"/>); endpoints that
/// must be open (gRPC health, reflection) say <c>AllowAnonymous</c>. The caller is resolved here, once, into the
/// call's <see cref="HubCall"/>;</item>
/// <item>the call: the party's rate limit, the call's origin for the audit trail, and for unary gRPC calls and HTTP
/// requests the hub's time limit; an error is answered with its <c>ErrorInfo</c> in the endpoint's format
/// (<see cref="CallRefusals"/>).</item>
/// </list>
/// </summary>
public static class CallPipeline
{
    /// <summary>The name of the policy that needs a caller who resolves to a configured party (also the default and fallback policy).</summary>
    public const string PartyCallerPolicy = "PartyCaller";

    /// <summary>The policy of <c>SelfService</c>: a citizen's token whose BSN the hub knows (registered with the citizens' tokens, see CitizenTokens).</summary>
    public const string CitizenCallerPolicy = "CitizenCaller";

    public static IServiceCollection AddKetenhubCallPipeline(this IServiceCollection services)
    {
        services.AddSingleton<PartyRateLimiter>();
        services.AddSingleton<UnknownCallerLimiter>();
        services.AddSingleton<RefusalLog>();
        services.AddSingleton<CallRefusals>();
        services.AddSingleton<CallIdentity>();
        services.AddSingleton<IAuthorizationHandler, PartyCallerHandler>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, RefusingResultHandler>();
        services.AddAuthorization(options =>
        {
            var party = new AuthorizationPolicyBuilder().AddRequirements(new PartyCallerRequirement()).Build();
            options.AddPolicy(PartyCallerPolicy, party);
            options.DefaultPolicy = party;
            options.FallbackPolicy = party;
        });
        return services;
    }

    public static WebApplication UseKetenhubCallPipeline(this WebApplication app)
    {
        app.Use(GuardConnectionAsync);
        app.UseAuthentication();
        app.UseAuthorization();
        app.Use(RunCallAsync);
        return app;
    }

    /// <summary>The method as logs name it: the gRPC method's full name, or the HTTP endpoint's route pattern (no ids).</summary>
    public static string MethodOf(Endpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return endpoint.Metadata.GetMetadata<GrpcMethodMetadata>()?.Method.FullName
            ?? (endpoint as RouteEndpoint)?.RoutePattern.RawText
            ?? endpoint.DisplayName
            ?? "unknown";
    }

    /// <summary>Whether the request's endpoint needs a caller: every endpoint but those marked <c>AllowAnonymous</c>, and a request that matched none.</summary>
    public static bool NeedsCaller(HttpContext http) => http.GetEndpoint()?.Metadata.GetMetadata<IAllowAnonymous>() is null;

    /// <summary>Whether the request is a gRPC call (by its endpoint, or its content type when it matched none).</summary>
    public static bool IsGrpc(HttpContext http) =>
        http.GetEndpoint()?.Metadata.GetMetadata<GrpcMethodMetadata>() is not null
        || http.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true;

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

    // 1. Before any identity work: a connection that used up its allowance for unknown callers is refused at once,
    //    unless the call carries an identity the hub has already checked (a remembered token, a mapped certificate).
    private static Task GuardConnectionAsync(HttpContext http, RequestDelegate next)
    {
        if (NeedsCaller(http))
        {
            var services = http.RequestServices;
            var unknown = services.GetRequiredService<UnknownCallerLimiter>();
            if (unknown.IsExhausted(http, out var retryAfter) && !services.GetRequiredService<Callers>().IsRecognised(http))
            {
                var refusal = UnknownCallerLimiter.RateLimited(retryAfter);
                services.GetRequiredService<RefusalLog>().Refused(refusal.Reason, CallRefusals.Where(http));
                return services.GetRequiredService<CallRefusals>().WriteAsync(http, refusal);
            }
        }

        return next(http);
    }

    // 4b. A call of the client themselves (SelfService): a rate limit per client, the log scope without a party, the
    //     hub's time limit. No party's CallOrigin: the audit note names the client by pseudonym.
    private static async Task RunCitizenCallAsync(HttpContext http, RequestDelegate next, HubCall call, Citizen citizen, Endpoint endpoint)
    {
        var services = http.RequestServices;
        try
        {
            services.GetRequiredService<PartyRateLimiter>().Take(PartyRateLimiter.CitizenKeyPrefix + citizen.ClientId);
        }
        catch (HubException ex)
        {
            services.GetRequiredService<RefusalLog>().Refused(ex.Reason, CallRefusals.Where(http));
            await services.GetRequiredService<CallRefusals>().WriteAsync(http, ex).ConfigureAwait(false);
            return;
        }

        using var logScope = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(CallPipeline)).BeginScope(new CallLogScope("client", MethodOf(endpoint)));
        var limit = services.GetRequiredService<IOptions<CallLimitOptions>>().Value.MaxCallDuration;
        var aborted = http.RequestAborted;
        using var timer = new CancellationTokenSource(limit, services.GetRequiredService<TimeProvider>());
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(aborted, timer.Token);
        call.Limit(timer, aborted);
        http.RequestAborted = linked.Token;
        try
        {
            await next(http).ConfigureAwait(false);
        }
        finally
        {
            http.RequestAborted = aborted;
        }
    }

    // 4. The call itself, once authorisation found a caller.
    private static async Task RunCallAsync(HttpContext http, RequestDelegate next)
    {
        var endpoint = http.GetEndpoint();
        if (endpoint is null || !NeedsCaller(http))
        {
            await next(http).ConfigureAwait(false);
            return;
        }

        var services = http.RequestServices;
        var refusals = services.GetRequiredService<CallRefusals>();
        var call = http.Features.Get<HubCall>();
        if (call?.Caller is null && call?.Citizen is { } citizen)
        {
            await RunCitizenCallAsync(http, next, call, citizen, endpoint).ConfigureAwait(false);
            return;
        }

        if (call?.Caller is not { } caller)
        {
            // Only an endpoint with a policy of its own gets here without a caller: it is not one of the hub's calls.
            var unknown = call?.Refusal ?? CallIdentity.Unknown("The call must identify its party.");
            services.GetRequiredService<RefusalLog>().Refused(unknown.Reason, CallRefusals.Where(http));
            await refusals.WriteAsync(http, unknown).ConfigureAwait(false);
            return;
        }

        try
        {
            services.GetRequiredService<PartyRateLimiter>().Take(caller.Party.Id);
        }
        catch (HubException ex)
        {
            services.GetRequiredService<RefusalLog>().Refused(ex.Reason, CallRefusals.Where(http));
            await refusals.WriteAsync(http, ex).ConfigureAwait(false);
            return;
        }

        CallOrigin.Current = new CallOrigin(caller, SourceOf(http));

        // Every log line of the call carries the calling party and the method (a route, never ids or client data), so
        // an operator can follow one party's calls; the trace id comes with the request's own scope.
        using var logScope = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(CallPipeline)).BeginScope(new CallLogScope(caller.Party.Id, MethodOf(endpoint)));

        // Streams (delivery streams, reflection) run as long as the caller keeps them open.
        var grpc = endpoint.Metadata.GetMetadata<GrpcMethodMetadata>();
        if (grpc is not null && grpc.Method.Type != MethodType.Unary)
        {
            await next(http).ConfigureAwait(false);
            return;
        }

        // The hub's time limit: the call's cancellation (HttpContext.RequestAborted, which a gRPC service sees as its
        // ServerCallContext.CancellationToken) fires at the limit, and the error is CALL_TIMED_OUT.
        var limit = services.GetRequiredService<IOptions<CallLimitOptions>>().Value.MaxCallDuration;
        var aborted = http.RequestAborted;
        using var timer = new CancellationTokenSource(limit, services.GetRequiredService<TimeProvider>());
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(aborted, timer.Token);
        call.Limit(timer, aborted);
        http.RequestAborted = linked.Token;
        try
        {
            await next(http).ConfigureAwait(false);
        }
        catch (Exception ex) when (grpc is null && !http.Response.HasStarted)
        {
            // An HTTP endpoint's error (a gRPC service's is mapped by ErrorInterceptor, the only place gRPC shows it),
            // written under the request's own cancellation: the time limit's may have fired. Null: the caller went away,
            // and there is no one to answer.
            http.RequestAborted = aborted;
            if (refusals.Map(ex, http, linked.Token) is { } error)
            {
                await refusals.WriteAsync(http, error).ConfigureAwait(false);
            }
        }
        finally
        {
            http.RequestAborted = aborted;
        }
    }
}

/// <summary>Resolves a call's caller once and keeps the answer on the call (<see cref="HubCall"/>).</summary>
public sealed class CallIdentity(Callers callers, UnknownCallerLimiter unknownCallers)
{
    /// <summary>The call's <see cref="HubCall"/>, with its caller or the refusal; resolved on the first use.</summary>
    public HubCall Identify(HttpContext http)
    {
        var call = http.Features.Get<HubCall>();
        if (call is { Caller: not null } or { Refusal: not null })
        {
            return call;
        }

        call ??= new HubCall();
        http.Features.Set(call);
        try
        {
            call.Identified(callers.ResolveActor(http));
        }
        catch (HubException refusal)
        {
            // A connection's unknown callers share an allowance; past it the answer is RATE_LIMITED.
            call.Refused(unknownCallers.TryTake(http, out var retryAfter) ? refusal : UnknownCallerLimiter.RateLimited(retryAfter));
        }

        return call;
    }

    internal static HubException Unknown(string message) => new(ErrorCategory.Unauthenticated, ErrorReasons.CallerUnknown, message);
}

/// <summary>The requirement of the hub's default and fallback policy: the caller resolves to a configured party.</summary>
public sealed class PartyCallerRequirement : IAuthorizationRequirement;

/// <summary>Holds <see cref="PartyCallerRequirement"/> when the call's caller (resolved once, by <see cref="CallIdentity"/>) is a configured party.</summary>
public sealed class PartyCallerHandler(CallIdentity identity) : AuthorizationHandler<PartyCallerRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, PartyCallerRequirement requirement)
    {
        if (context.Resource is HttpContext http && identity.Identify(http) is { Caller: not null })
        {
            context.Succeed(requirement);
        }
        else
        {
            context.Fail(new AuthorizationFailureReason(this, "The call does not prove a configured party."));
        }

        return Task.CompletedTask;
    }
}

/// <summary>
/// Answers a call that authorisation refused with the hub's coded error in the endpoint's format (gRPC status with
/// <c>ErrorInfo</c>, or the inbound endpoint's own), instead of a bare 401 or 403.
/// </summary>
public sealed class RefusingResultHandler(CallRefusals refusals, RefusalLog log) : IAuthorizationMiddlewareResultHandler
{
    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Succeeded)
        {
            return next(context);
        }

        var refusal = context.Features.Get<HubCall>()?.Refusal ?? CallIdentity.Unknown("The call must identify its party.");
        log.Refused(refusal.Reason, CallRefusals.Where(context));
        return refusals.WriteAsync(context, refusal);
    }
}

/// <summary>
/// The allowance of calls that prove no known party, per connection (<see cref="CallLimitOptions.UnknownCallers"/>):
/// an anonymous flood, or a partner with a broken token, is answered RATE_LIMITED once its connection used it up, and
/// then before its token is even checked. Callers with a known party never use it.
/// </summary>
public sealed class UnknownCallerLimiter(IOptions<CallLimitOptions> options, TimeProvider time)
{
    private readonly TokenBuckets _buckets = new(time, _ => options.Value.UnknownCallers);

    /// <summary>Takes one of the connection's permits for an unknown caller.</summary>
    public bool TryTake(HttpContext http, out TimeSpan retryAfter) => _buckets.TryTake(ConnectionOf(http), out retryAfter);

    /// <summary>Whether the connection has no permit left for an unknown caller now.</summary>
    public bool IsExhausted(HttpContext http, out TimeSpan retryAfter) => _buckets.IsEmpty(ConnectionOf(http), out retryAfter);

    public static HubException RateLimited(TimeSpan retryAfter) =>
        PartyRateLimiter.RateLimited(retryAfter, "This connection made more calls without a known party than the hub allows; retry after the delay in RetryInfo.");

    // The connection (Kestrel's id for it); the remote endpoint when the server names no connection.
    private static string ConnectionOf(HttpContext http) =>
        !string.IsNullOrEmpty(http.Connection.Id) ? http.Connection.Id : CallPipeline.SourceOf(http) ?? "-";

}

/// <summary>The logging scope of a call: <c>Party</c> and <c>Method</c>, as structured values and as text.</summary>
internal sealed class CallLogScope(string party, string method) : IReadOnlyList<KeyValuePair<string, object?>>
{
    public int Count => 2;

    public KeyValuePair<string, object?> this[int index] => index switch
    {
        0 => new("Party", party),
        1 => new("Method", method),
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        yield return this[0];
        yield return this[1];
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => $"party {party} method {method}";
}

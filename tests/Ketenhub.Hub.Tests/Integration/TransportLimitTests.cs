using Google.Rpc;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Ketenhub.Contracts;
using Ketenhub.Contracts.V1;
using Ketenhub.Hub.Host.Transport;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Integration;

/// <summary>
/// Limits the transport enforces before a service runs, each answered with a coded error: the request size,
/// the protobuf encoding, each party's call rate, unknown methods.
/// </summary>
public sealed class TransportLimitTests
{
    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(b => b, b => b);

    [Fact]
    public async Task RequestOverTheSizeLimit_IsMessageTooLarge_AndNothingIsStored()
    {
        using var hub = new HubFactory();
        var sdd = hub.As("sdd");
        var huge = new RegisterClientRequest { RequestId = NewRequestId(), Bsn = Kit.NewBsn(), BirthDate = Date(2000, 1, 1), MunicipalityCode = "0505", School = new string('x', Ketenhub.Hub.Host.HubHost.MaxReceiveMessageSize) };

        await Errors.Expect(StatusCode.ResourceExhausted, "MESSAGE_TOO_LARGE", () => sdd.Clients.RegisterClientAsync(huge).ResponseAsync);

        var again = await sdd.Clients.RegisterClientAsync(new RegisterClientRequest { RequestId = NewRequestId(), Bsn = huge.Bsn, BirthDate = huge.BirthDate, MunicipalityCode = "0505" });
        Assert.False(again.AlreadyRegistered);
    }

    [Theory]
    [InlineData(new byte[] { 0x0a, 0x05, 0x61 })] // a length-delimited field cut short
    [InlineData(new byte[] { 0x0f })] // field number 1 with an invalid wire type
    [InlineData(new byte[] { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff })] // a varint that never ends
    public async Task BodyThatIsNotProtobuf_IsMalformedMessage_AndTheHubKeepsServing(byte[] body)
    {
        using var hub = new HubFactory();
        var invoker = RawInvoker(hub, "sdd");
        var method = new Method<byte[], byte[]>(MethodType.Unary, "ketenhub.v1.ClientService", "RegisterClient", Bytes, Bytes);

        await Errors.Expect(StatusCode.InvalidArgument, "MALFORMED_MESSAGE", () => invoker.AsyncUnaryCall(method, null, default, body).ResponseAsync);

        await hub.As("sdd").RegisterAsync(Kit.NewBsn(), Date(2000, 1, 1), "0505");
    }

    [Fact]
    public async Task UnknownMethod_IsMethodNotFound()
    {
        using var hub = new HubFactory();
        var method = new Method<byte[], byte[]>(MethodType.Unary, "ketenhub.v1.ClientService", "DeleteEverything", Bytes, Bytes);
        await Errors.Expect(StatusCode.Unimplemented, "METHOD_NOT_FOUND", () => RawInvoker(hub, "sdd").AsyncUnaryCall(method, null, default, []).ResponseAsync);
    }

    [Fact]
    public async Task PartyOverItsRate_GetsResourceExhaustedWithRetryInfo_OtherPartiesAreServed()
    {
        using var hub = new HubFactory();
        hub.With("Hub:Limits:Parties:sdd:PermitsPerSecond", "0.01")
            .With("Hub:Limits:Parties:sdd:Burst", "3");
        var sdd = hub.As("sdd");
        for (var i = 0; i < 3; i++)
        {
            await sdd.Parties.ListPartiesAsync(new ListPartiesRequest());
        }

        var error = await Assert.ThrowsAsync<RpcException>(() => sdd.Parties.ListPartiesAsync(new ListPartiesRequest()).ResponseAsync);
        var status = error.GetRpcStatus()!;
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Equal("RATE_LIMITED", status.GetDetail<ErrorInfo>()!.Reason);
        var retry = status.GetDetail<RetryInfo>()!.RetryDelay.ToTimeSpan();
        Assert.InRange(retry, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(101));

        // A refused write stores nothing, and another party is not slowed by SDD's limit.
        await Errors.Expect(StatusCode.ResourceExhausted, "RATE_LIMITED", () => sdd.Clients.RegisterClientAsync(new RegisterClientRequest { RequestId = NewRequestId(), Bsn = Kit.NewBsn(), BirthDate = Date(2000, 1, 1), MunicipalityCode = "0505" }).ResponseAsync);
        for (var i = 0; i < 10; i++)
        {
            await hub.As("waakvlam-zorg").Parties.ListPartiesAsync(new ListPartiesRequest());
        }
    }

    [Fact]
    public async Task TenThousandCallsInTenSeconds_FromOneParty_WithTheDefaultLimits_AreLimited_AndOtherPartiesAreServed()
    {
        using var hub = new HubFactory();
        var options = hub.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<CallLimitOptions>>().Value;
        var sdd = hub.As("sdd");
        var others = new[] { hub.As("waakvlam-zorg"), hub.As("hans-petrischool") };

        // 100 rounds of 100 calls at once, the hub's clock 100 ms further each round: 10,000 calls in 10 seconds.
        var wall = System.Diagnostics.Stopwatch.StartNew();
        var served = 0;
        var refused = new List<(StatusCode Code, string? Reason, TimeSpan? Retry)>();
        for (var round = 0; round < 100; round++)
        {
            var calls = Enumerable.Range(0, 100).Select(_ => Outcome(sdd.Parties.ListPartiesAsync(new ListPartiesRequest()).ResponseAsync)).ToList();
            var other = others[round % 2].Parties.ListPartiesAsync(new ListPartiesRequest()).ResponseAsync;
            foreach (var outcome in await Task.WhenAll(calls))
            {
                if (outcome is null)
                {
                    served++;
                }
                else
                {
                    refused.Add(outcome.Value);
                }
            }

            // Another party is served in every round, however far over its limit SDD is.
            Assert.NotEmpty((await other).Parties);
            hub.Clock.Advance(TimeSpan.FromMilliseconds(100));
        }

        // The burst, then the rate for the 9.9 seconds the clock moved while SDD called.
        var allowed = options.Burst + (int)(options.PermitsPerSecond * 9.9);
        Assert.InRange(served, allowed - 5, allowed + 5);
        Assert.Equal(10_000 - served, refused.Count);
        Assert.All(refused, r =>
        {
            Assert.Equal((StatusCode.ResourceExhausted, "RATE_LIMITED"), (r.Code, r.Reason));
            Assert.NotNull(r.Retry);
            Assert.InRange(r.Retry!.Value, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(1 / options.PermitsPerSecond));
        });
        Assert.True(wall.Elapsed < TimeSpan.FromMinutes(2), $"10,000 calls took {wall.Elapsed}.");
    }

    [Fact]
    public async Task UnknownCallersOnAConnection_AreLimited_BeforeTheirTokensAreChecked_WhileKnownCallersAreServed()
    {
        var tokensChecked = 0;
        using var hub = new HubFactory();
        hub.WithServices(services => services.PostConfigure<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme, jwt =>
        {
            var inner = jwt.Events.OnMessageReceived;
            jwt.Events.OnMessageReceived = context =>
            {
                Interlocked.Increment(ref tokensChecked);
                return inner(context);
            };
        }));
        var allowance = hub.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<CallLimitOptions>>().Value.UnknownCallers.Burst;
        var sdd = hub.As("sdd");
        await sdd.Parties.ListPartiesAsync(new ListPartiesRequest());
        using var otherKey = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var forged = hub.WithMetadata("sdd", new Metadata { { "authorization", "Bearer " + hub.Token("sdd", key: otherKey) } });

        // The test server has no connections to tell apart: its calls share one connection's allowance.
        var outcomes = new List<(StatusCode Code, string? Reason, TimeSpan? Retry)>();
        for (var i = 0; i < 100; i++)
        {
            outcomes.Add((await Outcome(forged.Parties.ListPartiesAsync(new ListPartiesRequest()).ResponseAsync))!.Value);
        }

        Assert.All(outcomes.Take(allowance), o => Assert.Equal((StatusCode.Unauthenticated, "TOKEN_INVALID"), (o.Code, o.Reason)));
        Assert.All(outcomes.Skip(allowance), o =>
        {
            Assert.Equal((StatusCode.ResourceExhausted, "RATE_LIMITED"), (o.Code, o.Reason));
            Assert.NotNull(o.Retry);
        });

        // Past the allowance the forged tokens were not even looked at; a caller without any identity is refused alike.
        Assert.Equal(1 + allowance, tokensChecked);
        await Errors.Expect(StatusCode.ResourceExhausted, "RATE_LIMITED", () => hub.WithMetadata("sdd", []).Parties.ListPartiesAsync(new ListPartiesRequest()).ResponseAsync);

        // A caller whose identity the hub knows is served on the same connection, and the health check answers.
        Assert.NotEmpty((await sdd.Parties.ListPartiesAsync(new ListPartiesRequest())).Parties);
        var health = new Grpc.Health.V1.Health.HealthClient(hub.AnonymousChannel());
        Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest())).Status);

        // After the delay RetryInfo named, the connection may try again.
        hub.Clock.Advance(outcomes[^1].Retry!.Value);
        await Errors.Expect(StatusCode.Unauthenticated, "TOKEN_INVALID", () => forged.Parties.ListPartiesAsync(new ListPartiesRequest()).ResponseAsync);
    }

    // Null for OK, else the code, reason and retry delay of the error.
    private static async Task<(StatusCode Code, string? Reason, TimeSpan? Retry)?> Outcome(Task call)
    {
        try
        {
            await call;
            return null;
        }
        catch (RpcException ex)
        {
            var status = ex.GetRpcStatus();
            return (ex.StatusCode, status?.GetDetail<ErrorInfo>()?.Reason, status?.GetDetail<RetryInfo>()?.RetryDelay.ToTimeSpan());
        }
    }

    private static CallInvoker RawInvoker(HubFactory hub, string party)
    {
        var channel = Grpc.Net.Client.GrpcChannel.ForAddress(hub.Server.BaseAddress, new Grpc.Net.Client.GrpcChannelOptions { HttpHandler = hub.Server.CreateHandler() });
        return channel.Intercept(metadata =>
        {
            metadata.Add(DevelopmentHeaders.Party, party);
            return metadata;
        });
    }
}

using System.Security.Cryptography;
using Google.Protobuf.Reflection;
using Google.Rpc;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;
using Ketenhub.Contracts;
using Ketenhub.Contracts.V1;
using Ketenhub.Testing;
using Xunit.Abstractions;
using static Ketenhub.Testing.HubProcessClient;

namespace Ketenhub.ProcessTests;

/// <summary>One hub process shared by the tests of <see cref="RealServerTests"/> that only read.</summary>
public sealed class RunningHub : IAsyncLifetime
{
    public HubProcess Hub { get; } = new();

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await Hub.StartAsync(timeout.Token);
    }

    public Task DisposeAsync()
    {
        Hub.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>The hub as a real process over a real socket: health, reflection, caller identity, start-up refusals.</summary>
public sealed class RealServerTests(RunningHub running, ITestOutputHelper output) : IClassFixture<RunningHub>
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(45);

    private static readonly string[] KetenhubServices =
    [
        "ketenhub.v1.PartyService",
        "ketenhub.v1.ClientService",
        "ketenhub.v1.ConsentService",
        "ketenhub.v1.ReferralService",
        "ketenhub.v1.TransitionService",
        "ketenhub.v1.SignalService",
        "ketenhub.v1.DeliveryService",
        "ketenhub.v1.ExplainService",
    ];

    [Fact]
    public async Task Health_ReportsServing()
    {
        var health = new Health.HealthClient(running.Hub.Channel());

        var reply = await health.CheckAsync(new HealthCheckRequest(), deadline: Deadline());

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
        Assert.True(running.Hub.IsRunning);
    }

    [Fact]
    public async Task Reflection_ListsKetenhubServices_AndServesTheirDescriptors()
    {
        var reflection = new ServerReflection.ServerReflectionClient(running.Hub.Channel());
        using var call = reflection.ServerReflectionInfo(deadline: Deadline());

        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = string.Empty });
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var listed = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();

        await call.RequestStream.WriteAsync(new ServerReflectionRequest { FileContainingSymbol = "ketenhub.v1.SignalService" });
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var files = call.ResponseStream.Current.FileDescriptorResponse.FileDescriptorProto
            .Select(bytes => FileDescriptorProto.Parser.ParseFrom(bytes))
            .ToList();
        await call.RequestStream.CompleteAsync();

        output.WriteLine("listed: " + string.Join(", ", listed));
        foreach (var service in KetenhubServices)
        {
            Assert.Contains(service, listed);
        }

        Assert.Contains("grpc.health.v1.Health", listed);
        Assert.All(listed.Where(s => s.StartsWith("ketenhub.", StringComparison.Ordinal)), s => Assert.StartsWith("ketenhub.v1.", s, StringComparison.Ordinal));
        var signalFile = Assert.Single(files, f => f.Name == "ketenhub/v1/signal.proto");
        Assert.Equal("ketenhub.v1", signalFile.Package);
        Assert.Contains(signalFile.Service, s => s.Name == "SignalService" && s.Method.Any(m => m.Name == "CreateSignal"));
    }

    [Theory]
    [InlineData("no-such-party")]
    [InlineData(null)]
    public async Task UnknownCaller_IsUnauthenticated_WithReasonCallerUnknown(string? party)
    {
        var headers = new Metadata();
        if (party is not null)
        {
            headers.Add(DevelopmentHeaders.Party, party);
        }

        var channel = running.Hub.Channel();
        var parties = new PartyService.PartyServiceClient(channel);
        var deliveries = new DeliveryService.DeliveryServiceClient(channel);

        // A unary call and a server-streaming call: both paths through the error interceptor.
        var unary = await Assert.ThrowsAsync<RpcException>(async () => await parties.ListPartiesAsync(new ListPartiesRequest(), headers, Deadline()));
        var streaming = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = deliveries.StreamDeliveries(new StreamDeliveriesRequest(), headers, Deadline());
            await call.ResponseStream.MoveNext(CancellationToken.None);
        });

        foreach (var error in new[] { unary, streaming })
        {
            Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
            var status = error.GetRpcStatus();
            Assert.NotNull(status);
            Assert.Equal((int)Code.Unauthenticated, status!.Code);
            var info = status.GetDetail<ErrorInfo>();
            Assert.NotNull(info);
            Assert.Equal("CALLER_UNKNOWN", info!.Reason);
            Assert.Equal("ketenhub.nl", info.Domain);
        }

        // A known party on the same socket is served.
        var known = new Metadata { { DevelopmentHeaders.Party, "sdd" } };
        var listed = await parties.ListPartiesAsync(new ListPartiesRequest(), known, Deadline());
        Assert.Contains(listed.Parties, p => p.Name == "parties/sdd");
    }

    [Fact]
    public async Task BrokenRoutingFile_HubRefusesToStart_NamingFileRuleAndField()
    {
        var routingFile = Path.Combine(Path.GetTempPath(), $"ketenhub-broken-routing-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(routingFile, """
            {
              "rules": [
                {
                  "id": "signal-to-ghost",
                  "description": "Sends every signal to a party that does not exist.",
                  "match": { "messageTypes": ["SIGNAL"] },
                  "targets": [
                    { "target": "PARTY", "party": "ghost-party", "purpose": "SIGNAL_FOLLOW_UP" }
                  ]
                }
              ]
            }
            """);
        try
        {
            using var hub = new HubProcess(settings: new Dictionary<string, string?> { ["Hub:RoutingFile"] = routingFile });
            hub.Start();

            var exitCode = await hub.WaitForExitAsync(ExitTimeout);

            output.WriteLine(hub.Output);
            Assert.NotEqual(0, exitCode);
            Assert.Contains(routingFile, hub.Output, StringComparison.Ordinal);
            Assert.Contains("signal-to-ghost", hub.Output, StringComparison.Ordinal);
            Assert.Contains("ghost-party", hub.Output, StringComparison.Ordinal);
            Assert.Contains("'targets[0].party'", hub.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("Now listening on", hub.Output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(routingFile);
        }
    }

    [Fact]
    public async Task OutsideDevelopment_WithoutBsnLookupKey_HubRefusesToStart()
    {
        using var tokens = new TestTokens();
        using (var hub = new HubProcess(environment: "Production", settings: tokens.HubSettings))
        {
            hub.Start();

            var exitCode = await hub.WaitForExitAsync(ExitTimeout);

            output.WriteLine(hub.Output);
            Assert.NotEqual(0, exitCode);
            Assert.Contains("Hub:BsnLookupKey", hub.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("Now listening on", hub.Output, StringComparison.Ordinal);
        }

        // The same start with the keys serves: the keys, not the environment, were missing.
        var keys = new Dictionary<string, string?>(tokens.HubSettings)
        {
            ["Hub:BsnLookupKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Hub:PseudonymKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Hub:BsnEncryption:ActiveKeyId"] = "prod-1",
            ["Hub:BsnEncryption:Keys:prod-1"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        };
        using (var hub = new HubProcess(environment: "Production", settings: keys))
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await hub.StartAsync(timeout.Token);
            Assert.True(hub.IsRunning);
        }
    }
}

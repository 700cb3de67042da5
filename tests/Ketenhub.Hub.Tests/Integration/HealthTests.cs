using Grpc.Health.V1;
using Grpc.Net.Client;
using Ketenhub.Hub.Storage;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Ketenhub.HubTests.Integration;

/// <summary>grpc.health.v1 reports the store's state.</summary>
public sealed class HealthTests
{
    [Fact]
    public async Task Health_WithWorkingStore_IsServing()
    {
        using var hub = new HubFactory();
        var reply = await Check(hub);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
    }

    [Fact]
    public async Task Health_WhenStoreFails_IsNotServing()
    {
        using var hub = new HubFactory();
        hub.WithServices(services =>
        {
            services.RemoveAll<IHubStore>();
            services.AddSingleton<IHubStore, BrokenStore>();
        });
        var reply = await Check(hub);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, reply.Status);
    }

    private static async Task<HealthCheckResponse> Check(HubFactory hub)
    {
        using var channel = GrpcChannel.ForAddress(hub.Server.BaseAddress, new GrpcChannelOptions { HttpHandler = hub.Server.CreateHandler() });
        return await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest());
    }

    private sealed class BrokenStore : IHubStore
    {
        public Task<T> WriteAsync<T>(Func<IHubSession, T> work, CancellationToken cancellationToken = default) => throw new IOException("disk gone");

        public Task<T> ReadAsync<T>(Func<IHubSession, T> work, CancellationToken cancellationToken = default) => throw new IOException("disk gone");

        public Task<DocumentResealing> ResealDocumentsAsync(CancellationToken cancellationToken = default) => throw new IOException("disk gone");
    }
}

using Ketenhub.Hub.Storage.Postgres;

namespace Ketenhub.Hub.Host.Delivery;

/// <summary>
/// Starts the PostgreSQL wake-up relay with the host (registered only for <c>Storage:Provider = Postgres</c>); the
/// container disposes it at shutdown.
/// </summary>
public sealed class DeliveryWakeupRelayService(PostgresDeliveryWakeupRelay relay) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        relay.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Ketenhub.Client.Consumer;

/// <summary>Runs a <see cref="KetenhubDeliveryConsumer"/> for the host's lifetime.</summary>
internal sealed class DeliveryConsumerService(KetenhubDeliveryConsumer consumer) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => consumer.RunAsync(stoppingToken);
}

/// <summary>Resolves the handler in a new scope per delivery.</summary>
internal sealed class ScopedDeliveryHandler<THandler>(IServiceScopeFactory scopes) : IKetenhubDeliveryHandler
    where THandler : class, IKetenhubDeliveryHandler
{
    public async Task HandleAsync(Contracts.V1.Delivery delivery, CancellationToken cancellationToken)
    {
        var scope = scopes.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            await scope.ServiceProvider.GetRequiredService<THandler>().HandleAsync(delivery, cancellationToken).ConfigureAwait(false);
        }
    }
}

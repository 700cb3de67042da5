using Ketenhub.Contracts.V1;

namespace Ketenhub.Client;

/// <summary>
/// Your code that processes one delivery for <see cref="KetenhubDeliveryConsumer"/>. Return normally once the
/// delivery is stored or processed: the consumer then acknowledges it. Throw to have it come again.
/// </summary>
/// <remarks>
/// Delivery is at least once: after a crash or a lost acknowledgement the same delivery (same
/// <c>name</c>) can come again, so make handling idempotent on <see cref="Delivery.Name"/>.
/// </remarks>
public interface IKetenhubDeliveryHandler
{
    /// <summary>Processes one delivery.</summary>
    /// <param name="delivery">The delivery with its payload (referral, transition, signal, thin notice, coach task or referral update).</param>
    /// <param name="cancellationToken">Signals that the consumer is stopping.</param>
    /// <returns>A task that completes when the delivery is processed.</returns>
    Task HandleAsync(Delivery delivery, CancellationToken cancellationToken);
}

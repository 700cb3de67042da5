using Ketenhub.Contracts.V1;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Host.Transport;
using Ketenhub.Hub.Parties;
using Party = Ketenhub.Hub.Parties.Party;

namespace Ketenhub.Hub.Host.Delivery;

/// <summary>
/// A recipient's answer to a delivery (acknowledge, reject) executed for a known caller. Shared by the gRPC service
/// and the partner adapters' inbound endpoints (an iWmo retour acknowledges or rejects the hub's message).
/// </summary>
public sealed class DeliveryCommands(DeliveryQueue queue)
{
    public async Task<AcknowledgeDeliveryResponse> AcknowledgeAsync(Party caller, AcknowledgeDeliveryRequest request, CancellationToken cancellationToken)
    {
        var key = Wire.Key(request.RequestId, request);
        var status = await queue.AcknowledgeAsync(caller, request.Name, key, cancellationToken).ConfigureAwait(false);
        return new AcknowledgeDeliveryResponse { Status = Wire.From<Contracts.V1.DeliveryStatus>(status) };
    }

    public async Task<RejectDeliveryResponse> RejectAsync(Party caller, RejectDeliveryRequest request, CancellationToken cancellationToken)
    {
        var key = Wire.Key(request.RequestId, request);
        var (status, attempts) = await queue.RejectAsync(caller, request.Name, request.ReasonCode, key, cancellationToken).ConfigureAwait(false);
        return new RejectDeliveryResponse { Status = Wire.From<Contracts.V1.DeliveryStatus>(status), AttemptCount = attempts };
    }
}

using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Host.Transport;
using Microsoft.Extensions.Options;

namespace Ketenhub.Hub.Host.Delivery;

/// <summary>Streams deliveries to their recipient and takes acknowledgements.</summary>
public sealed class DeliveryGrpcService(DeliveryQueue queue, Callers callers, IOptions<HubOptions> options) : DeliveryService.DeliveryServiceBase
{
    public override async Task StreamDeliveries(StreamDeliveriesRequest request, IServerStreamWriter<StreamDeliveriesResponse> responseStream, ServerCallContext context)
    {
        var caller = callers.Resolve(context);
        var cursor = Math.Max(0, request.AfterSequence);
        var batch = options.Value.StreamBatchSize;
        var cancellationToken = context.CancellationToken;
        while (!cancellationToken.IsCancellationRequested)
        {
            // Take the wake-up before reading, so a commit between the read and the wait is not missed.
            var wake = queue.WaitForNewAsync(caller, cancellationToken);
            var claimed = await queue.ClaimAsync(caller, cursor, batch, cancellationToken);
            foreach (var outbound in claimed)
            {
                await responseStream.WriteAsync(new StreamDeliveriesResponse { Delivery = ContractMapping.ToContract(outbound.Delivery, outbound.Payload, outbound.Coach) }, cancellationToken);
                cursor = outbound.Delivery.Sequence;
            }

            if (claimed.Count < batch)
            {
                try
                {
                    await wake;
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    public override async Task<AcknowledgeDeliveryResponse> AcknowledgeDelivery(AcknowledgeDeliveryRequest request, ServerCallContext context)
    {
        var caller = callers.Resolve(context);
        var key = Wire.Key(request.RequestId, request);
        var status = await queue.AcknowledgeAsync(caller, request.Name, key, context.CancellationToken);
        return new AcknowledgeDeliveryResponse { Status = Wire.From<Contracts.V1.DeliveryStatus>(status) };
    }

    public override async Task<RejectDeliveryResponse> RejectDelivery(RejectDeliveryRequest request, ServerCallContext context)
    {
        var caller = callers.Resolve(context);
        var key = Wire.Key(request.RequestId, request);
        var (status, attempts) = await queue.RejectAsync(caller, request.Name, request.ReasonCode, key, context.CancellationToken);
        return new RejectDeliveryResponse { Status = Wire.From<Contracts.V1.DeliveryStatus>(status), AttemptCount = attempts };
    }

    public override async Task<ListDeliveriesResponse> ListDeliveries(ListDeliveriesRequest request, ServerCallContext context)
    {
        var caller = callers.Resolve(context);
        var status = Wire.To<Hub.Common.DeliveryStatus>(request.Status);
        var page = await queue.ListAsync(caller, status == Hub.Common.DeliveryStatus.Unspecified ? null : status, request.Client, request.PageSize, PageTokens.DecodeLong(request.PageToken), context.CancellationToken);
        var response = new ListDeliveriesResponse { NextPageToken = page.NextAfterSequence is { } next ? PageTokens.Encode(next) : string.Empty };
        response.Deliveries.Add(page.Deliveries.Select(d => ContractMapping.ToContract(d, null, null)));
        return response;
    }

    public override async Task<ReplayDeliveryResponse> ReplayDelivery(ReplayDeliveryRequest request, ServerCallContext context)
    {
        var caller = callers.Resolve(context);
        var key = Wire.Key(request.RequestId, request);
        var status = await queue.ReplayAsync(caller, request.Name, key, context.CancellationToken);
        return new ReplayDeliveryResponse { Status = Wire.From<Contracts.V1.DeliveryStatus>(status) };
    }
}

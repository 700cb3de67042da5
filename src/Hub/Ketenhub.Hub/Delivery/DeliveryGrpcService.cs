using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Host.Transport;
using Ketenhub.Hub.Parties;

namespace Ketenhub.Hub.Host.Delivery;

/// <summary>Streams deliveries to their recipient and takes acknowledgements.</summary>
public sealed class DeliveryGrpcService(DeliveryQueue queue, DeliveryStreaming streaming, DeliveryCommands commands, PartyDirectory parties, PageTokens pageTokens) : DeliveryService.DeliveryServiceBase
{
    public override async Task StreamDeliveries(StreamDeliveriesRequest request, IServerStreamWriter<StreamDeliveriesResponse> responseStream, ServerCallContext context)
    {
        var caller = context.Party();
        var settings = streaming.Settings(
            request.AckDeadline?.ToTimeSpan(),
            request.MaxOutstanding,
            Wire.To<StreamSharing>(request.DeliveryMode),
            request.HeartbeatInterval?.ToTimeSpan());
        var cancellationToken = context.CancellationToken;
        try
        {
            await foreach (var item in streaming.StreamAsync(caller, settings, cancellationToken))
            {
                await responseStream.WriteAsync(ContractMapping.ToContract(item), cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The recipient closed the stream.
        }
    }

    public override Task<AcknowledgeDeliveryResponse> AcknowledgeDelivery(AcknowledgeDeliveryRequest request, ServerCallContext context) =>
        commands.AcknowledgeAsync(context.Party(), request, context.CancellationToken);

    public override Task<RejectDeliveryResponse> RejectDelivery(RejectDeliveryRequest request, ServerCallContext context) =>
        commands.RejectAsync(context.Party(), request, context.CancellationToken);

    public override async Task<ListDeliveriesResponse> ListDeliveries(ListDeliveriesRequest request, ServerCallContext context)
    {
        var caller = context.Actor();
        var recipient = string.IsNullOrEmpty(request.Recipient) ? caller.Party : parties.Require(request.Recipient, "recipient");
        if (recipient.Id != caller.Party.Id)
        {
            context.RequireAdmin("Listing another party's deliveries");
        }

        var status = Wire.To<Hub.Common.DeliveryStatus>(request.Status);
        var page = await queue.ListAsync(caller.Party, recipient, status == Hub.Common.DeliveryStatus.Unspecified ? null : status, request.Client, request.PageSize, pageTokens.Decode("ListDeliveries", caller.Party.Id, request.PageToken), context.CancellationToken);
        var response = new ListDeliveriesResponse { NextPageToken = page.NextAfterSequence is { } next ? pageTokens.Encode("ListDeliveries", caller.Party.Id, next) : string.Empty };
        response.Deliveries.Add(page.Deliveries.Select(d => ContractMapping.ToContract(d, null, null)));
        return response;
    }

    public override async Task<GetDeliveryResponse> GetDelivery(GetDeliveryRequest request, ServerCallContext context)
    {
        var delivery = await queue.GetAsync(context.Party(), request.Name, context.CancellationToken);
        return new GetDeliveryResponse { Delivery = ContractMapping.ToContract(delivery, null, null) };
    }

    public override async Task<ReplayDeliveryResponse> ReplayDelivery(ReplayDeliveryRequest request, ServerCallContext context)
    {
        var caller = context.Actor();
        var key = Wire.Key(request.RequestId, request);
        var status = await queue.ReplayAsync(caller.Party, caller.HasRole(ActorRoles.Admin), request.Name, key, context.CancellationToken);
        return new ReplayDeliveryResponse { Status = Wire.From<Contracts.V1.DeliveryStatus>(status) };
    }
}

using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Host.Transport;
using Ketenhub.Hub.Parties;
using Microsoft.Extensions.Options;

namespace Ketenhub.Hub.Host.Delivery;

/// <summary>Streams deliveries to their recipient and takes acknowledgements.</summary>
public sealed class DeliveryGrpcService(DeliveryQueue queue, DeliveryCommands commands, PartyDirectory parties, IOptions<HubOptions> options, PageTokens pageTokens) : DeliveryService.DeliveryServiceBase
{
    private const int MaxRemembered = 100_000;

    public override async Task StreamDeliveries(StreamDeliveriesRequest request, IServerStreamWriter<StreamDeliveriesResponse> responseStream, ServerCallContext context)
    {
        var caller = context.Party();
        var start = Math.Max(0, request.AfterSequence);
        var cursor = start;
        var batch = options.Value.StreamBatchSize;
        var cancellationToken = context.CancellationToken;

        // Deliveries sent on this connection and not yet acknowledged stay pending; when the stream looks back
        // for released ones it skips these, so one connection does not send a delivery twice.
        var sent = new HashSet<string>(StringComparer.Ordinal);
        var seenRelease = queue.ReleaseVersion(caller);
        var lookBack = false;

        // While it is open, submits claim new deliveries for this stream in their own write (see Dispatcher).
        using var registration = queue.OpenStream(caller);
        while (!cancellationToken.IsCancellationRequested)
        {
            // Take the wake-up before reading, so a commit between the read and the wait is not missed.
            var wake = queue.WaitForNewAsync(caller, cancellationToken);
            var release = queue.ReleaseVersion(caller);
            lookBack |= release != seenRelease;
            seenRelease = release;
            var claimed = lookBack
                ? await queue.ClaimAsync(caller, start, batch, sent, registration.Token, cancellationToken)
                : await queue.ClaimAsync(caller, cursor, batch, null, registration.Token, cancellationToken);
            foreach (var outbound in claimed)
            {
                await responseStream.WriteAsync(new StreamDeliveriesResponse { Delivery = ContractMapping.ToContract(outbound.Delivery, outbound.Payload, outbound.Coach, outbound.Client) }, cancellationToken);
                cursor = Math.Max(cursor, outbound.Delivery.Sequence);
                if (sent.Count >= MaxRemembered)
                {
                    // Forgetting only risks a redelivery with the same name, which recipients must accept anyway.
                    sent.Clear();
                }

                sent.Add(outbound.Delivery.Id);
            }

            if (claimed.Count == batch)
            {
                continue;
            }

            lookBack = false;
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

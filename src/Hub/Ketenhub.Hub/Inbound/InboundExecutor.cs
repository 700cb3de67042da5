using Google.Protobuf;
using Ketenhub.Contracts.V1;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Host.Clients;
using Ketenhub.Hub.Host.Delivery;
using Ketenhub.Hub.Host.Messages;
using Ketenhub.Hub.Host.Transport;
using Ketenhub.Hub.Parties;
using Party = Ketenhub.Hub.Parties.Party;

namespace Ketenhub.Hub.Host.Inbound;

/// <summary>
/// Executes the contract requests an adapter translated a partner's message into, as the partner, through the same
/// command classes the gRPC services use. Only the requests a partner may send through an adapter are taken. As on
/// gRPC, the partner's own client names become the hub's on the way in and the hub's become the partner's on the way
/// out (<see cref="ClientNameRewriter"/>).
/// </summary>
public sealed class InboundExecutor(ReferralCommands referrals, DeliveryCommands deliveries, ClientNameRewriter clientNames, Ketenhub.Hub.Clients.ClientRegistry registry, Ketenhub.Hub.Clients.BsnHasher hasher)
{
    public async Task<IMessage> ExecuteAsync(Party caller, IMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        clientNames.Inbound(request, caller.Id);
        var response = await RunAsync(caller, request, cancellationToken).ConfigureAwait(false);
        clientNames.Outbound(response, caller.Id);
        return response;
    }

    private async Task<IMessage> RunAsync(Party caller, IMessage request, CancellationToken cancellationToken) => request switch
    {
        CreateReferralRequest r => await referrals.CreateAsync(caller, r, cancellationToken).ConfigureAwait(false),
        RegisterClientRequest r => await ClientGrpcService.RegisterAsync(registry, hasher, caller, r, cancellationToken).ConfigureAwait(false),
        AcceptReferralRequest r => await referrals.AcceptAsync(caller, r, cancellationToken).ConfigureAwait(false),
        DeclineReferralRequest r => await referrals.DeclineAsync(caller, r, cancellationToken).ConfigureAwait(false),
        StartReferralRequest r => await referrals.StartAsync(caller, r, cancellationToken).ConfigureAwait(false),
        EndReferralRequest r => await referrals.EndAsync(caller, r, cancellationToken).ConfigureAwait(false),
        AcknowledgeDeliveryRequest r => await deliveries.AcknowledgeAsync(caller, r, cancellationToken).ConfigureAwait(false),
        RejectDeliveryRequest r => await deliveries.RejectAsync(caller, r, cancellationToken).ConfigureAwait(false),

        // An adapter asked for something the inbound endpoints do not execute: the hub's fault, not the partner's.
        _ => throw new InvalidOperationException("The adapter produced a request the inbound endpoints do not execute: " + request.Descriptor.Name),
    };
}

using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.Hub.Host.Transport;
using Ketenhub.Hub.Messages;

namespace Ketenhub.Hub.Host.Messages;

/// <summary>Announces transitions.</summary>
public sealed class TransitionGrpcService(Messaging messaging, MessageReader reader, MessageLists lists) : TransitionService.TransitionServiceBase
{
    public override Task<ListTransitionsResponse> ListTransitions(ListTransitionsRequest request, ServerCallContext context) =>
        lists.ListTransitionsAsync(request, context);

    public override async Task<CreateTransitionResponse> CreateTransition(CreateTransitionRequest request, ServerCallContext context)
    {
        var caller = context.Party();
        var key = Wire.Key(request.RequestId, request);
        var result = await messaging.CreateTransitionAsync(caller, ContractMapping.ToDraft(request.Transition), key, context.CancellationToken);
        var response = new CreateTransitionResponse { Transition = ContractMapping.ToContract(result.Transition) };
        response.Decisions.Add(result.Decisions.Select(ContractMapping.ToContract));
        response.ReferralDecisions.Add(result.Referrals.Select(r => new ReferralDecisions
        {
            Referral = r.Referral.Name,
            Decisions = { r.Decisions.Select(ContractMapping.ToContract) },
            Findings = { r.Findings.Select(ContractMapping.ToContract) },
        }));
        return response;
    }

    public override async Task<GetTransitionResponse> GetTransition(GetTransitionRequest request, ServerCallContext context)
    {
        var transition = await reader.GetTransitionAsync(context.Party(), request.Name, context.CancellationToken);
        return new GetTransitionResponse { Transition = ContractMapping.ToContract(transition) };
    }
}

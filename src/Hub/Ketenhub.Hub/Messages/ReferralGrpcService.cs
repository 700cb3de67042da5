using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.Hub.Host.Transport;
using Ketenhub.Hub.Journeys;
using Ketenhub.Hub.Messages;

namespace Ketenhub.Hub.Host.Messages;

/// <summary>Creates referrals and moves performers through the lifecycle.</summary>
public sealed class ReferralGrpcService(ReferralCommands commands, MessageReader reader, ClientPlans plans, MessageLists lists) : ReferralService.ReferralServiceBase
{
    public override Task<ListReferralsResponse> ListReferrals(ListReferralsRequest request, ServerCallContext context) =>
        lists.ListReferralsAsync(request, context);

    public override async Task<GetClientPlanResponse> GetClientPlan(GetClientPlanRequest request, ServerCallContext context)
    {
        var plan = await plans.GetAsync(context.Party(), request.Client, context.CancellationToken);
        return new GetClientPlanResponse { Plan = ContractMapping.ToContract(plan, context.Party().Id) };
    }

    public override Task<CreateReferralResponse> CreateReferral(CreateReferralRequest request, ServerCallContext context) =>
        commands.CreateAsync(context.Party(), request, context.CancellationToken);

    public override async Task<GetReferralResponse> GetReferral(GetReferralRequest request, ServerCallContext context)
    {
        var referral = await reader.GetReferralAsync(context.Party(), request.Name, context.CancellationToken);
        return new GetReferralResponse { Referral = ContractMapping.ToContract(referral, context.Party().Id) };
    }

    public override Task<AcceptReferralResponse> AcceptReferral(AcceptReferralRequest request, ServerCallContext context) =>
        commands.AcceptAsync(context.Party(), request, context.CancellationToken);

    public override Task<DeclineReferralResponse> DeclineReferral(DeclineReferralRequest request, ServerCallContext context) =>
        commands.DeclineAsync(context.Party(), request, context.CancellationToken);

    public override Task<StartReferralResponse> StartReferral(StartReferralRequest request, ServerCallContext context) =>
        commands.StartAsync(context.Party(), request, context.CancellationToken);

    public override Task<EndReferralResponse> EndReferral(EndReferralRequest request, ServerCallContext context) =>
        commands.EndAsync(context.Party(), request, context.CancellationToken);
}

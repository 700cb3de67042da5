using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Host.Transport;
using Ketenhub.Hub.Messages;

namespace Ketenhub.Hub.Host.Messages;

/// <summary>Creates referrals and moves performers through the lifecycle.</summary>
public sealed class ReferralGrpcService(Messaging messaging, MessageReader reader, Callers callers) : ReferralService.ReferralServiceBase
{
    public override async Task<CreateReferralResponse> CreateReferral(CreateReferralRequest request, ServerCallContext context)
    {
        var caller = callers.Resolve(context);
        var key = Wire.Key(request.RequestId, request);
        var result = await messaging.CreateReferralAsync(caller, ContractMapping.ToDraft(request.Referral), key, context.CancellationToken);
        var response = new CreateReferralResponse { Referral = ContractMapping.ToContract(result.Referral) };
        response.Decisions.Add(result.Decisions.Select(ContractMapping.ToContract));
        return response;
    }

    public override async Task<GetReferralResponse> GetReferral(GetReferralRequest request, ServerCallContext context)
    {
        var referral = await reader.GetReferralAsync(callers.Resolve(context), request.Name, context.CancellationToken);
        return new GetReferralResponse { Referral = ContractMapping.ToContract(referral) };
    }

    public override async Task<AcceptReferralResponse> AcceptReferral(AcceptReferralRequest request, ServerCallContext context) =>
        new() { Referral = await Step(request.RequestId, request, request.Name, ReferralStep.Accept, null, null, context) };

    public override async Task<DeclineReferralResponse> DeclineReferral(DeclineReferralRequest request, ServerCallContext context) =>
        new() { Referral = await Step(request.RequestId, request, request.Name, ReferralStep.Decline, request.ReasonCode, null, context) };

    public override async Task<StartReferralResponse> StartReferral(StartReferralRequest request, ServerCallContext context) =>
        new() { Referral = await Step(request.RequestId, request, request.Name, ReferralStep.Start, null, Wire.Date(request.StartDate, "start_date"), context) };

    public override async Task<EndReferralResponse> EndReferral(EndReferralRequest request, ServerCallContext context) =>
        new() { Referral = await Step(request.RequestId, request, request.Name, ReferralStep.End, request.ReasonCode, Wire.Date(request.EndDate, "end_date"), context) };

    private async Task<Referral> Step(string requestId, Google.Protobuf.IMessage request, string name, ReferralStep step, string? reason, DateOnly? date, ServerCallContext context)
    {
        var caller = callers.Resolve(context);
        var key = Wire.Key(requestId, request);
        var result = await messaging.StepAsync(caller, name, step, string.IsNullOrEmpty(reason) ? null : reason, date, key, context.CancellationToken);
        return ContractMapping.ToContract(result.Referral);
    }
}

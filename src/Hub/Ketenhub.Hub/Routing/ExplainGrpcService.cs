using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Host.Transport;
using Ketenhub.Hub.Messages;

namespace Ketenhub.Hub.Host.Routing;

/// <summary>Explains what the hub would do with a draft, without sending.</summary>
public sealed class ExplainGrpcService(Messaging messaging) : ExplainService.ExplainServiceBase
{
    public override async Task<ExplainMessageResponse> ExplainMessage(ExplainMessageRequest request, ServerCallContext context)
    {
        var caller = context.Party();
        var prospective = ContractMapping.ToProspective(request.ProspectiveClient);
        var explanation = request.DraftCase switch
        {
            ExplainMessageRequest.DraftOneofCase.Referral => await messaging.ExplainReferralAsync(caller, ContractMapping.ToDraft(request.Referral), prospective, context.CancellationToken),
            ExplainMessageRequest.DraftOneofCase.Transition => await messaging.ExplainTransitionAsync(caller, ContractMapping.ToDraft(request.Transition), prospective, context.CancellationToken),
            ExplainMessageRequest.DraftOneofCase.Signal => await messaging.ExplainSignalAsync(caller, ContractMapping.ToDraft(request.Signal), prospective, context.CancellationToken),
            _ => throw HubException.Invalid(ErrorReasons.FieldRequired, "draft", "draft needs a referral, a transition or a signal."),
        };
        var response = new ExplainMessageResponse { MessageType = Wire.From<Contracts.V1.MessageType>(explanation.MessageType) };
        response.MatchedRules.Add(explanation.MatchedRules.Select(r => new MatchedRule { RuleId = r.Id, Description = r.Description }));
        response.Decisions.Add(explanation.Decisions.Select(ContractMapping.ToContract));
        response.ReferralDecisions.Add(explanation.ReferralDecisions.Select((d, i) => new ReferralDecisions
        {
            Decisions = { d.Select(ContractMapping.ToContract) },
            Findings = { i < explanation.ReferralFindings.Count ? explanation.ReferralFindings[i].Select(ContractMapping.ToContract) : [] },
        }));
        response.Findings.Add(explanation.Findings.Select(ContractMapping.ToContract));
        return response;
    }
}

using Ketenhub.Contracts.V1;
using Ketenhub.Hub.Host.Transport;
using Ketenhub.Hub.Messages;
using Ketenhub.Hub.Parties;
using Party = Ketenhub.Hub.Parties.Party;

namespace Ketenhub.Hub.Host.Messages;

/// <summary>
/// The referral requests of the contract executed for a known caller: contract to domain, the domain call, domain to
/// contract. The gRPC service and the partner adapters' inbound endpoints both go through here, so a referral
/// created or stepped over FHIR or iWmo gets exactly the validation, authorisation, idempotency and audit of a
/// gRPC call by the same party.
/// </summary>
public sealed class ReferralCommands(Messaging messaging)
{
    public async Task<CreateReferralResponse> CreateAsync(Party caller, CreateReferralRequest request, CancellationToken cancellationToken)
    {
        var key = Wire.Key(request.RequestId, request);
        var result = await messaging.CreateReferralAsync(caller, ContractMapping.ToDraft(request.Referral), key, cancellationToken).ConfigureAwait(false);
        var response = new CreateReferralResponse { Referral = ContractMapping.ToContract(result.Referral, caller.Id) };
        response.Decisions.Add(result.Decisions.Select(ContractMapping.ToContract));
        response.Findings.Add(result.Findings.Select(ContractMapping.ToContract));
        return response;
    }

    public async Task<AcceptReferralResponse> AcceptAsync(Party caller, AcceptReferralRequest request, CancellationToken cancellationToken) =>
        new() { Referral = await StepAsync(caller, request.RequestId, request, request.Name, ReferralStep.Accept, null, null, cancellationToken).ConfigureAwait(false) };

    public async Task<DeclineReferralResponse> DeclineAsync(Party caller, DeclineReferralRequest request, CancellationToken cancellationToken) =>
        new() { Referral = await StepAsync(caller, request.RequestId, request, request.Name, ReferralStep.Decline, request.ReasonCode, null, cancellationToken).ConfigureAwait(false) };

    public async Task<StartReferralResponse> StartAsync(Party caller, StartReferralRequest request, CancellationToken cancellationToken) =>
        new() { Referral = await StepAsync(caller, request.RequestId, request, request.Name, ReferralStep.Start, null, Wire.Date(request.StartDate, "start_date"), cancellationToken).ConfigureAwait(false) };

    public async Task<EndReferralResponse> EndAsync(Party caller, EndReferralRequest request, CancellationToken cancellationToken) =>
        new() { Referral = await StepAsync(caller, request.RequestId, request, request.Name, ReferralStep.End, request.ReasonCode, Wire.Date(request.EndDate, "end_date"), cancellationToken).ConfigureAwait(false) };

    private async Task<Contracts.V1.Referral> StepAsync(Party caller, string requestId, Google.Protobuf.IMessage request, string name, ReferralStep step, string? reason, DateOnly? date, CancellationToken cancellationToken)
    {
        var key = Wire.Key(requestId, request);
        var result = await messaging.StepAsync(caller, name, step, string.IsNullOrEmpty(reason) ? null : reason, date, key, cancellationToken).ConfigureAwait(false);
        return ContractMapping.ToContract(result.Referral, caller.Id);
    }
}

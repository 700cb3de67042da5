using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.Hub.Consent;
using Ketenhub.Hub.Host.Transport;

namespace Ketenhub.Hub.Host.Consent;

/// <summary>Records, withdraws, confirms and lists consents.</summary>
public sealed class ConsentGrpcService(ConsentBook book) : ConsentService.ConsentServiceBase
{
    public override async Task<GrantConsentResponse> GrantConsent(GrantConsentRequest request, ServerCallContext context)
    {
        var caller = context.Party();
        var key = Wire.Key(request.RequestId, request);
        var change = await book.GrantAsync(caller, ContractMapping.ToDraft(request.Consent), key, context.CancellationToken);
        return new GrantConsentResponse { Consent = ContractMapping.ToContract(change.Consent), ReleasedDeliveries = change.Released };
    }

    public override async Task<WithdrawConsentResponse> WithdrawConsent(WithdrawConsentRequest request, ServerCallContext context)
    {
        var caller = context.Party();
        var key = Wire.Key(request.RequestId, request);
        var change = await book.WithdrawAsync(caller, request.Name, key, context.CancellationToken);
        return new WithdrawConsentResponse { Consent = ContractMapping.ToContract(change.Consent), WithheldDeliveries = change.Withheld };
    }

    public override async Task<ConfirmConsentResponse> ConfirmConsent(ConfirmConsentRequest request, ServerCallContext context)
    {
        var caller = context.Party();
        var key = Wire.Key(request.RequestId, request);
        var change = await book.ConfirmAsync(caller, request.Name, key, context.CancellationToken);
        return new ConfirmConsentResponse { Consent = ContractMapping.ToContract(change.Consent), ReleasedDeliveries = change.Released };
    }

    public override async Task<ListConsentsResponse> ListConsents(ListConsentsRequest request, ServerCallContext context)
    {
        var consents = await book.ListAsync(context.Party(), request.Client, context.CancellationToken);
        var response = new ListConsentsResponse();
        response.Consents.Add(consents.Select(ContractMapping.ToContract));
        return response;
    }
}

using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.Hub.Consent;
using Ketenhub.Hub.Host.Transport;

namespace Ketenhub.Hub.Host.Consent;

/// <summary>Records, withdraws, confirms and lists consents.</summary>
public sealed class ConsentGrpcService(ConsentBook book, PageTokens pageTokens) : ConsentService.ConsentServiceBase
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
        var caller = context.Party();
        var offset = pageTokens.DecodeOffset("ListConsents", caller.Id, request.PageToken);
        var consents = await book.ListAsync(caller, request.Client, context.CancellationToken);
        var (page, next) = Paging.Page(consents, request.PageSize, offset);
        var response = new ListConsentsResponse { NextPageToken = next is { } n ? pageTokens.Encode("ListConsents", caller.Id, n) : string.Empty };
        response.Consents.Add(page.Select(ContractMapping.ToContract));
        return response;
    }

    public override async Task<GetConsentResponse> GetConsent(GetConsentRequest request, ServerCallContext context)
    {
        var view = await book.GetAsync(context.Party(), request.Name, context.CancellationToken);
        return new GetConsentResponse { Consent = ContractMapping.ToContract(view) };
    }
}

using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.Hub.Audit;
using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Consent;
using Ketenhub.Hub.Host.Transport;
using Ketenhub.Hub.Parties;
using Microsoft.AspNetCore.Authorization;

namespace Ketenhub.Hub.Host.Clients;

/// <summary>
/// The client's own calls over gRPC, under a citizen's token only (<see cref="CallPipeline.CitizenCallerPolicy"/>).
/// Answers carry no client name: the client knows who they are, and the hub's id of them stays inside.
/// </summary>
[Authorize(Policy = CallPipeline.CitizenCallerPolicy)]
public sealed class SelfGrpcService(AccessReports accessReports, ConsentBook book, PartyDirectory parties, CorrectionRequests corrections) : SelfService.SelfServiceBase
{
    public override async Task<GetOwnAccessReportResponse> GetOwnAccessReport(GetOwnAccessReportRequest request, ServerCallContext context)
    {
        var report = await accessReports.GetForClientAsync(context.Citizen(), context.CancellationToken);
        var contract = ClientGrpcService.ToContract(report, includeClient: false);
        var response = new GetOwnAccessReportResponse { Report = contract };
        response.Parties.Add(Named(contract.Received.Concat(contract.NotShared).Concat(contract.Viewed).Concat(contract.ActiveConsents).Concat(contract.OtherConsents)
            .SelectMany(l => new[] { l.Party, l.Sender })));
        return response;
    }

    public override async Task<ListOwnConsentsResponse> ListOwnConsents(ListOwnConsentsRequest request, ServerCallContext context)
    {
        var consents = await book.ListAsClientAsync(context.Citizen(), context.CancellationToken);
        var response = new ListOwnConsentsResponse();
        response.Consents.Add(consents.Select(Own));
        response.Parties.Add(Named(response.Consents.Select(c => c.RecipientParty)));
        return response;
    }

    public override async Task<WithdrawOwnConsentResponse> WithdrawOwnConsent(WithdrawOwnConsentRequest request, ServerCallContext context)
    {
        var change = await book.WithdrawAsClientAsync(context.Citizen(), request.Name, Wire.Key(request.RequestId, request), context.CancellationToken);
        return new WithdrawOwnConsentResponse { Consent = Own(change.Consent), WithheldDeliveries = change.Withheld };
    }

    public override async Task<ConfirmOwnConsentResponse> ConfirmOwnConsent(ConfirmOwnConsentRequest request, ServerCallContext context)
    {
        var change = await book.ConfirmAsClientAsync(context.Citizen(), request.Name, Wire.Key(request.RequestId, request), context.CancellationToken);
        return new ConfirmOwnConsentResponse { Consent = Own(change.Consent), ReleasedDeliveries = change.Released };
    }

    public override async Task<RequestCorrectionResponse> RequestCorrection(RequestCorrectionRequest request, ServerCallContext context)
    {
        var asked = await corrections.RequestAsync(context.Citizen(), Wire.To<Hub.Common.CorrectionTopic>(request.Topic), Wire.Key(request.RequestId, request), context.CancellationToken);
        var response = new RequestCorrectionResponse();
        response.Asked.Add(asked.Select(Wire.PartyName));
        return response;
    }

    private IEnumerable<Contracts.V1.Party> Named(IEnumerable<string> names) =>
        names.Where(n => n.StartsWith("parties/", StringComparison.Ordinal))
            .Distinct(StringComparer.Ordinal)
            .Select(n => parties.Find(n["parties/".Length..]))
            .OfType<Hub.Parties.Party>()
            .Select(ContractMapping.ToContract);

    private static Contracts.V1.Consent Own(ConsentView view)
    {
        var consent = ContractMapping.ToContract(view);
        consent.Client = string.Empty;
        return consent;
    }
}

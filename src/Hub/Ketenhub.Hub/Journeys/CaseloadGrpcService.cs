using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.Hub.Host.Transport;
using Ketenhub.Hub.Journeys;

namespace Ketenhub.Hub.Host.Journeys;

/// <summary>The coach's caseload over gRPC.</summary>
public sealed class CaseloadGrpcService(Caseloads caseloads, PageTokens pageTokens) : CaseloadService.CaseloadServiceBase
{
    private const string List = "ListCaseloadEntries";

    public override async Task<ListCaseloadEntriesResponse> ListCaseloadEntries(ListCaseloadEntriesRequest request, ServerCallContext context)
    {
        var caller = context.Actor();
        var offset = pageTokens.DecodeOffset(List, caller.Party.Id + "/" + caller.UserId, request.PageToken);
        var size = Paging.Size(request.PageSize, defaultSize: 100);
        var (entries, more) = await caseloads.ListAsync(caller, offset, size, context.CancellationToken);
        var response = new ListCaseloadEntriesResponse
        {
            NextPageToken = more ? pageTokens.Encode(List, caller.Party.Id + "/" + caller.UserId, offset + size) : string.Empty,
        };
        response.Entries.Add(entries.Select(ContractMapping.ToContract));
        return response;
    }
}

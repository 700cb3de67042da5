using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Host.Transport;
using Ketenhub.Hub.Parties;

namespace Ketenhub.Hub.Host.Parties;

/// <summary>Reads the configured parties, for any caller that is one of them (the call pipeline admits no other).</summary>
public sealed class PartyGrpcService(PartyDirectory parties, PageTokens pageTokens) : PartyService.PartyServiceBase
{
    public override Task<GetPartyResponse> GetParty(GetPartyRequest request, ServerCallContext context)
    {
        var id = Ids.Require(request.Name, "parties", "name");
        var party = parties.Find(id) ?? throw HubException.NotFound(ErrorReasons.PartyNotFound, "The party");
        return Task.FromResult(new GetPartyResponse { Party = ContractMapping.ToContract(party) });
    }

    public override Task<ListPartiesResponse> ListParties(ListPartiesRequest request, ServerCallContext context)
    {
        var kind = Wire.To<Common.PartyKind>(request.Kind);
        var caller = context.Party();

        // The token is bound to the kind asked for too: a page of one kind's list does not continue another's.
        var list = "ListParties/" + kind;
        var offset = pageTokens.DecodeOffset(list, caller.Id, request.PageToken);
        var (page, next) = Paging.Page([.. parties.All.Where(p => kind == Common.PartyKind.Unspecified || p.Kind == kind)], request.PageSize, offset);
        var response = new ListPartiesResponse { NextPageToken = next is { } n ? pageTokens.Encode(list, caller.Id, n) : string.Empty };
        response.Parties.Add(page.Select(ContractMapping.ToContract));
        return Task.FromResult(response);
    }
}

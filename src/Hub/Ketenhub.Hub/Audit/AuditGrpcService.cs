using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.Hub.Audit;
using Domain = Ketenhub.Hub.Audit;
using Ketenhub.Hub.Host.Transport;

namespace Ketenhub.Hub.Host.Audit;

/// <summary>The audit trail for a privacy officer: export by period and client, and verification of the chain.</summary>
public sealed class AuditGrpcService(AuditTrail trail, PageTokens pageTokens) : AuditService.AuditServiceBase
{
    public override async Task<ListAuditEventsResponse> ListAuditEvents(ListAuditEventsRequest request, ServerCallContext context)
    {
        var actor = context.Actor();
        var (events, next) = await trail.ExportAsync(
            actor,
            request.StartTime?.ToDateTimeOffset(),
            request.EndTime?.ToDateTimeOffset(),
            request.Client,
            request.PageSize,
            pageTokens.Decode("ListAuditEvents", actor.Party.Id, request.PageToken),
            context.CancellationToken);
        var response = new ListAuditEventsResponse { NextPageToken = next is { } n ? pageTokens.Encode("ListAuditEvents", actor.Party.Id, n) : string.Empty };
        response.AuditEvents.Add(events.Select(ToContract));
        return response;
    }

    public override async Task<VerifyAuditTrailResponse> VerifyAuditTrail(VerifyAuditTrailRequest request, ServerCallContext context)
    {
        var result = await trail.VerifyAsync(context.Actor(), context.CancellationToken);
        return new VerifyAuditTrailResponse
        {
            Intact = result.Intact,
            CheckedEvents = result.Checked,
            Problem = result.Problem switch
            {
                Domain.AuditProblem.None => Contracts.V1.AuditProblem.None,
                Domain.AuditProblem.Missing => Contracts.V1.AuditProblem.Missing,
                Domain.AuditProblem.Altered => Contracts.V1.AuditProblem.Altered,
                Domain.AuditProblem.BrokenLink => Contracts.V1.AuditProblem.BrokenLink,

                // Checkpoint findings in the contract's terms: a cut tail is a missing event, a rebuilt trail or an
                // altered checkpoint an alteration, a start no checkpoint vouches for missing events; the description says which.
                Domain.AuditProblem.Truncated or Domain.AuditProblem.UnvouchedStart => Contracts.V1.AuditProblem.Missing,
                Domain.AuditProblem.Rebuilt or Domain.AuditProblem.CheckpointAltered => Contracts.V1.AuditProblem.Altered,
                _ => Contracts.V1.AuditProblem.Unreadable,
            },
            FirstBadSequence = result.FirstBadSequence ?? 0,
            FirstBadEventId = result.FirstBadEventId ?? string.Empty,
            HeadSequence = result.Head?.Sequence ?? 0,
            HeadHash = result.Head?.Hash ?? string.Empty,
            Description = result.Describe(),
        };
    }

    private static Contracts.V1.AuditEvent ToContract(ChainedAuditEvent chained)
    {
        var e = chained.Event;
        var contract = new Contracts.V1.AuditEvent
        {
            Id = e.Id,
            Sequence = chained.Sequence,
            EventTime = Wire.Time(e.Time),
            EventType = e.EventType,
            Action = e.Action switch
            {
                Domain.AuditAction.Create => Contracts.V1.AuditAction.Create,
                Domain.AuditAction.Read => Contracts.V1.AuditAction.Read,
                Domain.AuditAction.Update => Contracts.V1.AuditAction.Update,
                Domain.AuditAction.Delete => Contracts.V1.AuditAction.Delete,
                _ => Contracts.V1.AuditAction.Execute,
            },
            Party = "parties/" + e.ActorParty,
            User = e.ActorUser ?? string.Empty,
            ClientPseudonym = e.Client ?? string.Empty,
            Purpose = e.Purpose ?? string.Empty,
            Outcome = e.Outcome == Domain.AuditOutcome.Success ? Contracts.V1.AuditOutcome.Success : Contracts.V1.AuditOutcome.Refused,
            Reason = e.Reason ?? string.Empty,
            RequestId = e.RequestId ?? string.Empty,
            TraceId = e.TraceId ?? string.Empty,
            Source = e.Source ?? string.Empty,
            PreviousHash = chained.PreviousHash,
            Hash = chained.Hash,
        };
        contract.Roles.Add(e.ActorRoles);
        contract.Resources.Add(e.Resources);
        // The contract numbers the check kinds from 1 in the domain's order.
        contract.Checks.Add(e.Checks.Select(c => new Contracts.V1.AuditCheck { Kind = (Contracts.V1.AuditCheckKind)((int)c.Kind + 1), Reference = c.Reference }));
        return contract;
    }
}

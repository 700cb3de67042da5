using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Parties;
using Ketenhub.Hub.Routing;

namespace Ketenhub.Hub.Messages;

/// <summary>What the hub would do with a draft.</summary>
public sealed record Explanation(MessageType MessageType, IReadOnlyList<RoutingRule> MatchedRules, IReadOnlyList<Delivery.Decision> Decisions);

// Explain before send (DESIGN rule 6): the same validation and the same router as a submit, on a read
// snapshot, storing nothing.
public sealed partial class Messaging
{
    public Task<Explanation> ExplainReferralAsync(Party caller, ReferralDraft draft, CancellationToken cancellationToken)
    {
        var performers = ValidateReferral(draft, "referral");
        return ExplainAsync(draft.ClientName, "referral.client", context =>
        {
            var domains = draft.LifeDomains.Distinct().ToList();
            return new RoutingFacts(MessageType.Referral, caller.Id, MessageCategories.ForReferral(domains), Service: draft.Service, Performers: [.. performers.Select(p => p.Id)], Requester: caller.Id);
        }, cancellationToken);
    }

    public Task<Explanation> ExplainTransitionAsync(Party caller, TransitionDraft draft, CancellationToken cancellationToken)
    {
        var (from, to, _, _) = ValidateTransition(draft);
        return ExplainAsync(draft.ClientName, "transition.client", _ =>
            new RoutingFacts(MessageType.Transition, caller.Id, MessageCategories.ForTransition(), TransitionKind: draft.Kind, ToParty: to?.Id, FromParty: from?.Id),
            cancellationToken);
    }

    public Task<Explanation> ExplainSignalAsync(Party caller, SignalDraft draft, CancellationToken cancellationToken)
    {
        ValidateSignal(draft);
        return ExplainAsync(draft.ClientName, "signal.client", _ =>
            new RoutingFacts(MessageType.Signal, caller.Id, MessageCategories.ForSignal(draft.Domain), SignalKind: draft.Kind, Severity: draft.Severity, Domain: draft.Domain),
            cancellationToken);
    }

    private Task<Explanation> ExplainAsync(string? clientName, string field, Func<ClientContext, RoutingFacts> facts, CancellationToken cancellationToken) =>
        store.ReadAsync(
            session =>
            {
                var now = time.GetUtcNow();
                var client = ClientContexts.RequireClient(session, clientName, field);
                var context = ClientContexts.Load(session, client, now);
                var f = facts(context);
                var routed = router.Route(f, context, now);
                return new Explanation(f.Type, routed.MatchedRules, routed.Decisions);
            },
            cancellationToken);
}

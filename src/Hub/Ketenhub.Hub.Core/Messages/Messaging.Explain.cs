using Ketenhub.Hub.Audit;
using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Journeys;
using Ketenhub.Hub.Parties;
using Ketenhub.Hub.Routing;

namespace Ketenhub.Hub.Messages;

/// <summary>What the hub would do with a draft.</summary>
public sealed record Explanation(MessageType MessageType, IReadOnlyList<RoutingRule> MatchedRules, IReadOnlyList<Delivery.Decision> Decisions)
{
    /// <summary>For a transition: the decisions for each referral it carries, in order.</summary>
    public IReadOnlyList<IReadOnlyList<Delivery.Decision>> ReferralDecisions { get; init; } = [];

    /// <summary>What a submit would note for the sender (for a referral: an open referral for the same service).</summary>
    public IReadOnlyList<Finding> Findings { get; init; } = [];

    /// <summary>For a transition: the findings for each referral it carries, in order.</summary>
    public IReadOnlyList<IReadOnlyList<Finding>> ReferralFindings { get; init; } = [];
}

// Explain before send (docs/architecture.md, rule 6): the same validation and the same router as a submit, on a read
// snapshot, storing nothing.
public sealed partial class Messaging
{
    /// <summary>Explains a draft referral for its client, or, with <paramref name="prospective"/>, for a client not registered yet.</summary>
    public Task<Explanation> ExplainReferralAsync(Party caller, ReferralDraft draft, ProspectiveClient? prospective, CancellationToken cancellationToken)
    {
        var performers = ValidateReferral(draft, "referral", caller);
        return ExplainAsync(caller, new ExplainedClient(draft.ClientName, "referral.client", prospective), _ => ReferralFacts(caller, draft, performers), cancellationToken, findings: (session, context, now) => DraftFindings(session, draft, context, caller, now));
    }

    private static RoutingFacts ReferralFacts(Party caller, ReferralDraft draft, IReadOnlyList<Party> performers) =>
        new(MessageType.Referral, caller.Id, MessageCategories.ForReferral(draft.LifeDomains.Distinct()), Service: draft.Service, Performers: [.. performers.Select(p => p.Id)], Requester: caller.Id);

    /// <summary>Explains a draft transition for its client, or, with <paramref name="prospective"/>, for a client not registered yet.</summary>
    public Task<Explanation> ExplainTransitionAsync(Party caller, TransitionDraft draft, ProspectiveClient? prospective, CancellationToken cancellationToken)
    {
        var (from, to, coachAfter, referralPerformers) = ValidateTransition(draft, caller);
        var referralFacts = draft.Referrals.Select((r, i) => ReferralFacts(caller, r, referralPerformers[i])).ToList();
        ClientMoves.Move? move = null;
        return ExplainAsync(caller, new ExplainedClient(draft.ClientName, "transition.client", prospective), _ =>
            TransitionFacts(caller, draft, to, from, move),
            cancellationToken,
            (context, now) =>
            {
                // A relocation routes for the municipality the client moves to, and ends the old social service's role.
                move = PlanMove(context.Client, context, draft, caller, "explain", now);
                if (move is not null)
                {
                    var movedRoles = context.Roles.Select(r => move.EndedRoles.FirstOrDefault(e => e.Id == r.Id) ?? r).ToList();
                    context = context with { Client = move.Client, Roles = movedRoles };
                }

                // The submit routes on the client as the transition leaves it: with the coach it names and with the
                // roles it ends or begins (at once when the effective date has come). So does the explanation.
                var coach = coachAfter is not null && coachAfter != context.Coach?.Coach
                    ? new CoachAssignment("explain", context.Client.Id, coachAfter, now, null)
                    : context.Coach;
                var (ended, begun) = RoleChanges(context.Client, context, draft.Kind, from, to, DutchTime.StartOf(draft.EffectiveDate!.Value), "explain");
                var roles = context.Roles.Select(r => ended.Find(e => e.Id == r.Id) ?? r).Concat(begun).ToList();
                return context with { Coach = coach, Roles = roles };
            },
            referralFacts,
            referralFindings: (session, context, now) => [.. draft.Referrals.Select(r => DraftFindings(session, r, context, caller, now))]);
    }

    /// <summary>Explains a draft signal for its client, or, with <paramref name="prospective"/>, for a client not registered yet.</summary>
    public Task<Explanation> ExplainSignalAsync(Party caller, SignalDraft draft, ProspectiveClient? prospective, CancellationToken cancellationToken)
    {
        ValidateSignal(draft);
        return ExplainAsync(caller, new ExplainedClient(draft.ClientName, "signal.client", prospective), _ =>
            new RoutingFacts(MessageType.Signal, caller.Id, MessageCategories.ForSignal(draft.Domain), SignalKind: draft.Kind, Severity: draft.Severity, Domain: draft.Domain),
            cancellationToken);
    }

    // Explaining reads the client's consents and roles, so it is audited as a read. Any party may explain.
    // For a prospective client the hub reads no client at all: it routes on the client a registration with
    // those facts would create now (ClientFacts.Registered), so the read is audited about no client.
    private Task<Explanation> ExplainAsync(
        Party caller,
        ExplainedClient who,
        Func<ClientContext, RoutingFacts> facts,
        CancellationToken cancellationToken,
        Func<ClientContext, DateTimeOffset, ClientContext>? asSubmitted = null,
        IReadOnlyList<RoutingFacts>? referrals = null,
        Func<Storage.IHubSession, ClientContext, DateTimeOffset, IReadOnlyList<Finding>>? findings = null,
        Func<Storage.IHubSession, ClientContext, DateTimeOffset, IReadOnlyList<IReadOnlyList<Finding>>>? referralFindings = null)
    {
        var school = ValidateProspective(who);
        var note = audit.Note(caller, "ExplainMessage", AuditAction.Read).Check(AuditCheckKind.Authorisation, AuditChecks.PartyActsAsItself);
        return audit.ReadAsync(
            note,
            session =>
            {
                var now = time.GetUtcNow();
                ClientContext context;
                if (who.Prospective is { } prospective)
                {
                    context = ClientFacts.Registered(prospective.BirthDate!.Value, prospective.MunicipalityCode!, school, now);
                }
                else
                {
                    var client = ClientContexts.RequireClient(session, who.ClientName, who.Field);
                    note.About(client.Id);
                    context = ClientContexts.Load(session, client, now);
                }

                context = asSubmitted?.Invoke(context, now) ?? context;
                var f = facts(context);
                var routed = router.Route(f, context, now);
                // A prospective client has no referrals yet: nothing to find.
                var known = who.Prospective is null;
                return new Explanation(f.Type, routed.MatchedRules, routed.Decisions)
                {
                    ReferralDecisions = [.. (referrals ?? []).Select(r => router.Route(r, context, now).Decisions)],
                    Findings = known && findings is not null ? findings(session, context, now) : [],
                    ReferralFindings = known && referralFindings is not null ? referralFindings(session, context, now) : [],
                };
            },
            cancellationToken);
    }

    // Either the draft names a client or the request describes a prospective one; the prospective client's
    // facts are checked as a registration checks them. Returns its school of record, if any.
    private Party? ValidateProspective(ExplainedClient who)
    {
        if (who.Prospective is not { } prospective)
        {
            return null;
        }

        var v = new Validator();
        if (!string.IsNullOrEmpty(who.ClientName))
        {
            v.Add(ErrorReasons.InvalidRequest, "prospective_client", $"Set either {who.Field} or prospective_client, not both.", ("otherField", who.Field));
            v.ThrowIfAny();
        }

        var school = ClientFacts.Validate(v, prospective.BirthDate, prospective.MunicipalityCode, prospective.SchoolName, "prospective_client.", parties, DutchTime.Today(time));
        v.ThrowIfAny();
        return school;
    }

    /// <summary>Whom a draft is explained for: the client it names, or a prospective client.</summary>
    private sealed record ExplainedClient(string? ClientName, string Field, ProspectiveClient? Prospective);
}

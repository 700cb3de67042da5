using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Consent;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Journeys;
using Ketenhub.Hub.Parties;

namespace Ketenhub.Hub.Routing;

/// <summary>What the router needs to know about a message. Never the free text.</summary>
public sealed record RoutingFacts(
    MessageType Type,
    string Sender,
    IReadOnlyCollection<DataCategory> Categories,
    TransitionKind? TransitionKind = null,
    SignalKind? SignalKind = null,
    SignalSeverity? Severity = null,
    LifeDomain? Domain = null,
    ServiceKind? Service = null,
    IReadOnlyList<string>? Performers = null,
    string? ToParty = null,
    string? FromParty = null,
    string? Requester = null)
{
    /// <summary>
    /// The municipality the message is routed for: for a relocation the one the client moves to, otherwise the one the
    /// client lives in at the message's time (null: the router reads it from the client).
    /// </summary>
    public string? Municipality { get; init; }

    /// <summary>For a relocation: the municipality the client leaves.</summary>
    public string? PreviousMunicipality { get; init; }
}

/// <summary>What the hub knows about the client when it routes.</summary>
public sealed record ClientContext(
    ClientRecord Client,
    IReadOnlyList<ClientRole> Roles,
    CoachAssignment? Coach,
    IReadOnlyList<ConsentRecord> Consents);

/// <summary>The rules that matched and one decision per recipient.</summary>
public sealed record RoutingResult(IReadOnlyList<RoutingRule> MatchedRules, IReadOnlyList<Decision> Decisions);

/// <summary>
/// Applies the routing rules and the consent decision to a message (docs/architecture.md, rules 1, 4, 5, 7). Pure: the
/// same facts, context and time give the same decisions, so explain and submit cannot disagree.
/// </summary>
public sealed class Router(RoutingRuleSet rules, PartyDirectory parties, ConsentEvaluator consent, ConsentOptions consentOptions)
{
    private static readonly RoutingRule CoachContinuity = new(
        RoutingRuleSet.CoachContinuityRuleId,
        "Built in: the coach receives every transition and signal of their client, under consent.",
        new RuleMatch(new HashSet<MessageType>(), new HashSet<TransitionKind>(), new HashSet<SignalKind>(), new HashSet<SignalSeverity>(), new HashSet<LifeDomain>(), new HashSet<ServiceKind>(), new HashSet<string>(), null, null),
        [],
        null,
        null);

    public RoutingResult Route(RoutingFacts facts, ClientContext context, DateTimeOffset now)
    {
        var age = context.Client.AgeOn(DutchTime.DateOf(now));
        var municipality = facts.Municipality ?? context.Client.MunicipalityAt(now);
        var matched = rules.Rules.Where(rule => Matches(rule.Match, facts, municipality, age)).ToList();

        var candidates = new List<(Party Party, RoutingRule Rule, RuleTarget Target)>();
        var unresolved = new List<(RoutingRule Rule, RuleTarget Target)>();
        foreach (var rule in matched)
        {
            foreach (var target in rule.Targets)
            {
                var found = false;
                foreach (var party in Resolve(target.Kind, target.PartyId, facts, context, municipality, now))
                {
                    candidates.Add((party, rule, target));
                    found = true;
                }

                if (!found && target.Kind is TargetKind.SocialService or TargetKind.Wijkteam)
                {
                    unresolved.Add((rule, target));
                }
            }
        }

        if (facts.Type is MessageType.Transition or MessageType.Signal && context.Coach is { } coach && parties.Find(coach.Coach.PartyId) is { } coachParty)
        {
            var purpose = facts.Type == MessageType.Transition ? Purpose.Coaching : Purpose.SignalFollowUp;
            candidates.Add((coachParty, CoachContinuity, new RuleTarget(TargetKind.Coach, null, purpose, null, false, null)));
        }

        var decisions = new List<Decision>();
        foreach (var group in candidates.Where(c => c.Party.Id != facts.Sender).GroupBy(c => c.Party.Id, StringComparer.Ordinal))
        {
            Decision? best = null;
            Decision? notServing = null;
            foreach (var (party, rule, target) in group)
            {
                var decision = Decide(party, rule, target, facts, context, municipality, now);
                if (decision.Reason == DecisionReasons.NotServingMunicipality)
                {
                    notServing = decision;
                }

                if (best is null || Better(decision, best))
                {
                    best = decision;
                }
            }

            var ruleIds = group.Select(c => c.Rule.Id).Distinct(StringComparer.Ordinal).ToList();
            best = best! with { RuleIds = ruleIds };
            if (best.Outcome != RecipientOutcome.Content && best.Reason != DecisionReasons.NotServingMunicipality && notServing is not null)
            {
                // A party named as the client's social service or wijkteam that does not serve the municipality hears why.
                best = best with { Explanation = best.Explanation + " " + notServing.Explanation };
            }

            if (best.Outcome is RecipientOutcome.Content or RecipientOutcome.ThinNotice)
            {
                var deadline = group
                    .Where(c => c.Rule.AcknowledgeWithin is not null)
                    .OrderBy(c => c.Rule.AcknowledgeWithin)
                    .FirstOrDefault();
                if (deadline.Rule is not null)
                {
                    best = best with { AckDeadline = now + deadline.Rule.AcknowledgeWithin!.Value, EscalationTarget = deadline.Rule.EscalateTo!.Code };
                }
            }

            decisions.Add(best);
        }

        // Never silence: a rule that names the social service or wijkteam of a municipality that has none says so, with
        // a decision that has no recipient.
        foreach (var group in unresolved.GroupBy(u => u.Target.Kind))
        {
            var social = group.Key == TargetKind.SocialService;
            decisions.Add(new Decision(
                string.Empty,
                RecipientOutcome.Blocked,
                [.. group.Select(u => u.Rule.Id).Distinct(StringComparer.Ordinal)],
                group.First().Target.Purpose,
                [],
                null,
                null,
                social ? DecisionReasons.NoSocialService : DecisionReasons.NoWijkteam,
                $"No {(social ? "social service" : "wijkteam")} is configured for municipality {municipality}; rule '{group.First().Rule.Id}' names one, so nobody receives what it would have had."));
        }

        return new RoutingResult(matched, decisions);
    }

    /// <summary>
    /// Decides content for one recipient again, later: at send time, on a grant, confirmation or withdrawal.
    /// Legal-basis decisions do not depend on consent and stay as they are.
    /// </summary>
    public Decision Reconsider(Decision decision, Party recipient, ClientContext context, DateTimeOffset now)
    {
        if (decision.LegalBasisRuleId is not null)
        {
            return decision;
        }

        var requirement = new ConsentRequirement(recipient, decision.Purpose, decision.Categories);
        var evaluation = consent.Evaluate(context.Consents, context.Client, requirement, now);
        return evaluation.Verdict switch
        {
            ConsentVerdict.Covered => decision with
            {
                Outcome = RecipientOutcome.Content,
                ConsentId = evaluation.Consent!.Id,
                Reason = DecisionReasons.ConsentActive,
                Explanation = Explain.ConsentCovers(recipient, evaluation.Consent),
                AwaitUntil = null,
            },
            ConsentVerdict.Withdrawn => decision with
            {
                Outcome = RecipientOutcome.Blocked,
                Reason = DecisionReasons.ConsentWithdrawn,
                Explanation = Explain.Withdrawn(recipient, decision.Purpose),
                AwaitUntil = null,
            },
            ConsentVerdict.ParentUnconfirmed => decision with
            {
                Outcome = RecipientOutcome.AwaitingConsent,
                ConsentId = null,
                Reason = DecisionReasons.ParentConsentUnconfirmed,
                AwaitUntil = decision.AwaitUntil ?? now + consentOptions.DefaultAwaitConsent,
                Explanation = Explain.ParentUnconfirmed(recipient, decision.AwaitUntil ?? now + consentOptions.DefaultAwaitConsent),
            },
            _ => decision with
            {
                Outcome = RecipientOutcome.AwaitingConsent,
                ConsentId = null,
                Reason = DecisionReasons.NoConsent,
                AwaitUntil = decision.AwaitUntil ?? now + consentOptions.DefaultAwaitConsent,
                Explanation = Explain.Awaiting(recipient, decision.Purpose, decision.Categories, decision.AwaitUntil ?? now + consentOptions.DefaultAwaitConsent),
            },
        };
    }

    private Decision Decide(Party party, RoutingRule rule, RuleTarget target, RoutingFacts facts, ClientContext context, string municipality, DateTimeOffset now)
    {
        var decision = new Decision(party.Id, RecipientOutcome.Blocked, [rule.Id], target.Purpose, [.. facts.Categories], null, null, DecisionReasons.NoConsent, string.Empty);
        if (target.NoticeOnly)
        {
            return decision with
            {
                Outcome = RecipientOutcome.ThinNotice,
                Categories = [],
                Reason = DecisionReasons.NoticeRule,
                Explanation = $"Rule '{rule.Id}' gives {party.Name} a content-free notice only: which party sent what kind of message, nothing about its content.",
            };
        }

        if (ActsForMunicipality(target.Kind) && RelationshipRules.ServesMunicipalities(party.Kind) && !party.MunicipalityCodes.Contains(municipality))
        {
            return decision with
            {
                Reason = DecisionReasons.NotServingMunicipality,
                Explanation = $"{party.Name} is a {Explain.Code(party.Kind)} for other municipalities than {municipality}, the client's municipality for this message; it gets nothing as the client's {Explain.Code(party.Kind)}.",
            };
        }
        if (target.LegalBasis is not null)
        {
            return decision with
            {
                Outcome = RecipientOutcome.Content,
                LegalBasisRuleId = rule.Id,
                Reason = DecisionReasons.LegalBasis,
                Explanation = $"Rule '{rule.Id}' gives {party.Name} the content on a legal basis: {target.LegalBasis}.",
            };
        }

        var requirement = new ConsentRequirement(party, target.Purpose, facts.Categories);
        var evaluation = consent.Evaluate(context.Consents, context.Client, requirement, now);
        if (evaluation.Verdict == ConsentVerdict.Covered)
        {
            return decision with
            {
                Outcome = RecipientOutcome.Content,
                ConsentId = evaluation.Consent!.Id,
                Reason = DecisionReasons.ConsentActive,
                Explanation = Explain.ConsentCovers(party, evaluation.Consent),
            };
        }

        if (target.ThinNotice && evaluation.Verdict != ConsentVerdict.Withdrawn)
        {
            return decision with
            {
                Outcome = RecipientOutcome.ThinNotice,
                Categories = [],
                Reason = DecisionReasons.ThinNoticeRule,
                Explanation = $"No consent covers the content for {party.Name} (purpose {Explain.Code(target.Purpose)}); rule '{rule.Id}' allows a content-free notice naming the sender and the life domain.",
            };
        }

        switch (evaluation.Verdict)
        {
            case ConsentVerdict.Withdrawn:
                return decision with
                {
                    Reason = DecisionReasons.ConsentWithdrawn,
                    Explanation = Explain.Withdrawn(party, target.Purpose),
                };
            case ConsentVerdict.ParentUnconfirmed:
                var until = now + (target.AwaitConsent ?? consentOptions.DefaultAwaitConsent);
                return decision with
                {
                    Outcome = RecipientOutcome.AwaitingConsent,
                    Reason = DecisionReasons.ParentConsentUnconfirmed,
                    AwaitUntil = until,
                    Explanation = Explain.ParentUnconfirmed(party, until),
                };
            default:
                if (target.AwaitConsent is { } wait)
                {
                    return decision with
                    {
                        Outcome = RecipientOutcome.AwaitingConsent,
                        AwaitUntil = now + wait,
                        Explanation = Explain.Awaiting(party, target.Purpose, facts.Categories, now + wait),
                    };
                }

                return decision with
                {
                    Explanation = $"No active consent covers {party.Name} for purpose {Explain.Code(target.Purpose)} and categories {Explain.Codes(facts.Categories)}; rule '{rule.Id}' neither waits for consent nor allows a thin notice, so nothing is sent.",
                };
        }
    }

    private static bool Better(Decision candidate, Decision current) => Rank(candidate.Outcome) > Rank(current.Outcome);

    private static int Rank(RecipientOutcome outcome) => outcome switch
    {
        RecipientOutcome.Content => 4,
        RecipientOutcome.ThinNotice => 3,
        RecipientOutcome.AwaitingConsent => 2,
        _ => 1,
    };

    // Targets through which a social service or wijkteam would act as the client's: named by the rule, the message or the
    // referral. Not the coach's organisation, a requester following up its own request, the party a client leaves, or
    // the old municipality told of a move.
    private static bool ActsForMunicipality(TargetKind kind) =>
        kind is TargetKind.Party or TargetKind.TransitionTo or TargetKind.Performers;

    private static bool Matches(RuleMatch match, RoutingFacts facts, string municipality, int age)
    {
        return In(match.MessageTypes, facts.Type)
            && InOptional(match.TransitionKinds, facts.TransitionKind)
            && InOptional(match.SignalKinds, facts.SignalKind)
            && InOptional(match.Severities, facts.Severity)
            && InOptional(match.LifeDomains, facts.Domain)
            && InOptional(match.Services, facts.Service)
            && (match.Municipalities.Count == 0 || match.Municipalities.Contains(municipality))
            && (match.MinAge is null || age >= match.MinAge)
            && (match.MaxAge is null || age <= match.MaxAge);

        static bool In<T>(IReadOnlySet<T> set, T value) => set.Count == 0 || set.Contains(value);

        // A rule that names values of an attribute the message does not have (a signal kind on a
        // transition) does not match it.
        static bool InOptional<T>(IReadOnlySet<T> set, T? value)
            where T : struct => set.Count == 0 || (value is { } v && set.Contains(v));
    }

    private IEnumerable<Party> Resolve(TargetKind kind, string? partyId, RoutingFacts facts, ClientContext context, string municipality, DateTimeOffset now)
    {
        IEnumerable<string?> ids = kind switch
        {
            TargetKind.Party => [partyId],
            TargetKind.Coach => [context.Coach?.Coach.PartyId],
            TargetKind.CurrentProviders => context.Roles.Where(r => r.Kind == RoleKind.Provider && r.IsCurrentAt(now)).Select(r => (string?)r.PartyId),
            TargetKind.SocialService => [parties.SocialServiceFor(municipality)?.Id],
            TargetKind.Wijkteam => [parties.WijkteamFor(municipality)?.Id],
            TargetKind.PreviousSocialService => facts.PreviousMunicipality is { } left ? [parties.SocialServiceFor(left)?.Id] : [],
            TargetKind.PreviousWijkteam => facts.PreviousMunicipality is { } left ? [parties.WijkteamFor(left)?.Id] : [],
            TargetKind.SchoolOfRecord => context.Roles.Where(r => r.Kind == RoleKind.School && r.IsCurrentAt(now)).Select(r => (string?)r.PartyId),
            TargetKind.Performers => facts.Performers ?? [],
            TargetKind.TransitionTo => [facts.ToParty],
            TargetKind.TransitionFrom => [facts.FromParty],
            TargetKind.Requester => [facts.Requester],
            _ => [],
        };

        foreach (var id in ids.Distinct(StringComparer.Ordinal))
        {
            if (parties.Find(id) is { } party)
            {
                yield return party;
            }
        }
    }
}

/// <summary>Decision explanations: one English sentence each, naming parties and codes, never client data.</summary>
internal static class Explain
{
    public static string Code<T>(T value)
        where T : struct, Enum => JsonConfigReader.ToUpperSnake(value.ToString());

    public static string Codes<T>(IEnumerable<T> values)
        where T : struct, Enum => string.Join(", ", values.Select(Code));

    public static string ConsentCovers(Party party, ConsentRecord consent) =>
        $"Consent {consent.Name} (granted by {Code(consent.Grantor)}) covers {party.Name} for this purpose and these data categories.";

    public static string Withdrawn(Party party, Purpose purpose) =>
        $"The consent that covered {party.Name} for purpose {Code(purpose)} was withdrawn; nothing is sent.";

    public static string ParentUnconfirmed(Party party, DateTimeOffset until) =>
        $"Only a parent's consent covers {party.Name}, and the client has turned 18 without confirming it; the content waits for the client's confirmation until {until:yyyy-MM-dd}.";

    public static string Awaiting(Party party, Purpose purpose, IEnumerable<DataCategory> categories, DateTimeOffset until) =>
        $"No active consent covers {party.Name} for purpose {Code(purpose)} and categories {Codes(categories)}; the content waits for consent until {until:yyyy-MM-dd}.";
}

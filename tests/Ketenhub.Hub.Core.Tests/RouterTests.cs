using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Consent;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Journeys;
using Ketenhub.Hub.Routing;
using static Ketenhub.Hub.Core.Tests.TestData;

namespace Ketenhub.Hub.Core.Tests;

public class RouterTests
{
    // ---- building blocks ---------------------------------------------------------------------------

    internal static Router MakeRouter(string rulesJson, ConsentOptions? options = null)
    {
        var parties = AllParties();
        var consentOptions = options ?? new ConsentOptions();
        var rules = RoutingConfigLoader.Parse(rulesJson, "routing.json", parties);
        return new Router(rules, parties, new ConsentEvaluator(consentOptions), consentOptions);
    }

    internal static string Rules(params string[] rules) => "{ \"rules\": [ " + string.Join(", ", rules) + " ] }";

    /// <summary>One rule: <paramref name="match"/> is the match object's body, each target a target object's body.</summary>
    internal static string Rule(string id, string match, string targets, string extra = "") =>
        $$"""{ "id": "{{id}}", "description": "test rule", "match": { {{match}} }, "targets": [ {{targets}} ] {{extra}} }""";

    internal static string ToParty(string party, string purpose = "SIGNAL_FOLLOW_UP", string extra = "") =>
        $$"""{ "target": "PARTY", "party": "{{party}}", "purpose": "{{purpose}}" {{extra}} }""";

    internal static readonly RoutingFacts EvictionSignal = new(
        MessageType.Signal, "school-a", [DataCategory.Housing],
        SignalKind: SignalKind.EvictionRisk, Severity: SignalSeverity.Urgent, Domain: LifeDomain.Housing);

    private static readonly RoutingFacts SchoolLeaving = new(
        MessageType.Transition, "school-a", [DataCategory.Education],
        TransitionKind: TransitionKind.SchoolLeaver18, ToParty: "zorg-a", FromParty: "school-a");

    private static readonly RoutingFacts DebtReferral = new(
        MessageType.Referral, "wijkteam-noord", [DataCategory.Finances],
        Service: ServiceKind.DebtCounselling, Performers: ["zorg-a", "zorg-b"], Requester: "wijkteam-noord");

    internal static ClientContext Context(
        ClientRecord? client = null,
        IReadOnlyList<ClientRole>? roles = null,
        CoachAssignment? coach = null,
        params ConsentRecord[] consents) =>
        new(client ?? Client(), roles ?? [], coach, consents);

    private static ClientRole Role(string party, RoleKind kind, DateTimeOffset? from = null, DateTimeOffset? until = null) =>
        new("rol_" + party, "cli_test1", party, kind, from ?? Now.AddDays(-365), until, "test");

    /// <summary>A consent by the client for a party, for the purpose and categories of <see cref="EvictionSignal"/>.</summary>
    private static ConsentRecord SignalConsent(string id, string party, GrantorRole grantor = GrantorRole.Client, DateTimeOffset? withdrawn = null) =>
        NewConsent(id, grantor, party: party, purposes: [Purpose.SignalFollowUp], categories: [DataCategory.Housing], withdrawn: withdrawn);

    private static Decision Only(RoutingResult result, string recipient) =>
        Assert.Single(result.Decisions, d => d.Recipient == recipient);

    private static string[] Recipients(RoutingResult result) => [.. result.Decisions.Select(d => d.Recipient).Order(StringComparer.Ordinal)];

    // ---- deny by default ---------------------------------------------------------------------------

    [Fact]
    public void NoConsent_IsBlockedWithNoConsent()
    {
        var router = MakeRouter(Rules(Rule("r1", "", ToParty("zorg-a"))));

        var decision = Assert.Single(router.Route(EvictionSignal, Context(), Now).Decisions);

        Assert.Equal("zorg-a", decision.Recipient);
        Assert.Equal(RecipientOutcome.Blocked, decision.Outcome);
        Assert.Equal(DecisionReasons.NoConsent, decision.Reason);
        Assert.Null(decision.ConsentId);
        Assert.Null(decision.LegalBasisRuleId);
        Assert.Null(decision.AwaitUntil);
        Assert.Null(decision.AckDeadline);
        Assert.Equal(["r1"], decision.RuleIds);
        Assert.Equal(Purpose.SignalFollowUp, decision.Purpose);
        Assert.Equal([DataCategory.Housing], decision.Categories);
        Assert.Contains("parties/zorg-a", decision.Explanation, StringComparison.Ordinal);
        Assert.DoesNotContain("111222333", decision.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void NoConsent_TargetWaitsForConsent_AwaitsUntilNowPlusWait()
    {
        var router = MakeRouter(Rules(Rule("r1", "", ToParty("zorg-a", extra: """, "awaitConsent": "P30D" """))));

        var decision = Assert.Single(router.Route(EvictionSignal, Context(), Now).Decisions);

        Assert.Equal(RecipientOutcome.AwaitingConsent, decision.Outcome);
        Assert.Equal(DecisionReasons.NoConsent, decision.Reason);
        Assert.Equal(Now.AddDays(30), decision.AwaitUntil);
        Assert.Null(decision.ConsentId);
    }

    [Fact]
    public void ConsentCovers_GivesContentWithTheConsent()
    {
        var router = MakeRouter(Rules(Rule("r1", "", ToParty("zorg-a", extra: """, "thinNotice": true """))));

        var decision = Assert.Single(router.Route(EvictionSignal, Context(consents: [SignalConsent("con_1", "zorg-a")]), Now).Decisions);

        Assert.Equal(RecipientOutcome.Content, decision.Outcome);
        Assert.Equal("con_1", decision.ConsentId);
        Assert.Equal(DecisionReasons.ConsentActive, decision.Reason);
        Assert.Null(decision.LegalBasisRuleId);
        Assert.Equal([DataCategory.Housing], decision.Categories);
        Assert.Contains("consents/con_1", decision.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void ConsentForFewerCategories_DoesNotCover()
    {
        var router = MakeRouter(Rules(Rule("r1", "", ToParty("zorg-a"))));
        var facts = EvictionSignal with { Categories = [DataCategory.Housing, DataCategory.Finances] };

        var decision = Assert.Single(router.Route(facts, Context(consents: [SignalConsent("con_1", "zorg-a")]), Now).Decisions);

        Assert.Equal(RecipientOutcome.Blocked, decision.Outcome);
        Assert.Equal(DecisionReasons.NoConsent, decision.Reason);
    }

    [Fact]
    public void LegalBasis_GivesContentWithoutConsent()
    {
        var router = MakeRouter(Rules(Rule("meldcode", "", ToParty("sd-zwijndrecht", extra: """, "legalBasis": "Wet meldcode" """))));

        // Even a withdrawn consent does not matter: the legal basis does not rest on consent.
        var context = Context(consents: [SignalConsent("con_1", "sd-zwijndrecht", withdrawn: Now.AddDays(-1))]);
        var decision = Assert.Single(router.Route(EvictionSignal, context, Now).Decisions);

        Assert.Equal(RecipientOutcome.Content, decision.Outcome);
        Assert.Equal("meldcode", decision.LegalBasisRuleId);
        Assert.Equal(DecisionReasons.LegalBasis, decision.Reason);
        Assert.Null(decision.ConsentId);
        Assert.Contains("Wet meldcode", decision.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void NotCovered_RuleAllowsThinNotice_GivesThinNoticeWithoutCategories()
    {
        var router = MakeRouter(Rules(Rule("r1", "", ToParty("zorg-a", extra: """, "thinNotice": true, "awaitConsent": "P30D" """))));

        var decision = Assert.Single(router.Route(EvictionSignal, Context(), Now).Decisions);

        Assert.Equal(RecipientOutcome.ThinNotice, decision.Outcome);
        Assert.Equal(DecisionReasons.ThinNoticeRule, decision.Reason);
        Assert.Empty(decision.Categories);
        Assert.Null(decision.ConsentId);
        Assert.Null(decision.AwaitUntil);
    }

    [Theory]
    [InlineData(""", "thinNotice": true """)]
    [InlineData(""", "awaitConsent": "P30D" """)]
    [InlineData("")]
    public void WithdrawnConsent_IsBlockedEvenIfThinNoticeOrWaitAllowed(string extra)
    {
        var router = MakeRouter(Rules(Rule("r1", "", ToParty("zorg-a", extra: extra))));

        var context = Context(consents: [SignalConsent("con_1", "zorg-a", withdrawn: Now.AddDays(-1))]);
        var decision = Assert.Single(router.Route(EvictionSignal, context, Now).Decisions);

        Assert.Equal(RecipientOutcome.Blocked, decision.Outcome);
        Assert.Equal(DecisionReasons.ConsentWithdrawn, decision.Reason);
        Assert.Null(decision.AwaitUntil);
        Assert.Null(decision.ConsentId);
    }

    [Fact]
    public void ParentConsentAfterEighteen_AwaitsConfirmationForTheDefaultWait()
    {
        var router = MakeRouter(Rules(Rule("r1", "", ToParty("zorg-a"))), new ConsentOptions { DefaultAwaitConsent = TimeSpan.FromDays(60) });
        var adult = Client(new DateOnly(2006, 6, 1));

        var decision = Assert.Single(router.Route(EvictionSignal, Context(adult, consents: [SignalConsent("con_p", "zorg-a", GrantorRole.Parent)]), Now).Decisions);

        Assert.Equal(RecipientOutcome.AwaitingConsent, decision.Outcome);
        Assert.Equal(DecisionReasons.ParentConsentUnconfirmed, decision.Reason);
        Assert.Equal(Now.AddDays(60), decision.AwaitUntil);
        Assert.Null(decision.ConsentId);
    }

    [Fact]
    public void ParentConsentAfterEighteen_TargetWait_AwaitsForTheTargetsWait()
    {
        var router = MakeRouter(Rules(Rule("r1", "", ToParty("zorg-a", extra: """, "awaitConsent": "P10D" """))));
        var adult = Client(new DateOnly(2006, 6, 1));

        var decision = Assert.Single(router.Route(EvictionSignal, Context(adult, consents: [SignalConsent("con_p", "zorg-a", GrantorRole.Parent)]), Now).Decisions);

        Assert.Equal(RecipientOutcome.AwaitingConsent, decision.Outcome);
        Assert.Equal(DecisionReasons.ParentConsentUnconfirmed, decision.Reason);
        Assert.Equal(Now.AddDays(10), decision.AwaitUntil);
    }

    [Fact]
    public void ParentConsentBeforeEighteen_GivesContent()
    {
        var router = MakeRouter(Rules(Rule("r1", "", ToParty("zorg-a"))));

        var decision = Assert.Single(router.Route(EvictionSignal, Context(consents: [SignalConsent("con_p", "zorg-a", GrantorRole.Parent)]), Now).Decisions);

        Assert.Equal(RecipientOutcome.Content, decision.Outcome);
        Assert.Equal("con_p", decision.ConsentId);
    }

    // ---- coach continuity --------------------------------------------------------------------------

    [Fact]
    public void Transition_AddsTheCoachUnderCoachContinuity()
    {
        var router = MakeRouter(Rules());
        var consent = NewConsent("con_c", party: "coach-org", purposes: [Purpose.Coaching], categories: [DataCategory.Education]);

        var result = router.Route(SchoolLeaving, Context(coach: CoachOf(), consents: [consent]), Now);

        var decision = Assert.Single(result.Decisions);
        Assert.Equal("coach-org", decision.Recipient);
        Assert.Equal([RoutingRuleSet.CoachContinuityRuleId], decision.RuleIds);
        Assert.Equal("coach-continuity", RoutingRuleSet.CoachContinuityRuleId);
        Assert.Equal(Purpose.Coaching, decision.Purpose);
        Assert.Equal(RecipientOutcome.Content, decision.Outcome);
        Assert.Equal("con_c", decision.ConsentId);
        Assert.Empty(result.MatchedRules);
    }

    [Fact]
    public void Signal_AddsTheCoachForSignalFollowUp()
    {
        var router = MakeRouter(Rules());

        var decision = Assert.Single(router.Route(EvictionSignal, Context(coach: CoachOf()), Now).Decisions);

        Assert.Equal("coach-org", decision.Recipient);
        Assert.Equal([RoutingRuleSet.CoachContinuityRuleId], decision.RuleIds);
        Assert.Equal(Purpose.SignalFollowUp, decision.Purpose);
        Assert.Equal(RecipientOutcome.Blocked, decision.Outcome);
        Assert.Equal(DecisionReasons.NoConsent, decision.Reason);
    }

    [Fact]
    public void Referral_DoesNotAddTheCoach()
    {
        var router = MakeRouter(Rules(Rule("r1", "", """{ "target": "PERFORMERS", "purpose": "CARE_DELIVERY" }""")));

        var result = router.Route(DebtReferral, Context(coach: CoachOf()), Now);

        Assert.Equal(["zorg-a", "zorg-b"], Recipients(result));
        Assert.DoesNotContain(result.Decisions, d => d.RuleIds.Contains(RoutingRuleSet.CoachContinuityRuleId));
    }

    [Fact]
    public void ReferralUpdate_DoesNotAddTheCoach()
    {
        var router = MakeRouter(Rules());
        var update = new RoutingFacts(MessageType.ReferralUpdate, "zorg-a", [DataCategory.SupportPlan], Service: ServiceKind.DebtCounselling, Requester: "wijkteam-noord");

        Assert.Empty(router.Route(update, Context(coach: CoachOf()), Now).Decisions);
    }

    [Fact]
    public void CoachAlsoTargetedByARule_GetsOneDecisionNamingBothRules()
    {
        var router = MakeRouter(Rules(Rule("r1", "", """{ "target": "COACH", "purpose": "SIGNAL_FOLLOW_UP" }""")));

        var decision = Assert.Single(router.Route(EvictionSignal, Context(coach: CoachOf()), Now).Decisions);

        Assert.Equal("coach-org", decision.Recipient);
        Assert.Equal(["r1", RoutingRuleSet.CoachContinuityRuleId], decision.RuleIds);
    }

    [Fact]
    public void NoCoach_NoCoachDecision() =>
        Assert.Empty(MakeRouter(Rules()).Route(SchoolLeaving, Context(), Now).Decisions);

    // ---- the sender ----------------------------------------------------------------------------------

    [Fact]
    public void Sender_IsNeverARecipient()
    {
        var router = MakeRouter(Rules(Rule("r1", "", ToParty("school-a") + ", " + ToParty("zorg-a"))));

        var result = router.Route(EvictionSignal, Context(), Now);

        Assert.Equal(["zorg-a"], Recipients(result));
    }

    [Fact]
    public void CoachSendingASignal_DoesNotReceiveIt()
    {
        var router = MakeRouter(Rules());

        Assert.Empty(router.Route(EvictionSignal with { Sender = "coach-org" }, Context(coach: CoachOf()), Now).Decisions);
    }

    // ---- matching ------------------------------------------------------------------------------------

    [Fact]
    public void SignalKindRule_MatchesThatKindOnly()
    {
        var router = MakeRouter(Rules(Rule("evictions", """ "signalKinds": ["EVICTION_RISK"] """, ToParty("zorg-a"))));

        Assert.Equal(["evictions"], router.Route(EvictionSignal, Context(), Now).MatchedRules.Select(r => r.Id));
        Assert.Empty(router.Route(EvictionSignal with { SignalKind = SignalKind.RentArrears }, Context(), Now).Decisions);
    }

    [Fact]
    public void SignalKindRule_DoesNotMatchATransition()
    {
        var router = MakeRouter(Rules(Rule("evictions", """ "signalKinds": ["EVICTION_RISK"] """, ToParty("zorg-a"))));

        var result = router.Route(SchoolLeaving, Context(), Now);

        Assert.Empty(result.MatchedRules);
        Assert.Empty(result.Decisions);
    }

    [Fact]
    public void EmptyMatch_MatchesEveryMessage()
    {
        var router = MakeRouter(Rules(Rule("all", "", ToParty("zorg-b"))));

        Assert.Single(router.Route(EvictionSignal, Context(), Now).Decisions);
        Assert.Single(router.Route(SchoolLeaving, Context(), Now).Decisions);
        Assert.Single(router.Route(DebtReferral, Context(), Now).Decisions);
    }

    [Fact]
    public void MessageTypeRule_MatchesThatTypeOnly()
    {
        var router = MakeRouter(Rules(Rule("signals", """ "messageTypes": ["SIGNAL"] """, ToParty("zorg-b"))));

        Assert.Single(router.Route(EvictionSignal, Context(), Now).Decisions);
        Assert.Empty(router.Route(SchoolLeaving, Context(), Now).Decisions);
    }

    [Fact]
    public void SeverityRule_MatchesThoseSeveritiesOnly()
    {
        var router = MakeRouter(Rules(Rule("urgent", """ "severities": ["URGENT", "CRISIS"] """, ToParty("zorg-a"))));

        Assert.Single(router.Route(EvictionSignal, Context(), Now).Decisions);
        Assert.Single(router.Route(EvictionSignal with { Severity = SignalSeverity.Crisis }, Context(), Now).Decisions);
        Assert.Empty(router.Route(EvictionSignal with { Severity = SignalSeverity.Concern }, Context(), Now).Decisions);
    }

    [Fact]
    public void DomainRule_MatchesThatDomainOnly()
    {
        var router = MakeRouter(Rules(Rule("housing", """ "lifeDomains": ["HOUSING"] """, ToParty("zorg-a"))));

        Assert.Single(router.Route(EvictionSignal, Context(), Now).Decisions);
        Assert.Empty(router.Route(EvictionSignal with { Domain = LifeDomain.Finances }, Context(), Now).Decisions);
    }

    [Fact]
    public void ServiceRule_MatchesThatServiceOnly()
    {
        var router = MakeRouter(Rules(Rule("debts", """ "services": ["DEBT_COUNSELLING"] """, ToParty("sd-zwijndrecht", "CARE_DELIVERY"))));

        Assert.Single(router.Route(DebtReferral, Context(), Now).Decisions);
        Assert.Empty(router.Route(DebtReferral with { Service = ServiceKind.YouthCare }, Context(), Now).Decisions);
        Assert.Empty(router.Route(EvictionSignal, Context(), Now).Decisions);
    }

    [Fact]
    public void MunicipalityRule_MatchesClientsOfThatMunicipalityOnly()
    {
        var router = MakeRouter(Rules(Rule("zwijndrecht", """ "municipalities": ["0642"] """, ToParty("zorg-a"))));

        Assert.Single(router.Route(EvictionSignal, Context(Client(municipality: Zwijndrecht)), Now).Decisions);
        Assert.Empty(router.Route(EvictionSignal, Context(Client(municipality: Dordrecht)), Now).Decisions);
    }

    [Theory]
    [InlineData("2008-06-01", false)] // 16
    [InlineData("2007-01-16", false)] // 17, turns 18 tomorrow
    [InlineData("2007-01-14", true)]  // 18 today
    [InlineData("1998-01-15", true)]  // 26, turns 27 tomorrow
    [InlineData("1998-01-14", false)] // 27 today
    public void AgeRule_MatchesAgesWithinBounds(string birthDate, bool matches)
    {
        var router = MakeRouter(Rules(Rule("young-adults", """ "minAge": 18, "maxAge": 26 """, ToParty("zorg-a"))));
        var client = Client(DateOnly.Parse(birthDate, System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(matches, router.Route(EvictionSignal, Context(client), Now).Decisions.Count == 1);
    }

    [Fact]
    public void AgeRule_UsesTheDutchDate()
    {
        var router = MakeRouter(Rules(Rule("adults", """ "minAge": 18 """, ToParty("zorg-a"))));
        var client = Client(new DateOnly(2007, 1, 15));

        // 2025-01-14 23:30 UTC is already 2025-01-15 in Amsterdam: the client's 18th birthday.
        Assert.Empty(router.Route(EvictionSignal, Context(client), new DateTimeOffset(2025, 1, 14, 22, 59, 59, TimeSpan.Zero)).Decisions);
        Assert.Single(router.Route(EvictionSignal, Context(client), new DateTimeOffset(2025, 1, 14, 23, 30, 0, TimeSpan.Zero)).Decisions);
    }

    // ---- targets -------------------------------------------------------------------------------------

    [Fact]
    public void SocialServiceTarget_IsTheServiceOfTheClientsMunicipality()
    {
        var router = MakeRouter(Rules(Rule("r1", "", """{ "target": "SOCIAL_SERVICE", "purpose": "SIGNAL_FOLLOW_UP" }""")));

        Assert.Equal(["sd-zwijndrecht"], Recipients(router.Route(EvictionSignal, Context(Client(municipality: Zwijndrecht)), Now)));
        Assert.Equal(["sd-dordrecht"], Recipients(router.Route(EvictionSignal, Context(Client(municipality: Dordrecht)), Now)));

        // No social service for the municipality: the sender is told, never silence.
        var none = Assert.Single(router.Route(EvictionSignal, Context(Client(municipality: "0363")), Now).Decisions);
        Assert.Equal((string.Empty, DecisionReasons.NoSocialService), (none.Recipient, none.Reason));
    }

    [Fact]
    public void CurrentProvidersTarget_TakesProvidersWithARoleNow()
    {
        var router = MakeRouter(Rules(Rule("r1", "", """{ "target": "CURRENT_PROVIDERS", "purpose": "SIGNAL_FOLLOW_UP" }""")));
        ClientRole[] roles =
        [
            Role("zorg-a", RoleKind.Provider),
            Role("zorg-b", RoleKind.Provider, until: Now), // ended at this instant
            Role("coach-org", RoleKind.Provider, from: Now.AddSeconds(1)), // not yet started
            Role("sd-zwijndrecht", RoleKind.SocialService),
            Role("school-b", RoleKind.School),
        ];

        Assert.Equal(["zorg-a"], Recipients(router.Route(EvictionSignal, Context(roles: roles), Now)));
        Assert.Equal(["zorg-a", "zorg-b"], Recipients(router.Route(EvictionSignal, Context(roles: roles), Now.AddSeconds(-1))));
    }

    [Fact]
    public void SchoolOfRecordTarget_TakesTheCurrentSchoolOnly()
    {
        var router = MakeRouter(Rules(Rule("r1", "", """{ "target": "SCHOOL_OF_RECORD", "purpose": "SIGNAL_FOLLOW_UP" }""")));
        ClientRole[] roles =
        [
            Role("school-b", RoleKind.School, from: Now.AddYears(-3), until: Now.AddDays(-30)),
            Role("school-a", RoleKind.School, from: Now.AddDays(-30)),
            Role("zorg-a", RoleKind.Provider),
        ];

        // The sender (school-a) is never a recipient, so route a signal of another sender.
        var result = router.Route(EvictionSignal with { Sender = "wijkteam-noord" }, Context(roles: roles), Now);

        Assert.Equal(["school-a"], Recipients(result));
        Assert.Equal(["school-b"], Recipients(router.Route(EvictionSignal with { Sender = "wijkteam-noord" }, Context(roles: roles), Now.AddDays(-31))));
    }

    [Fact]
    public void MessageTargets_ResolveFromTheFacts()
    {
        var router = MakeRouter(Rules(
            Rule("to", "", """{ "target": "TRANSITION_TO", "purpose": "TRANSITION" }"""),
            Rule("from", "", """{ "target": "TRANSITION_FROM", "purpose": "TRANSITION" }"""),
            Rule("requester", "", """{ "target": "REQUESTER", "purpose": "CARE_DELIVERY" }""")));

        var transition = router.Route(SchoolLeaving with { Sender = "wijkteam-noord" }, Context(), Now);
        Assert.Equal(["school-a", "zorg-a"], Recipients(transition));
        Assert.Equal(["to"], Only(transition, "zorg-a").RuleIds);
        Assert.Equal(["from"], Only(transition, "school-a").RuleIds);

        var update = new RoutingFacts(MessageType.ReferralUpdate, "zorg-a", [DataCategory.SupportPlan], Requester: "wijkteam-noord");
        Assert.Equal(["wijkteam-noord"], Recipients(router.Route(update, Context(), Now)));
    }

    [Fact]
    public void UnknownPartyInFacts_IsSkipped()
    {
        var router = MakeRouter(Rules(Rule("r1", "", """{ "target": "PERFORMERS", "purpose": "CARE_DELIVERY" }""")));

        var result = router.Route(DebtReferral with { Performers = ["zorg-a", "nobody", "zorg-a"] }, Context(), Now);

        Assert.Equal(["zorg-a"], Recipients(result));
    }

    // ---- acknowledgement deadlines -----------------------------------------------------------------

    [Fact]
    public void AcknowledgeWithin_SetsDeadlineAndEscalationTarget()
    {
        var router = MakeRouter(Rules(Rule("r1", "", ToParty("zorg-a", extra: """, "thinNotice": true """),
            """, "acknowledgeWithin": "PT4H", "escalateTo": { "target": "PARTY", "party": "wijkteam-noord" } """)));

        var decision = Assert.Single(router.Route(EvictionSignal, Context(), Now).Decisions);

        Assert.Equal(RecipientOutcome.ThinNotice, decision.Outcome);
        Assert.Equal(Now.AddHours(4), decision.AckDeadline);
        Assert.Equal("wijkteam-noord", decision.EscalationTarget);
    }

    [Fact]
    public void AcknowledgeWithin_EscalateToCoach_NamesTheCoach()
    {
        var router = MakeRouter(Rules(Rule("r1", "", ToParty("zorg-a"), """, "acknowledgeWithin": "P1D", "escalateTo": { "target": "COACH" } """)));

        var decision = Assert.Single(router.Route(EvictionSignal, Context(consents: [SignalConsent("con_1", "zorg-a")]), Now).Decisions);

        Assert.Equal(RecipientOutcome.Content, decision.Outcome);
        Assert.Equal(Now.AddDays(1), decision.AckDeadline);
        Assert.Equal("coach", decision.EscalationTarget);
    }

    [Fact]
    public void AcknowledgeWithin_BlockedRecipient_GetsNoDeadline()
    {
        var router = MakeRouter(Rules(Rule("r1", "", ToParty("zorg-a"), """, "acknowledgeWithin": "PT4H", "escalateTo": { "target": "COACH" } """)));

        var decision = Assert.Single(router.Route(EvictionSignal, Context(), Now).Decisions);

        Assert.Equal(RecipientOutcome.Blocked, decision.Outcome);
        Assert.Null(decision.AckDeadline);
        Assert.Null(decision.EscalationTarget);
    }

    [Fact]
    public void TwoRulesWithDeadlines_TheShortestWins()
    {
        var router = MakeRouter(Rules(
            Rule("slow", "", ToParty("zorg-a"), """, "acknowledgeWithin": "P2D", "escalateTo": { "target": "COACH" } """),
            Rule("fast", "", ToParty("zorg-a"), """, "acknowledgeWithin": "PT2H", "escalateTo": { "target": "PARTY", "party": "sd-zwijndrecht" } """)));

        var decision = Assert.Single(router.Route(EvictionSignal, Context(consents: [SignalConsent("con_1", "zorg-a")]), Now).Decisions);

        Assert.Equal(Now.AddHours(2), decision.AckDeadline);
        Assert.Equal("sd-zwijndrecht", decision.EscalationTarget);
    }

    // ---- several rules for one recipient -----------------------------------------------------------

    [Fact]
    public void TwoRulesForOneParty_BestOutcomeWinsAndBothRulesAreNamed()
    {
        var blocked = Rule("care", "", ToParty("zorg-a", "CARE_DELIVERY"));
        var covered = Rule("follow-up", "", ToParty("zorg-a", "SIGNAL_FOLLOW_UP"));
        var context = Context(consents: [SignalConsent("con_1", "zorg-a")]);

        foreach (var router in new[] { MakeRouter(Rules(blocked, covered)), MakeRouter(Rules(covered, blocked)) })
        {
            var result = router.Route(EvictionSignal, context, Now);
            var decision = Assert.Single(result.Decisions);

            Assert.Equal(RecipientOutcome.Content, decision.Outcome);
            Assert.Equal(Purpose.SignalFollowUp, decision.Purpose);
            Assert.Equal("con_1", decision.ConsentId);
            Assert.Equal(2, result.MatchedRules.Count);
            Assert.Equal(2, decision.RuleIds.Count);
            Assert.Contains("care", decision.RuleIds);
            Assert.Contains("follow-up", decision.RuleIds);
        }
    }

    [Fact]
    public void ThinNoticeAndWait_ThinNoticeWins()
    {
        var waiting = Rule("wait", "", ToParty("zorg-a", extra: """, "awaitConsent": "P30D" """));
        var thin = Rule("thin", "", ToParty("zorg-a", extra: """, "thinNotice": true """));

        foreach (var router in new[] { MakeRouter(Rules(waiting, thin)), MakeRouter(Rules(thin, waiting)) })
        {
            var decision = Assert.Single(router.Route(EvictionSignal, Context(), Now).Decisions);
            Assert.Equal(RecipientOutcome.ThinNotice, decision.Outcome);
            Assert.Equal(2, decision.RuleIds.Count);
        }
    }

    [Fact]
    public void SeveralRecipients_EachGetTheirOwnDecision()
    {
        var router = MakeRouter(Rules(Rule("r1", "", ToParty("zorg-a") + ", " + ToParty("zorg-b", extra: """, "thinNotice": true """))));

        var result = router.Route(EvictionSignal, Context(consents: [SignalConsent("con_1", "zorg-a")]), Now);

        Assert.Equal(RecipientOutcome.Content, Only(result, "zorg-a").Outcome);
        Assert.Equal(RecipientOutcome.ThinNotice, Only(result, "zorg-b").Outcome);
    }

    // ---- reconsider ----------------------------------------------------------------------------------

    [Fact]
    public void Reconsider_ConsentNowCovers_GivesContent()
    {
        var router = MakeRouter(Rules(Rule("r1", "", ToParty("zorg-a", extra: """, "awaitConsent": "P30D" """))));
        var awaiting = Assert.Single(router.Route(EvictionSignal, Context(), Now).Decisions);
        Assert.Equal(RecipientOutcome.AwaitingConsent, awaiting.Outcome);

        var later = Now.AddDays(3);
        var decision = router.Reconsider(awaiting, ProviderA, Context(consents: [SignalConsent("con_1", "zorg-a")]), later);

        Assert.Equal(RecipientOutcome.Content, decision.Outcome);
        Assert.Equal("con_1", decision.ConsentId);
        Assert.Equal(DecisionReasons.ConsentActive, decision.Reason);
        Assert.Null(decision.AwaitUntil);
        Assert.Equal(["r1"], decision.RuleIds);
    }

    [Fact]
    public void Reconsider_ConsentWithdrawn_IsBlocked()
    {
        var router = MakeRouter(Rules(Rule("r1", "", ToParty("zorg-a"))));
        var content = Assert.Single(router.Route(EvictionSignal, Context(consents: [SignalConsent("con_1", "zorg-a")]), Now).Decisions);
        Assert.Equal(RecipientOutcome.Content, content.Outcome);

        var withdrawn = Context(consents: [SignalConsent("con_1", "zorg-a", withdrawn: Now.AddHours(1))]);
        var decision = router.Reconsider(content, ProviderA, withdrawn, Now.AddHours(2));

        Assert.Equal(RecipientOutcome.Blocked, decision.Outcome);
        Assert.Equal(DecisionReasons.ConsentWithdrawn, decision.Reason);
        Assert.Null(decision.AwaitUntil);
    }

    [Fact]
    public void Reconsider_ConsentExpired_AwaitsForTheDefaultWait()
    {
        var router = MakeRouter(Rules(Rule("r1", "", ToParty("zorg-a"))));
        var consent = SignalConsent("con_1", "zorg-a") with { End = Now.AddHours(1) };
        var content = Assert.Single(router.Route(EvictionSignal, Context(consents: [consent]), Now).Decisions);

        var decision = router.Reconsider(content, ProviderA, Context(consents: [consent]), Now.AddHours(2));

        Assert.Equal(RecipientOutcome.AwaitingConsent, decision.Outcome);
        Assert.Equal(DecisionReasons.NoConsent, decision.Reason);
        Assert.Null(decision.ConsentId);
        Assert.Equal(Now.AddHours(2).AddDays(90), decision.AwaitUntil);
    }

    [Fact]
    public void Reconsider_StillNoConsent_KeepsTheWaitDeadline()
    {
        var router = MakeRouter(Rules(Rule("r1", "", ToParty("zorg-a", extra: """, "awaitConsent": "P30D" """))));
        var awaiting = Assert.Single(router.Route(EvictionSignal, Context(), Now).Decisions);

        var decision = router.Reconsider(awaiting, ProviderA, Context(), Now.AddDays(5));

        Assert.Equal(RecipientOutcome.AwaitingConsent, decision.Outcome);
        Assert.Equal(Now.AddDays(30), decision.AwaitUntil);
    }

    [Fact]
    public void Reconsider_LegalBasis_IsUnchanged()
    {
        var router = MakeRouter(Rules(Rule("meldcode", "", ToParty("zorg-a", extra: """, "legalBasis": "Wet meldcode" """))));
        var legal = Assert.Single(router.Route(EvictionSignal, Context(), Now).Decisions);

        var withdrawn = Context(consents: [SignalConsent("con_1", "zorg-a", withdrawn: Now)]);
        var decision = router.Reconsider(legal, ProviderA, withdrawn, Now.AddDays(1));

        Assert.Same(legal, decision);
        Assert.Equal(RecipientOutcome.Content, decision.Outcome);
        Assert.Equal(DecisionReasons.LegalBasis, decision.Reason);
    }

    [Fact]
    public void Route_SameInputs_GiveTheSameDecisions()
    {
        var router = MakeRouter(Rules(Rule("r1", "", ToParty("zorg-a") + ", " + ToParty("zorg-b", extra: """, "thinNotice": true """))));
        var context = Context(coach: CoachOf(), consents: [SignalConsent("con_1", "zorg-a")]);

        var first = router.Route(EvictionSignal, context, Now).Decisions;
        var second = router.Route(EvictionSignal, context, Now).Decisions;

        Assert.Equal(first.Select(Describe), second.Select(Describe));

        static string Describe(Decision d) => $"{d.Recipient}|{d.Outcome}|{d.Reason}|{d.ConsentId}|{string.Join(",", d.RuleIds)}|{d.Explanation}";
    }
}

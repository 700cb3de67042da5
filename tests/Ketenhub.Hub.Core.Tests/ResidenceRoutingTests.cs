using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Routing;
using static Ketenhub.Hub.Core.Tests.RouterTests;
using static Ketenhub.Hub.Core.Tests.TestData;

namespace Ketenhub.Hub.Core.Tests;

/// <summary>Where the client lives: the residence history, and routing by the municipality of the message's date.</summary>
public class ResidenceRoutingTests
{
    private static readonly DateOnly MoveDate = new(2025, 2, 1);

    private static ClientRecord Moved() =>
        Client().WithResidence(new Residence(Dordrecht, MoveDate, ResidenceSource.Relocation, "coach-org", Now, "trn_1"));

    [Fact]
    public void MunicipalityOn_FollowsTheResidences_ByDate()
    {
        var client = Moved().WithResidence(new Residence("0590", new DateOnly(2025, 6, 1), ResidenceSource.PersonSource, "person-source", Now));

        Assert.Equal(Zwijndrecht, client.MunicipalityOn(MoveDate.AddDays(-1)));
        Assert.Equal(Dordrecht, client.MunicipalityOn(MoveDate));
        Assert.Equal(Dordrecht, client.MunicipalityOn(new DateOnly(2025, 5, 31)));
        Assert.Equal("0590", client.MunicipalityOn(new DateOnly(2025, 6, 1)));

        // The municipality at a time is that of its date in the Netherlands: 23:30 UTC on 31 January is 1 February.
        Assert.Equal(Dordrecht, client.MunicipalityAt(new DateTimeOffset(2025, 1, 31, 23, 30, 0, TimeSpan.Zero)));
        Assert.Equal(Zwijndrecht, client.MunicipalityAt(new DateTimeOffset(2025, 1, 31, 22, 30, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void WithResidence_KeepsDateOrder_WhenAnEarlierMoveIsRecordedLater()
    {
        var client = Client()
            .WithResidence(new Residence("0590", new DateOnly(2025, 6, 1), ResidenceSource.Relocation, "a", Now))
            .WithResidence(new Residence(Dordrecht, MoveDate, ResidenceSource.Correction, "b", Now));

        Assert.Equal([Dordrecht, "0590"], client.Residences.Select(r => r.MunicipalityCode));
        Assert.Equal(Dordrecht, client.MunicipalityOn(new DateOnly(2025, 3, 1)));
    }

    [Fact]
    public void PlanningAMove_EndsOnlyTheSocialServiceRoleOfAServiceThatDoesNotServeTheNewMunicipality()
    {
        var roles = new List<ClientRole>
        {
            new("rol_sd", "cli_test1", SocialServiceZwijndrecht.Id, RoleKind.SocialService, Now.AddDays(-30), null, "trn_0"),
            new("rol_coach", "cli_test1", SocialServiceZwijndrecht.Id, RoleKind.Coach, Now.AddDays(-30), null, "asg"),
            new("rol_p", "cli_test1", ProviderA.Id, RoleKind.Provider, Now.AddDays(-30), null, "ref"),
        };

        var move = ClientMoves.Plan(Client(), roles, AllParties(), Dordrecht, MoveDate, ResidenceSource.Relocation, "coach-org", Now, "trn_1")!;

        Assert.Equal(Zwijndrecht, move.PreviousMunicipality);
        Assert.Equal(Dordrecht, move.Client.MunicipalityOn(MoveDate));
        var ended = Assert.Single(move.EndedRoles);
        Assert.Equal(("rol_sd", DutchTime.StartOf(MoveDate), "trn_1"), (ended.Id, ended.Until!.Value, ended.Source));

        // A move to where the client already lives that day is no move.
        Assert.Null(ClientMoves.Plan(Client(), roles, AllParties(), Zwijndrecht, MoveDate, ResidenceSource.Relocation, "coach-org", Now, null));
    }

    [Fact]
    public void Routing_UsesTheMunicipalityOfTheMessagesDate()
    {
        var router = MakeRouter(Rules(Rule("sd", "\"municipalities\": [\"0505\"]", """{ "target": "SOCIAL_SERVICE", "purpose": "SIGNAL_FOLLOW_UP", "thinNotice": true }""")));

        Assert.Empty(router.Route(EvictionSignal, Context(Moved()), Now).Decisions);
        var after = router.Route(EvictionSignal, Context(Moved()), DutchTime.StartOf(MoveDate));
        Assert.Equal(SocialServiceDordrecht.Id, Assert.Single(after.Decisions).Recipient);
    }

    [Fact]
    public void ARelocation_IsRoutedForTheNewMunicipality_AndTheOldOneGetsANoticeOnly()
    {
        var router = MakeRouter(Rules(
            Rule("new", "\"transitionKinds\": [\"RELOCATION\"]", """{ "target": "SOCIAL_SERVICE", "purpose": "TRANSITION", "awaitConsent": "P30D" }, { "target": "WIJKTEAM", "purpose": "TRANSITION" }"""),
            Rule("old", "\"transitionKinds\": [\"RELOCATION\"]", """{ "target": "PREVIOUS_SOCIAL_SERVICE", "purpose": "TRANSITION", "noticeOnly": true }, { "target": "PREVIOUS_WIJKTEAM", "purpose": "TRANSITION", "noticeOnly": true }""")));
        var facts = new RoutingFacts(MessageType.Transition, "coach-org", [DataCategory.SupportPlan], TransitionKind: TransitionKind.Relocation)
        {
            Municipality = Dordrecht,
            PreviousMunicipality = Zwijndrecht,
        };
        var consentForOld = NewConsent("con_1", party: SocialServiceZwijndrecht.Id, purposes: [Purpose.Transition], categories: [DataCategory.SupportPlan]);

        var result = router.Route(facts, Context(consents: consentForOld), Now);

        var toNew = Assert.Single(result.Decisions, d => d.Recipient == SocialServiceDordrecht.Id);
        Assert.Equal((RecipientOutcome.AwaitingConsent, DecisionReasons.NoConsent), (toNew.Outcome, toNew.Reason));

        // The old social service gets a notice only, though a consent would cover the content: the rule says notice.
        var toOld = Assert.Single(result.Decisions, d => d.Recipient == SocialServiceZwijndrecht.Id);
        Assert.Equal((RecipientOutcome.ThinNotice, DecisionReasons.NoticeRule), (toOld.Outcome, toOld.Reason));
        Assert.Empty(toOld.Categories);
        Assert.Equal((RecipientOutcome.ThinNotice, DecisionReasons.NoticeRule), (Assert.Single(result.Decisions, d => d.Recipient == Wijkteam.Id).Outcome, DecisionReasons.NoticeRule));

        // Dordrecht has no wijkteam: the sender is told, with a decision without a recipient.
        var none = Assert.Single(result.Decisions, d => d.Recipient.Length == 0);
        Assert.Equal((RecipientOutcome.Blocked, DecisionReasons.NoWijkteam), (none.Outcome, none.Reason));
        Assert.Equal(["new"], none.RuleIds);
        Assert.Contains(Dordrecht, none.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void NoSocialServiceForTheMunicipality_IsACodedDecisionWithoutRecipient()
    {
        var router = MakeRouter(Rules(Rule("sd", "", """{ "target": "SOCIAL_SERVICE", "purpose": "SIGNAL_FOLLOW_UP" }""")));

        var decision = Assert.Single(router.Route(EvictionSignal, Context(Client(municipality: "0363")), Now).Decisions);

        Assert.Equal((string.Empty, RecipientOutcome.Blocked, DecisionReasons.NoSocialService), (decision.Recipient, decision.Outcome, decision.Reason));
        Assert.Contains("0363", decision.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void ASocialServiceNamedForAClientOfAnotherMunicipality_GetsNothing_EvenWithConsentOrLegalBasis()
    {
        var router = MakeRouter(Rules(Rule("named", "", ToParty(SocialServiceDordrecht.Id, extra: ", \"legalBasis\": \"test basis\""))));

        var decision = Assert.Single(router.Route(EvictionSignal, Context(), Now).Decisions);

        Assert.Equal((RecipientOutcome.Blocked, DecisionReasons.NotServingMunicipality), (decision.Outcome, decision.Reason));
        Assert.Contains(Zwijndrecht, decision.Explanation, StringComparison.Ordinal);

        // A party of another kind named the same way is not checked against the municipality.
        var provider = MakeRouter(Rules(Rule("named", "", ToParty(ProviderA.Id, extra: ", \"legalBasis\": \"test basis\""))));
        Assert.Equal(RecipientOutcome.Content, Assert.Single(provider.Route(EvictionSignal, Context(), Now).Decisions).Outcome);
    }

    [Theory]
    [InlineData("""{ "target": "PREVIOUS_SOCIAL_SERVICE", "purpose": "TRANSITION" }""", "noticeOnly")]
    [InlineData("""{ "target": "WIJKTEAM", "purpose": "TRANSITION", "noticeOnly": true, "thinNotice": true }""", "targets[0].noticeOnly")]
    [InlineData("""{ "target": "COACH", "purpose": "TRANSITION", "noticeOnly": true, "legalBasis": "x" }""", "targets[0].noticeOnly")]
    public void NoticeOnlyTargets_AreValidated(string target, string field)
    {
        var error = Assert.Throws<ConfigFileException>(() => MakeRouter(Rules(Rule("r", "", target))));

        Assert.Contains(field, error.Message, StringComparison.Ordinal);
    }
}

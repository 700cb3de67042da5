using Ketenhub.Hub.Common;
using Ketenhub.Hub.Parties;
using Ketenhub.Hub.Routing;

namespace Ketenhub.Hub.Core.Tests;

public class RoutingConfigLoaderTests
{
    private const string File = "routing.json";

    private const string ValidJson = """
        {
          // comments and trailing commas are allowed
          "rules": [
            {
              "id": "eviction-to-social-service",
              "description": "Eviction risks go to the social service, which must react within four hours.",
              "match": {
                "messageTypes": ["SIGNAL"],
                "signalKinds": ["EVICTION_RISK", "RENT_ARREARS"],
                "severities": ["URGENT", "CRISIS"],
                "lifeDomains": ["HOUSING"],
                "municipalities": ["0642", "0505"],
                "minAge": 16,
                "maxAge": 27,
              },
              "targets": [
                { "target": "SOCIAL_SERVICE", "purpose": "SIGNAL_FOLLOW_UP", "thinNotice": true },
                { "target": "PARTY", "party": "wijkteam-noord", "purpose": "SIGNAL_FOLLOW_UP", "awaitConsent": "P90D" },
              ],
              "acknowledgeWithin": "PT4H",
              "escalateTo": { "target": "PARTY", "party": "wijkteam-noord" },
            },
            {
              "id": "school-leaver",
              "description": "School leavers at 18.",
              "match": { "messageTypes": ["TRANSITION"], "transitionKinds": ["SCHOOL_LEAVER_18"], "services": ["DEBT_COUNSELLING"] },
              "targets": [ { "target": "CURRENT_PROVIDERS", "purpose": "TRANSITION", "legalBasis": "Wet op het onderwijs art. 1" } ],
              "acknowledgeWithin": "P2D",
              "escalateTo": { "target": "COACH" }
            }
          ]
        }
        """;

    private static RoutingRuleSet Parse(string json) => RoutingConfigLoader.Parse(json, File, TestData.AllParties());

    private static IReadOnlyList<string> Errors(string json) => Assert.Throws<ConfigFileException>(() => Parse(json)).Errors;

    /// <summary>A file with one rule; <paramref name="rule"/> is the body of that rule object.</summary>
    private static string OneRule(string rule) => $$"""{ "rules": [ { {{rule}} } ] }""";

    private const string Basic = """
        "id": "r1", "description": "d", "match": { "messageTypes": ["SIGNAL"] },
        "targets": [ { "target": "PARTY", "party": "zorg-a", "purpose": "COACHING" } ]
        """;

    private static void AssertSingleError(IReadOnlyList<string> errors, params string[] parts)
    {
        var error = Assert.Single(errors);
        Assert.StartsWith(File + ": ", error, StringComparison.Ordinal);
        foreach (var part in parts)
        {
            Assert.Contains(part, error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ValidFile_ParsesRulesMatchesAndTargets()
    {
        var set = Parse(ValidJson);

        Assert.Equal(["eviction-to-social-service", "school-leaver"], set.Rules.Select(r => r.Id));
        var eviction = set.Rules[0];
        Assert.Equal("Eviction risks go to the social service, which must react within four hours.", eviction.Description);
        Assert.Equal([MessageType.Signal], eviction.Match.MessageTypes);
        Assert.True(eviction.Match.SignalKinds.SetEquals([SignalKind.EvictionRisk, SignalKind.RentArrears]));
        Assert.True(eviction.Match.Severities.SetEquals([SignalSeverity.Urgent, SignalSeverity.Crisis]));
        Assert.True(eviction.Match.LifeDomains.SetEquals([LifeDomain.Housing]));
        Assert.True(eviction.Match.Municipalities.SetEquals(["0642", "0505"]));
        Assert.Empty(eviction.Match.TransitionKinds);
        Assert.Empty(eviction.Match.Services);
        Assert.Equal(16, eviction.Match.MinAge);
        Assert.Equal(27, eviction.Match.MaxAge);

        Assert.Equal(2, eviction.Targets.Count);
        Assert.Equal(new RuleTarget(TargetKind.SocialService, null, Purpose.SignalFollowUp, null, true, null), eviction.Targets[0]);
        Assert.Equal(new RuleTarget(TargetKind.Party, "wijkteam-noord", Purpose.SignalFollowUp, null, false, TimeSpan.FromDays(90)), eviction.Targets[1]);
        Assert.Equal(TimeSpan.FromHours(4), eviction.AcknowledgeWithin);
        Assert.Equal(new EscalationTarget(TargetKind.Party, "wijkteam-noord"), eviction.EscalateTo);
        Assert.Equal("wijkteam-noord", eviction.EscalateTo!.Code);

        var leaver = set.Rules[1];
        Assert.True(leaver.Match.TransitionKinds.SetEquals([TransitionKind.SchoolLeaver18]));
        Assert.True(leaver.Match.Services.SetEquals([ServiceKind.DebtCounselling]));
        Assert.Null(leaver.Match.MinAge);
        Assert.Null(leaver.Match.MaxAge);
        Assert.Equal(new RuleTarget(TargetKind.CurrentProviders, null, Purpose.Transition, "Wet op het onderwijs art. 1", false, null), Assert.Single(leaver.Targets));
        Assert.Equal(TimeSpan.FromDays(2), leaver.AcknowledgeWithin);
        Assert.Equal(new EscalationTarget(TargetKind.Coach, null), leaver.EscalateTo);
        Assert.Equal("coach", leaver.EscalateTo!.Code);
    }

    [Fact]
    public void DemoMark_IsReadFromTheTopLevel_AndMustBeABoolean()
    {
        Assert.False(Parse("""{ "rules": [] }""").IsDemo);
        Assert.True(Parse("""{ "demo": true, "rules": [] }""").IsDemo);
        var error = Assert.Single(Errors("""{ "demo": 1, "rules": [] }"""));
        Assert.Contains("field 'demo': must be true or false", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TheShippedDemoRules_AreMarkedAsDemo()
    {
        var root = Path.Combine(TestData.RepositoryRoot(), "src", "Hub", "Ketenhub.Hub", "config");
        var parties = PartyConfigLoader.LoadFile(Path.Combine(root, "parties.json"));
        Assert.True(RoutingConfigLoader.LoadFile(Path.Combine(root, "routing.json"), parties).IsDemo);
    }

    [Fact]
    public void EmptyRuleList_IsValid() => Assert.Empty(Parse("""{ "rules": [] }""").Rules);

    [Fact]
    public void MissingRulesList_IsAnError()
    {
        var errors = Errors("""{ "rule": [] }""");
        AssertSingleError(errors, "field 'rules'", "is required");
    }

    [Fact]
    public void UnknownRuleField_NamesRuleAndField()
    {
        var errors = Errors(OneRule(Basic + """, "priority": 3"""));

        AssertSingleError(errors, "rule 'r1' (rules[0])", "field 'priority'", "unknown field", "acknowledgeWithin");
    }

    [Fact]
    public void UnknownTargetField_NamesTheTarget()
    {
        var errors = Errors(OneRule("""
            "id": "r1", "description": "d", "match": {},
            "targets": [ { "target": "COACH", "purpose": "COACHING" }, { "target": "COACH", "purpose": "COACHING", "urgent": true } ]
            """));

        AssertSingleError(errors, "rule 'r1' (rules[0])", "field 'targets[1].urgent'", "unknown field");
    }

    [Fact]
    public void UnknownMatchField_NamesTheMatchField()
    {
        var errors = Errors(OneRule("""
            "id": "r1", "description": "d", "match": { "ages": [1] },
            "targets": [ { "target": "COACH", "purpose": "COACHING" } ]
            """));

        AssertSingleError(errors, "rule 'r1' (rules[0])", "field 'match.ages'", "unknown field");
    }

    [Fact]
    public void UnknownEnumValue_ListsTheAllowedValues()
    {
        var errors = Errors(OneRule("""
            "id": "r1", "description": "d", "match": { "messageTypes": ["SIGNAL", "LETTER"] },
            "targets": [ { "target": "COACH", "purpose": "COACHING" } ]
            """));

        AssertSingleError(errors, "rule 'r1' (rules[0])", "field 'match.messageTypes[1]'", "unknown value 'LETTER'", "expected one of REFERRAL, TRANSITION, SIGNAL, REFERRAL_UPDATE");
        Assert.DoesNotContain("UNSPECIFIED", errors[0], StringComparison.Ordinal);
    }

    [Fact]
    public void UnspecifiedEnumValue_IsRejected()
    {
        var errors = Errors(OneRule("""
            "id": "r1", "description": "d", "match": { "severities": ["UNSPECIFIED"] },
            "targets": [ { "target": "COACH", "purpose": "COACHING" } ]
            """));

        AssertSingleError(errors, "field 'match.severities[0]'", "unknown value 'UNSPECIFIED'", "expected one of INFO, CONCERN, URGENT, CRISIS");
    }

    [Fact]
    public void UnknownTargetKindAndPurpose_AreBothReported()
    {
        var errors = Errors(OneRule("""
            "id": "r1", "description": "d", "match": {},
            "targets": [ { "target": "EVERYONE", "purpose": "MARKETING" } ]
            """));

        Assert.Equal(2, errors.Count);
        Assert.Contains(errors, e => e.Contains("field 'targets[0].target'", StringComparison.Ordinal) && e.Contains("unknown value 'EVERYONE'", StringComparison.Ordinal) && e.Contains("CURRENT_PROVIDERS", StringComparison.Ordinal) && e.Contains("SCHOOL_OF_RECORD", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("field 'targets[0].purpose'", StringComparison.Ordinal) && e.Contains("SIGNAL_FOLLOW_UP", StringComparison.Ordinal) && e.Contains("INCOME_AND_PARTICIPATION", StringComparison.Ordinal));
    }

    [Fact]
    public void EnumValueWithDigits_RoundTripsInUpperSnake()
    {
        var errors = Errors(OneRule("""
            "id": "r1", "description": "d", "match": { "transitionKinds": ["SCHOOL_LEAVER_19"] },
            "targets": [ { "target": "COACH", "purpose": "COACHING" } ]
            """));

        AssertSingleError(errors, "field 'match.transitionKinds[0]'", "SCHOOL_LEAVER_18");
    }

    [Fact]
    public void UnknownPartyInTarget_NamesTheTargetsPartyField()
    {
        var json = """
            { "rules": [
              { "id": "first", "description": "d", "match": {}, "targets": [ { "target": "COACH", "purpose": "COACHING" } ] },
              { "id": "x", "description": "d", "match": {},
                "targets": [ { "target": "PARTY", "party": "nobody", "purpose": "COACHING" } ] }
            ] }
            """;

        AssertSingleError(Errors(json), "rule 'x' (rules[1])", "field 'targets[0].party'", "unknown party 'nobody'");
    }

    [Fact]
    public void PartyTargetWithoutParty_IsAnError() =>
        AssertSingleError(
            Errors(OneRule("""
                "id": "r1", "description": "d", "match": {}, "targets": [ { "target": "PARTY", "purpose": "COACHING" } ]
                """)),
            "rule 'r1' (rules[0])",
            "field 'targets[0].party'",
            "is required for target PARTY");

    [Fact]
    public void PartyOnNonPartyTarget_IsAnError() =>
        AssertSingleError(
            Errors(OneRule("""
                "id": "r1", "description": "d", "match": {}, "targets": [ { "target": "COACH", "party": "zorg-a", "purpose": "COACHING" } ]
                """)),
            "field 'targets[0].party'",
            "only allowed for target PARTY");

    [Fact]
    public void UnknownPartyInEscalation_NamesTheEscalationPartyField()
    {
        var errors = Errors(OneRule(Basic + """
            , "acknowledgeWithin": "PT4H", "escalateTo": { "target": "PARTY", "party": "nobody" }
            """));

        AssertSingleError(errors, "rule 'r1' (rules[0])", "field 'escalateTo.party'", "unknown party 'nobody'");
    }

    [Fact]
    public void EscalationToNonPartyNonCoach_IsAnError()
    {
        var errors = Errors(OneRule(Basic + """
            , "acknowledgeWithin": "PT4H", "escalateTo": { "target": "SOCIAL_SERVICE" }
            """));

        AssertSingleError(errors, "field 'escalateTo.target'", "must be PARTY or COACH");
    }

    [Fact]
    public void DuplicateRuleId_NamesTheSecondRule()
    {
        var json = $$"""{ "rules": [ { {{Basic}} }, { {{Basic}} } ] }""";

        AssertSingleError(Errors(json), "rule 'r1' (rules[1])", "field 'id'", "is used by another rule");
    }

    [Fact]
    public void ReservedCoachContinuityId_IsRejected()
    {
        var errors = Errors(OneRule(Basic.Replace("\"r1\"", "\"coach-continuity\"", StringComparison.Ordinal)));

        AssertSingleError(errors, "rule 'coach-continuity' (rules[0])", "field 'id'", "reserved");
    }

    [Theory]
    [InlineData("Upper-Case")]
    [InlineData("with space")]
    [InlineData("under_score")]
    public void RuleIdThatIsNotASlug_IsRejected(string id)
    {
        var errors = Errors(OneRule(Basic.Replace("\"r1\"", $"\"{id}\"", StringComparison.Ordinal)));

        AssertSingleError(errors, $"rule '{id}' (rules[0])", "field 'id'", "lower-case letters, digits and dashes");
    }

    [Fact]
    public void MissingId_NamesTheRuleByIndex()
    {
        var errors = Errors(OneRule("""
            "description": "d", "match": {}, "targets": [ { "target": "COACH", "purpose": "COACHING" } ]
            """));

        AssertSingleError(errors, "routing.json: rules[0]: field 'id': is required");
    }

    [Theory]
    [InlineData("")]
    [InlineData(""", "targets": [] """)]
    [InlineData(""", "targets": {} """)]
    public void MissingOrEmptyTargets_IsAnError(string targets)
    {
        var errors = Errors(OneRule($$"""
            "id": "r1", "description": "d", "match": {} {{targets}}
            """));

        AssertSingleError(errors, "rule 'r1' (rules[0])", "field 'targets'", "non-empty list");
    }

    [Fact]
    public void MissingMatch_IsAnError()
    {
        var errors = Errors(OneRule("""
            "id": "r1", "description": "d", "targets": [ { "target": "COACH", "purpose": "COACHING" } ]
            """));

        AssertSingleError(errors, "rule 'r1' (rules[0])", "field 'match'", "is required");
    }

    [Theory]
    [InlineData("\"thinNotice\": true")]
    [InlineData("\"awaitConsent\": \"P30D\"")]
    public void LegalBasisWithThinNoticeOrWait_IsAnError(string extra)
    {
        var errors = Errors(OneRule($$"""
            "id": "r1", "description": "d", "match": {},
            "targets": [ { "target": "COACH", "purpose": "COACHING" }, { "target": "SOCIAL_SERVICE", "purpose": "COACHING", "legalBasis": "Participatiewet", {{extra}} } ]
            """));

        AssertSingleError(errors, "rule 'r1' (rules[0])", "field 'targets[1].legalBasis'", "always gets content");
    }

    [Fact]
    public void AcknowledgeWithinWithoutEscalateTo_IsAnError()
    {
        var errors = Errors(OneRule(Basic + """, "acknowledgeWithin": "PT4H" """));

        AssertSingleError(errors, "rule 'r1' (rules[0])", "field 'escalateTo'", "acknowledgeWithin and escalateTo go together");
    }

    [Fact]
    public void EscalateToWithoutAcknowledgeWithin_IsAnError()
    {
        var errors = Errors(OneRule(Basic + """, "escalateTo": { "target": "COACH" } """));

        AssertSingleError(errors, "rule 'r1' (rules[0])", "field 'acknowledgeWithin'", "go together");
    }

    [Theory]
    [InlineData("4 hours", "ISO 8601 duration")]
    [InlineData("-PT4H", "positive duration")]
    [InlineData("PT0S", "positive duration")]
    public void BadDuration_IsAnError(string duration, string message)
    {
        var errors = Errors(OneRule(Basic + $$""", "acknowledgeWithin": "{{duration}}", "escalateTo": { "target": "COACH" } """));

        AssertSingleError(errors, "rule 'r1' (rules[0])", "field 'acknowledgeWithin'", message);
    }

    [Fact]
    public void MinAgeAboveMaxAge_IsAnError()
    {
        var errors = Errors(OneRule("""
            "id": "r1", "description": "d", "match": { "minAge": 30, "maxAge": 18 },
            "targets": [ { "target": "COACH", "purpose": "COACHING" } ]
            """));

        AssertSingleError(errors, "rule 'r1' (rules[0])", "field 'match.maxAge'", "must not be below minAge");
    }

    [Fact]
    public void MinAgeEqualToMaxAge_IsValid()
    {
        var rule = Assert.Single(Parse(OneRule("""
            "id": "r1", "description": "d", "match": { "minAge": 18, "maxAge": 18 },
            "targets": [ { "target": "COACH", "purpose": "COACHING" } ]
            """)).Rules);

        Assert.Equal(18, rule.Match.MinAge);
        Assert.Equal(18, rule.Match.MaxAge);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("131")]
    [InlineData("17.5")]
    [InlineData("\"18\"")]
    public void AgeOutOfRange_IsAnError(string age)
    {
        var errors = Errors(OneRule($$"""
            "id": "r1", "description": "d", "match": { "minAge": {{age}} },
            "targets": [ { "target": "COACH", "purpose": "COACHING" } ]
            """));

        AssertSingleError(errors, "field 'match.minAge'", "whole number from 0 to 130");
    }

    [Theory]
    [InlineData("642")]
    [InlineData("06420")]
    [InlineData("0000")]
    [InlineData("06a2")]
    public void BadMunicipalityCode_NamesItsIndex(string code)
    {
        var errors = Errors(OneRule($$"""
            "id": "r1", "description": "d", "match": { "municipalities": ["0642", "{{code}}"] },
            "targets": [ { "target": "COACH", "purpose": "COACHING" } ]
            """));

        AssertSingleError(errors, "rule 'r1' (rules[0])", "field 'match.municipalities[1]'", "four-digit CBS municipality code");
    }

    [Fact]
    public void BadJson_NamesTheLine()
    {
        var json = "{\n  \"rules\": [\n    { \"id\": \"r1\" \"description\": \"d\" }\n  ]\n}";

        var ex = Assert.Throws<ConfigFileException>(() => Parse(json));

        Assert.Equal(File, ex.File);
        AssertSingleError(ex.Errors, "not valid JSON at line 3");
        Assert.Contains("routing.json is invalid", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SeveralBrokenRules_AreAllReported()
    {
        var json = """
            { "rules": [
              { "id": "a", "description": "d", "match": { "minAge": 40, "maxAge": 20 }, "targets": [ { "target": "COACH", "purpose": "COACHING" } ] },
              { "id": "b", "description": "d", "match": {}, "targets": [ { "target": "PARTY", "party": "nobody", "purpose": "COACHING" } ] },
              { "id": "c", "description": "d", "match": {}, "targets": [] }
            ] }
            """;

        var errors = Errors(json);

        Assert.Equal(3, errors.Count);
        Assert.Contains("rule 'a' (rules[0])", errors[0], StringComparison.Ordinal);
        Assert.Contains("rule 'b' (rules[1])", errors[1], StringComparison.Ordinal);
        Assert.Contains("rule 'c' (rules[2])", errors[2], StringComparison.Ordinal);
    }

    [Fact]
    public void LoadFile_MissingFile_NamesThePath()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "does-not-exist", "routing.json");

        var ex = Assert.Throws<ConfigFileException>(() => RoutingConfigLoader.LoadFile(path, TestData.AllParties()));

        Assert.StartsWith(path + ": cannot be read", Assert.Single(ex.Errors), StringComparison.Ordinal);
    }
}

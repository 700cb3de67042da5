using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Routing;
using static Ketenhub.Hub.Core.Tests.RouterTests;
using static Ketenhub.Hub.Core.Tests.TestData;

namespace Ketenhub.Hub.Core.Tests;

/// <summary>A client not registered yet: its facts checked as a registration checks them, and routed as the client a registration would create.</summary>
public class ProspectiveClientTests
{
    private static readonly DateOnly Today = DateOnly.FromDateTime(Now.UtcDateTime);

    private static (Parties.Party? School, HubException? Error) Check(DateOnly? birthDate, string? municipality, string? school)
    {
        var v = new Validator();
        var found = ClientFacts.Validate(v, birthDate, municipality, school, "prospective_client.", AllParties(), Today);
        try
        {
            v.ThrowIfAny();
            return (found, null);
        }
        catch (HubException ex)
        {
            return (found, ex);
        }
    }

    [Fact]
    public void ValidFacts_PassAndNameTheSchool()
    {
        var (school, error) = Check(new DateOnly(2008, 6, 1), Zwijndrecht, "parties/school-a");

        Assert.Null(error);
        Assert.Equal("school-a", school?.Id);
        Assert.Null(Check(new DateOnly(2008, 6, 1), Zwijndrecht, null).School);
    }

    [Theory]
    [InlineData(null, "0642", null, "FIELD_REQUIRED", "prospective_client.birth_date")]
    [InlineData("2025-01-15", "0642", null, "INVALID_BIRTH_DATE", "prospective_client.birth_date")]
    [InlineData("1899-12-31", "0642", null, "INVALID_BIRTH_DATE", "prospective_client.birth_date")]
    [InlineData("2008-06-01", null, null, "FIELD_REQUIRED", "prospective_client.municipality_code")]
    [InlineData("2008-06-01", "642", null, "INVALID_MUNICIPALITY_CODE", "prospective_client.municipality_code")]
    [InlineData("2008-06-01", "0000", null, "INVALID_MUNICIPALITY_CODE", "prospective_client.municipality_code")]
    [InlineData("2008-06-01", "Zwijndrecht", null, "INVALID_MUNICIPALITY_CODE", "prospective_client.municipality_code")]
    [InlineData("2008-06-01", "0642", "school-a", "INVALID_RESOURCE_NAME", "prospective_client.school")]
    [InlineData("2008-06-01", "0642", "parties/zorg-a", "UNKNOWN_PARTY", "prospective_client.school")]
    [InlineData("2008-06-01", "0642", "parties/nope", "UNKNOWN_PARTY", "prospective_client.school")]
    public void AWrongFact_IsACodedErrorOnItsField(string? birthDate, string? municipality, string? school, string reason, string field)
    {
        var (found, error) = Check(birthDate is null ? null : DateOnly.Parse(birthDate, System.Globalization.CultureInfo.InvariantCulture), municipality, school);

        Assert.NotNull(error);
        Assert.Equal((ErrorCategory.InvalidArgument, reason), (error.Category, error.Reason));
        Assert.Equal([field], error.Violations.Select(v => v.Field));
        Assert.Null(found);
    }

    [Fact]
    public void SeveralWrongFacts_AreListedTogether_WithoutTheirValues()
    {
        var (_, error) = Check(null, "12345", "parties/zorg-a");

        Assert.NotNull(error);
        Assert.Equal(ErrorReasons.InvalidRequest, error.Reason);
        Assert.Equal(["prospective_client.birth_date", "prospective_client.municipality_code", "prospective_client.school"], error.Violations.Select(v => v.Field));
        Assert.DoesNotContain(error.Violations, v => v.Description.Contains("12345", StringComparison.Ordinal));
    }

    [Fact]
    public void TheRegisteredClient_HasOnlyItsSchoolOfRecord_NoCoachAndNoConsents()
    {
        var context = ClientFacts.Registered(new DateOnly(2008, 6, 1), Dordrecht, School, Now);

        Assert.Equal((new DateOnly(2008, 6, 1), Dordrecht, Now), (context.Client.BirthDate, context.Client.MunicipalityCode, context.Client.CreateTime));
        var role = Assert.Single(context.Roles);
        Assert.Equal(("school-a", RoleKind.School, Now, (DateTimeOffset?)null), (role.PartyId, role.Kind, role.From, role.Until));
        Assert.True(role.IsCurrentAt(Now));
        Assert.Null(context.Coach);
        Assert.Empty(context.Consents);
        Assert.False(context.Client.ComingOfAgeHandled);
        Assert.True(ClientFacts.Registered(new DateOnly(2000, 6, 1), Dordrecht, null, Now).Client.ComingOfAgeHandled);
        Assert.Empty(ClientFacts.Registered(new DateOnly(2008, 6, 1), Dordrecht, null, Now).Roles);
    }

    [Fact]
    public void RoutingAProspectiveClient_ResolvesItsSocialServiceAndSchool_AndDecidesOnRulesAlone()
    {
        var router = MakeRouter(Rules(
            Rule("to-social-service", "\"messageTypes\": [\"TRANSITION\"]", """{ "target": "SOCIAL_SERVICE", "purpose": "TRANSITION", "awaitConsent": "P90D" }"""),
            Rule("to-school", "\"messageTypes\": [\"TRANSITION\"]", """{ "target": "SCHOOL_OF_RECORD", "purpose": "TRANSITION", "thinNotice": true }"""),
            Rule("to-coach-and-providers", "\"messageTypes\": [\"TRANSITION\"]", """{ "target": "COACH", "purpose": "COACHING" }, { "target": "CURRENT_PROVIDERS", "purpose": "TRANSITION" }"""),
            Rule("adults-only", "\"messageTypes\": [\"TRANSITION\"], \"minAge\": 18", """{ "target": "PARTY", "party": "zorg-b", "purpose": "TRANSITION", "legalBasis": "test basis" }""")));
        var facts = new RoutingFacts(MessageType.Transition, "wijkteam-noord", [DataCategory.SupportPlan], TransitionKind: TransitionKind.Relocation);

        var minor = router.Route(facts, ClientFacts.Registered(new DateOnly(2008, 6, 1), Dordrecht, School, Now), Now);
        Assert.Equal(["to-social-service", "to-school", "to-coach-and-providers"], minor.MatchedRules.Select(r => r.Id));
        Assert.Equal(["sd-dordrecht", "school-a"], minor.Decisions.Select(d => d.Recipient));
        var toService = minor.Decisions[0];
        Assert.Equal((RecipientOutcome.AwaitingConsent, DecisionReasons.NoConsent, Now.AddDays(90)), (toService.Outcome, toService.Reason, toService.AwaitUntil));
        Assert.Equal((RecipientOutcome.ThinNotice, DecisionReasons.ThinNoticeRule), (minor.Decisions[1].Outcome, minor.Decisions[1].Reason));

        // Another municipality, no school, of age: its own social service, and the age rule on a legal basis.
        var adult = router.Route(facts, ClientFacts.Registered(new DateOnly(2000, 6, 1), Zwijndrecht, null, Now), Now);
        Assert.Equal(["sd-zwijndrecht", "zorg-b"], adult.Decisions.Select(d => d.Recipient));
        Assert.Equal((RecipientOutcome.Content, DecisionReasons.LegalBasis), (adult.Decisions[1].Outcome, adult.Decisions[1].Reason));
    }
}

using Ketenhub.Hub.Common;
using Ketenhub.Hub.Parties;
using Ketenhub.Hub.Routing;

namespace Ketenhub.Hub.Core.Tests;

public class PartyConfigLoaderTests
{
    private const string File = "parties.json";

    private const string ValidJson = """
        {
          "parties": [
            { "id": "school-a", "kind": "SCHOOL", "displayName": "Test College", "brin": "12AB", "deliveryChannel": "FHIR", "endpoint": "https://fhir.school-a.example/fhir" },
            { "id": "zorg-a", "kind": "CARE_PROVIDER", "displayName": "Zorgaanbieder A", "agb": "12345678", "kvk": "87654321", "ura": "90000123" },
            { "id": "sd-zwijndrecht", "kind": "SOCIAL_SERVICE", "displayName": "Sociale Dienst Test", "oin": "00000001234567890000", "municipalityCodes": ["0642", "0505"] },
            { "id": "gemeente-test", "kind": "MUNICIPALITY", "displayName": "Gemeente Test", "oin": "00000001234567890001", "municipalityCodes": ["0642"] },
            { "id": "wijkteam_noord", "kind": "WIJKTEAM", "displayName": "Wijkteam Test", "oin": "00000001234567890002" },
          ]
        }
        """;

    private static PartyDirectory Parse(string json) => PartyConfigLoader.Parse(json, File);

    private static IReadOnlyList<string> Errors(string json) => Assert.Throws<ConfigFileException>(() => Parse(json)).Errors;

    private static string OneParty(string body) => $$"""{ "parties": [ { {{body}} } ] }""";

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
    public void DemoMark_IsReadFromTheTopLevel_AndMustBeABoolean()
    {
        Assert.False(Parse(ValidJson).IsDemo);
        Assert.True(Parse("""{ "demo": true, "parties": [] }""").IsDemo);
        Assert.False(Parse("""{ "demo": false, "parties": [] }""").IsDemo);
        AssertSingleError(Errors("""{ "demo": "yes", "parties": [] }"""), "field 'demo'", "must be true or false");
    }

    [Fact]
    public void TheShippedDemoParties_AreMarkedAsDemo()
    {
        var path = Path.Combine(TestData.RepositoryRoot(), "src", "Hub", "Ketenhub.Hub", "config", "parties.json");
        Assert.True(PartyConfigLoader.LoadFile(path).IsDemo);
    }

    [Fact]
    public void TheDocsTableOfThePartiesFile_NamesExactlyTheFieldsAPartyMayHave()
    {
        var doc = System.IO.File.ReadAllText(Path.Combine(TestData.RepositoryRoot(), "docs", "routing.md"));
        var start = doc.IndexOf("## The parties file", StringComparison.Ordinal);
        Assert.True(start >= 0, "docs/routing.md has no section 'The parties file'.");
        var end = doc.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        var section = doc[start..(end < 0 ? doc.Length : end)];
        var documented = System.Text.RegularExpressions.Regex.Matches(section, @"^\| `(?<field>[a-zA-Z]+)` \|", System.Text.RegularExpressions.RegexOptions.Multiline)
            .Select(m => m.Groups["field"].Value)
            .ToList();
        Assert.Equal(PartyConfigLoader.PartyFields.Order(StringComparer.Ordinal), documented.Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// A malformed required identifier is reported twice: once as malformed and once as missing, because the
    /// kind check sees no valid value. Every error still names the party and the field.
    /// </summary>
    private static void AssertFieldError(IReadOnlyList<string> errors, string where, string field, string message)
    {
        Assert.NotEmpty(errors);
        Assert.All(errors, e => Assert.Contains($"{File}: {where}: {field}: ", e, StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void ValidFile_ParsesEveryParty()
    {
        var directory = Parse(ValidJson);

        Assert.Equal(["gemeente-test", "school-a", "sd-zwijndrecht", "wijkteam_noord", "zorg-a"], directory.All.Select(p => p.Id));

        var school = directory.Find("school-a")!;
        Assert.Equal(PartyKind.School, school.Kind);
        Assert.Equal("Test College", school.DisplayName);
        Assert.Equal("12AB", school.Brin);
        Assert.Equal(DeliveryChannel.Fhir, school.Channel);
        Assert.Equal(new Uri("https://fhir.school-a.example/fhir"), school.Endpoint);
        Assert.True(school.IsPushed);
        Assert.Equal("parties/school-a", school.Name);

        var provider = directory.Find("zorg-a")!;
        Assert.Equal(PartyKind.CareProvider, provider.Kind);
        Assert.Equal("12345678", provider.Agb);
        Assert.Equal("87654321", provider.Kvk);
        Assert.Equal("90000123", provider.Ura);
        Assert.Equal(DeliveryChannel.Stream, provider.Channel);

        var socialService = directory.Find("sd-zwijndrecht")!;
        Assert.Equal("00000001234567890000", socialService.Oin);
        Assert.Equal(["0642", "0505"], socialService.MunicipalityCodes);
        Assert.Same(socialService, directory.SocialServiceFor("0505"));
        Assert.Null(directory.SocialServiceFor("0363"));
        Assert.Equal(PartyKind.Wijkteam, directory.Find("wijkteam_noord")!.Kind);
    }

    [Fact]
    public void Require_KnownAndUnknownParties()
    {
        var directory = Parse(ValidJson);

        Assert.Equal("zorg-a", directory.Require("parties/zorg-a", "recipient").Id);
        var unknown = Assert.Throws<HubException>(() => directory.Require("parties/nobody", "recipient"));
        Assert.Equal(ErrorReasons.UnknownParty, unknown.Reason);
        Assert.Equal("recipient", Assert.Single(unknown.Violations).Field);
        Assert.Equal(ErrorReasons.InvalidResourceName, Assert.Throws<HubException>(() => directory.Require("zorg-a", "recipient")).Reason);
        Assert.Equal(ErrorReasons.FieldRequired, Assert.Throws<HubException>(() => directory.Require(null, "recipient")).Reason);
    }

    [Theory]
    [InlineData("1AB2")]
    [InlineData("12AB3")]
    [InlineData("12A")]
    [InlineData("AB12")]
    [InlineData("12A-")]
    public void BadBrin_IsAnError(string brin) =>
        AssertFieldError(
            Errors(OneParty($$""" "id": "school-a", "kind": "SCHOOL", "displayName": "S", "brin": "{{brin}}" """)),
            "party 'school-a' (parties[0])",
            "field 'brin'",
            "must be a BRIN code");

    [Theory]
    [InlineData("1234567")]
    [InlineData("123456789")]
    [InlineData("1234567A")]
    public void BadAgb_IsAnError(string agb) =>
        AssertFieldError(
            Errors(OneParty($$""" "id": "zorg-a", "kind": "CARE_PROVIDER", "displayName": "Z", "agb": "{{agb}}" """)),
            "party 'zorg-a' (parties[0])",
            "field 'agb'",
            "AGB code of eight digits");

    [Theory]
    [InlineData("0000000123456789000")]
    [InlineData("000000012345678900001")]
    [InlineData("0000000123456789000X")]
    public void BadOin_IsAnError(string oin) =>
        AssertFieldError(
            Errors(OneParty($$""" "id": "wijkteam", "kind": "WIJKTEAM", "displayName": "W", "oin": "{{oin}}" """)),
            "party 'wijkteam' (parties[0])",
            "field 'oin'",
            "OIN of twenty digits");

    [Theory]
    [InlineData("1234567")]
    [InlineData("K1234567")]
    public void BadKvk_IsAnError(string kvk) =>
        AssertSingleError(
            Errors(OneParty($$""" "id": "zorg-a", "kind": "CARE_PROVIDER", "displayName": "Z", "agb": "12345678", "kvk": "{{kvk}}" """)),
            "party 'zorg-a' (parties[0])",
            "field 'kvk'",
            "KvK number of eight digits");

    [Theory]
    [InlineData("9000012")]
    [InlineData("U9000012")]
    public void BadUra_IsAnError(string ura) =>
        AssertSingleError(
            Errors(OneParty($$""" "id": "zorg-a", "kind": "CARE_PROVIDER", "displayName": "Z", "agb": "12345678", "ura": "{{ura}}" """)),
            "party 'zorg-a' (parties[0])",
            "field 'ura'",
            "URA (UZI-register abonneenummer) of eight digits");

    [Fact]
    public void SchoolWithoutBrin_IsAnError() =>
        AssertSingleError(Errors(OneParty(""" "id": "school-a", "kind": "SCHOOL", "displayName": "S" """)), "party 'school-a' (parties[0])", "field 'brin'", "is required for a school");

    [Fact]
    public void ProviderWithoutAgb_IsAnError() =>
        AssertSingleError(Errors(OneParty(""" "id": "zorg-a", "kind": "CARE_PROVIDER", "displayName": "Z", "kvk": "12345678" """)), "party 'zorg-a' (parties[0])", "field 'agb'", "is required for a care provider");

    [Fact]
    public void SocialServiceWithoutMunicipalityCodes_IsAnError() =>
        AssertSingleError(
            Errors(OneParty(""" "id": "sd", "kind": "SOCIAL_SERVICE", "displayName": "SD", "oin": "00000001234567890000" """)),
            "party 'sd' (parties[0])",
            "field 'municipalityCodes'",
            "must name the municipalities served");

    [Fact]
    public void SocialServiceWithoutOin_IsAnError() =>
        AssertSingleError(
            Errors(OneParty(""" "id": "sd", "kind": "SOCIAL_SERVICE", "displayName": "SD", "municipalityCodes": ["0642"] """)),
            "field 'oin'",
            "is required for a government party");

    [Fact]
    public void BadMunicipalityCode_NamesItsIndex() =>
        AssertSingleError(
            Errors(OneParty(""" "id": "sd", "kind": "SOCIAL_SERVICE", "displayName": "SD", "oin": "00000001234567890000", "municipalityCodes": ["0642", "642"] """)),
            "field 'municipalityCodes[1]'",
            "four-digit CBS municipality code");

    [Fact]
    public void DuplicateIds_NameTheSecondParty()
    {
        var json = """
            { "parties": [
              { "id": "zorg-a", "kind": "CARE_PROVIDER", "displayName": "A", "agb": "12345678" },
              { "id": "zorg-a", "kind": "CARE_PROVIDER", "displayName": "B", "agb": "23456789" }
            ] }
            """;

        AssertSingleError(Errors(json), "party 'zorg-a' (parties[1])", "field 'id'", "is used by another party");
    }

    [Fact]
    public void UnknownKind_ListsTheKinds() =>
        AssertSingleError(
            Errors(OneParty(""" "id": "hospital", "kind": "HOSPITAL", "displayName": "H" """)),
            "party 'hospital' (parties[0])",
            "field 'kind'",
            "unknown value 'HOSPITAL'",
            "expected one of SCHOOL, SOCIAL_SERVICE, MUNICIPALITY, CARE_PROVIDER, WIJKTEAM");

    [Fact]
    public void UnknownField_IsAnError() =>
        AssertSingleError(
            Errors(OneParty(""" "id": "zorg-a", "kind": "CARE_PROVIDER", "displayName": "Z", "agb": "12345678", "uzi": "1" """)),
            "party 'zorg-a' (parties[0])",
            "field 'uzi'",
            "unknown field");

    [Theory]
    [InlineData("Zorg-A")]
    [InlineData("zorg a")]
    [InlineData("zorg/a")]
    public void BadId_IsAnError(string id) =>
        AssertSingleError(
            Errors(OneParty($$""" "id": "{{id}}", "kind": "CARE_PROVIDER", "displayName": "Z", "agb": "12345678" """)),
            "field 'id'",
            "must be lower-case letters, digits, '-' or '_'");

    [Fact]
    public void MissingDisplayName_IsAnError() =>
        AssertSingleError(Errors(OneParty(""" "id": "zorg-a", "kind": "CARE_PROVIDER", "agb": "12345678" """)), "field 'displayName'", "is required");

    [Fact]
    public void BadJson_NamesTheLine()
    {
        var ex = Assert.Throws<ConfigFileException>(() => Parse("{\n \"parties\": [\n  { \"id\": }\n ]\n}"));

        AssertSingleError(ex.Errors, "not valid JSON at line 3");
    }

    [Fact]
    public void OneBadParty_DoesNotHideAnother()
    {
        var json = """
            { "parties": [
              { "id": "school-a", "kind": "SCHOOL", "displayName": "S" },
              { "id": "zorg-a", "kind": "CARE_PROVIDER", "displayName": "Z", "agb": "12345678", "kvk": "1" }
            ] }
            """;

        var errors = Errors(json);

        Assert.Equal(2, errors.Count);
        Assert.Contains("party 'school-a' (parties[0])", errors[0], StringComparison.Ordinal);
        Assert.Contains("party 'zorg-a' (parties[1])", errors[1], StringComparison.Ordinal);
    }

    private const string Provider = """ "id": "zorg-a", "kind": "CARE_PROVIDER", "displayName": "Z", "agb": "12345678" """;

    [Theory]
    [InlineData("WEBHOOK")]
    [InlineData("FHIR")]
    [InlineData("IWMO")]
    public void APushChannel_NeedsAnEndpoint(string channel) =>
        AssertSingleError(Errors(OneParty(Provider + $", \"deliveryChannel\": \"{channel}\"")), "party 'zorg-a' (parties[0])", "field 'endpoint'", $"is required for deliveryChannel {channel}");

    [Theory]
    [InlineData("http://partner.example/hook")]
    [InlineData("ftp://partner.example/hook")]
    [InlineData("/hook")]
    [InlineData("https://user:pw@partner.example/hook")]
    [InlineData("https://partner.example/hook#x")]
    public void AnEndpoint_MustBeHttps_WithoutCredentials(string endpoint) =>
        AssertSingleError(Errors(OneParty(Provider + $", \"deliveryChannel\": \"WEBHOOK\", \"endpoint\": \"{endpoint}\"")), "party 'zorg-a' (parties[0])", "field 'endpoint'", "must be an absolute https URL");

    [Fact]
    public void PlainHttp_IsAllowedOnlyToLoopback()
    {
        var party = Parse(OneParty(Provider + ", \"deliveryChannel\": \"FHIR\", \"endpoint\": \"http://127.0.0.1:8103/fhir/R4\"")).Find("zorg-a")!;
        Assert.Equal(new Uri("http://127.0.0.1:8103/fhir/R4"), party.Endpoint);
    }

    [Fact]
    public void AStreamParty_HasNoEndpoint()
    {
        AssertSingleError(Errors(OneParty(Provider + ", \"endpoint\": \"https://partner.example/hook\"")), "party 'zorg-a' (parties[0])", "field 'endpoint'", "is only used with deliveryChannel FHIR, IWMO or WEBHOOK");
        Assert.Null(Parse(OneParty(Provider)).Find("zorg-a")!.Endpoint);
    }

    [Fact]
    public void FirstCoachNamedBy_DefaultsToSchoolSocialServiceAndWijkteam_AndCanBeSetPerKind()
    {
        Assert.Equal([PartyKind.School, PartyKind.SocialService, PartyKind.Wijkteam], Parse(ValidJson).FirstCoachKinds.Order());

        var withProviders = ValidJson.TrimEnd()[..^1] + """, "firstCoachNamedBy": ["SOCIAL_SERVICE", "CARE_PROVIDER"] }""";
        Assert.Equal([PartyKind.SocialService, PartyKind.CareProvider], Parse(withProviders).FirstCoachKinds.Order());

        var none = ValidJson.TrimEnd()[..^1] + """, "firstCoachNamedBy": [] }""";
        Assert.Empty(Parse(none).FirstCoachKinds);
    }

    [Fact]
    public void FirstCoachNamedBy_WithAnUnknownKind_IsAnErrorThatNamesTheField()
    {
        var json = ValidJson.TrimEnd()[..^1] + """, "firstCoachNamedBy": ["SCHOOL", "ANY_PROVIDER"] }""";
        AssertSingleError(Errors(json), "firstCoachNamedBy[1]", "ANY_PROVIDER", "CARE_PROVIDER");
    }
}

using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Parties;

namespace Ketenhub.Hub.Core.Tests;

/// <summary>The "who may do what" table of docs/security.md is the one the code's rules render.</summary>
public class RelationshipRulesTests
{
    private const string Start = "<!-- relationship-table:start -->";
    private const string End = "<!-- relationship-table:end -->";

    [Fact]
    public void TheSecurityPagesTable_IsTheTableOfTheCodesRules()
    {
        var page = File.ReadAllText(Path.Combine(ErrorCatalogueTests.RepoRoot(), "docs", "security.md")).ReplaceLineEndings("\n");
        var from = page.IndexOf(Start, StringComparison.Ordinal);
        var to = page.IndexOf(End, StringComparison.Ordinal);
        Assert.True(from >= 0 && to > from, $"docs/security.md must hold the table between {Start} and {End}.");
        var documented = page[(from + Start.Length)..to].Trim('\n') + "\n";

        Assert.Equal(RelationshipRules.MarkdownTable(PartyDirectory.DefaultFirstCoachKinds), documented);
    }

    [Fact]
    public void TheTable_FollowsTheRules_ItIsNotFixedText()
    {
        // A different firstCoachNamedBy gives a different row, so the comparison above can fail.
        var withProviders = RelationshipRules.MarkdownTable(new HashSet<PartyKind> { PartyKind.CareProvider });
        Assert.NotEqual(RelationshipRules.MarkdownTable(PartyDirectory.DefaultFirstCoachKinds), withProviders);
        Assert.Contains("| Name a client's first coach, with a relationship (`firstCoachNamedBy`) | no | no | no | yes | no |", withProviders, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(PartyKind.School, false)]
    [InlineData(PartyKind.SocialService, true)]
    [InlineData(PartyKind.Municipality, false)]
    [InlineData(PartyKind.CareProvider, false)]
    [InlineData(PartyKind.Wijkteam, true)]
    public void OnlyTheSocialServiceAndTheWijkteam_ServeTheirMunicipalitiesClients(PartyKind kind, bool serves)
    {
        var party = new Party("p", kind, "P", DeliveryChannel.Stream, ["0642"]);
        Assert.Equal(serves, CareRelationships.ServesMunicipality(party, "0642"));
        Assert.False(CareRelationships.ServesMunicipality(party, "0505"));
    }
}

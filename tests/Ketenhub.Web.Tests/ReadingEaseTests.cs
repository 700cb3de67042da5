namespace Ketenhub.WebTests;

/// <summary>The reading-ease check itself must be able to fail: plain text passes, officialese does not.</summary>
public sealed class ReadingEaseTests
{
    [Theory]
    [InlineData("kat", 1)]
    [InlineData("toestemming", 3)]
    [InlineData("zijn", 1)]
    [InlineData("organisatie", 5)]
    public void Syllables_AreVowelGroups(string word, int expected) => Assert.Equal(expected, ReadingEase.Syllables(word));

    [Fact]
    public void PlainDutch_ScoresAbove70_AndOfficialDutch_Below()
    {
        var plain = ReadingEase.FleschDouma("Je gaf toestemming. Dan mag je coach je helpen. Je kunt dat altijd stoppen.");
        var official = ReadingEase.FleschDouma(
            "Op grond van de verwerkingsgrondslag als bedoeld in de toepasselijke regelgeving inzake gegevensuitwisseling worden uw persoonsgegevens verstrekt aan de betrokken ketenpartners.");

        Assert.True(plain >= 70, $"plain scored {plain:F1}");
        Assert.True(official < 70, $"official scored {official:F1}");
    }
}

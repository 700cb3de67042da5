using System.Text.RegularExpressions;

namespace Ketenhub.WebTests;

/// <summary>
/// The Flesch-Douma reading ease of Dutch text: 206.835 − 0.93 × (words per sentence) − 77 × (syllables per word).
/// 60–70 is plain, above 70 easy. Syllables are counted as groups of vowels (a, e, i, o, u, y and the accented ones),
/// with "ij" counted as one vowel: a close count for Dutch, good enough to hold texts to a level.
/// </summary>
public static partial class ReadingEase
{
    [GeneratedRegex(@"[\p{L}\p{N}]+(?:[-'][\p{L}\p{N}]+)*")]
    private static partial Regex Word();

    [GeneratedRegex(@"[.!?:]+(?=\s|$)|\n+")]
    private static partial Regex SentenceEnd();

    [GeneratedRegex("(?:ij|[aeiouyáéíóúàèëïöüâêîôû])+", RegexOptions.IgnoreCase)]
    private static partial Regex VowelGroup();

    public static double FleschDouma(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sentences = SentenceEnd().Split(text).Where(s => Word().IsMatch(s)).ToList();
        var words = Word().Matches(text).Select(m => m.Value).ToList();
        if (words.Count == 0)
        {
            return 100;
        }

        var syllables = words.Sum(Syllables);
        return 206.835 - (0.93 * words.Count / Math.Max(1, sentences.Count)) - (77.0 * syllables / words.Count);
    }

    public static int Syllables(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        return word.All(char.IsDigit) ? 1 : Math.Max(1, VowelGroup().Count(word));
    }
}

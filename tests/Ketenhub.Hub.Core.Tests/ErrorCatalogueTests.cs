using System.Reflection;
using Ketenhub.Hub.Common;

namespace Ketenhub.Hub.Core.Tests;

public class ErrorCatalogueTests
{
    internal static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Hub.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("No directory above the test binaries holds Hub.sln.");
    }

    private static string Catalogue() => File.ReadAllText(Path.Combine(RepoRoot(), "docs", "errors.md"));

    private static IEnumerable<(string Name, string Code)> Codes(Type type) =>
        type.GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => (f.Name, (string)f.GetRawConstantValue()!));

    [Fact]
    public void EveryReason_IsDocumented()
    {
        var catalogue = Catalogue();
        var codes = Codes(typeof(ErrorReasons)).Where(c => c.Name != nameof(ErrorReasons.Domain))
            .Concat(Codes(typeof(DecisionReasons)))
            .ToList();

        // Guard the reflection itself: it must see the constants of both classes.
        Assert.Contains((nameof(ErrorReasons.InvalidRequest), ErrorReasons.InvalidRequest), codes);
        Assert.Contains((nameof(DecisionReasons.ConsentActive), DecisionReasons.ConsentActive), codes);
        Assert.DoesNotContain((nameof(ErrorReasons.Domain), ErrorReasons.Domain), codes);
        var missing = codes.Where(c => !catalogue.Contains($"`{c.Code}`", StringComparison.Ordinal)).Select(c => $"{c.Name} = {c.Code}").ToList();
        Assert.True(missing.Count == 0, "Not documented in docs/errors.md: " + string.Join(", ", missing));
    }

    [Fact]
    public void Catalogue_NamesTheErrorDomain() =>
        Assert.Contains($"`{ErrorReasons.Domain}`", Catalogue(), StringComparison.Ordinal);

    [Fact]
    public void ReasonCodes_AreUniqueUpperSnake()
    {
        var codes = Codes(typeof(ErrorReasons)).Where(c => c.Name != nameof(ErrorReasons.Domain)).Concat(Codes(typeof(DecisionReasons))).Select(c => c.Code).ToList();

        Assert.Equal(codes.Count, codes.Distinct(StringComparer.Ordinal).Count());
        Assert.All(codes, code => Assert.Matches("^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$", code));
    }
}

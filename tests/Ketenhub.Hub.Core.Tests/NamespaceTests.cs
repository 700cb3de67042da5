using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Ketenhub.Hub.Core.Tests;

/// <summary>
/// One namespace per folder (docs/architecture.md): a source file's namespace is its project's root namespace
/// followed by the folders it sits in, so a type is found where its namespace says.
/// </summary>
public partial class NamespaceTests
{
    /// <summary>
    /// Projects left out: the C# SDK keeps the namespaces of its published API (<c>PublicAPI.Shipped.txt</c>), which
    /// group types by use rather than by folder.
    /// </summary>
    private static readonly string[] ProjectsLeftOut = ["Ketenhub.Client"];

    [GeneratedRegex(@"^namespace\s+([\w.]+)\s*[;{]", RegexOptions.Multiline)]
    private static partial Regex Namespace();

    [Fact]
    public void EverySourceFile_IsInTheNamespaceOfItsFolder()
    {
        var root = TestData.RepositoryRoot();
        var wrong = new List<string>();
        var checkedFiles = 0;
        foreach (var project in Directory.EnumerateFiles(Path.Combine(root, "src"), "*.csproj", SearchOption.AllDirectories))
        {
            var name = Path.GetFileNameWithoutExtension(project);
            if (ProjectsLeftOut.Contains(name))
            {
                continue;
            }

            var folder = Path.GetDirectoryName(project)!;
            var rootNamespace = XDocument.Load(project).Descendants("RootNamespace").Select(e => e.Value.Trim()).FirstOrDefault() ?? name;
            foreach (var file in Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories))
            {
                var relative = Path.GetRelativePath(folder, file).Replace('\\', '/');
                if (relative.StartsWith("obj/", StringComparison.Ordinal) || relative.StartsWith("bin/", StringComparison.Ordinal))
                {
                    continue;
                }

                var path = Path.GetRelativePath(root, file).Replace('\\', '/');
                var folders = Path.GetDirectoryName(relative)!.Replace('\\', '/');
                var expected = folders.Length == 0 ? rootNamespace : rootNamespace + "." + folders.Replace('/', '.');
                foreach (Match match in Namespace().Matches(File.ReadAllText(file)))
                {
                    checkedFiles++;
                    var actual = match.Groups[1].Value;
                    if (actual != expected)
                    {
                        wrong.Add($"{path}: namespace {actual}, expected {expected}");
                    }
                }
            }
        }

        Assert.True(checkedFiles > 100, $"Only {checkedFiles} namespaces were found.");
        Assert.True(wrong.Count == 0, string.Join(Environment.NewLine, wrong));
    }
}

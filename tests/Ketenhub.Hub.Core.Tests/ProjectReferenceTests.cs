using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Ketenhub.Hub.Core.Tests;

/// <summary>
/// The references of the production projects are the ones docs/architecture.md shows (its table between the
/// <c>project-references</c> markers), and the domain references no transport, storage or format assembly.
/// </summary>
public partial class ProjectReferenceTests
{
    private const string Begin = "<!-- project-references:begin -->";
    private const string End = "<!-- project-references:end -->";

    /// <summary>Assemblies and packages the domain must not use: the transport, the store, the formats, the host.</summary>
    private static readonly string[] ForbiddenInCore =
    [
        "Grpc.",
        "Google.Protobuf",
        "Microsoft.AspNetCore",
        "Microsoft.Data.Sqlite",
        "SQLitePCLRaw",
        "Npgsql",
        "Hl7.Fhir",
        "CloudNative.CloudEvents",
        "Ketenhub.Adapters",
        "Ketenhub.Contracts",
        "Ketenhub.Hub.Storage",
    ];

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex Quoted();

    /// <summary>The table in docs/architecture.md: project name to the names it may reference.</summary>
    private static Dictionary<string, SortedSet<string>> DocumentedReferences()
    {
        var page = File.ReadAllText(Path.Combine(TestData.RepositoryRoot(), "docs", "architecture.md"));
        var start = page.IndexOf(Begin, StringComparison.Ordinal);
        var end = page.IndexOf(End, StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, "docs/architecture.md has no project-references table between its markers.");
        var table = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var line in page[(start + Begin.Length)..end].Split('\n'))
        {
            var cells = line.Trim().Trim('|').Split('|');
            if (cells.Length != 2)
            {
                continue;
            }

            var project = Quoted().Match(cells[0]);
            if (!project.Success)
            {
                continue;
            }

            var allowed = Quoted().Matches(cells[1]).Select(m => m.Groups[1].Value);
            Assert.True(table.TryAdd(project.Groups[1].Value, new SortedSet<string>(allowed, StringComparer.Ordinal)), $"{project.Groups[1].Value} has two rows.");
        }

        return table;
    }

    /// <summary>Every project under src/ with its project, package and framework references, as its .csproj says.</summary>
    private static Dictionary<string, SortedSet<string>> ActualReferences()
    {
        var projects = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(Path.Combine(TestData.RepositoryRoot(), "src"), "*.csproj", SearchOption.AllDirectories))
        {
            var xml = XDocument.Load(file);
            var references = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var item in xml.Descendants())
            {
                var include = (string?)item.Attribute("Include");
                if (include is null)
                {
                    continue;
                }

                switch (item.Name.LocalName)
                {
                    case "ProjectReference":
                        references.Add(Path.GetFileNameWithoutExtension(include));
                        break;
                    case "PackageReference":
                    case "FrameworkReference":
                        references.Add(include);
                        break;
                }
            }

            projects.Add(Path.GetFileNameWithoutExtension(file), references);
        }

        return projects;
    }

    [Fact]
    public void EveryProject_ReferencesWhatTheArchitecturePageShows()
    {
        var documented = DocumentedReferences();
        var actual = ActualReferences();

        // Guard the parsing itself: both sides must see the domain and the host.
        Assert.Contains("Ketenhub.Hub.Core", documented.Keys);
        Assert.Contains("Ketenhub.Hub", actual.Keys);

        Assert.Equal(actual.Keys.Order(StringComparer.Ordinal), documented.Keys.Order(StringComparer.Ordinal));
        var differences = new List<string>();
        foreach (var (project, references) in actual)
        {
            var allowed = documented[project];
            differences.AddRange(references.Except(allowed).Select(r => $"{project} references {r}, which docs/architecture.md does not show"));
            differences.AddRange(allowed.Except(references).Select(r => $"docs/architecture.md shows {project} referencing {r}, which its .csproj does not"));
        }

        Assert.True(differences.Count == 0, string.Join(Environment.NewLine, differences));
    }

    [Fact]
    public void Core_ReferencesNoTransportStorageOrFormat_InItsProjectFile()
    {
        var core = ActualReferences()["Ketenhub.Hub.Core"];
        Assert.NotEmpty(core);
        var forbidden = core.Where(IsForbidden).ToList();
        Assert.True(forbidden.Count == 0, "Ketenhub.Hub.Core references " + string.Join(", ", forbidden));
    }

    [Fact]
    public void Core_ReferencesNoTransportStorageOrFormat_InItsAssembly()
    {
        var assembly = typeof(HubCoreRegistration).Assembly;
        var referenced = assembly.GetReferencedAssemblies().Select(a => a.Name ?? string.Empty).ToList();

        // Guard: the assembly is the domain, and its references are read.
        Assert.Equal("Ketenhub.Hub.Core", assembly.GetName().Name);
        Assert.Contains("Microsoft.Extensions.Options", referenced);

        var forbidden = referenced.Where(n => IsForbidden(n) || n == "Ketenhub.Hub").ToList();
        Assert.True(forbidden.Count == 0, "Ketenhub.Hub.Core.dll references " + string.Join(", ", forbidden));
    }

    private static bool IsForbidden(string name) =>
        ForbiddenInCore.Any(prefix => name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase));
}

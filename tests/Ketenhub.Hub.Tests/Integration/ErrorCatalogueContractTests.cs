using System.Reflection;
using System.Text.RegularExpressions;
using Google.Protobuf.Reflection;
using Ketenhub.Hub.Common;
using C = Ketenhub.Contracts.V1;

namespace Ketenhub.HubTests.Integration;

/// <summary>
/// The error catalogue is published three times: as <c>enum ErrorReason</c> in the contract (protos/ketenhub/v1/errors.proto,
/// guarded by buf breaking), as the constants the hub sends (<see cref="ErrorReasons"/>) and as the tables of
/// docs/errors.md. These tests hold the three to the same codes and each code to one gRPC status.
/// </summary>
public sealed partial class ErrorCatalogueContractTests
{
    [GeneratedRegex(@"^\| `(?<code>[A-Z][A-Z0-9_]*)` \| (?<status>[A-Z_]+) \|", RegexOptions.Multiline)]
    private static partial Regex DocRow();

    [GeneratedRegex(@"//\s*gRPC status (?<status>[A-Z_]+)\.[^\n]*(?:\n\s*//[^\n]*)*\n\s*(?<code>[A-Z][A-Z0-9_]*) = \d+;")]
    private static partial Regex ProtoValue();

    private static string Root()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Hub.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Hub.sln not found above the test folder.");
    }

    private static EnumDescriptor Catalogue() => C.ErrorsReflection.Descriptor.EnumTypes.Single(e => e.Name == nameof(C.ErrorReason));

    private static IReadOnlyList<string> EnumCodes() =>
        [.. Catalogue().Values.Where(v => v.Number != 0).Select(v => v.Name)];

    private static IReadOnlyList<string> HubCodes() =>
        [.. typeof(ErrorReasons).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string) && f.Name != nameof(ErrorReasons.Domain))
            .Select(f => (string)f.GetRawConstantValue()!)];

    // The error tables only: decision, finding and delivery status reasons are not errors.
    private static Dictionary<string, string> DocumentedStatuses()
    {
        var text = File.ReadAllText(Path.Combine(Root(), "docs", "errors.md"));
        var start = text.IndexOf("\n## Errors", StringComparison.Ordinal);
        var end = text.IndexOf("\n## Decision reasons", StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, "docs/errors.md has no '## Errors' section before '## Decision reasons'.");
        return DocRow().Matches(text[start..end]).ToDictionary(m => m.Groups["code"].Value, m => m.Groups["status"].Value, StringComparer.Ordinal);
    }

    [Fact]
    public void TheContractEnum_ListsExactlyTheCodesTheHubSends()
    {
        var contract = EnumCodes();
        var hub = HubCodes();

        Assert.Contains(ErrorReasons.InvalidRequest, hub); // the reflection sees the constants
        Assert.Equal(contract.Count, contract.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(hub.Order(StringComparer.Ordinal), contract.Order(StringComparer.Ordinal));
        Assert.Equal("ERROR_REASON_UNSPECIFIED", Catalogue().FindValueByNumber(0).Name);
    }

    [Fact]
    public void TheDocumentedErrorTables_ListExactlyTheContractsCodes()
    {
        var documented = DocumentedStatuses();

        Assert.Contains("INVALID_REQUEST", documented.Keys);
        Assert.Equal(EnumCodes().Order(StringComparer.Ordinal), documented.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void EveryCode_HasOneGrpcStatus_InTheProtoAndTheDocs()
    {
        var proto = File.ReadAllText(Path.Combine(Root(), "protos", "ketenhub", "v1", "errors.proto"));
        var inProto = ProtoValue().Matches(proto).ToDictionary(m => m.Groups["code"].Value, m => m.Groups["status"].Value, StringComparer.Ordinal);
        var documented = DocumentedStatuses();

        Assert.Equal(EnumCodes().Order(StringComparer.Ordinal), inProto.Keys.Order(StringComparer.Ordinal));
        var differ = inProto.Where(p => documented.GetValueOrDefault(p.Key) != p.Value).Select(p => $"{p.Key}: proto {p.Value}, docs {documented.GetValueOrDefault(p.Key)}").ToList();
        Assert.True(differ.Count == 0, "The gRPC status differs: " + string.Join("; ", differ));
        Assert.All(inProto.Values, status => Assert.True(Enum.TryParse<Grpc.Core.StatusCode>(status.Replace("_", string.Empty, StringComparison.Ordinal), ignoreCase: true, out _), status));
    }
}

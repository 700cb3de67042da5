using System.Text.RegularExpressions;
using System.Collections.Concurrent;
using System.Reflection;
using System.Xml;
using System.Xml.Linq;
using System.Xml.Schema;

namespace Ketenhub.Adapters.IWmo.Schemas;

/// <summary>
/// The iWmo 3.2 and iJw 3.2 XML schemas, embedded in this assembly and compiled once per standard into a
/// read-only <see cref="XmlSchemaSet"/> that every thread shares.
/// </summary>
/// <remarks>
/// The official schemas come from the Zorginstituut's release packages. The iWmo retour schemas (WMO302, WMO306,
/// WMO308, WMO316, WMO320) are not in the pack the project keeps; they are derived from their iJw twins, which have
/// the same shape (see the comment at the top of each file).
/// </remarks>
public static partial class SchemaCatalog
{
    private static readonly Assembly Assembly = typeof(SchemaCatalog).Assembly;
    private static readonly Lazy<XmlSchemaSet> IWmoSet = new(() => Compile(IStandaard.IWmo), LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly Lazy<XmlSchemaSet> IJwSet = new(() => Compile(IStandaard.IJw), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The compiled schema set of one standard (all its messages and the basisschema).</summary>
    public static XmlSchemaSet For(IStandaard standaard) => standaard == IStandaard.IWmo ? IWmoSet.Value : IJwSet.Value;

    /// <summary>The raw text of one embedded schema file, for example for an external validator.</summary>
    public static string ReadSchemaText(IStandaard standaard, string fileName)
    {
        using var stream = Open(standaard, fileName);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>The names of every embedded schema file of one standard.</summary>
    public static IReadOnlyList<string> SchemaFiles(IStandaard standaard)
    {
        var prefix = ResourcePrefix(standaard);
        return [.. Assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).Select(n => n[prefix.Length..]).Order(StringComparer.Ordinal)];
    }

    /// <summary>
    /// Validates <paramref name="document"/> against the schema of its root namespace. Returns the problems
    /// found (empty when valid). The problems name the place, never the offending value, because values can be
    /// personal data.
    /// </summary>
    public static IReadOnlyList<SchemaProblem> Validate(XDocument document, IStandaard standaard)
    {
        ArgumentNullException.ThrowIfNull(document);
        var problems = new List<SchemaProblem>();
        document.Validate(For(standaard), (sender, e) => problems.Add(Describe(sender as XObject, e)), addSchemaInfo: false);
        return problems;
    }

    private static SchemaProblem Describe(XObject? node, ValidationEventArgs e)
    {
        var element = node as XElement ?? (node as XAttribute)?.Parent ?? node?.Parent;
        var path = element is null
            ? string.Empty
            : string.Join('/', element.AncestorsAndSelf().Reverse().Select(x => x.Name.LocalName));
        var (line, position) = node is IXmlLineInfo info && info.HasLineInfo() ? (info.LineNumber, info.LinePosition) : (e.Exception?.LineNumber ?? 0, e.Exception?.LinePosition ?? 0);
        return new SchemaProblem(path, line, e.Severity == XmlSeverityType.Error) { Position = position, Rule = Redact(e.Message) };
    }

    // The validator's sentence names elements, namespaces, types and the facet that failed, and quotes the offending value
    // ("The value '…'", "The string '…'"): the values go, and any other quoted text that is not a name of the schema too.
    private static string Redact(string message)
    {
        var redacted = ValueQuote().Replace(message, "$1");
        redacted = QuotedText().Replace(redacted, m => SchemaName().IsMatch(m.Groups[1].Value) ? m.Value : "'…'");
        return redacted.Length > 500 ? redacted[..500] : redacted;
    }

    [GeneratedRegex(@"(The value|The string|The attribute value|The element value) '[^']*'", RegexOptions.CultureInvariant)]
    private static partial Regex ValueQuote();

    [GeneratedRegex(@"'([^']*)'", RegexOptions.CultureInvariant)]
    private static partial Regex QuotedText();

    // Schema names: an XML name, optionally qualified by a namespace (http://…:Name) or a prefix, or a namespace URI; or a
    // list of such names separated by commas (the validator's "List of possible elements expected: 'A, B'").
    [GeneratedRegex(@"^(?:(?:https?://[\w./\-]+)(?::[A-Za-z_][\w.\-]*)?|[A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?)(?:, (?:[A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?))*$", RegexOptions.CultureInvariant)]
    private static partial Regex SchemaName();

    private static XmlSchemaSet Compile(IStandaard standaard)
    {
        var set = new XmlSchemaSet { XmlResolver = new EmbeddedResolver(standaard) };
        foreach (var file in SchemaFiles(standaard).Where(f => !f.StartsWith("basisschema", StringComparison.Ordinal)))
        {
            using var stream = Open(standaard, file);
            using var reader = XmlReader.Create(stream, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null }, EmbeddedResolver.BaseUri(standaard, file));
            set.Add(null, reader);
        }

        set.Compile();
        return set;
    }

    private static string ResourcePrefix(IStandaard standaard) => $"Ketenhub.Adapters.IWmo.Schemas.{Berichten.Key(standaard)}/";

    private static Stream Open(IStandaard standaard, string fileName) =>
        Assembly.GetManifestResourceStream(ResourcePrefix(standaard) + fileName)
        ?? throw new InvalidOperationException($"The schema {fileName} is not embedded in the adapter.");

    /// <summary>Resolves <c>schemaLocation="basisschema.xsd"</c> to the embedded file; nothing else, and never the network or disk.</summary>
    private sealed class EmbeddedResolver(IStandaard standaard) : XmlResolver
    {
        public static string BaseUri(IStandaard standaard, string file) => $"embedded://{Berichten.Key(standaard)}/{file}";

        public override object? GetEntity(Uri absoluteUri, string? role, Type? ofObjectToReturn)
        {
            ArgumentNullException.ThrowIfNull(absoluteUri);
            if (absoluteUri.Scheme != "embedded" || absoluteUri.Host != Berichten.Key(standaard))
            {
                throw new XmlException("Only the embedded iStandaarden schemas can be referenced.");
            }

            return Open(standaard, absoluteUri.AbsolutePath.TrimStart('/'));
        }
    }
}

/// <summary>One schema violation: where it is and which rule of the schema it broke, never what the value was.</summary>
/// <param name="Path">The element path from the root, for example <c>Bericht/Client/Bsn</c>.</param>
/// <param name="Line">The line in the document, or 0 when unknown.</param>
/// <param name="IsError">False for a warning.</param>
public sealed record SchemaProblem(string Path, int Line, bool IsError)
{
    /// <summary>The position in the line, or 0 when unknown.</summary>
    public int Position { get; init; }

    /// <summary>
    /// The schema rule that failed, in the validator's words with every value left out (for example
    /// <c>The '…:Bsn' element is invalid - The value is invalid according to its datatype '…' - The Pattern constraint failed.</c>).
    /// </summary>
    public string Rule { get; init; } = string.Empty;
}

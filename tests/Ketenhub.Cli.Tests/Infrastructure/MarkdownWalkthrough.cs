using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Ketenhub.Cli.Tests.Infrastructure;

/// <summary>One command of a walkthrough page and the output the page shows for it.</summary>
/// <param name="Line">The page's line the command starts on (1-based), for failure messages.</param>
/// <param name="Command">The command as the page writes it, continuation lines joined, without the prompt.</param>
/// <param name="Expected">The output lines the page shows under it.</param>
/// <param name="OutputLine">The page's line of the first output line.</param>
public sealed record WalkthroughStep(int Line, string Command, IReadOnlyList<string> Expected, int OutputLine);

/// <summary>
/// Reads a walkthrough from a Markdown page (docs/walkthrough-s1.md): the <c>```console</c> blocks of one section,
/// each a series of <c>$ </c> commands (a line ending in <c>\</c> continues on the next) followed by the output they
/// printed.
/// </summary>
public static partial class MarkdownWalkthrough
{
    /// <summary>A file of the repository (<paramref name="relativePath"/> under the folder that holds Hub.sln).</summary>
    public static string RepositoryFile(string relativePath)
    {
        var folder = AppContext.BaseDirectory;
        while (folder is not null && !File.Exists(Path.Combine(folder, "Hub.sln")))
        {
            folder = Path.GetDirectoryName(folder.TrimEnd(Path.DirectorySeparatorChar));
        }

        return folder is null
            ? throw new FileNotFoundException("No Hub.sln above " + AppContext.BaseDirectory)
            : Path.Combine(folder, relativePath);
    }

    /// <summary>The steps of the section whose heading starts with <paramref name="heading"/>, up to the next heading of any level.</summary>
    public static IReadOnlyList<WalkthroughStep> Steps(string page, string heading)
    {
        var lines = page.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var start = Array.FindIndex(lines, l => l.StartsWith(heading, StringComparison.Ordinal));
        if (start < 0)
        {
            throw new InvalidOperationException($"The page has no heading '{heading}'.");
        }

        var steps = new List<WalkthroughStep>();
        var inConsole = false;
        var inOtherBlock = false;
        StepBuilder? current = null;
        for (var i = start + 1; i < lines.Length; i++)
        {
            var line = lines[i];
            if (!inConsole && !inOtherBlock && IsHeading(line))
            {
                break;
            }

            if (line.StartsWith("```", StringComparison.Ordinal))
            {
                if (inConsole || inOtherBlock)
                {
                    Flush();
                    inConsole = inOtherBlock = false;
                }
                else if (line.Trim() == "```console")
                {
                    inConsole = true;
                }
                else
                {
                    inOtherBlock = true;
                }

                continue;
            }

            if (!inConsole)
            {
                continue;
            }

            if (current is { Continues: true })
            {
                current.Append(line);
            }
            else if (line.StartsWith("$ ", StringComparison.Ordinal))
            {
                Flush();
                current = new StepBuilder(i + 1);
                current.Append(line[2..]);
            }
            else if (current is not null)
            {
                current.Expected.Add(line);
            }
            else
            {
                throw new InvalidOperationException($"Line {i + 1}: output before any command in a console block.");
            }
        }

        Flush();
        return steps;

        void Flush()
        {
            if (current is not null)
            {
                steps.Add(new WalkthroughStep(current.Line, current.Command.ToString(), current.Expected, current.Line + current.CommandLines));
                current = null;
            }
        }
    }

    /// <summary>Splits a command line as a POSIX shell would for the walkthrough's needs: double and single quotes, <c>$NAME</c> from <paramref name="variables"/>.</summary>
    public static List<string> Words(string command, IReadOnlyDictionary<string, string> variables)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        char quote = '\0';
        for (var i = 0; i < command.Length; i++)
        {
            var c = command[i];
            if (quote == '\'')
            {
                if (c == '\'')
                {
                    quote = '\0';
                }
                else
                {
                    word.Append(c);
                }

                continue;
            }

            if (c == '$' && i + 1 < command.Length && (char.IsAsciiLetter(command[i + 1]) || command[i + 1] == '_'))
            {
                var end = i + 1;
                while (end < command.Length && (char.IsAsciiLetterOrDigit(command[end]) || command[end] == '_'))
                {
                    end++;
                }

                var name = command[(i + 1)..end];
                word.Append(variables.TryGetValue(name, out var value) ? value : throw new InvalidOperationException($"The walkthrough uses ${name} before setting it."));
                inWord = true;
                i = end - 1;
                continue;
            }

            if (quote == '"')
            {
                if (c == '"')
                {
                    quote = '\0';
                }
                else
                {
                    word.Append(c);
                }

                continue;
            }

            if (c is '"' or '\'')
            {
                quote = c;
                inWord = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord)
                {
                    words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                }
            }
            else
            {
                word.Append(c);
                inWord = true;
            }
        }

        if (quote != '\0')
        {
            throw new InvalidOperationException("Unclosed quote in: " + command);
        }

        if (inWord)
        {
            words.Add(word.ToString());
        }

        return words;
    }

    /// <summary>
    /// Output with what differs from run to run masked: resource ids (<c>cl_…</c>, <c>cns_…</c>, <c>dlv_…</c>,
    /// <c>trn_…</c>, <c>ref_…</c>, also where a table wraps them), delivery and journey sequence numbers, times and
    /// their offsets, and every date that the walkthrough's commands do not name themselves (<paramref name="keptDates"/>):
    /// those depend on the day it runs. Masks keep the length, so tables keep their shape.
    /// </summary>
    public static string Mask(string line, IReadOnlySet<string> keptDates)
    {
        line = LocalTime().Replace(line, "YYYY-MM-DD hh:mm +hh:mm");
        line = IsoDate().Replace(line, m => keptDates.Contains(m.Value) ? m.Value : "YYYY-MM-DD");
        line = DutchDate().Replace(line, m => keptDates.Contains(m.Value) ? m.Value : "D MMMM YYYY");
        line = HexRun().Replace(line, m => m.Value.Any(char.IsAsciiDigit) ? new string('x', m.Length) : m.Value);
        line = TailSequence().Replace(line, m => m.Groups["pre"].Value + new string('#', m.Groups["seq"].Length));
        line = JourneySequence().Replace(line, m => m.Groups["pre"].Value + new string('#', m.Groups["seq"].Length));
        line = WrappedIdCell().Replace(line, m => new string('x', m.Length));
        return line.TrimEnd();
    }

    /// <summary>The dates a command line names (<c>yyyy-MM-dd</c>), also as Dutch text (<c>1 september 2025</c>), which the comparison keeps.</summary>
    public static IEnumerable<string> DatesNamedIn(string command)
    {
        var dutch = CultureInfo.GetCultureInfo("nl-NL");
        foreach (Match m in IsoDate().Matches(command))
        {
            yield return m.Value;
            if (DateOnly.TryParseExact(m.Value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            {
                yield return date.ToString("d MMMM yyyy", dutch);
            }
        }
    }

    private static bool IsHeading(string line)
    {
        var hashes = line.TakeWhile(c => c == '#').Count();
        return hashes > 0 && line.Length > hashes && line[hashes] == ' ';
    }

    private sealed class StepBuilder(int line)
    {
        public int Line { get; } = line;

        public StringBuilder Command { get; } = new();

        public List<string> Expected { get; } = [];

        public bool Continues { get; private set; }

        public int CommandLines { get; private set; }

        public void Append(string text)
        {
            CommandLines++;
            var trimmed = CommandLines == 1 ? text.TrimEnd() : text.Trim();
            Continues = trimmed.EndsWith('\\');
            Command.Append(Continues ? trimmed[..^1] : trimmed).Append(' ');
        }
    }

    [GeneratedRegex(@"\d{4}-\d{2}-\d{2} \d{2}:\d{2} [+-]\d{2}:\d{2}")]
    private static partial Regex LocalTime();

    [GeneratedRegex(@"\b\d{4}-\d{2}-\d{2}\b")]
    private static partial Regex IsoDate();

    [GeneratedRegex(@"\b\d{1,2} (januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december) \d{4}\b")]
    private static partial Regex DutchDate();

    // A run of lower-case hex digits after an id prefix's underscore or standing alone (a wrapped id's rest in a table cell).
    [GeneratedRegex(@"(?<=_|^|[^0-9A-Za-z_])[0-9a-f]{6,}(?![0-9A-Za-z_])")]
    private static partial Regex HexRun();

    // A table cell that holds only hex digits: the last piece of an id the table wrapped over several lines.
    [GeneratedRegex(@"(?<=│ )[0-9a-f]+(?= +│)")]
    private static partial Regex WrappedIdCell();

    // deliveries tail: the sequence number after the delivery's name.
    [GeneratedRegex(@"^(?<pre>deliveries/dlv_x+ +)(?<seq>\d+)(?= )")]
    private static partial Regex TailSequence();

    // journey: the first column of a table row.
    [GeneratedRegex(@"^(?<pre>│ +)(?<seq>\d+)(?= +│)")]
    private static partial Regex JourneySequence();
}

using System.Text;

namespace Ketenhub.Cli.Import;

/// <summary>
/// The progress file of an import, next to its error report: one line per row the hub confirmed (its
/// request id base, the client and the transition), appended and flushed as each confirmation arrives. A
/// resumed run skips the rows it lists. It holds no BSN or other row values, only the hub's names. A line
/// cut short by an interruption is ignored (that row is sent again, with the same request ids, and the hub
/// answers with its first answer).
/// </summary>
public sealed class ImportCheckpoint : IDisposable
{
    private const string Magic = "# ketenhub import progress v1";
    private readonly Dictionary<string, (string Client, string Transition)> _done;
    private readonly StreamWriter? _writer;
    private readonly Lock _lock = new();

    private ImportCheckpoint(Dictionary<string, (string Client, string Transition)> done, StreamWriter? writer)
    {
        _done = done;
        _writer = writer;
    }

    /// <summary>The rows confirmed so far, by request id base.</summary>
    public IReadOnlyDictionary<string, (string Client, string Transition)> Done => _done;

    /// <summary>
    /// Reads the progress file at <paramref name="path"/> if it belongs to the same school and batch;
    /// with <paramref name="writable"/>, opens it for appending (a new file, or one for another batch, is started over).
    /// </summary>
    public static ImportCheckpoint Open(string path, string school, string batch, bool writable)
    {
        var header = $"{Magic} school={school} batch={Convert.ToBase64String(Encoding.UTF8.GetBytes(batch))}";
        var done = new Dictionary<string, (string, string)>(StringComparer.Ordinal);
        var matches = false;
        if (File.Exists(path))
        {
            using var reader = new StreamReader(path, Encoding.UTF8);
            matches = reader.ReadLine() == header;
            string? line;
            while (matches && (line = reader.ReadLine()) is not null)
            {
                var parts = line.Split('\t');
                if (parts.Length == 4 && parts[3] == "ok" && parts[0].StartsWith("imp-", StringComparison.Ordinal))
                {
                    done[parts[0]] = (parts[1], parts[2]);
                }
            }
        }

        if (!matches)
        {
            done.Clear();
        }

        if (!writable)
        {
            return new ImportCheckpoint(done, null);
        }

        var stream = new FileStream(path, matches ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.Read);
        var writer = new StreamWriter(stream, new UTF8Encoding(false)) { NewLine = "\n" };
        if (!matches)
        {
            writer.WriteLine(header);
            writer.Flush();
        }
        else if (stream.Length > 0)
        {
            // A line cut short by an interruption: end it, so the next record starts on its own line.
            writer.WriteLine();
            writer.Flush();
        }

        return new ImportCheckpoint(done, writer);
    }

    /// <summary>Records a confirmed row and flushes it to the file.</summary>
    public void Confirm(string requestIdBase, string client, string transition)
    {
        lock (_lock)
        {
            _done[requestIdBase] = (client, transition);
            if (_writer is not null)
            {
                _writer.WriteLine($"{requestIdBase}\t{client}\t{transition}\tok");
                _writer.Flush();
            }
        }
    }

    public void Dispose() => _writer?.Dispose();
}

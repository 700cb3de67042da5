using System.Text;

namespace Ketenhub.Cli.Import;

/// <summary>One record of a CSV file: its fields and the physical line it starts on (1-based).</summary>
public sealed record CsvRecord(int Line, IReadOnlyList<string> Fields);

/// <summary>
/// Reads CSV as school administration packages export it (RFC 4180 with the Dutch variations): the
/// separator is <c>;</c> or <c>,</c>, whichever the header line uses outside quotes; fields may be quoted
/// with <c>"</c>, with <c>""</c> for a quote inside and separators and line breaks allowed inside quotes;
/// lines end in CRLF, LF or CR; a UTF-8 or UTF-16 byte order mark is skipped. Blank lines are skipped.
/// </summary>
public sealed class CsvRecords : IDisposable
{
    private readonly TextReader _reader;
    private int _line = 1;
    private int _peeked = -2;

    private CsvRecords(TextReader reader, char separator)
    {
        _reader = reader;
        Separator = separator;
    }

    /// <summary>The separator found on the header line.</summary>
    public char Separator { get; }

    /// <summary>Opens <paramref name="path"/> (UTF-8 unless a byte order mark says otherwise) and finds the separator.</summary>
    public static CsvRecords Open(string path)
    {
#pragma warning disable CA2000 // The records own the reader once made (CsvRecords.Dispose closes it); closed below if they are not.
        var reader = new StreamReader(path, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: true);
#pragma warning restore CA2000
        try
        {
            return FromReader(reader);
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    /// <summary>Reads from <paramref name="reader"/>; the separator is chosen from its first line.</summary>
    public static CsvRecords FromReader(TextReader reader)
    {
        // Peek at the first line without consuming it: buffer it and read the rest after it.
        var buffered = new StringBuilder();
        int c;
        var quoted = false;
        int semicolons = 0, commas = 0;
        while ((c = reader.Read()) >= 0)
        {
            buffered.Append((char)c);
            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (!quoted && c is '\n' or '\r')
            {
                break;
            }
            else if (!quoted && c == ';')
            {
                semicolons++;
            }
            else if (!quoted && c == ',')
            {
                commas++;
            }
        }

        var text = buffered.ToString();
        if (text.Length > 0 && text[0] == '\uFEFF')
        {
            text = text[1..];
        }

        return new CsvRecords(new ConcatenatedReader(text, reader), semicolons >= commas && semicolons > 0 ? ';' : ',');
    }

    /// <summary>The next non-blank record, or null at the end of the file.</summary>
    public CsvRecord? Next()
    {
        while (true)
        {
            if (Peek() < 0)
            {
                return null;
            }

            var start = _line;
            var fields = new List<string>();
            var field = new StringBuilder();
            var quoted = false;
            var wasQuoted = false;
            while (true)
            {
                var c = Read();
                if (c < 0)
                {
                    fields.Add(Finish(field, wasQuoted));
                    break;
                }

                if (quoted)
                {
                    if (c == '"')
                    {
                        if (Peek() == '"')
                        {
                            Read();
                            field.Append('"');
                        }
                        else
                        {
                            quoted = false;
                        }
                    }
                    else
                    {
                        field.Append((char)c);
                    }

                    continue;
                }

                if (c == '"' && field.ToString().Trim().Length == 0 && !wasQuoted)
                {
                    field.Clear();
                    quoted = true;
                    wasQuoted = true;
                }
                else if (c == Separator)
                {
                    fields.Add(Finish(field, wasQuoted));
                    field.Clear();
                    wasQuoted = false;
                }
                else if (c is '\r' or '\n')
                {
                    if (c == '\r' && Peek() == '\n')
                    {
                        Read();
                    }

                    fields.Add(Finish(field, wasQuoted));
                    break;
                }
                else
                {
                    field.Append((char)c);
                }
            }

            if (fields.Count == 1 && fields[0].Length == 0)
            {
                continue;
            }

            return new CsvRecord(start, fields);
        }
    }

    private static string Finish(StringBuilder field, bool wasQuoted) => wasQuoted ? field.ToString() : field.ToString().Trim();

    public void Dispose() => _reader.Dispose();

    private int Peek()
    {
        if (_peeked == -2)
        {
            _peeked = _reader.Read();
        }

        return _peeked;
    }

    private int Read()
    {
        var c = Peek();
        _peeked = -2;
        if (c == '\n' || (c == '\r' && Peek() != '\n'))
        {
            _line++;
        }

        return c;
    }

    /// <summary>The buffered first line followed by the rest of the underlying reader.</summary>
    private sealed class ConcatenatedReader(string head, TextReader tail) : TextReader
    {
        private int _position;

        public override int Read() => _position < head.Length ? head[_position++] : tail.Read();

        public override int Peek() => _position < head.Length ? head[_position] : tail.Peek();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                tail.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}

using System.Globalization;
using System.Text;
using Google.Protobuf.Reflection;
using Ketenhub.Hub.Common;

namespace Ketenhub.Hub.Host.Transport;

/// <summary>
/// The <c>filter</c> and <c>order_by</c> of the List methods, a subset of AIP-160 and AIP-132 (docs/contracts.md,
/// "Filtering and ordering lists"): comparisons <c>field operator value</c> joined by <c>AND</c>; names and times as
/// quoted strings, enum values bare by their contract name. Errors name the position and the field, never a value.
/// </summary>
public static class ListFilters
{
    /// <summary>The order a list is asked for: true for newest first.</summary>
    public static bool Descending(string? orderBy)
    {
        var words = (orderBy ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return words switch
        {
            [] or ["create_time"] or ["create_time", "asc"] => false,
            ["create_time", "desc"] => true,
            _ => throw HubException.Invalid(ErrorReasons.InvalidOrderBy, "order_by", "order_by must be empty, \"create_time\" or \"create_time desc\"."),
        };
    }

    /// <summary>
    /// Parses <paramref name="filter"/> against <paramref name="fields"/>; the result accepts what every comparison accepts.
    /// <paramref name="hubClientId"/> turns the id in a client name as the caller wrote it (its own name for the client)
    /// into the hub's.
    /// </summary>
    public static ParsedFilter<T> Parse<T>(string? filter, IReadOnlyDictionary<string, FilterField<T>> fields, Func<string, string> hubClientId)
    {
        ArgumentNullException.ThrowIfNull(fields);
        ArgumentNullException.ThrowIfNull(hubClientId);
        var tokens = Tokenize(filter ?? string.Empty);
        var tests = new List<Func<T, bool>>();
        string? clientId = null;
        var i = 0;
        while (i < tokens.Count)
        {
            if (tests.Count > 0)
            {
                if (tokens[i] is not { Kind: TokenKind.Word, Text: "AND" })
                {
                    throw Error(tokens[i].Position, null, "Comparisons must be joined by AND.");
                }

                i++;
            }

            if (i + 3 > tokens.Count)
            {
                throw Error(i < tokens.Count ? tokens[i].Position : (filter ?? string.Empty).Length, null, "Each comparison needs a field, an operator and a value.");
            }

            var (name, op, value) = (tokens[i], tokens[i + 1], tokens[i + 2]);
            i += 3;
            if (name.Kind != TokenKind.Word || !fields.TryGetValue(name.Text, out var field))
            {
                throw Error(name.Position, null, "The filter names a field this list cannot filter on.");
            }

            if (op.Kind != TokenKind.Operator)
            {
                throw Error(op.Position, name.Text, "Expected one of = != < <= > >= after the field.");
            }

            if (!field.Ordered && op.Text is not ("=" or "!="))
            {
                throw Error(op.Position, name.Text, "This field takes only = and !=.");
            }

            var operand = field.Parse(value) ?? throw Error(value.Position, name.Text, field.Expected);
            if (field.IsClient)
            {
                operand = hubClientId((string)operand);
            }

            tests.Add(Comparison(field, op.Text, operand));
            if (field.IsClient && op.Text == "=")
            {
                clientId = (string)operand;
            }
        }

        return new ParsedFilter<T>(clientId, message => tests.TrueForAll(test => test(message)));
    }

    private static Func<T, bool> Comparison<T>(FilterField<T> field, string op, IComparable operand)
    {
        bool Holds(IComparable value)
        {
            var order = value.CompareTo(operand);
            return op switch
            {
                "=" => order == 0,
                "!=" => order != 0,
                "<" => order < 0,
                "<=" => order <= 0,
                ">" => order > 0,
                _ => order >= 0,
            };
        }

        // On a repeated field, != holds when no element equals the value; the others when any element holds.
        return op == "!="
            ? message => field.Values(message).All(Holds)
            : message => field.Values(message).Any(Holds);
    }

    private static HubException Error(int position, string? field, string description)
    {
        var metadata = new List<(string, string)> { ("position", position.ToString(CultureInfo.InvariantCulture)) };
        if (field is not null)
        {
            metadata.Add(("filterField", field));
        }

        return HubException.Invalid(ErrorReasons.InvalidFilter, "filter", description, [.. metadata]);
    }

    internal enum TokenKind { Word, Operator, Text }

    internal readonly record struct Token(TokenKind Kind, string Text, int Position);

    private static List<Token> Tokenize(string filter)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < filter.Length)
        {
            var c = filter[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c == '"')
            {
                var start = i++;
                var text = new StringBuilder();
                while (true)
                {
                    if (i >= filter.Length)
                    {
                        throw Error(start, null, "A quoted value is not closed.");
                    }

                    if (filter[i] == '\\' && i + 1 < filter.Length)
                    {
                        text.Append(filter[i + 1]);
                        i += 2;
                    }
                    else if (filter[i] == '"')
                    {
                        i++;
                        break;
                    }
                    else
                    {
                        text.Append(filter[i++]);
                    }
                }

                tokens.Add(new Token(TokenKind.Text, text.ToString(), start));
            }
            else if (c is '=' or '!' or '<' or '>')
            {
                var two = i + 1 < filter.Length && filter[i + 1] == '=';
                var text = two ? filter.Substring(i, 2) : c.ToString();
                if (text == "!")
                {
                    throw Error(i, null, "Expected one of = != < <= > >=.");
                }

                tokens.Add(new Token(TokenKind.Operator, text, i));
                i += text.Length;
            }
            else if (char.IsAsciiLetter(c) || c == '_')
            {
                var start = i;
                while (i < filter.Length && (char.IsAsciiLetterOrDigit(filter[i]) || filter[i] is '_' or '.'))
                {
                    i++;
                }

                tokens.Add(new Token(TokenKind.Word, filter[start..i], start));
            }
            else
            {
                throw Error(i, null, "The filter has a character this grammar does not use.");
            }
        }

        return tokens;
    }
}

/// <summary>A parsed filter: the client it is limited to, if it says <c>client = "…"</c>, and the test of a message.</summary>
public sealed record ParsedFilter<T>(string? ClientId, Func<T, bool> Matches);

/// <summary>One field a list can filter on: its values in a message, how to read a value for it, and whether it is ordered.</summary>
public sealed class FilterField<T>
{
    private FilterField(Func<T, IEnumerable<IComparable>> values, Func<ListFilters.Token, IComparable?> parse, bool ordered, string expected, bool isClient = false)
    {
        Values = values;
        Parse = parse;
        Ordered = ordered;
        Expected = expected;
        IsClient = isClient;
    }

    internal Func<T, IEnumerable<IComparable>> Values { get; }

    internal Func<ListFilters.Token, IComparable?> Parse { get; }

    internal bool Ordered { get; }

    internal string Expected { get; }

    internal bool IsClient { get; }

    /// <summary>The client, compared by its name <c>clients/{id}</c>; a filter on it narrows the store's query.</summary>
    public static FilterField<T> Client(Func<T, string> clientId) =>
        new(m => [clientId(m)], t => t.Kind == ListFilters.TokenKind.Text ? IdOf(t.Text, "clients/") : null, false,
            "The value must be a quoted client name, \"clients/{client}\".", isClient: true);

    /// <summary>Parties, compared by their name <c>parties/{id}</c>.</summary>
    public static FilterField<T> Parties(Func<T, IEnumerable<string?>> partyIds) =>
        new(m => partyIds(m).Where(p => p is not null).Select(p => (IComparable)p!), t => t.Kind == ListFilters.TokenKind.Text ? IdOf(t.Text, "parties/") : null, false,
            "The value must be a quoted party name, \"parties/{party}\".");

    /// <summary>An enum of the contract, by its value name; ordered by number.</summary>
    public static FilterField<T> Enum(EnumDescriptor descriptor, Func<T, IEnumerable<int>> numbers) =>
        new(m => numbers(m).Select(n => (IComparable)n), t => t.Kind == ListFilters.TokenKind.Word && descriptor.FindValueByName(t.Text) is { Number: > 0 } v ? v.Number : null, true,
            $"The value must be a value of {descriptor.Name}, written bare (for example {descriptor.Values[^1].Name}).");

    /// <summary>An instant, compared with a quoted RFC 3339 timestamp.</summary>
    public static FilterField<T> Time(Func<T, DateTimeOffset> time) =>
        new(m => [time(m).UtcTicks], t => t.Kind == ListFilters.TokenKind.Text
                && DateTimeOffset.TryParseExact(t.Text, ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var at)
                && (t.Text.EndsWith('Z') || t.Text.Length > 6 && t.Text[^6] is '+' or '-')
                ? at.UtcTicks : null, true,
            "The value must be a quoted RFC 3339 timestamp with a zone, for example \"2026-09-01T00:00:00Z\".");

    /// <summary>A calendar date, compared with a quoted <c>YYYY-MM-DD</c>.</summary>
    public static FilterField<T> Date(Func<T, DateOnly> date) =>
        new(m => [date(m)], t => t.Kind == ListFilters.TokenKind.Text && DateOnly.TryParseExact(t.Text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : null, true,
            "The value must be a quoted date, \"YYYY-MM-DD\".");

    private static string? IdOf(string name, string prefix) =>
        name.StartsWith(prefix, StringComparison.Ordinal) && name.Length > prefix.Length ? name[prefix.Length..] : null;
}

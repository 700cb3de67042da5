using System.Reflection;
using Google.Protobuf.Reflection;

namespace Ketenhub.Cli;

/// <summary>
/// Contract enum values as written on the command line and in output: the proto name without the enum's
/// prefix (<c>PURPOSE_COACHING</c> is <c>coaching</c> on input and <c>COACHING</c> on output). Input is
/// case-insensitive, takes <c>-</c> for <c>_</c> and also accepts the full proto name.
/// </summary>
public static class EnumNames<T>
    where T : struct, Enum
{
    private static readonly string Prefix;
    private static readonly Dictionary<string, T> ByName = new(StringComparer.Ordinal);
    private static readonly Dictionary<T, string> ByValue = [];

    static EnumNames()
    {
        var fields = typeof(T).GetFields(BindingFlags.Public | BindingFlags.Static);
        var names = fields.Select(f => (Name: f.GetCustomAttribute<OriginalNameAttribute>()?.Name ?? f.Name, Value: (T)f.GetValue(null)!)).ToList();
        var unspecified = names.FirstOrDefault(n => Convert.ToInt32(n.Value, System.Globalization.CultureInfo.InvariantCulture) == 0).Name ?? string.Empty;
        Prefix = unspecified.EndsWith("UNSPECIFIED", StringComparison.Ordinal) ? unspecified[..^"UNSPECIFIED".Length] : string.Empty;
        foreach (var (name, value) in names)
        {
            var shortName = name.StartsWith(Prefix, StringComparison.Ordinal) ? name[Prefix.Length..] : name;
            ByValue.TryAdd(value, shortName);
            if (name != unspecified)
            {
                ByName.TryAdd(shortName, value);
            }
        }

        Choices = [.. ByName.Keys.Select(n => n.ToLowerInvariant())];
    }

    /// <summary>The values a user may write, lower case, in contract order; never the unspecified value.</summary>
    public static IReadOnlyList<string> Choices { get; }

    /// <summary>Reads a value the way a user writes it.</summary>
    public static bool TryParse(string? text, out T value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var key = text.Trim().Replace('-', '_').ToUpperInvariant();
        if (Prefix.Length > 0 && key.StartsWith(Prefix, StringComparison.Ordinal))
        {
            key = key[Prefix.Length..];
        }

        return ByName.TryGetValue(key, out value);
    }

    /// <summary>The value as output shows it, for example <c>AWAITING_CONSENT</c>; a number the contract does not know stays a number.</summary>
    public static string Format(T value) =>
        ByValue.TryGetValue(value, out var name) ? name : Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The values as a comma-separated list.</summary>
    public static string Format(IEnumerable<T> values) => string.Join(", ", values.Select(Format));
}

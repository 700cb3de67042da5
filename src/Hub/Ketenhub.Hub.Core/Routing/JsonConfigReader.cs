using System.Text.Json;
using System.Xml;

namespace Ketenhub.Hub.Routing;

/// <summary>
/// Reads typed fields from a JSON configuration element and collects precise errors instead of throwing
/// at the first one. Enum values are written as in the contract (UPPER_SNAKE, without the enum prefix).
/// </summary>
internal sealed class JsonConfigReader(string file)
{
    private readonly List<string> _errors = [];

    public IReadOnlyList<string> Errors => _errors;

    /// <summary>Prepended to every reported field name, for nested objects (for example <c>targets[1].</c>).</summary>
    public string FieldPrefix { get; set; } = string.Empty;

    public void Error(string where, string field, string message) =>
        _errors.Add($"{file}: {where}: field '{FieldPrefix}{field}': {message}");

    public void ThrowIfAny()
    {
        if (_errors.Count > 0)
        {
            throw new ConfigFileException(file, _errors);
        }
    }

    public void RejectUnknown(JsonElement element, string where, params string[] known)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (!known.Contains(property.Name, StringComparer.Ordinal))
            {
                Error(where, property.Name, $"unknown field; expected one of {string.Join(", ", known)}");
            }
        }
    }

    public string? String(JsonElement element, string where, string field, bool required)
    {
        if (!element.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                Error(where, field, "is required");
            }

            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            Error(where, field, "must be a string");
            return null;
        }

        var text = value.GetString()!;
        if (required && string.IsNullOrWhiteSpace(text))
        {
            Error(where, field, "must not be empty");
            return null;
        }

        return text;
    }

    public bool Bool(JsonElement element, string where, string field)
    {
        if (!element.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return false;
        }

        if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            Error(where, field, "must be true or false");
            return false;
        }

        return value.GetBoolean();
    }

    public int? Int(JsonElement element, string where, string field, int min, int max)
    {
        if (!element.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var number) || number < min || number > max)
        {
            Error(where, field, $"must be a whole number from {min} to {max}");
            return null;
        }

        return number;
    }

    /// <summary>An ISO 8601 duration such as <c>PT4H</c> or <c>P90D</c>.</summary>
    public TimeSpan? Duration(JsonElement element, string where, string field)
    {
        var text = String(element, where, field, required: false);
        if (text is null)
        {
            return null;
        }

        try
        {
            var span = XmlConvert.ToTimeSpan(text);
            if (span <= TimeSpan.Zero)
            {
                Error(where, field, "must be a positive duration");
                return null;
            }

            return span;
        }
        catch (FormatException)
        {
            Error(where, field, "must be an ISO 8601 duration such as PT4H or P90D");
            return null;
        }
    }

    public TEnum? Enum<TEnum>(JsonElement element, string where, string field, bool required)
        where TEnum : struct, Enum
    {
        var text = String(element, where, field, required);
        return text is null ? null : ParseEnum<TEnum>(text, where, field);
    }

    public HashSet<TEnum> EnumSet<TEnum>(JsonElement element, string where, string field)
        where TEnum : struct, Enum
    {
        var set = new HashSet<TEnum>();
        foreach (var (text, index) in Strings(element, where, field))
        {
            if (ParseEnum<TEnum>(text, where, $"{field}[{index}]") is { } value)
            {
                set.Add(value);
            }
        }

        return set;
    }

    public IEnumerable<(string Text, int Index)> Strings(JsonElement element, string where, string field)
    {
        if (!element.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            yield break;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            Error(where, field, "must be a list");
            yield break;
        }

        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                Error(where, $"{field}[{index}]", "must be a string");
            }
            else
            {
                yield return (item.GetString()!, index);
            }

            index++;
        }
    }

    private TEnum? ParseEnum<TEnum>(string text, string where, string field)
        where TEnum : struct, Enum
    {
        var wanted = text.Replace("_", string.Empty, StringComparison.Ordinal);
        foreach (var name in System.Enum.GetNames<TEnum>())
        {
            if (name != "Unspecified" && string.Equals(name, wanted, StringComparison.OrdinalIgnoreCase))
            {
                return System.Enum.Parse<TEnum>(name);
            }
        }

        var allowed = System.Enum.GetNames<TEnum>().Where(n => n != "Unspecified").Select(ToUpperSnake);
        Error(where, field, $"unknown value '{text}'; expected one of {string.Join(", ", allowed)}");
        return null;
    }

    internal static string ToUpperSnake(string pascal)
    {
        var builder = new System.Text.StringBuilder();
        for (var i = 0; i < pascal.Length; i++)
        {
            var c = pascal[i];
            if (i > 0 && (char.IsUpper(c) || (char.IsDigit(c) && !char.IsDigit(pascal[i - 1]))))
            {
                builder.Append('_');
            }

            builder.Append(char.ToUpperInvariant(c));
        }

        return builder.ToString();
    }
}

namespace Ketenhub.Hub.Common;

/// <summary>Limits on text fields. Free text about clients may hold line breaks and tabs, no other control characters.</summary>
public static class TextRules
{
    /// <summary>Free text: reasons, strengths, handover summaries, signal descriptions.</summary>
    public const int FreeTextMax = 8_000;

    /// <summary>Names, codes and contact details.</summary>
    public const int ShortTextMax = 200;

    public static void Check(Validator validator, string? value, string field, int max, bool required = false, bool multiline = false)
    {
        if (string.IsNullOrEmpty(value))
        {
            if (required)
            {
                validator.Add(ErrorReasons.FieldRequired, field, $"{field} is required.");
            }

            return;
        }

        if (value.Length > max)
        {
            validator.Add(ErrorReasons.FieldTooLong, field, $"{field} is longer than {max} characters.", ("maxLength", max.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            return;
        }

        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsControl(c) && !(multiline && c is '\n' or '\r' or '\t'))
            {
                validator.Add(ErrorReasons.InvalidCharacters, field, $"{field} contains control characters.");
                return;
            }

            // Unpaired surrogates are not text; bidirectional overrides make text display other than it reads.
            var unpaired = char.IsHighSurrogate(c) ? i + 1 >= value.Length || !char.IsLowSurrogate(value[++i]) : char.IsLowSurrogate(c);
            if (unpaired || c is (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069'))
            {
                validator.Add(ErrorReasons.InvalidCharacters, field, $"{field} contains invalid characters.");
                return;
            }
        }
    }

    /// <summary>Checks that an enum value is known and set.</summary>
    public static void CheckEnum<T>(Validator validator, T value, string field, bool required = true)
        where T : struct, Enum
    {
        if (!Enum.IsDefined(value))
        {
            validator.Add(ErrorReasons.UnknownEnumValue, field, $"{field} has a value this hub does not know.");
        }
        else if (required && Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture) == 0)
        {
            validator.Add(ErrorReasons.FieldRequired, field, $"{field} is required.");
        }
    }
}

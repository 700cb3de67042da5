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
            validator.Add(ErrorReasons.FieldTooLong, field, $"{field} is longer than {max} characters.");
            return;
        }

        foreach (var c in value)
        {
            if (char.IsControl(c) && !(multiline && c is '\n' or '\r' or '\t'))
            {
                validator.Add(ErrorReasons.InvalidCharacters, field, $"{field} contains control characters.");
                return;
            }

            if (char.IsSurrogate(c) && !char.IsHighSurrogate(c) && !char.IsLowSurrogate(c))
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

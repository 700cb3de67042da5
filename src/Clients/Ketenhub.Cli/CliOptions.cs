using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Ketenhub.Cli;

/// <summary>Builds the options the commands share: text, dates in <c>yyyy-MM-dd</c>, and contract enums.</summary>
public static class CliOptions
{
    public const string DateFormat = "yyyy-MM-dd";

    public static Option<string> Text(string name, string description, bool required = false, string? helpName = null) => new(name)
    {
        Description = description,
        Required = required,
        HelpName = helpName,
    };

    public static Option<string[]> TextList(string name, string description, string? helpName = null) => new(name)
    {
        Description = description,
        AllowMultipleArgumentsPerToken = true,
        HelpName = helpName,
    };

    public static Option<int?> Number(string name, string description, int minimum, string? helpName = null)
    {
        var option = new Option<int?>(name) { Description = description, HelpName = helpName ?? "n" };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is { } value && value < minimum)
            {
                result.AddError($"{name} must be at least {minimum}.");
            }
        });
        return option;
    }

    public static Option<DateOnly?> Date(string name, string description, bool required = false) => new(name)
    {
        Description = description + " Format yyyy-MM-dd.",
        Required = required,
        HelpName = DateFormat,
        CustomParser = result =>
        {
            var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : string.Empty;
            if (TryParseDate(text, out var date))
            {
                return date;
            }

            result.AddError($"{name}: '{text}' is not a date in the form {DateFormat}.");
            return null;
        },
    };

    public static bool TryParseDate(string? text, out DateOnly date) =>
        DateOnly.TryParseExact(text?.Trim(), DateFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out date);

    /// <summary>One value of a contract enum, written without its prefix (for example <c>school_leaver_18</c>).</summary>
    public static Option<T?> Enum<T>(string name, string description, bool required = false, string? helpName = null)
        where T : struct, System.Enum
    {
        var option = new Option<T?>(name)
        {
            Description = $"{description} One of: {string.Join(", ", EnumNames<T>.Choices)}.",
            Required = required,
            HelpName = helpName ?? HelpNameOf(name),
            CustomParser = result =>
            {
                var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : string.Empty;
                if (EnumNames<T>.TryParse(text, out var value))
                {
                    return value;
                }

                result.AddError(UnknownValue<T>(name, text));
                return null;
            },
        };
        option.CompletionSources.Add([.. EnumNames<T>.Choices]);
        return option;
    }

    /// <summary>
    /// One or more values of a contract enum: repeat the option, list values after it, or separate them by
    /// commas (<c>--purpose transition income_and_participation</c>).
    /// </summary>
    public static Option<T[]> Enums<T>(string name, string description, bool required = false, string? helpName = null)
        where T : struct, System.Enum
    {
        var option = new Option<T[]>(name)
        {
            Description = $"{description} One or more of: {string.Join(", ", EnumNames<T>.Choices)}.",
            Required = required,
            AllowMultipleArgumentsPerToken = true,
            HelpName = helpName ?? HelpNameOf(name),
            CustomParser = result => ParseList<T>(name, result),
        };
        option.CompletionSources.Add([.. EnumNames<T>.Choices]);
        return option;
    }

    private static T[] ParseList<T>(string name, ArgumentResult result)
        where T : struct, System.Enum
    {
        var values = new List<T>();
        foreach (var token in result.Tokens)
        {
            foreach (var part in token.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (EnumNames<T>.TryParse(part, out var value))
                {
                    if (!values.Contains(value))
                    {
                        values.Add(value);
                    }
                }
                else
                {
                    result.AddError(UnknownValue<T>(name, part));
                }
            }
        }

        return [.. values];
    }

    private static string UnknownValue<T>(string name, string text)
        where T : struct, System.Enum => $"{name}: '{text}' is not one of {string.Join(", ", EnumNames<T>.Choices)}.";

    private static string HelpNameOf(string optionName) => optionName.TrimStart('-');
}

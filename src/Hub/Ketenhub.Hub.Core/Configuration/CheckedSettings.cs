using System.Collections;
using System.ComponentModel;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Ketenhub.Hub.Configuration;

/// <summary>
/// A configuration section bound to an options type. Every section the hub binds is registered as one, so that
/// start-up can check all of them in one pass: the type of every value first (a value the binder cannot convert
/// would otherwise stop the start with the first one, as an exception), then each type's validation.
/// </summary>
/// <param name="Path">The section's path, for example <c>Hub:Limits</c>.</param>
/// <param name="OptionsType">The type the section is bound to.</param>
/// <param name="Resolve">Binds and validates the options (throws <see cref="OptionsValidationException"/> when they are invalid).</param>
public sealed record BoundSection(string Path, Type OptionsType, Func<IServiceProvider, object> Resolve);

/// <summary>Binding that registers a <see cref="BoundSection"/> for the start-up check.</summary>
public static class CheckedBinding
{
    /// <summary>Binds the options to the section at <paramref name="path"/> and registers it for the start-up check.</summary>
    public static OptionsBuilder<T> BindChecked<T>(this OptionsBuilder<T> builder, IConfiguration configuration, string path)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        builder.Bind(configuration.GetSection(path));
        builder.Services.AddSingleton(new BoundSection(path, typeof(T), sp => sp.GetRequiredService<IOptions<T>>().Value));
        return builder;
    }
}

/// <summary>
/// Finds the configuration values that the configuration binder could not convert to their property's type (a
/// time span of <c>abc</c>, a number of <c>ten</c>), converting each the way the binder does. Every problem names
/// the setting and the kind of value it needs, never the value itself (it may be a secret).
/// </summary>
public static class SettingTypes
{
    private const int MaxDepth = 8;

    /// <summary>One sentence per value under <paramref name="path"/> that cannot be bound to <paramref name="type"/>.</summary>
    public static IReadOnlyList<string> Problems(IConfiguration configuration, string path, Type type)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(type);
        var problems = new List<string>();
        Walk(configuration.GetSection(path), type, problems, 0);
        return problems;
    }

    private static void Walk(IConfigurationSection section, Type type, List<string> problems, int depth)
    {
        if (depth > MaxDepth)
        {
            return;
        }

        var nullable = Nullable.GetUnderlyingType(type);
        var target = nullable ?? type;
        if (IsScalar(target))
        {
            Check(section, target, nullable is not null, problems);
            return;
        }

        if (ElementOf(target) is { } element)
        {
            foreach (var child in section.GetChildren())
            {
                Walk(child, element, problems, depth + 1);
            }

            return;
        }

        if (!target.IsClass || target == typeof(object))
        {
            return;
        }

        var properties = target.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && p.GetMethod is not null)
            .ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        foreach (var child in section.GetChildren())
        {
            if (properties.TryGetValue(child.Key, out var property))
            {
                Walk(child, property.PropertyType, problems, depth + 1);
            }
        }
    }

    private static void Check(IConfigurationSection section, Type type, bool nullable, List<string> problems)
    {
        var value = section.Value;
        if (value is null || type == typeof(string) || (nullable && value.Length == 0))
        {
            return;
        }

        var converter = TypeDescriptor.GetConverter(type);
        if (!converter.CanConvertFrom(typeof(string)))
        {
            return;
        }

        try
        {
            converter.ConvertFromInvariantString(value);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or OverflowException or NotSupportedException or InvalidCastException)
        {
            problems.Add($"{section.Path} must be {Describe(type)}.");
        }
    }

    /// <summary>Whether the binder converts the type from one string (rather than binding its members).</summary>
    private static bool IsScalar(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(TimeSpan)
        || type == typeof(DateTime) || type == typeof(DateTimeOffset) || type == typeof(DateOnly) || type == typeof(TimeOnly)
        || type == typeof(Guid) || type == typeof(Uri);

    /// <summary>The value type of a dictionary, or the element type of an array or list; null for other types.</summary>
    private static Type? ElementOf(Type type)
    {
        if (type.IsArray)
        {
            return type.GetElementType();
        }

        if (!typeof(IEnumerable).IsAssignableFrom(type) || type == typeof(string))
        {
            return null;
        }

        var dictionary = type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IDictionary<,>)
            ? type
            : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IDictionary<,>));
        if (dictionary is not null)
        {
            return dictionary.GetGenericArguments()[1];
        }

        var enumerable = type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IEnumerable<>)
            ? type
            : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>));
        return enumerable?.GetGenericArguments()[0];
    }

    private static string Describe(Type type) => type switch
    {
        _ when type == typeof(TimeSpan) => "a time span such as 00:00:30 (hh:mm:ss) or 1.00:00:00 (one day)",
        _ when type == typeof(bool) => "true or false",
        _ when type.IsEnum => "one of " + string.Join(", ", Enum.GetNames(type)),
        _ when type == typeof(int) || type == typeof(long) || type == typeof(short) || type == typeof(byte)
            || type == typeof(uint) || type == typeof(ulong) || type == typeof(ushort) || type == typeof(sbyte) => "a whole number",
        _ when type == typeof(double) || type == typeof(float) || type == typeof(decimal) => "a number (with a decimal point, not a comma)",
        _ when type == typeof(DateTime) || type == typeof(DateTimeOffset) => "a date and time such as 2026-01-05T09:00:00Z",
        _ when type == typeof(DateOnly) => "a date such as 2026-01-05",
        _ when type == typeof(TimeOnly) => "a time such as 09:00",
        _ when type == typeof(Guid) => "a GUID",
        _ when type == typeof(Uri) => "a URI",
        _ => "a valid " + type.Name,
    };
}

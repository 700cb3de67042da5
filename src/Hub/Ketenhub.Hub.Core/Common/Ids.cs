namespace Ketenhub.Hub.Common;

/// <summary>Resource ids: a short prefix and a time-ordered GUID (version 7) in compact form.</summary>
public static class Ids
{
    public static string New(string prefix, TimeProvider time) =>
        prefix + "_" + Guid.CreateVersion7(time.GetUtcNow()).ToString("N");

    /// <summary>Parses <c>collection/id</c>; returns null when the name does not have that form.</summary>
    public static string? Parse(string? name, string collection)
    {
        if (string.IsNullOrEmpty(name) || !name.StartsWith(collection + "/", StringComparison.Ordinal))
        {
            return null;
        }

        var id = name[(collection.Length + 1)..];
        if (id.Length is 0 or > 64)
        {
            return null;
        }

        foreach (var c in id)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
            {
                return null;
            }
        }

        return id;
    }

    /// <summary>Parses a required resource name or throws an INVALID_RESOURCE_NAME error for the field.</summary>
    public static string Require(string? name, string collection, string field)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw HubException.Invalid(ErrorReasons.FieldRequired, field, $"{field} is required.");
        }

        return Parse(name, collection)
            ?? throw HubException.Invalid(ErrorReasons.InvalidResourceName, field, $"{field} must have the form {collection}/{{id}}.");
    }
}

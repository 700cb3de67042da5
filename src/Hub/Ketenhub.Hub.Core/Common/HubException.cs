namespace Ketenhub.Hub.Common;

/// <summary>The broad class of an error; the host maps it to a transport status code.</summary>
public enum ErrorCategory
{
    InvalidArgument,
    NotFound,
    FailedPrecondition,
    Aborted,
    AlreadyExists,
    PermissionDenied,
    Unauthenticated,
    ResourceExhausted,
    Unavailable,
    DeadlineExceeded,
    Internal,
}

/// <summary>
/// One field that failed validation, with its own code from <see cref="ErrorReasons"/> (sent as
/// <c>FieldViolation.reason</c>). The description never repeats the field's value; <see cref="Metadata"/> holds the
/// values it mentions besides the field (a limit, an expected form), never personal data.
/// </summary>
public sealed record FieldViolation(string Field, string Description, string Reason = "")
{
    /// <summary>The values the description mentions besides the field name, by lowerCamelCase key.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);
}

/// <summary>
/// A coded error from the catalogue in <see cref="ErrorReasons"/>. Messages are short English sentences
/// without personal data: they name fields, never their values.
/// </summary>
public sealed class HubException : Exception
{
    private readonly Dictionary<string, string> _metadata = new(StringComparer.Ordinal);

    public HubException(ErrorCategory category, string reason, string message, IReadOnlyList<FieldViolation>? violations = null)
        : base(message)
    {
        Category = category;
        Reason = reason;
        // A violation without a code of its own carries the error's.
        Violations = [.. (violations ?? []).Select(v => v.Reason.Length == 0 ? v with { Reason = reason } : v)];
        if (Violations.Count == 1)
        {
            _metadata["field"] = Violations[0].Field;
            foreach (var (key, value) in Violations[0].Metadata)
            {
                _metadata[key] = value;
            }
        }
        else if (Violations.Count > 1)
        {
            _metadata["fieldCount"] = Violations.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            _metadata["fields"] = string.Join(",", Violations.Select(v => v.Field).Distinct(StringComparer.Ordinal));
        }
    }

    public ErrorCategory Category { get; }

    /// <summary>The <c>ErrorInfo.reason</c>, from <see cref="ErrorReasons"/>.</summary>
    public string Reason { get; }

    public IReadOnlyList<FieldViolation> Violations { get; }

    /// <summary>
    /// The <c>ErrorInfo.metadata</c>: every value the message mentions (field names, limits, expected forms, roles,
    /// statuses), by lowerCamelCase key, so a program need not parse the message. Never personal data. With one invalid
    /// field it holds <c>field</c> and that field's own values; with several, <c>fieldCount</c> and <c>fields</c>.
    /// </summary>
    public IReadOnlyDictionary<string, string> Metadata => _metadata;

    /// <summary>Adds a value the message mentions to <see cref="Metadata"/>.</summary>
    /// <returns>This exception, to throw.</returns>
    public HubException With(string key, string value)
    {
        _metadata[key] = value;
        return this;
    }

    /// <summary>When set, the caller may retry after this delay (sent as <c>google.rpc.RetryInfo</c>).</summary>
    public TimeSpan? RetryDelay { get; init; }

    public static HubException Invalid(string reason, string field, string description, params (string Key, string Value)[] metadata) =>
        new(ErrorCategory.InvalidArgument, reason, description, [Violation(reason, field, description, metadata)]);

    internal static FieldViolation Violation(string reason, string field, string description, (string Key, string Value)[] metadata)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in metadata)
        {
            values[key] = value;
        }

        return new FieldViolation(field, description, reason) { Metadata = values };
    }

    public static HubException NotFound(string reason, string what) =>
        new(ErrorCategory.NotFound, reason, $"{what} was not found.");

    public static HubException Precondition(string reason, string message) =>
        new(ErrorCategory.FailedPrecondition, reason, message);

    /// <summary>A conditional change whose condition (an etag) no longer holds: read again, then decide.</summary>
    public static HubException Aborted(string reason, string message) =>
        new(ErrorCategory.Aborted, reason, message);

    public static HubException Denied(string reason, string message) =>
        new(ErrorCategory.PermissionDenied, reason, message);
}

/// <summary>Collects field violations and throws one <see cref="HubException"/> for all of them.</summary>
public sealed class Validator
{
    private readonly List<FieldViolation> _violations = [];

    public bool HasErrors => _violations.Count > 0;

    /// <summary>Records that <paramref name="field"/> is invalid, with its own code and the values the description mentions.</summary>
    public Validator Add(string reason, string field, string description, params (string Key, string Value)[] metadata)
    {
        _violations.Add(HubException.Violation(reason, field, description, metadata));
        return this;
    }

    /// <summary>
    /// The <c>ErrorInfo.reason</c> for the violations: the one code they all share (one field, or several fields that
    /// fail the same way), else <c>INVALID_REQUEST</c>. Each violation carries its own code either way.
    /// </summary>
    public static string CommonReason(IReadOnlyList<FieldViolation> violations)
    {
        ArgumentNullException.ThrowIfNull(violations);
        var first = violations.Count > 0 ? violations[0].Reason : ErrorReasons.InvalidRequest;
        return violations.All(v => string.Equals(v.Reason, first, StringComparison.Ordinal)) ? first : ErrorReasons.InvalidRequest;
    }

    public void ThrowIfAny()
    {
        if (_violations.Count == 0)
        {
            return;
        }

        var message = _violations.Count == 1
            ? _violations[0].Description
            : $"The request has {_violations.Count} invalid fields.";
        throw new HubException(ErrorCategory.InvalidArgument, CommonReason(_violations), message, _violations);
    }
}

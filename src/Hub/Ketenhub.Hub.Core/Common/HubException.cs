namespace Ketenhub.Hub.Common;

/// <summary>The broad class of an error; the host maps it to a transport status code.</summary>
public enum ErrorCategory
{
    InvalidArgument,
    NotFound,
    FailedPrecondition,
    AlreadyExists,
    PermissionDenied,
    Unauthenticated,
    ResourceExhausted,
    Unavailable,
    DeadlineExceeded,
    Internal,
}

/// <summary>One field that failed validation. The description never repeats the field's value.</summary>
public sealed record FieldViolation(string Field, string Description);

/// <summary>
/// A coded error from the catalogue in <see cref="ErrorReasons"/>. Messages are short English sentences
/// without personal data: they name fields, never their values.
/// </summary>
public sealed class HubException : Exception
{
    public HubException(ErrorCategory category, string reason, string message, IReadOnlyList<FieldViolation>? violations = null)
        : base(message)
    {
        Category = category;
        Reason = reason;
        Violations = violations ?? [];
    }

    public ErrorCategory Category { get; }

    /// <summary>The <c>ErrorInfo.reason</c>, from <see cref="ErrorReasons"/>.</summary>
    public string Reason { get; }

    public IReadOnlyList<FieldViolation> Violations { get; }

    /// <summary>When set, the caller may retry after this delay (sent as <c>google.rpc.RetryInfo</c>).</summary>
    public TimeSpan? RetryDelay { get; init; }

    public static HubException Invalid(string reason, string field, string description) =>
        new(ErrorCategory.InvalidArgument, reason, description, [new FieldViolation(field, description)]);

    public static HubException NotFound(string reason, string what) =>
        new(ErrorCategory.NotFound, reason, $"{what} was not found.");

    public static HubException Precondition(string reason, string message) =>
        new(ErrorCategory.FailedPrecondition, reason, message);

    public static HubException Denied(string reason, string message) =>
        new(ErrorCategory.PermissionDenied, reason, message);
}

/// <summary>Collects field violations and throws one <see cref="HubException"/> for all of them.</summary>
public sealed class Validator
{
    private readonly List<FieldViolation> _violations = [];
    private string? _firstReason;

    public bool HasErrors => _violations.Count > 0;

    public Validator Add(string reason, string field, string description)
    {
        _firstReason ??= reason;
        _violations.Add(new FieldViolation(field, description));
        return this;
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
        throw new HubException(ErrorCategory.InvalidArgument, _violations.Count == 1 ? _firstReason! : ErrorReasons.InvalidRequest, message, _violations);
    }
}

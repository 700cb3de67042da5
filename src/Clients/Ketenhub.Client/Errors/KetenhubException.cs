using Google.Rpc;
using Grpc.Core;

namespace Ketenhub.Client;

/// <summary>
/// A call to the hub failed. <see cref="Reason"/> is the code from the hub's error catalogue
/// (<c>docs/errors.md</c>, for example <c>CLIENT_NOT_FOUND</c>); branch on it, never on the message.
/// </summary>
public class KetenhubException : Exception
{
    /// <summary>The error domain of the hub's own codes: <c>ketenhub.nl</c>.</summary>
    public const string HubDomain = "ketenhub.nl";

    /// <summary>Creates the exception from a failed call.</summary>
    /// <param name="message">A short description for developers.</param>
    /// <param name="statusCode">The call's gRPC status.</param>
    /// <param name="reason">The catalogue code, if the hub sent one.</param>
    /// <param name="fieldViolations">The invalid fields, if any.</param>
    /// <param name="innerException">The transport exception.</param>
    public KetenhubException(string message, StatusCode statusCode, string? reason, IReadOnlyList<KetenhubFieldViolation> fieldViolations, Exception? innerException)
        : base(message, innerException)
    {
        StatusCode = statusCode;
        Reason = reason;
        FieldViolations = fieldViolations ?? [];
    }

    /// <summary>The call's gRPC status code.</summary>
    public StatusCode StatusCode { get; }

    /// <summary>
    /// The hub's <c>ErrorInfo</c> reason (for example <c>REQUEST_ID_REUSED</c>), or null when the failure did
    /// not come from the hub (a deadline, a broken connection, a proxy).
    /// </summary>
    public string? Reason { get; }

    /// <summary>The invalid fields of the request, from the hub's <c>BadRequest</c> detail.</summary>
    public IReadOnlyList<KetenhubFieldViolation> FieldViolations { get; }

    /// <summary>
    /// The hub's <c>ErrorInfo.metadata</c>: the values its message mentions, by key (for example <c>field</c>,
    /// <c>maxLength</c>, <c>expectedForm</c>; docs/errors.md). Empty when the hub sent none.
    /// </summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// Whether trying again later may succeed with the same request (the hub or the network was unavailable, or
    /// the deadline passed). A retry of a write must reuse the call's <c>request_id</c>
    /// (<see cref="KetenhubCallOptions.RequestId"/>).
    /// </summary>
    public bool IsTransient => StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.ResourceExhausted;

    /// <summary>Translates a gRPC failure, reading the hub's <c>google.rpc.Status</c> details.</summary>
    /// <param name="exception">The failure.</param>
    /// <returns>The SDK's exception for it.</returns>
    public static KetenhubException FromRpc(RpcException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        string? reason = null;
        var violations = new List<KetenhubFieldViolation>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var message = exception.Status.Detail;
        try
        {
            var status = exception.GetRpcStatus();
            if (status is not null)
            {
                var info = status.GetDetail<ErrorInfo>();
                if (info is not null && string.Equals(info.Domain, HubDomain, StringComparison.Ordinal))
                {
                    reason = info.Reason;
                    foreach (var (key, value) in info.Metadata)
                    {
                        metadata[key] = value;
                    }
                }

                var badRequest = status.GetDetail<BadRequest>();
                if (badRequest is not null)
                {
                    violations.AddRange(badRequest.FieldViolations.Select(v => new KetenhubFieldViolation(v.Field, v.Description) { Reason = v.Reason }));
                }
            }
        }
        catch (Google.Protobuf.InvalidProtocolBufferException)
        {
            // A status detail that is not a google.rpc.Status (a proxy's): keep the plain status.
        }

        var text = reason is null
            ? $"The call failed with {exception.StatusCode}: {message}"
            : $"The hub refused the call with {reason} ({exception.StatusCode}): {message}";
        return exception.StatusCode == StatusCode.DeadlineExceeded
            ? new KetenhubDeadlineExceededException(text, reason, exception) { Metadata = metadata }
            : new KetenhubException(text, exception.StatusCode, reason, violations, exception) { Metadata = metadata };
    }

    /// <summary>A call that ended, uncancelled by its caller, once its deadline had passed.</summary>
    internal static KetenhubDeadlineExceededException DeadlinePassed(RpcException exception) =>
        new("The call failed with DeadlineExceeded: its deadline passed before the hub answered.", null, exception);
}

/// <summary>The call's deadline passed before the hub answered. A write may or may not have been applied: retry it with the same request id.</summary>
public sealed class KetenhubDeadlineExceededException : KetenhubException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">A short description for developers.</param>
    /// <param name="reason">The catalogue code, if the hub sent one.</param>
    /// <param name="innerException">The transport exception.</param>
    public KetenhubDeadlineExceededException(string message, string? reason, Exception? innerException)
        : base(message, StatusCode.DeadlineExceeded, reason, [], innerException)
    {
    }
}

/// <summary>One invalid field of a request, from the hub's <c>BadRequest</c> detail.</summary>
public sealed class KetenhubFieldViolation
{
    /// <summary>Creates a field violation.</summary>
    /// <param name="field">The field's path in proto names, for example <c>signal.description</c>.</param>
    /// <param name="description">What is wrong with it (never the value).</param>
    public KetenhubFieldViolation(string field, string description)
    {
        Field = field;
        Description = description;
    }

    /// <summary>The field's path in proto names, for example <c>signal.description</c>.</summary>
    public string Field { get; }

    /// <summary>What is wrong with it (never the value).</summary>
    public string Description { get; }

    /// <summary>The field's own code from the catalogue (for example <c>FIELD_TOO_LONG</c>); empty if the hub sent none.</summary>
    public string Reason { get; init; } = string.Empty;

    /// <inheritdoc />
    public override string ToString() => Field + ": " + Description;
}

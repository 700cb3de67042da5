using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;

namespace Ketenhub.Adapters;

/// <summary>
/// Builds errors in the hub's own form (<c>google.rpc.Status</c> with one <c>ErrorInfo</c> in domain <c>ketenhub.nl</c>
/// and, for invalid fields, a <c>BadRequest</c> whose violations carry the same reason), so an adapter's rejection reads exactly like the hub's. Reasons come
/// from <c>docs/errors.md</c>.
/// </summary>
public static class HubErrors
{
    /// <summary>The <c>ErrorInfo</c> domain of every hub error.</summary>
    public const string Domain = "ketenhub.nl";

    /// <summary>
    /// Builds an error.
    /// </summary>
    /// <param name="code">The gRPC status code the catalogue lists with <paramref name="reason"/>.</param>
    /// <param name="reason">The catalogue code, for example <c>FIELD_REQUIRED</c>.</param>
    /// <param name="message">One English sentence naming fields, never values or personal data.</param>
    /// <param name="violations">The invalid fields, as the partner's format names them, each with a short description.</param>
    /// <returns>The error.</returns>
    public static Google.Rpc.Status Create(
        StatusCode code,
        string reason,
        string message,
        params IEnumerable<(string Field, string Description)> violations)
    {
        var status = new Google.Rpc.Status { Code = (int)code, Message = message };
        var info = new ErrorInfo { Domain = Domain, Reason = reason };
        status.Details.Add(Any.Pack(info));
        var badRequest = new BadRequest();
        foreach (var (field, description) in violations)
        {
            badRequest.FieldViolations.Add(new BadRequest.Types.FieldViolation { Field = field, Description = description, Reason = reason });
        }

        // As the hub's own errors: the field a single violation names, or how many fields failed.
        if (badRequest.FieldViolations.Count == 1)
        {
            info.Metadata["field"] = badRequest.FieldViolations[0].Field;
        }
        else if (badRequest.FieldViolations.Count > 1)
        {
            info.Metadata["fieldCount"] = badRequest.FieldViolations.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            info.Metadata["fields"] = string.Join(",", badRequest.FieldViolations.Select(v => v.Field).Distinct(StringComparer.Ordinal));
        }

        if (badRequest.FieldViolations.Count > 0)
        {
            status.Details.Add(Any.Pack(badRequest));
        }

        return status;
    }

    /// <summary>
    /// Reads the <c>ErrorInfo</c> reason of an error.
    /// </summary>
    /// <param name="status">An error from <see cref="Create"/> or from the hub.</param>
    /// <returns>The reason, or <c>INTERNAL</c> if the error carries none.</returns>
    public static string ReasonOf(Google.Rpc.Status status)
    {
        foreach (var detail in status.Details)
        {
            if (detail.TryUnpack<ErrorInfo>(out var info))
            {
                return info.Reason;
            }
        }

        return "INTERNAL";
    }

    /// <summary>
    /// Reads the field violations of an error.
    /// </summary>
    /// <param name="status">An error from <see cref="Create"/> or from the hub.</param>
    /// <returns>The violations, empty if there are none.</returns>
    public static IReadOnlyList<BadRequest.Types.FieldViolation> ViolationsOf(Google.Rpc.Status status)
    {
        foreach (var detail in status.Details)
        {
            if (detail.TryUnpack<BadRequest>(out var badRequest))
            {
                return badRequest.FieldViolations;
            }
        }

        return [];
    }
}

using System.Text.Json;
using System.Text.Json.Serialization;
using Ketenhub.Hub.Storage;

namespace Ketenhub.Hub.Common;

/// <summary>
/// The idempotency key of a mutating request (docs/architecture.md, rule 9): the caller's request id and a hash of the
/// request body. A repeat with the same body returns the first answer; a different body is an error.
/// </summary>
public sealed record RequestKey(string RequestId, string BodyHash)
{
    public const int MaxLength = 128;

    public static RequestKey Create(string? requestId, string bodyHash)
    {
        if (string.IsNullOrEmpty(requestId))
        {
            throw HubException.Invalid(ErrorReasons.RequestIdMissing, "request_id", "request_id is required on every mutating call.");
        }

        if (requestId.Length > MaxLength || requestId.Any(c => c < 0x21 || c > 0x7e))
        {
            throw HubException.Invalid(ErrorReasons.InvalidRequest, "request_id", $"request_id must be 1 to {MaxLength} printable ASCII characters without spaces.", ("maxLength", MaxLength.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        return new RequestKey(requestId, bodyHash);
    }
}

/// <summary>Runs a write at most once per request key, inside the write's transaction.</summary>
public static class Idempotency
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General)
    {
        IncludeFields = true,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>
    /// Returns the stored result for <paramref name="key"/> if the same request was answered before, or runs
    /// <paramref name="work"/> and stores its result in the same transaction, with the client the work concerned
    /// (<paramref name="clientOf"/>, asked after the work) so that erasing that client removes the answer too. Stored
    /// answers expire (<c>Hub:Retention:IdempotencyRecords</c>): a request id repeated after that is a new request.
    /// </summary>
    public static T Run<T>(IHubSession session, string caller, string operation, RequestKey key, DateTimeOffset now, Func<T> work, Func<string?>? clientOf = null)
    {
        var stored = session.FindRequest(caller, operation, key.RequestId);
        if (stored is not null)
        {
            if (!string.Equals(stored.BodyHash, key.BodyHash, StringComparison.Ordinal))
            {
                throw HubException.Invalid(ErrorReasons.RequestIdReused, "request_id", "request_id was already used for a different request.");
            }

            return JsonSerializer.Deserialize<T>(stored.ResultJson, Json)
                ?? throw new HubException(ErrorCategory.Internal, ErrorReasons.Internal, "A stored answer could not be read.");
        }

        var result = work();
        session.SaveRequest(caller, operation, key.RequestId, new StoredRequest(key.BodyHash, JsonSerializer.Serialize(result, Json)) { ClientId = clientOf?.Invoke() }, now);
        return result;
    }
}

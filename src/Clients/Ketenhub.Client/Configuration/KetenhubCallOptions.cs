namespace Ketenhub.Client;

/// <summary>Settings for one call that override the client's defaults.</summary>
public sealed class KetenhubCallOptions
{
    /// <summary>How long this call may take, retries included. Null: <see cref="KetenhubClientOptions.DefaultDeadline"/>.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>
    /// The idempotency key of a mutating call. Null: the SDK generates one for this call and keeps it across
    /// its retries. Set it yourself to make a write idempotent across restarts of your own process (for
    /// example one id per row of an import): the hub answers a repeat with its first answer.
    /// </summary>
    public string? RequestId { get; init; }
}

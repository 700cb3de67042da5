namespace Ketenhub.Adapters;

/// <summary>
/// The outcome of one <see cref="IPartyAdapter.DeliverAsync"/> attempt: <see cref="Delivered"/>,
/// <see cref="RetryLater"/> or <see cref="Rejected"/>. No other kinds exist.
/// </summary>
public abstract record AdapterDeliveryResult
{
    private AdapterDeliveryResult()
    {
    }

    /// <summary>
    /// The recipient's side accepted the delivery. The hub records it as acknowledged, or, when
    /// <see cref="AwaitsAnswer"/>, as waiting for the partner's answer.
    /// </summary>
    public sealed record Delivered : AdapterDeliveryResult
    {
        /// <summary>
        /// The partner's system took the message, and answers its content later with a message of its own (an iWmo
        /// or iJw retour): the hub waits for that answer (<c>DELIVERY_STATUS_AWAITING_RETOUR</c>) instead of
        /// acknowledging the delivery now.
        /// </summary>
        public bool AwaitsAnswer { get; init; }
    }

    /// <summary>
    /// The attempt failed for a reason that may pass (the endpoint is down, busy or timed out). The hub tries
    /// again; after repeated failures it sets the delivery aside.
    /// </summary>
    /// <param name="After">How long the recipient asked the hub to wait (for example from <c>Retry-After</c>); <see langword="null"/> lets the hub's backoff decide.</param>
    public sealed record RetryLater(TimeSpan? After) : AdapterDeliveryResult;

    /// <summary>
    /// The recipient's side refused the delivery for good (for example an invalid payload or an unknown
    /// client). The hub does not retry; it sets the delivery aside for an administrator.
    /// </summary>
    /// <param name="ReasonCode">A short, stable, machine-readable code for why, as the adapter or recipient names it.</param>
    public sealed record Rejected(string ReasonCode) : AdapterDeliveryResult;
}

namespace Ketenhub.Adapters;

/// <summary>
/// Carries deliveries to parties in one wire format, for parties that do not open the hub's gRPC delivery
/// stream themselves (for example a FHIR endpoint or an iWmo/iJw message exchange).
/// </summary>
/// <remarks>
/// <para>
/// Each format lives in its own project (<c>Ketenhub.Adapters.&lt;Format&gt;</c>) that implements this
/// interface once. Which adapter serves a party is chosen per party in configuration by
/// <see cref="Format"/>; the hub itself knows nothing of any format.
/// </para>
/// <para>
/// The hub owns retries, ordering and set-aside: an adapter makes one attempt per call and reports what
/// happened through <see cref="AdapterDeliveryResult"/>. It should not throw for outcomes it can name.
/// </para>
/// </remarks>
public interface IPartyAdapter
{
    /// <summary>
    /// The format this adapter speaks, as parties name it in configuration (for example <c>fhir-r4</c>).
    /// Unique among the registered adapters; compared case-insensitively.
    /// </summary>
    string Format { get; }

    /// <summary>
    /// Makes one attempt to hand <paramref name="delivery"/> to its recipient.
    /// </summary>
    /// <param name="delivery">The committed delivery, already rendered for this adapter's format.</param>
    /// <param name="ct">Cancelled when the hub shuts down or the attempt times out; the attempt then counts as not delivered.</param>
    /// <returns>What the recipient's side made of the attempt.</returns>
    Task<AdapterDeliveryResult> DeliverAsync(OutboundDelivery delivery, CancellationToken ct);
}

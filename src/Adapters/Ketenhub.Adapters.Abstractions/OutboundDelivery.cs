namespace Ketenhub.Adapters;

/// <summary>
/// One committed delivery on its way to one recipient party through an <see cref="IPartyAdapter"/>.
/// </summary>
/// <remarks>
/// The hub has already decided that the recipient may receive this payload (consent, routing); the adapter
/// only transports it. The same <see cref="DeliveryId"/> is passed on every retry, so a recipient can use it
/// to discard duplicates.
/// </remarks>
/// <param name="DeliveryId">The hub's id of the delivery, stable across retries.</param>
/// <param name="RecipientPartyId">The hub's id of the recipient party.</param>
/// <param name="PayloadKind">What the payload is, for example <c>referral</c>, <c>transition</c>, <c>signal</c> or <c>thin-notice</c>.</param>
/// <param name="Payload">The payload bytes, already in the adapter's format.</param>
/// <param name="ContentType">The media type of <paramref name="Payload"/>, for example <c>application/fhir+json</c>.</param>
public sealed record OutboundDelivery(
    string DeliveryId,
    string RecipientPartyId,
    string PayloadKind,
    ReadOnlyMemory<byte> Payload,
    string ContentType);

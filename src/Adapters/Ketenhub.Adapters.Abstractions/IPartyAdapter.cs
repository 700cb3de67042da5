using Google.Protobuf;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Adapters;

/// <summary>
/// Connects the hub to parties that speak one wire format instead of the hub's gRPC contract (for
/// example FHIR R4, iWmo 3.2 or signed webhooks). An adapter does three things, and nothing else:
/// <list type="number">
/// <item><description><see cref="TranslateOutbound"/>: turn one <see cref="Delivery"/> (exactly what a gRPC recipient receives on its
/// stream) into the partner's format;</description></item>
/// <item><description><see cref="DeliverAsync"/>: make one attempt to hand that payload to the partner's endpoint;</description></item>
/// <item><description><see cref="TranslateInbound"/> and <see cref="RenderReply"/>: turn a partner's message into the hub's
/// request messages (for example <see cref="CreateReferralRequest"/> or <see cref="AcceptReferralRequest"/>) or a coded
/// rejection, and render the hub's answer in the partner's format.</description></item>
/// </list>
/// </summary>
/// <remarks>
/// <para>
/// Each format lives in its own project (<c>Ketenhub.Adapters.&lt;Format&gt;</c>) that depends only on this contract
/// and on <c>Ketenhub.Contracts</c>, never on the hub's domain. Which adapter serves a party is chosen per party in
/// configuration by <see cref="Format"/>; writing a new format needs no change to the hub.
/// </para>
/// <para>
/// The hub keeps every guarantee: consent and routing have been decided before <see cref="TranslateOutbound"/> is
/// called, and what it returns for an inbound message goes through the same validation, authorisation and
/// idempotency as a gRPC call by the same party. The hub owns retries, ordering and set-aside: an adapter makes
/// one attempt per <see cref="DeliverAsync"/> call and names the outcome. Translation is pure: the same delivery and
/// context give the same bytes, so a redelivery is recognisable at the partner.
/// </para>
/// <para>
/// Adapters never write personal data (BSN, names, free text about a client) to logs or into the codes and
/// messages of their errors.
/// </para>
/// </remarks>
public interface IPartyAdapter
{
    /// <summary>
    /// The format this adapter speaks, as parties name it in configuration (for example <c>fhir-r4</c>, <c>iwmo-3.2</c>).
    /// Unique among the registered adapters; compared case-insensitively.
    /// </summary>
    string Format { get; }

    /// <summary>
    /// Translates one delivery into the partner's format. Every payload kind of <see cref="Delivery"/> must be handled
    /// or refused with <see cref="AdapterException"/> (reason <c>UNSUPPORTED_PAYLOAD</c>) so the hub can set it aside.
    /// </summary>
    /// <param name="delivery">The committed delivery, as the recipient may see it (the hub has applied consent and the
    /// recipient's client view).</param>
    /// <param name="context">The parties and hub address the translation needs beyond the delivery.</param>
    /// <returns>The payload to send, deterministic for the same input.</returns>
    /// <exception cref="AdapterException">The delivery cannot be expressed in this format.</exception>
    AdapterPayload TranslateOutbound(Delivery delivery, AdapterContext context);

    /// <summary>
    /// Makes one attempt to hand a translated delivery to its recipient.
    /// </summary>
    /// <param name="delivery">The payload from <see cref="TranslateOutbound"/> with where it goes.</param>
    /// <param name="ct">Cancelled when the hub shuts down or the attempt times out; the attempt then counts as not delivered.</param>
    /// <returns>What the recipient's side made of the attempt. Outcomes the adapter can name are returned, not thrown.</returns>
    Task<AdapterDeliveryResult> DeliverAsync(OutboundDelivery delivery, CancellationToken ct);

    /// <summary>
    /// Translates one message a partner sent to the hub into the hub's request messages, or rejects it with a coded
    /// error. Validates the shape the format requires and the fields the hub requires, so that a partner gets the
    /// same codes a gRPC caller would; the hub then executes the requests as if <see cref="AdapterContext.Sender"/>
    /// had called it.
    /// </summary>
    /// <param name="message">The partner's message as received.</param>
    /// <param name="context">The partner as <see cref="AdapterContext.Sender"/>, the hub as recipient, the known parties.</param>
    /// <returns>The requests to execute in order, or a rejection. Never throws for bad input.</returns>
    InboundTranslation TranslateInbound(InboundMessage message, AdapterContext context);

    /// <summary>
    /// Renders the hub's answer to an inbound message in the partner's format: a rejection from
    /// <see cref="TranslateInbound"/>, or the hub's responses and errors for the requests it executed.
    /// </summary>
    /// <param name="message">The partner's message the answer is for.</param>
    /// <param name="outcome">What became of it.</param>
    /// <param name="context">The same context as for <see cref="TranslateInbound"/>.</param>
    /// <returns>The body to answer with, and the HTTP-style status code that goes with it.</returns>
    AdapterReply RenderReply(InboundMessage message, InboundOutcome outcome, AdapterContext context);
}

/// <summary>
/// What a translation needs beyond the <see cref="Delivery"/> or the inbound message: the parties involved, with their
/// Dutch identifiers, and the hub's own address, which qualifies the hub's ids in identifiers.
/// </summary>
/// <param name="HubBaseUrl">The hub's public base address (for example <c>https://ketenhub.example.nl/</c>). Identifier systems
/// for the hub's ids are built from it, so the same referral keeps the same identifier in every delivery.</param>
/// <param name="Recipient">The party that receives the payload: the recipient of an outbound delivery, or the hub's own party
/// description for an inbound message.</param>
/// <param name="Sender">The party the payload comes from: the sender of an outbound delivery, or the partner that sent an
/// inbound message (the authenticated caller).</param>
/// <param name="Parties">Every other party a translation may name (performers, from/to parties, the coach's employer), by
/// resource name <c>parties/{party}</c>. May include <paramref name="Recipient"/> and <paramref name="Sender"/>.</param>
/// <param name="Consent">The consent that allowed the content (the delivery's <c>decision.consent</c>), when the hub shares
/// it with the recipient; <see langword="null"/> otherwise.</param>
public sealed record AdapterContext(
    Uri HubBaseUrl,
    Party Recipient,
    Party Sender,
    IReadOnlyDictionary<string, Party> Parties,
    Consent? Consent = null)
{
    /// <summary>
    /// Identifiers of parties that the contract's <see cref="Party"/> does not carry: the URA (UZI-register abonneenummer)
    /// by resource name <c>parties/{party}</c>, for the parties that have one.
    /// </summary>
    public IReadOnlyDictionary<string, string> Uras { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// For an inbound message: the sender's own name for the client with this BSN (<c>clients/…</c>), when the hub knows
    /// the client and the sender has a relationship with it; <see langword="null"/> otherwise (unknown and unrelated are
    /// not told apart). The hub's BSN look-up, set by the host; <see langword="null"/> when the host offers none.
    /// </summary>
    public Func<string, string?>? ClientByBsn { get; init; }

    /// <summary>
    /// Finds a party by resource name among <see cref="Recipient"/>, <see cref="Sender"/> and <see cref="Parties"/>.
    /// </summary>
    /// <param name="name">The party's resource name, <c>parties/{party}</c>.</param>
    /// <returns>The party, or <see langword="null"/> if the context does not know it.</returns>
    public Party? FindParty(string name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return null;
        }

        if (Recipient.Name == name)
        {
            return Recipient;
        }

        if (Sender.Name == name)
        {
            return Sender;
        }

        return Parties.TryGetValue(name, out var party) ? party : null;
    }
}

/// <summary>
/// A translated payload in the partner's format.
/// </summary>
/// <param name="ContentType">The media type of <paramref name="Body"/>, for example <c>application/fhir+json</c>.</param>
/// <param name="Body">The bytes to send.</param>
public sealed record AdapterPayload(string ContentType, ReadOnlyMemory<byte> Body);

/// <summary>
/// One translated delivery on its way to one recipient through <see cref="IPartyAdapter.DeliverAsync"/>.
/// </summary>
/// <param name="DeliveryName">The delivery, <c>deliveries/{delivery}</c>; the same on every retry, so a recipient can use it to
/// discard duplicates.</param>
/// <param name="Recipient">The recipient party, <c>parties/{party}</c>.</param>
/// <param name="Endpoint">Where the recipient receives this format (from the party's configuration).</param>
/// <param name="Payload">The result of <see cref="IPartyAdapter.TranslateOutbound"/>.</param>
/// <param name="AttemptCount">How many attempts this one is, starting at 1.</param>
public sealed record OutboundDelivery(
    string DeliveryName,
    string Recipient,
    Uri Endpoint,
    AdapterPayload Payload,
    int AttemptCount);

/// <summary>
/// A message a partner sent to the hub in its own format.
/// </summary>
/// <param name="Method">The HTTP method it came with (<c>POST</c>, <c>PUT</c>), or the format's own operation name.</param>
/// <param name="Path">The path relative to the adapter's base (for example <c>Task/abc</c> or an empty string for a FHIR
/// transaction), or the format's message type.</param>
/// <param name="ContentType">The media type the partner declared.</param>
/// <param name="Body">The message bytes as received.</param>
public sealed record InboundMessage(string Method, string Path, string ContentType, ReadOnlyMemory<byte> Body);

/// <summary>
/// The result of <see cref="IPartyAdapter.TranslateInbound"/>: <see cref="Requests"/> or <see cref="Rejected"/>. No other
/// kinds exist.
/// </summary>
public abstract record InboundTranslation
{
    private InboundTranslation()
    {
    }

    /// <summary>
    /// The partner's message maps onto these hub requests, to execute in order as the partner. Each is one of the
    /// contract's mutating requests (for example <see cref="CreateReferralRequest"/>, <see cref="AcceptReferralRequest"/>,
    /// <see cref="DeclineReferralRequest"/>, <see cref="StartReferralRequest"/>, <see cref="EndReferralRequest"/>) with a
    /// <c>request_id</c> derived from the partner's message, so a partner's retry of the same message is
    /// idempotent at the hub. A <see cref="RegisterClientRequest"/> (a partner naming its client by BSN, birth date and
    /// municipality, as iWmo does) may come first: a later <see cref="CreateReferralRequest"/> whose referral has no
    /// <c>client</c> is then about the client that registration answered with.
    /// </summary>
    /// <param name="Messages">At least one request.</param>
    public sealed record Requests(IReadOnlyList<IMessage> Messages) : InboundTranslation;

    /// <summary>
    /// The partner's message is refused before anything reaches the hub; nothing is stored.
    /// </summary>
    /// <param name="Error">The error, exactly as the hub would return it: an <c>ErrorInfo</c> with a reason from
    /// <c>docs/errors.md</c> (domain <c>ketenhub.nl</c>) and, for invalid fields, a <c>BadRequest</c> naming them in the
    /// partner format's paths.</param>
    public sealed record Rejected(Google.Rpc.Status Error) : InboundTranslation;
}

/// <summary>
/// What became of an inbound message, for <see cref="IPartyAdapter.RenderReply"/>: either it was rejected, or the hub
/// executed its requests.
/// </summary>
/// <param name="Error">The error that stopped it: from <see cref="InboundTranslation.Rejected"/>, or the hub's error for the
/// first request that failed. <see langword="null"/> when every request succeeded.</param>
/// <param name="Responses">The hub's responses to the requests that succeeded, in order (for example
/// <see cref="CreateReferralResponse"/>).</param>
public sealed record InboundOutcome(Google.Rpc.Status? Error, IReadOnlyList<IMessage> Responses);

/// <summary>
/// The answer to send a partner for its inbound message.
/// </summary>
/// <param name="StatusCode">The HTTP status code that goes with it (for example 200, 201, 400, 404, 409, 422).</param>
/// <param name="Payload">The body in the partner's format (for example a FHIR OperationOutcome or an iWmo retour message).</param>
public sealed record AdapterReply(int StatusCode, AdapterPayload Payload);

/// <summary>
/// Thrown by <see cref="IPartyAdapter.TranslateOutbound"/> when a delivery cannot be expressed in the adapter's format.
/// The message and reason never contain personal data.
/// </summary>
public sealed class AdapterException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="reason">A stable code, for example <c>UNSUPPORTED_PAYLOAD</c> or <c>UNKNOWN_PARTY</c>.</param>
    /// <param name="message">One English sentence naming fields, never values.</param>
    public AdapterException(string reason, string message)
        : base(message)
    {
        Reason = reason;
    }

    /// <summary>A stable code for why.</summary>
    public string Reason { get; }

    /// <summary>
    /// The reason for a delivery the partner's standard deliberately has no message for, because the partner learns the
    /// same through messages of its own chain (for example a referral's acceptance, which an iWmo municipality learns from
    /// the provider's start-of-care message). Nothing is sent and nothing is wrong: the hub closes the delivery with this
    /// reason instead of setting it aside, so it raises no alarm. Any other reason means the delivery could not reach the
    /// partner and is set aside.
    /// </summary>
    public const string NotInFormat = "NOT_IN_FORMAT";
}

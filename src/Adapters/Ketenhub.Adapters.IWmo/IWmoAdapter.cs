using System.Net;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Ketenhub.Adapters.IWmo.Codes;
using Ketenhub.Adapters.IWmo.Inbound;
using Ketenhub.Adapters.IWmo.Outbound;
using Ketenhub.Adapters.IWmo.Schemas;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Adapters.IWmo;

/// <summary>
/// The iWmo 3.2 / iJw 3.2 adapter behind the hub's adapter contract. Outbound: a referral becomes a 301 for a
/// performing care provider or a 315 for a deciding municipality-side party (iJw for clients under 18), and a
/// provider's refused request for a toewijzing a 319. Inbound: 301, 305, 307, a provider's 315 and the retours 302,
/// 316 and 320 become the hub's requests; each heenbericht is answered with its retour (302, 306, 308, 316).
/// </summary>
public sealed class IWmoAdapter(IIWmoDirectory directory, HttpClient http, TimeProvider time) : IPartyAdapter
{
    /// <summary>The format name parties use in configuration.</summary>
    public const string FormatName = "iwmo-3.2";

    /// <summary>The media type of every message.</summary>
    public const string XmlContentType = "application/xml";

    private readonly InboundTranslator _inbound = new(directory);

    /// <inheritdoc />
    public string Format => FormatName;

    /// <inheritdoc />
    public AdapterPayload TranslateOutbound(Delivery delivery, AdapterContext context)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        ArgumentNullException.ThrowIfNull(context);
        if (delivery.PayloadCase is not (Delivery.PayloadOneofCase.Referral or Delivery.PayloadOneofCase.ReferralUpdate))
        {
            throw new AdapterException("UNSUPPORTED_PAYLOAD", $"A {delivery.PayloadCase} delivery has no iWmo or iJw message.");
        }

        var recipient = directory.FindParty(context.Recipient.Name) ?? IWmoParty.From(context.Recipient, IStandaarden.IWmo);
        // A referral update goes to the referral's requester (or another performer): the recipient stands in for it.
        var requesterParty = delivery.PayloadCase == Delivery.PayloadOneofCase.ReferralUpdate
            ? context.Recipient
            : context.FindParty(delivery.Referral.Requester) ?? throw new AdapterException("UNKNOWN_PARTY", "The referral's requester is not in the context.");
        var requester = directory.FindParty(requesterParty.Name) ?? IWmoParty.From(requesterParty, IStandaarden.None);
        // The recipient's client view travels with the delivery; the directory is the fallback for hosts that do not fill it.
        var client = IWmoClient.From(delivery.ClientDetails) ?? directory.ClientView(delivery, recipient.Name)
            ?? throw new AdapterException(IWmoErrors.BsnRequired, "The delivery carries no client details for this recipient.");

        // The message's moment is the delivery's: the same delivery always gives the same bytes.
        var result = OutboundTranslator.Translate(new OutboundRequest(delivery, client, recipient, requester, delivery.CreateTime.ToDateTimeOffset()));
        return result switch
        {
            OutboundResult.Message m => new AdapterPayload(XmlContentType, m.ToBytes()),
            // A payload the standards have no message for is refused as every adapter refuses one.
            OutboundResult.Failed { Code: IWmoErrors.PayloadNotSupported } f => throw new AdapterException("UNSUPPORTED_PAYLOAD", f.Detail),
            OutboundResult.Failed { Code: IWmoErrors.NotInFormat } f => throw new AdapterException(AdapterException.NotInFormat, f.Detail),
            OutboundResult.Failed f => throw new AdapterException(f.Code, f.Detail),
            _ => throw new InvalidOperationException(),
        };
    }

    /// <inheritdoc />
    public async Task<AdapterDeliveryResult> DeliverAsync(OutboundDelivery delivery, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Endpoint)
        {
            Content = new ReadOnlyMemoryContent(delivery.Payload.Body),
        };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(delivery.Payload.ContentType);
        request.Headers.TryAddWithoutValidation("Ketenhub-Delivery", delivery.DeliveryName);
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                // The transport's answer is only receipt: the partner answers the content with its retour (302 on a
                // 301, 316 on a 315), later, as a message of its own.
                return new AdapterDeliveryResult.Delivered { AwaitsAnswer = true };
            }

            if (status is 408 or 429 or >= 500)
            {
                var after = response.Headers.RetryAfter switch
                {
                    { Delta: { } delta } => delta,
                    { Date: { } date } => date - time.GetUtcNow() is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
                    _ => (TimeSpan?)null,
                };
                return new AdapterDeliveryResult.RetryLater(after);
            }

            return new AdapterDeliveryResult.Rejected($"HTTP_{status}");
        }
        catch (HttpRequestException)
        {
            return new AdapterDeliveryResult.RetryLater(null);
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return new AdapterDeliveryResult.RetryLater(null);
        }
    }

    /// <inheritdoc />
    public Adapters.InboundTranslation TranslateInbound(InboundMessage message, AdapterContext context)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(context);
        var reading = Read(message);
        if (reading.Refusal is { } refusal)
        {
            return new Adapters.InboundTranslation.Rejected(RefusalError(refusal, reading));
        }

        if (reading.Commands.Any(c => c.Caller != context.Sender.Name))
        {
            return new Adapters.InboundTranslation.Rejected(HubErrors.Create(StatusCode.InvalidArgument, "UNKNOWN_PARTY", "The message's Afzender is not the calling party.", ("Bericht/Header/Afzender", "must identify the calling party")));
        }

        if (reading.Commands.Count > 0)
        {
            return new Adapters.InboundTranslation.Requests([.. reading.Commands.Select(c => c.Request)]);
        }

        if (reading.RetourReceived is not null)
        {
            return new Adapters.InboundTranslation.Rejected(HubErrors.Create(StatusCode.NotFound, "DELIVERY_NOT_FOUND", "The retour answers no message the hub sent to the calling party.", ("Bericht/Header/BerichtIdentificatie", "names no delivery")));
        }

        // A heenbericht without anything to execute: the header or every class was rejected.
        var header = reading.HeaderCodes;
        var error = header.Contains(RetourCodes.GemeentecodeOngeldig)
            ? HubErrors.Create(StatusCode.InvalidArgument, "INVALID_MUNICIPALITY_CODE", "The message's municipality code is not a CBS gemeentecode.", ("Bericht/Header", RetourCodes.GemeentecodeOngeldig))
            : header.Contains(RetourCodes.DagtekeningInToekomst)
                ? HubErrors.Create(StatusCode.InvalidArgument, "INVALID_DATE", "The message's Dagtekening lies in the future.", ("Bericht/Header/BerichtIdentificatie/Dagtekening", RetourCodes.DagtekeningInToekomst))
                : header.Contains(RetourCodes.TechnischAfgekeurd)
                    ? HubErrors.Create(StatusCode.InvalidArgument, "INVALID_BSN", "The message's BSN fails the elfproef.", ("Bericht/Client/Bsn", RetourCodes.TechnischAfgekeurd))
                    : HubErrors.Create(StatusCode.NotFound, "REFERRAL_NOT_FOUND", "No product in the message can be linked to a referral of the calling party.", ("Bericht/Client", RetourCodes.NietGekoppeldAanToewijzing));
        return new Adapters.InboundTranslation.Rejected(error);
    }

    /// <inheritdoc />
    public AdapterReply RenderReply(InboundMessage message, InboundOutcome outcome, AdapterContext context)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(outcome);
        var reading = Read(message);
        if (reading.Refusal is { } refusal)
        {
            return new AdapterReply(400, new AdapterPayload(ProblemContentType, Problem(refusal, reading)));
        }

        if (!reading.HasRetour)
        {
            // A partner's retour needs no answer beyond the transport's.
            return new AdapterReply(outcome.Error is null ? 200 : 409, new AdapterPayload("text/plain; charset=utf-8", Encoding.UTF8.GetBytes(outcome.Error is null ? "OK\n" : HubErrors.ReasonOf(outcome.Error) + "\n")));
        }

        // Requests ran in order until the first error: those before it succeeded, the failing one gets the standard's
        // code for the hub's reason, those after it were not assessed.
        var outcomes = new Dictionary<InboundCommand, string>();
        if (outcome.Error is not null && reading.Commands.Count > 0)
        {
            var failed = Math.Min(outcome.Responses.Count, reading.Commands.Count - 1);
            outcomes[reading.Commands[failed]] = HubErrors.ReasonOf(outcome.Error);
            foreach (var later in reading.Commands.Skip(failed + 1))
            {
                outcomes[later] = InboundReading.NotAssessed;
            }
        }

        var retour = reading.BuildRetour(outcomes);
        return new AdapterReply(200, new AdapterPayload(XmlContentType, IWmoXml.ToBytes(retour)));
    }

    private InboundReading Read(InboundMessage message) => _inbound.Translate(message.Body, IWmoXml.DutchDate(time.GetUtcNow()));

    private static Google.Rpc.Status RefusalError(string refusal, InboundReading reading) => refusal switch
    {
        FoutCodes.PartijOnbekend or FoutCodes.GemeentecodeOnbekend =>
            HubErrors.Create(StatusCode.InvalidArgument, "UNKNOWN_PARTY", $"{refusal}: the message names a party the hub does not exchange iWmo or iJw with.", ("Bericht/Header", refusal)),
        FoutCodes.FunctieNietOndersteund =>
            HubErrors.Create(StatusCode.InvalidArgument, "INVALID_REQUEST", NotTakenDetail(refusal, reading), ("Bericht", refusal)),
        _ => HubErrors.Create(
            StatusCode.InvalidArgument,
            "INVALID_REQUEST",
            $"{refusal}: the message is not well-formed or does not match its iStandaarden schema.",
            reading.Problems.Count == 0 ? [("Bericht", refusal)] : reading.Problems.Select(p => (Where(p), $"{refusal}: {Located(p)}{p.Rule}"))),
    };

    /// <summary>The media type of a refusal before a retour can be written: RFC 9457 problem details.</summary>
    public const string ProblemContentType = "application/problem+json";

    /// <summary>The base of the problem types (<c>{base}IB001</c>, <c>{base}IB004</c>, …).</summary>
    public const string ProblemTypeBase = "https://ketenhub.nl/problems/iwmo/";

    private static string NotTakenDetail(string refusal, InboundReading reading) =>
        $"{refusal}: the hub does not take {reading.Received ?? "this message"}; it takes {string.Join(", ", InboundTranslator.Supported)}.";

    private static string Where(SchemaProblem problem) => problem.Path.Length > 0 ? problem.Path : "Bericht";

    private static string Located(SchemaProblem problem) =>
        problem.Line > 0 ? $"line {problem.Line}, position {problem.Position}: " : string.Empty;

    /// <summary>
    /// A refusal as RFC 9457 problem details: <c>code</c> the Fo01 code (IB001, IB004, IB005, IB010), for IB004 the message
    /// type <c>received</c> and the types <c>supported</c>, for IB001 one <c>invalidParams</c> entry per schema violation
    /// with the element path, line, position and the schema rule. Names, paths and codes only: no value of the message.
    /// </summary>
    private static byte[] Problem(string refusal, InboundReading reading)
    {
        using var buffer = new MemoryStream();
        using (var json = new System.Text.Json.Utf8JsonWriter(buffer, new System.Text.Json.JsonWriterOptions { Indented = false }))
        {
            json.WriteStartObject();
            json.WriteString("type", ProblemTypeBase + refusal);
            json.WriteString("title", refusal switch
            {
                FoutCodes.VoldoetNietAanXsd => "The message is not well-formed or does not match its iStandaarden schema",
                FoutCodes.FunctieNietOndersteund => "The hub does not take this message type",
                _ => "The message names a party the hub does not exchange iWmo or iJw with",
            });
            json.WriteNumber("status", 400);
            json.WriteString("code", refusal);
            json.WriteString("detail", refusal switch
            {
                FoutCodes.VoldoetNietAanXsd => $"{refusal}: {(reading.Problems.Count == 0 ? "the message is not a valid iWmo or iJw 3.2 message" : $"{reading.Problems.Count} schema violation(s), see invalidParams")}.",
                FoutCodes.FunctieNietOndersteund => NotTakenDetail(refusal, reading),
                _ => $"{refusal}: the sender or receiver in the header is not a party the hub exchanges iWmo or iJw with.",
            });
            if (refusal == FoutCodes.FunctieNietOndersteund)
            {
                json.WriteString("received", reading.Received ?? "unknown");
                json.WriteStartArray("supported");
                foreach (var name in InboundTranslator.Supported)
                {
                    json.WriteStringValue(name);
                }

                json.WriteEndArray();
            }

            if (reading.Problems.Count > 0)
            {
                json.WriteStartArray("invalidParams");
                foreach (var problem in reading.Problems)
                {
                    json.WriteStartObject();
                    json.WriteString("name", Where(problem));
                    json.WriteString("code", refusal);
                    json.WriteNumber("line", problem.Line);
                    json.WriteNumber("position", problem.Position);
                    json.WriteString("reason", problem.Rule);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
            }

            json.WriteEndObject();
        }

        return buffer.ToArray();
    }
}

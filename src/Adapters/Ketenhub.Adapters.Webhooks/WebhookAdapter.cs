using System.Globalization;
using System.Net;
using System.Text.Json;
using CloudNative.CloudEvents;
using CloudNative.CloudEvents.SystemTextJson;
using Google.Protobuf;
using Grpc.Core;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Adapters.Webhooks;

/// <summary>
/// The webhook adapter (format <c>webhook</c>): every delivery becomes one CloudEvent 1.0 in JSON structured mode
/// (<c>application/cloudevents+json</c>), posted to the party's endpoint and signed with the party's secret in the
/// <c>Ketenhub-Signature</c> header (see <see cref="WebhookSignature"/>). Webhooks are outbound only: a partner answers
/// with its HTTP status, and acts on the hub through the gRPC contract.
/// </summary>
/// <param name="http">The client <see cref="DeliverAsync"/> posts with (from <c>IHttpClientFactory</c>; its timeout and
/// resilience belong to the caller).</param>
/// <param name="time">The clock that stamps each signature and turns a <c>Retry-After</c> date into a wait.</param>
/// <param name="secrets">The signing secrets per party.</param>
/// <param name="hubOin">The hub's OIN (20 digits): the CloudEvent <c>source</c> is then <c>urn:nld:oin:{oin}:systeem:ketenhub</c>
/// (NL GOV profile for CloudEvents); without one it is the hub's base URL.</param>
/// <param name="lean">The parties that get lean events ("informatiearm": a <c>dataref</c> instead of <c>data</c>) and where
/// they fetch the content; null: every party gets the content in the event.</param>
public sealed class WebhookAdapter(HttpClient http, TimeProvider time, WebhookSecrets secrets, string? hubOin = null, WebhookLeanMode? lean = null) : IPartyAdapter
{
    /// <summary>The path under <see cref="WebhookLeanMode.FetchBase"/> where a lean event's content is fetched: <c>{base}webhooks/v1/deliveries/{id}</c>.</summary>
    public const string FetchPath = "webhooks/v1/deliveries/";

    /// <summary>The CloudEvent extension attribute that points at the content of a lean event.</summary>
    public static readonly CloudEventAttribute DataRef = CloudEventAttribute.CreateExtension("dataref", CloudEventAttributeType.UriReference);

    /// <summary>The header that carries the attempt number, outside the signed body (1 for the first attempt).</summary>
    public const string AttemptHeader = "Ketenhub-Attempt";

    /// <summary>The system name in the <c>urn:nld:oin:…:systeem:…</c> source.</summary>
    public const string SystemName = "ketenhub";

    /// <summary>The format name parties use in configuration.</summary>
    public const string FormatName = "webhook";

    /// <summary>The CloudEvent <c>type</c> prefix; the payload kind and the version follow it.</summary>
    public const string TypePrefix = "nl.ketenhub.delivery.";

    /// <summary>The reason <see cref="TranslateInbound"/> gives every inbound message.</summary>
    public const string InboundNotSupported = "INBOUND_NOT_SUPPORTED";

    private static readonly JsonEventFormatter Formatter = new();

    /// <inheritdoc/>
    public string Format => FormatName;

    /// <summary>The CloudEvent <c>type</c> for a payload kind, for example <c>nl.ketenhub.delivery.signal.v1</c>.</summary>
    /// <param name="kind">The delivery's payload kind.</param>
    /// <returns>The type, or <see langword="null"/> for a delivery without payload.</returns>
    public static string? TypeOf(Delivery.PayloadOneofCase kind) => kind switch
    {
        Delivery.PayloadOneofCase.Referral => TypePrefix + "referral.v1",
        Delivery.PayloadOneofCase.Transition => TypePrefix + "transition.v1",
        Delivery.PayloadOneofCase.Signal => TypePrefix + "signal.v1",
        Delivery.PayloadOneofCase.ThinNotice => TypePrefix + "thin_notice.v1",
        Delivery.PayloadOneofCase.Task => TypePrefix + "task.v1",
        Delivery.PayloadOneofCase.ReferralUpdate => TypePrefix + "referral_update.v1",
        _ => null,
    };

    /// <inheritdoc/>
    public AdapterPayload TranslateOutbound(Delivery delivery, AdapterContext context)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        ArgumentNullException.ThrowIfNull(context);
        var type = TypeOf(delivery.PayloadCase)
            ?? throw new AdapterException("UNSUPPORTED_PAYLOAD", "The delivery has no payload the webhook format knows.");
        if (string.IsNullOrEmpty(delivery.Name))
        {
            throw new AdapterException("FIELD_REQUIRED", "The delivery has no name, which the CloudEvent id needs.");
        }

        var leanEvent = lean is not null && lean.Parties.Contains(context.Recipient.Name);
        var cloudEvent = leanEvent
            ? new CloudEvent(CloudEventsSpecVersion.V1_0, [DataRef])
            : new CloudEvent(CloudEventsSpecVersion.V1_0);
        cloudEvent.Id = delivery.Name;
        cloudEvent.Source = SourceOf(hubOin, context.HubBaseUrl);
        cloudEvent.Type = type;
        cloudEvent.Subject = string.IsNullOrEmpty(delivery.Client) ? null : delivery.Client;
        cloudEvent.Time = delivery.CreateTime?.ToDateTimeOffset();
        if (leanEvent)
        {
            // Informatiearm: no content in the event; the recipient fetches it, identified, at the dataref.
            cloudEvent[DataRef] = new Uri(lean!.FetchBase, FetchPath + delivery.Name["deliveries/".Length..]);
        }
        else
        {
            using var data = JsonDocument.Parse(DataOf(delivery));
            cloudEvent.DataContentType = "application/json";
            cloudEvent.Data = data.RootElement.Clone();
        }

        var body = Formatter.EncodeStructuredModeMessage(cloudEvent, out var contentType);
        return new AdapterPayload(contentType.ToString(), body);
    }

    /// <summary>
    /// The content of a delivery as a webhook carries it (the event's <c>data</c>, or what a lean event's <c>dataref</c>
    /// answers): the <c>Delivery</c> as protobuf JSON without the facts of one attempt (its count, status and status reason),
    /// so every attempt of one delivery carries the same bytes; the attempt number travels in a header (<see cref="AttemptHeader"/>).
    /// </summary>
    /// <param name="delivery">The delivery, as the recipient sees it.</param>
    /// <returns>The JSON.</returns>
    public static string DataOf(Delivery delivery)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        var stable = delivery.Clone();
        stable.AttemptCount = 0;
        stable.Status = DeliveryStatus.Unspecified;
        stable.StatusReason = string.Empty;
        return JsonFormatter.Default.Format(stable);
    }

    /// <summary>
    /// The CloudEvent <c>source</c>: <c>urn:nld:oin:{oin}:systeem:ketenhub</c> when the hub's OIN is known (NL GOV profile
    /// for CloudEvents), else the hub's base URL.
    /// </summary>
    /// <param name="oin">The hub's OIN, or null.</param>
    /// <param name="hubBaseUrl">The hub's public base URL.</param>
    /// <returns>The source.</returns>
    public static Uri SourceOf(string? oin, Uri hubBaseUrl) =>
        string.IsNullOrEmpty(oin) ? hubBaseUrl : new Uri($"urn:nld:oin:{oin}:systeem:{SystemName}");

    /// <summary>Whether <paramref name="oin"/> has the shape of an OIN: twenty digits.</summary>
    /// <param name="oin">The value to check.</param>
    /// <returns>True for twenty ASCII digits.</returns>
    public static bool IsOin(string? oin) => oin is { Length: 20 } && oin.All(char.IsAsciiDigit);

    /// <inheritdoc/>
    public async Task<AdapterDeliveryResult> DeliverAsync(OutboundDelivery delivery, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        var keys = secrets.For(delivery.Recipient);
        if (keys.Count == 0)
        {
            return new AdapterDeliveryResult.Rejected("WEBHOOK_SECRET_MISSING");
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Endpoint)
        {
            Content = new ReadOnlyMemoryContent(delivery.Payload.Body),
        };
        request.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(delivery.Payload.ContentType);
        request.Headers.TryAddWithoutValidation(WebhookSignature.HeaderName, WebhookSignature.Create(keys, time.GetUtcNow(), delivery.Payload.Body.Span));
        request.Headers.TryAddWithoutValidation(AttemptHeader, delivery.AttemptCount.ToString(CultureInfo.InvariantCulture));
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                return new AdapterDeliveryResult.Delivered();
            }

            if (response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout || status >= 500)
            {
                var after = response.Headers.RetryAfter switch
                {
                    { Delta: { } delta } => delta,
                    { Date: { } date } => date - time.GetUtcNow() > TimeSpan.Zero ? date - time.GetUtcNow() : TimeSpan.Zero,
                    _ => (TimeSpan?)null,
                };
                return new AdapterDeliveryResult.RetryLater(after);
            }

            return new AdapterDeliveryResult.Rejected("HTTP_" + status.ToString(CultureInfo.InvariantCulture));
        }
        catch (HttpRequestException)
        {
            return new AdapterDeliveryResult.RetryLater(null);
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            // The client's own timeout.
            return new AdapterDeliveryResult.RetryLater(null);
        }
    }

    /// <inheritdoc/>
    /// <remarks>Webhooks are outbound only: every inbound message is refused with <c>UNIMPLEMENTED</c> /
    /// <see cref="InboundNotSupported"/>, and nothing reaches the hub.</remarks>
    public InboundTranslation TranslateInbound(InboundMessage message, AdapterContext context) =>
        new InboundTranslation.Rejected(HubErrors.Create(StatusCode.Unimplemented, InboundNotSupported, "The webhook format takes no inbound messages; use the gRPC contract."));

    /// <inheritdoc/>
    public AdapterReply RenderReply(InboundMessage message, InboundOutcome outcome, AdapterContext context)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var reason = outcome.Error is { } error ? HubErrors.ReasonOf(error) : InboundNotSupported;
        return new AdapterReply(501, new AdapterPayload("text/plain; charset=utf-8", System.Text.Encoding.UTF8.GetBytes(reason + "\n")));
    }
}

/// <summary>Lean events ("informatiearm", NL GOV profile for CloudEvents): which parties get them, and where they fetch the content.</summary>
/// <param name="Parties">The parties, by resource name <c>parties/{party}</c>.</param>
/// <param name="FetchBase">The hub's partner endpoint as recipients reach it; the content is at <c>{FetchBase}webhooks/v1/deliveries/{id}</c>.</param>
public sealed record WebhookLeanMode(IReadOnlySet<string> Parties, Uri FetchBase);

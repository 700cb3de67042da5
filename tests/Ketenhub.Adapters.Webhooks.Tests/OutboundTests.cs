using CloudNative.CloudEvents;
using CloudNative.CloudEvents.SystemTextJson;
using Google.Protobuf;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Adapters.Webhooks.Tests;

/// <summary>The CloudEvent a delivery becomes.</summary>
public sealed class OutboundTests
{
    [Fact]
    public void The_cloud_event_parses_back_with_the_sdk_and_its_data_is_the_delivery_without_the_attempts_facts()
    {
        var (adapter, _, http) = Samples.Adapter();
        using var _h = http;
        var delivery = Samples.SignalDelivery();

        var payload = adapter.TranslateOutbound(delivery, Samples.Context);

        Assert.StartsWith("application/cloudevents+json", payload.ContentType, StringComparison.Ordinal);
        var cloudEvent = new JsonEventFormatter().DecodeStructuredModeMessage(payload.Body, new System.Net.Mime.ContentType(payload.ContentType), null);
        Assert.Equal(CloudEventsSpecVersion.V1_0, cloudEvent.SpecVersion);
        Assert.Equal("deliveries/d-3", cloudEvent.Id);
        Assert.Equal(new Uri("https://ketenhub.example.nl/"), cloudEvent.Source);
        Assert.Equal("nl.ketenhub.delivery.signal.v1", cloudEvent.Type);
        Assert.Equal("clients/k-42", cloudEvent.Subject);
        Assert.Equal(delivery.CreateTime.ToDateTimeOffset(), cloudEvent.Time);
        Assert.Equal("application/json", cloudEvent.DataContentType);
        var data = Assert.IsType<System.Text.Json.JsonElement>(cloudEvent.Data);
        var expected = delivery.Clone();
        expected.AttemptCount = 0;
        expected.Status = DeliveryStatus.Unspecified;
        Assert.Equal(expected, JsonParser.Default.Parse<Delivery>(data.GetRawText()));
    }

    [Fact]
    public void Attempts_of_one_delivery_give_the_same_bytes_whatever_their_count_status_or_reason()
    {
        var (adapter, _, http) = Samples.Adapter();
        using var _h = http;
        var first = Samples.SignalDelivery();
        var later = Samples.SignalDelivery();
        later.AttemptCount = 3;
        later.StatusReason = "REPLAYED";

        Assert.Equal(adapter.TranslateOutbound(first, Samples.Context).Body.ToArray(), adapter.TranslateOutbound(later, Samples.Context).Body.ToArray());
    }

    [Fact]
    public void A_lean_party_gets_a_dataref_and_no_data_and_another_party_the_data()
    {
        using var http = new HttpClient();
        var lean = new WebhookLeanMode(new HashSet<string>(StringComparer.Ordinal) { Samples.Waakvlam.Name }, new Uri("https://partners.example.nl/"));
        var adapter = new WebhookAdapter(http, new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Samples.Now), Samples.Secrets(Samples.Secret), null, lean);
        var formatter = new JsonEventFormatter();

        var payload = adapter.TranslateOutbound(Samples.SignalDelivery(), Samples.Context);
        var full = adapter.TranslateOutbound(Samples.SignalDelivery(), Samples.Context with { Recipient = Samples.Sdd });

        var cloudEvent = formatter.DecodeStructuredModeMessage(payload.Body, new System.Net.Mime.ContentType(payload.ContentType), [WebhookAdapter.DataRef]);
        Assert.Null(cloudEvent.Data);
        Assert.Equal(new Uri("https://partners.example.nl/webhooks/v1/deliveries/d-3"), cloudEvent[WebhookAdapter.DataRef]);
        Assert.DoesNotContain("Huurachterstand", System.Text.Encoding.UTF8.GetString(payload.Body.Span), StringComparison.Ordinal);
        Assert.NotNull(formatter.DecodeStructuredModeMessage(full.Body, new System.Net.Mime.ContentType(full.ContentType), null).Data);
    }

    [Fact]
    public void With_the_hubs_oin_the_source_is_an_nl_gov_urn_and_without_it_the_base_url()
    {
        using var http = new HttpClient();
        var adapter = new WebhookAdapter(http, new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Samples.Now), Samples.Secrets(Samples.Secret), "00000001234567890000");

        var payload = adapter.TranslateOutbound(Samples.SignalDelivery(), Samples.Context);

        var cloudEvent = new JsonEventFormatter().DecodeStructuredModeMessage(payload.Body, new System.Net.Mime.ContentType(payload.ContentType), null);
        Assert.Equal(new Uri("urn:nld:oin:00000001234567890000:systeem:ketenhub"), cloudEvent.Source);
        Assert.Equal("clients/k-42", cloudEvent.Subject);
        Assert.Equal(new Uri("https://ketenhub.example.nl/"), WebhookAdapter.SourceOf(null, Samples.Context.HubBaseUrl));
        Assert.True(WebhookAdapter.IsOin("00000001234567890000"));
        Assert.False(WebhookAdapter.IsOin("0000000123456789000X"));
    }

    [Fact]
    public void The_same_delivery_gives_the_same_bytes_and_another_delivery_other_bytes()
    {
        var (adapter, time, http) = Samples.Adapter();
        using var _h = http;

        var first = adapter.TranslateOutbound(Samples.SignalDelivery(), Samples.Context);
        time.Advance(TimeSpan.FromHours(1));
        var again = adapter.TranslateOutbound(Samples.SignalDelivery(), Samples.Context);
        var other = adapter.TranslateOutbound(Samples.SignalDelivery("d-4"), Samples.Context);

        Assert.Equal(first.Body.ToArray(), again.Body.ToArray());
        Assert.NotEqual(first.Body.ToArray(), other.Body.ToArray());
    }

    [Fact]
    public void Each_payload_kind_has_its_own_type_and_a_delivery_without_payload_is_refused()
    {
        var kinds = Enum.GetValues<Delivery.PayloadOneofCase>().Where(k => k != Delivery.PayloadOneofCase.None).ToList();
        var types = kinds.Select(WebhookAdapter.TypeOf).ToList();
        Assert.All(types, t => Assert.Matches("^nl\\.ketenhub\\.delivery\\.[a-z_]+\\.v1$", t));
        Assert.Equal(kinds.Count, types.Distinct().Count());

        var (adapter, _, http) = Samples.Adapter();
        using var _h = http;
        var empty = Samples.SignalDelivery();
        empty.ClearPayload();
        var e = Assert.Throws<AdapterException>(() => adapter.TranslateOutbound(empty, Samples.Context));
        Assert.Equal("UNSUPPORTED_PAYLOAD", e.Reason);
    }

    [Fact]
    public void Inbound_messages_are_refused_with_a_coded_error()
    {
        var (adapter, _, http) = Samples.Adapter();
        using var _h = http;
        var message = new InboundMessage("POST", string.Empty, "application/cloudevents+json", "{}"u8.ToArray());

        var rejected = Assert.IsType<InboundTranslation.Rejected>(adapter.TranslateInbound(message, Samples.Context));
        Assert.Equal((int)Grpc.Core.StatusCode.Unimplemented, rejected.Error.Code);
        Assert.Equal("INBOUND_NOT_SUPPORTED", HubErrors.ReasonOf(rejected.Error));

        var reply = adapter.RenderReply(message, new InboundOutcome(rejected.Error, []), Samples.Context);
        Assert.Equal(501, reply.StatusCode);
        Assert.Equal("INBOUND_NOT_SUPPORTED\n", System.Text.Encoding.UTF8.GetString(reply.Payload.Body.Span));
    }

    [Fact]
    public void Secrets_are_checked_at_start_up()
    {
        Assert.Throws<ArgumentException>(() => Samples.Secrets("too-short"));
        Assert.Throws<ArgumentException>(() => Samples.Secrets());
        Assert.Throws<ArgumentException>(() => Samples.Secrets(Samples.Secret, Samples.NextSecret, Samples.OtherSecret));
        Assert.Throws<ArgumentException>(() => new WebhookSecrets(new Dictionary<string, IReadOnlyList<string>> { ["waakvlam"] = [Samples.Secret] }));
    }
}

using Google.Protobuf.WellKnownTypes;
using Ketenhub.Contracts.V1;
using Microsoft.Extensions.Time.Testing;

namespace Ketenhub.Adapters.Webhooks.Tests;

/// <summary>Parties, secrets and a delivery as the hub would send them.</summary>
internal static class Samples
{
    public const string Secret = "whsec-waakvlam-0123456789abcdef0123456789";
    public const string NextSecret = "whsec-waakvlam-next-fedcba9876543210fedcba";
    public const string OtherSecret = "whsec-someone-else-00000000000000000000000";

    public static readonly DateTimeOffset Now = new(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);

    public static readonly Party Sdd = new() { Name = "parties/sdd-utrecht", DisplayName = "Sociale Dienst Utrecht" };

    public static readonly Party Waakvlam = new() { Name = "parties/waakvlam", DisplayName = "Waakvlam Zorg" };

    public static AdapterContext Context => new(new Uri("https://ketenhub.example.nl/"), Waakvlam, Sdd, new Dictionary<string, Party>());

    public static Delivery SignalDelivery(string id = "d-3") => new()
    {
        Name = "deliveries/" + id,
        Sequence = 17,
        Recipient = Waakvlam.Name,
        Client = "clients/k-42",
        Sender = Sdd.Name,
        Status = DeliveryStatus.Pending,
        AttemptCount = 1,
        CreateTime = Timestamp.FromDateTimeOffset(new DateTimeOffset(2026, 11, 23, 9, 55, 30, 250, TimeSpan.Zero)),
        ClientDetails = new DeliveredClient { Pseudonym = "psn-0123456789abcdef", MunicipalityCode = "0505" },
        Signal = new Signal
        {
            Name = "signals/s-9",
            Client = "clients/k-42",
            Sender = Sdd.Name,
            Kind = SignalKind.RentArrears,
            LifeDomain = LifeDomain.Housing,
            Severity = SignalSeverity.Urgent,
            Description = "Huurachterstand van drie maanden.",
        },
    };

    public static WebhookSecrets Secrets(params string[] secrets) =>
        new(new Dictionary<string, IReadOnlyList<string>> { [Waakvlam.Name] = secrets });

    public static (WebhookAdapter Adapter, FakeTimeProvider Time, HttpClient Http) Adapter(params string[] secrets)
    {
        var time = new FakeTimeProvider(Now);
        var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        return (new WebhookAdapter(http, time, Secrets(secrets.Length == 0 ? [Secret] : secrets)), time, http);
    }

    public static OutboundDelivery Outbound(WebhookAdapter adapter, Uri endpoint, Delivery? delivery = null)
    {
        delivery ??= SignalDelivery();
        return new OutboundDelivery(delivery.Name, delivery.Recipient, endpoint, adapter.TranslateOutbound(delivery, Context), 1);
    }
}

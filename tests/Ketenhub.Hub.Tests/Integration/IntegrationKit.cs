using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Integration;

/// <summary>Small helpers the integration tests share: valid BSNs, drafts, journey and delivery reads.</summary>
internal static class Kit
{
    private static int _bsnSeed = 10_000_000;

    /// <summary>A fresh nine-digit number that passes the elfproef.</summary>
    public static string NewBsn() => Ketenhub.Testing.Bsns.Next(ref _bsnSeed);

    public static CreateSignalRequest Signal(string client, string description = "Two months of arrears on rent.", SignalKind kind = SignalKind.PaymentArrears, LifeDomain domain = LifeDomain.Finances, SignalSeverity severity = SignalSeverity.Concern) => new()
    {
        RequestId = NewRequestId(),
        Signal = new Signal { Client = client, Kind = kind, LifeDomain = domain, Severity = severity, Description = description },
    };

    public static Referral CareReferral(string client, string performer, ServiceKind service = ServiceKind.IndividualGuidance) => new()
    {
        Client = client,
        Service = service,
        Reason = "Needs help with the household administration.",
        LifeDomains = { LifeDomain.Finances },
        Strengths = "Keeps appointments.",
        Performers = { new ReferralPerformer { Party = "parties/" + performer } },
    };

    public static Coach Coach(string party, string coachId, string displayName) => new()
    {
        Party = "parties/" + party,
        CoachId = coachId,
        DisplayName = displayName,
        Phone = "078-1234567",
        Email = coachId + "@example.org",
    };

    /// <summary>
    /// sdd, and waakvlam-zorg coaching a new client who consents to the coach receiving financial signals: a
    /// financial signal from sdd reaches the coach with content.
    /// </summary>
    public static async Task<(PartyClient Sdd, PartyClient Coach, Client Client)> CoachedForSignalsAsync(HubFactory hub)
    {
        var sdd = hub.As("sdd");
        var coach = hub.As("waakvlam-zorg");
        var client = await ClientWithCoachAsync(coach);
        await coach.GrantAsync(client.Name, GrantorRole.Client, "waakvlam-zorg", [Purpose.SignalFollowUp], [DataCategory.Finances]);
        return (sdd, coach, client);
    }

    /// <summary>Raises a financial signal and returns the name of the coach's (waakvlam-zorg's) content delivery.</summary>
    public static async Task<string> RaiseForCoachAsync(PartyClient sender, string client, string description)
    {
        var response = await sender.Signals.CreateSignalAsync(Signal(client, description));
        var decision = Assert.Single(response.Decisions, d => d.Recipient == "parties/waakvlam-zorg");
        Assert.Equal(RecipientOutcome.Content, decision.Outcome);
        return decision.Delivery;
    }

    /// <summary>A registered client with a coach at <paramref name="coachParty"/>, and whatever consents the test grants.</summary>
    public static async Task<Client> ClientWithCoachAsync(PartyClient coachParty, string coachId = "lisa", string displayName = "Lisa", string municipality = "0505", Google.Type.Date? birthDate = null)
    {
        var client = await coachParty.RegisterAsync(NewBsn(), birthDate ?? Date(1994, 11, 2), municipality);
        await coachParty.AssignCoachAsync(client.Name, coachId, displayName);
        return client;
    }

    public static async Task<IReadOnlyList<JourneyEvent>> JourneyAsync(PartyClient reader, string client)
    {
        var response = await reader.Clients.ListJourneyEventsAsync(new ListJourneyEventsRequest { Client = client, PageSize = 1000 });
        return response.Events;
    }

    /// <summary>
    /// The party's deliveries as the hub records them (optionally of one status, of one client): what a test asserts
    /// "nothing was delivered" against, besides an empty stream.
    /// </summary>
    public static async Task<IReadOnlyList<Delivery>> DeliveriesAsync(PartyClient party, DeliveryStatus status = DeliveryStatus.Unspecified, string? client = null)
    {
        var response = await party.Deliveries.ListDeliveriesAsync(new ListDeliveriesRequest { Status = status, Client = client ?? string.Empty, PageSize = 1000 });
        return response.Deliveries;
    }

    public static async Task<Delivery> NextOfKind(DeliveryTail tail, Delivery.PayloadOneofCase kind)
    {
        while (true)
        {
            var delivery = await tail.NextAsync();
            if (delivery.PayloadCase == kind)
            {
                return delivery;
            }
        }
    }

    /// <summary>A decision as the router made it, without the delivery it created (an explanation creates none).</summary>
    public static RecipientDecision WithoutDelivery(RecipientDecision decision)
    {
        var copy = decision.Clone();
        copy.Delivery = string.Empty;
        return copy;
    }
}

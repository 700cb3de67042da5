using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using Ketenhub.HubTests.Integration;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Privacy;

/// <summary>
/// What a delivery tells its recipient about the client: a pseudonym of its own, the BSN only for a party with
/// a legal need (configured in parties.json), birth date and municipality on deliveries with content.
/// </summary>
public sealed class DeliveredClientTests : IDisposable
{
    private readonly HubFactory _hub = new();

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task PartyWithLegalNeed_GetsTheBsn_PartyWithout_GetsOnlyItsOwnStablePseudonym()
    {
        var sdd = _hub.As("sdd");
        var hoeve = _hub.As("zorgboerderij-de-hoeve");
        var waakvlam = _hub.As("waakvlam-zorg");
        var bsn = Kit.NewBsn();
        var client = await hoeve.RegisterAsync(bsn, Date(1994, 11, 2), "0505");
        await hoeve.AssignCoachAsync(client.Name, "lisa", "Lisa");
        await hoeve.GrantAsync(client.Name, GrantorRole.Client, "zorgboerderij-de-hoeve", [Purpose.SignalFollowUp], [DataCategory.Finances]);
        await hoeve.GrantAsync(client.Name, GrantorRole.Client, "waakvlam-zorg", [Purpose.SignalFollowUp], [DataCategory.Finances]);

        // Zorgboerderij De Hoeve has no legal basis for the BSN: a pseudonym, birth date and municipality.
        await sdd.Signals.CreateSignalAsync(Kit.Signal(client.Name));
        using var stream1 = hoeve.Tail();
        var atHoeve = await Kit.NextOfKind(stream1, Delivery.PayloadOneofCase.Signal);
        Assert.Equal(string.Empty, atHoeve.ClientDetails.Bsn);
        Assert.Matches("^psn-[0-9a-f]{32}$", atHoeve.ClientDetails.Pseudonym);
        Assert.Equal(Date(1994, 11, 2), atHoeve.ClientDetails.BirthDate);
        Assert.Equal("0505", atHoeve.ClientDetails.MunicipalityCode);
        Assert.DoesNotContain(bsn, atHoeve.ToString(), StringComparison.Ordinal);

        // The coach moves to Waakvlam Zorg: De Hoeve's handover task carries the same pseudonym as before.
        // (The first stream closes first: two open streams of one party share its deliveries.)
        stream1.Dispose();
        await hoeve.Clients.AssignCoachAsync(new AssignCoachRequest { RequestId = NewRequestId(), Client = client.Name, Coach = Kit.Coach("waakvlam-zorg", "sam", "Sam") });
        using var stream2 = hoeve.Tail();
        var handover = await Kit.NextOfKind(stream2, Delivery.PayloadOneofCase.Task);
        Assert.Equal(atHoeve.ClientDetails.Pseudonym, handover.ClientDetails.Pseudonym);
        Assert.Equal(string.Empty, handover.ClientDetails.Bsn);

        // Waakvlam Zorg is a care provider with a legal need: it receives the BSN, and a pseudonym of its own.
        await sdd.Signals.CreateSignalAsync(Kit.Signal(client.Name));
        using var stream3 = waakvlam.Tail();
        var atWaakvlam = await Kit.NextOfKind(stream3, Delivery.PayloadOneofCase.Signal);
        Assert.Equal(bsn, atWaakvlam.ClientDetails.Bsn);
        Assert.Matches("^psn-[0-9a-f]{32}$", atWaakvlam.ClientDetails.Pseudonym);
        Assert.NotEqual(atHoeve.ClientDetails.Pseudonym, atWaakvlam.ClientDetails.Pseudonym);

        // Listings carry no client details at all.
        Assert.All(await Kit.DeliveriesAsync(waakvlam), d => Assert.Null(d.ClientDetails));
    }

    [Fact]
    public async Task ThinNotice_CarriesOnlyThePseudonym()
    {
        var sdd = _hub.As("sdd");
        var waakvlam = _hub.As("waakvlam-zorg");
        var client = await waakvlam.RegisterAsync(Kit.NewBsn(), Date(1985, 12, 1), "0482");
        await waakvlam.AssignCoachAsync(client.Name, "emma", "Emma");

        await sdd.Signals.CreateSignalAsync(Kit.Signal(client.Name));
        using var stream4 = waakvlam.Tail();
        var thin = await Kit.NextOfKind(stream4, Delivery.PayloadOneofCase.ThinNotice);

        Assert.Matches("^psn-[0-9a-f]{32}$", thin.ClientDetails.Pseudonym);
        Assert.Equal(string.Empty, thin.ClientDetails.Bsn);
        Assert.Null(thin.ClientDetails.BirthDate);
        Assert.Equal(string.Empty, thin.ClientDetails.MunicipalityCode);
    }
}

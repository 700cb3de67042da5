using System.Text;
using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.Hub.Host.Transport;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Integration;

/// <summary>
/// Get where List exists (consents, deliveries), pages for consents and parties, and page tokens that are opaque and
/// tamper-evident: bound to their list and caller.
/// </summary>
public sealed class StandardMethodTests : IDisposable
{
    private readonly HubFactory _hub = new(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task GetConsent_ForAPartyWithARole_AndNotFoundForAnyoneElse()
    {
        var waakvlam = _hub.As("waakvlam-zorg");
        var client = await Kit.ClientWithCoachAsync(waakvlam);
        var consent = await waakvlam.GrantAsync(client.Name, GrantorRole.Client, "waakvlam-zorg", [Purpose.Coaching], [DataCategory.SupportPlan]);

        var read = (await waakvlam.Consents.GetConsentAsync(new GetConsentRequest { Name = consent.Name })).Consent;
        Assert.Equal((consent.Name, ConsentState.Active, client.Name), (read.Name, read.State, read.Client));

        // A party without a role hears the same as for a consent that does not exist.
        await Errors.Expect(StatusCode.NotFound, "CONSENT_NOT_FOUND", () => _hub.As("zorgboerderij-de-hoeve").Consents.GetConsentAsync(new GetConsentRequest { Name = consent.Name }).ResponseAsync);
        await Errors.Expect(StatusCode.NotFound, "CONSENT_NOT_FOUND", () => waakvlam.Consents.GetConsentAsync(new GetConsentRequest { Name = "consents/cns_doesnotexist" }).ResponseAsync);
    }

    [Fact]
    public async Task GetDelivery_ForItsRecipientOnly()
    {
        var (sdd, coach, client) = await Kit.CoachedForSignalsAsync(_hub);
        var signal = await sdd.Signals.CreateSignalAsync(Kit.Signal(client.Name));
        var name = Assert.Single(signal.Decisions, d => d.Recipient == "parties/waakvlam-zorg").Delivery;

        var delivery = (await coach.Deliveries.GetDeliveryAsync(new GetDeliveryRequest { Name = name })).Delivery;
        Assert.Equal((name, "parties/waakvlam-zorg", DeliveryStatus.Pending), (delivery.Name, delivery.Recipient, delivery.Status));
        Assert.Equal(Delivery.PayloadOneofCase.None, delivery.PayloadCase);

        await Errors.Expect(StatusCode.NotFound, "DELIVERY_NOT_FOUND", () => sdd.Deliveries.GetDeliveryAsync(new GetDeliveryRequest { Name = name }).ResponseAsync);
    }

    [Fact]
    public async Task ListConsentsAndParties_ComeInPages_WholeByDefault()
    {
        var waakvlam = _hub.As("waakvlam-zorg");
        var client = await Kit.ClientWithCoachAsync(waakvlam);
        for (var i = 0; i < 3; i++)
        {
            await waakvlam.GrantAsync(client.Name, GrantorRole.Client, "waakvlam-zorg", [Purpose.Coaching], [DataCategory.SupportPlan]);
        }

        var whole = await waakvlam.Consents.ListConsentsAsync(new ListConsentsRequest { Client = client.Name });
        Assert.Equal((3, string.Empty), (whole.Consents.Count, whole.NextPageToken));

        var paged = new List<string>();
        var token = string.Empty;
        do
        {
            var page = await waakvlam.Consents.ListConsentsAsync(new ListConsentsRequest { Client = client.Name, PageSize = 2, PageToken = token });
            paged.AddRange(page.Consents.Select(c => c.Name));
            token = page.NextPageToken;
        }
        while (token.Length > 0);
        Assert.Equal(whole.Consents.Select(c => c.Name), paged);

        var allParties = (await waakvlam.Parties.ListPartiesAsync(new ListPartiesRequest())).Parties.Select(p => p.Name).ToList();
        var pagedParties = new List<string>();
        token = string.Empty;
        do
        {
            var page = await waakvlam.Parties.ListPartiesAsync(new ListPartiesRequest { PageSize = 3, PageToken = token });
            pagedParties.AddRange(page.Parties.Select(p => p.Name));
            token = page.NextPageToken;
        }
        while (token.Length > 0);
        Assert.Equal(allParties, pagedParties);
        Assert.True(allParties.Count > 3);

        await Errors.Expect(StatusCode.InvalidArgument, "INVALID_REQUEST", () => waakvlam.Parties.ListPartiesAsync(new ListPartiesRequest { PageSize = -1 }).ResponseAsync);
    }

    [Fact]
    public async Task APageToken_IsBoundToItsListAndCaller_AndCannotBeForged()
    {
        var waakvlam = _hub.As("waakvlam-zorg");
        var token = (await waakvlam.Parties.ListPartiesAsync(new ListPartiesRequest { PageSize = 2 })).NextPageToken;
        Assert.NotEmpty(token);

        // Another caller, another list, a token with another position, and the old form: all refused.
        await Errors.Expect(StatusCode.InvalidArgument, "INVALID_REQUEST", () => _hub.As("sdd").Parties.ListPartiesAsync(new ListPartiesRequest { PageSize = 2, PageToken = token }).ResponseAsync);
        await Errors.Expect(StatusCode.InvalidArgument, "INVALID_REQUEST", () => waakvlam.Parties.ListPartiesAsync(new ListPartiesRequest { Kind = PartyKind.CareProvider, PageToken = token }).ResponseAsync);
        await Errors.Expect(StatusCode.InvalidArgument, "INVALID_REQUEST", () => waakvlam.Deliveries.ListDeliveriesAsync(new ListDeliveriesRequest { PageToken = token }).ResponseAsync);
        var text = Encoding.ASCII.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(token));
        var forged = System.Buffers.Text.Base64Url.EncodeToString(Encoding.ASCII.GetBytes(text.Replace("v1.2.", "v1.4.", StringComparison.Ordinal)));
        Assert.NotEqual(token, forged);
        await Errors.Expect(StatusCode.InvalidArgument, "INVALID_REQUEST", () => waakvlam.Parties.ListPartiesAsync(new ListPartiesRequest { PageSize = 2, PageToken = forged }).ResponseAsync);
        await Errors.Expect(StatusCode.InvalidArgument, "INVALID_REQUEST", () => waakvlam.Parties.ListPartiesAsync(new ListPartiesRequest { PageToken = Convert.ToBase64String(Encoding.ASCII.GetBytes("p2")) }).ResponseAsync);

        // The same token from its own caller and list continues where it left off.
        var second = await waakvlam.Parties.ListPartiesAsync(new ListPartiesRequest { PageSize = 2, PageToken = token });
        Assert.Equal(2, second.Parties.Count);
    }

    [Fact]
    public void Tokens_RoundTrip_AndDifferPerKey()
    {
        var tokens = new PageTokens(new byte[32]);
        var other = new PageTokens(Enumerable.Repeat((byte)7, 32).ToArray());

        Assert.Equal(42, tokens.Decode("L", "p", tokens.Encode("L", "p", 42)));
        Assert.Throws<Ketenhub.Hub.Common.HubException>(() => other.Decode("L", "p", tokens.Encode("L", "p", 42)));
    }
}

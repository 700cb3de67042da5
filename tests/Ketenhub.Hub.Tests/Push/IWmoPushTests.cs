using System.Collections.Concurrent;
using System.Xml.Linq;
using Ketenhub.Adapters.IWmo;
using Ketenhub.Adapters.IWmo.Schemas;
using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using Ketenhub.HubTests.Integration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Push;

/// <summary>
/// Push delivery to a care provider on the iWmo standard: a real HTTP server on loopback that validates every message
/// against the official iWmo/iJw 3.2 schemas before it keeps it, keeps each message once by its
/// BerichtIdentificatie (a copy is answered 200 and counted), and can be told to fail the next requests.
/// </summary>
public sealed class IWmoPushTests : IAsyncLifetime
{
    private const string Performer = "begeleiding-plus";
    private const string Coach = PushKit.CoachParty;
    private readonly HubFactory _hub = new();
    private IWmoPartner _partner = null!;

    public async Task InitializeAsync() => _partner = await IWmoPartner.StartAsync();

    public async Task DisposeAsync()
    {
        _hub.Dispose();
        await _partner.DisposeAsync();
    }

    [Fact]
    public async Task AReferral_ReachesTheProvidersIWmoEndpoint_AsASchemaValidWmoMessage_WithTheBsnAndItsAgb()
    {
        var (sdd, client, bsn) = await ArrangeAsync(Performer);

        var delivery = await ReferAsync(sdd, client.Name);
        await UntilAcknowledgedAsync(Performer, delivery);

        var message = Assert.Single(_partner.Stored.Values);
        Assert.Equal(IStandaard.IWmo, message.Standaard);
        Assert.Empty(message.Problems);
        // A toewijzing (WMO301, code 414) to the provider, who performs the care: its AGB as the addressee, the BSN.
        Assert.Equal("http://www.istandaarden.nl/iwmo/3_2/wmo301/schema", message.Document.Root!.Name.NamespaceName);
        Assert.Equal("414", Single(message.Document, "BerichtCode"));
        Assert.Equal("98000002", Single(message.Document, "Ontvanger"));
        Assert.Equal(bsn, Single(message.Document, "Bsn"));
        Assert.Equal(0, _partner.Invalid);
    }

    [Fact]
    public async Task AClientUnder18_IsReferredInIJw_AndFromTheEighteenthBirthdayInIWmo()
    {
        // The hub's clock stands at 5 January 2026: the client turns 18 on 10 January.
        var (sdd, client, bsn) = await ArrangeAsync(Performer, birthDate: Date(2008, 1, 10));

        var before = await ReferAsync(sdd, client.Name);
        await UntilAcknowledgedAsync(Performer, before);
        var youth = Assert.Single(_partner.Stored.Values);
        Assert.Equal(IStandaard.IJw, youth.Standaard);
        Assert.Equal("http://www.istandaarden.nl/ijw/3_2/jw301/schema", youth.Document.Root!.Name.NamespaceName);
        Assert.Equal(bsn, Single(youth.Document, "Bsn"));

        _hub.Clock.Advance(TimeSpan.FromDays(6));
        var after = await ReferAsync(sdd, client.Name);
        await UntilAcknowledgedAsync(Performer, after);
        var adult = Assert.Single(_partner.Stored.Values, m => m.Standaard == IStandaard.IWmo);
        Assert.Equal("http://www.istandaarden.nl/iwmo/3_2/wmo301/schema", adult.Document.Root!.Name.NamespaceName);
        Assert.Equal(bsn, Single(adult.Document, "Bsn"));
        Assert.Equal(0, _partner.Invalid);
    }

    [Fact]
    public async Task AMinorUnderGuardianship_IsReferredInIJw_WithWettelijkeVertegenwoordiging06_AndNotWhoTheGuardianIs()
    {
        var (sdd, client, _) = await ArrangePushMinorAsync();
        await _hub.As(Coach).Clients.CreateRepresentativeAsync(new CreateRepresentativeRequest
        {
            RequestId = NewRequestId(),
            Representative = new Representative { Client = client.Name, Kind = RepresentationKind.Guardianship, DisplayName = "Stichting Jeugdbescherming", StartDate = Date(2025, 6, 1) },
        });

        var delivery = await ReferAsync(sdd, client.Name);
        await UntilAcknowledgedAsync(Performer, delivery);

        var message = Assert.Single(_partner.Stored.Values);
        Assert.Equal(IStandaard.IJw, message.Standaard);
        Assert.Equal("06", Single(message.Document, "WettelijkeVertegenwoordiging"));
        Assert.DoesNotContain("Jeugdbescherming", message.Document.ToString(), StringComparison.Ordinal);
    }

    private Task<(PartyClient Sdd, Client Client, string Bsn)> ArrangePushMinorAsync() => ArrangeAsync(Performer, birthDate: Date(2012, 3, 4));

    [Fact]
    public async Task ServerErrors_DroppedConnections_AndALostAnswer_LoseNothing_AndThePartnerKeepsEachMessageOnce()
    {
        var (sdd, client, _) = await ArrangeAsync(Performer);
        _partner.FailNext(Fault.ServerError, Fault.Drop, Fault.StoreThenDrop, Fault.ServerError);

        var deliveries = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            deliveries.Add(await ReferAsync(sdd, client.Name));
        }

        await UntilAcknowledgedAsync(Performer, [.. deliveries]);

        Assert.Equal(0, _partner.PendingFaults);
        Assert.Equal(3, _partner.Stored.Count);
        Assert.All(_partner.Stored.Values, m => Assert.Empty(m.Problems));
        var copy = Assert.Single(_partner.Copies);
        Assert.True(_partner.Stored.ContainsKey(copy.Key));
        Assert.Empty(await PushKit.ListAsync(_hub, Performer, DeliveryStatus.SetAside));
    }

    [Fact]
    public async Task ASignal_HasNoIWmoMessage_ItIsSetAsideWithTheReason_SentNowhere_AndHoldsUpNothingElse()
    {
        var (sdd, client, _) = await ArrangeAsync(Coach, pushed: Coach);
        await _hub.As(Coach).GrantAsync(client.Name, GrantorRole.Client, Coach, [Purpose.SignalFollowUp], [DataCategory.Finances]);

        var signal = await sdd.Signals.CreateSignalAsync(Kit.Signal(client.Name));
        var signalDelivery = Assert.Single(signal.Decisions, d => d.Recipient == "parties/" + Coach).Delivery;
        var referral = await ReferAsync(sdd, client.Name, Coach);

        await UntilAcknowledgedAsync(Coach, referral);
        await PushKit.UntilAsync(_hub, async () => (await PushKit.ListAsync(_hub, Coach, DeliveryStatus.SetAside)).Any(d => d.Name == signalDelivery));
        var setAside = (await PushKit.ListAsync(_hub, Coach, DeliveryStatus.SetAside)).Single(d => d.Name == signalDelivery);
        Assert.StartsWith("UNTRANSLATABLE:", setAside.StatusReason, StringComparison.Ordinal);
        Assert.Single(_partner.Stored);
        Assert.Equal(1, _partner.Requests);
    }

    [Fact]
    public async Task APushed301_WaitsForItsRetour_ARejecting302LaterDeclinesTheReferral_AndTheRequestersStreamShowsTheDeclineWithTheCodes()
    {
        var (sdd, client, _) = await ArrangeAsync(Performer);
        using var requesterStream = sdd.Tail();
        var (referral, delivery) = await PushKit.ReferAsync(sdd, client.Name, Performer);

        // The partner's system took the 301 (HTTP 200): the delivery waits for the retour, and the journey says so.
        await UntilAcknowledgedAsync(Performer, delivery);
        var waiting = Assert.Single(await PushKit.ListAsync(_hub, Performer, DeliveryStatus.AwaitingRetour), d => d.Name == delivery);
        Assert.Equal(DeliveryStatus.AwaitingRetour, waiting.Status);
        Assert.Contains(await JourneyAsync(client.Name), e => e.Type == JourneyEventType.AwaitingRetour && e.Resource == referral);

        // Later, as a message of its own, the provider's 302 rejects the toewijzing (9332: not a unique number).
        var identificatie = Assert.Single(_partner.Stored.Keys);
        var answer = await PostRetourAsync(RetourOn(identificatie, "9332"));
        Assert.Equal((200, "OK\n"), answer);

        // The requester learns it as any decline: a referral update with the performer declined and the retour's codes.
        var update = await Kit.NextOfKind(requesterStream, Delivery.PayloadOneofCase.ReferralUpdate);
        Assert.Equal(
            (referral, "parties/" + Performer, PerformerStatus.Declined, "WJ001-9332"),
            (update.ReferralUpdate.Referral, update.ReferralUpdate.Performer, update.ReferralUpdate.Status, update.ReferralUpdate.ReasonCode));
        var answered = Assert.Single(await PushKit.ListAsync(_hub, Performer, DeliveryStatus.Acknowledged), d => d.Name == delivery);
        Assert.Equal("REJECTED:WJ001_9332", answered.StatusReason);
        var performer = (await sdd.Referrals.GetReferralAsync(new GetReferralRequest { Name = referral })).Referral.Performers.Single();
        Assert.Equal((PerformerStatus.Declined, "WJ001-9332"), (performer.Status, performer.ReasonCode));

        // The same retour again is the same message: the same answer, nothing changes twice.
        Assert.Equal((200, "OK\n"), await PostRetourAsync(RetourOn(identificatie, "9332")));
        Assert.Single(await JourneyAsync(client.Name), e => e.Type == JourneyEventType.ReferralDeclined && e.Resource == referral);
    }

    [Fact]
    public async Task AnAccepting302AfterThePush_AcknowledgesTheDelivery_AndAcceptsTheReferral()
    {
        var (sdd, client, _) = await ArrangeAsync(Performer);
        var (referral, delivery) = await PushKit.ReferAsync(sdd, client.Name, Performer);
        await UntilAcknowledgedAsync(Performer, delivery);

        var answer = await PostRetourAsync(RetourOn(Assert.Single(_partner.Stored.Keys)));

        Assert.Equal((200, "OK\n"), answer);
        Assert.Single(await PushKit.ListAsync(_hub, Performer, DeliveryStatus.Acknowledged), d => d.Name == delivery);
        var performer = (await sdd.Referrals.GetReferralAsync(new GetReferralRequest { Name = referral })).Referral.Performers.Single();
        Assert.Equal(PerformerStatus.Accepted, performer.Status);
    }

    [Fact]
    public async Task A302NamingTheHubs301ButAnotherClient_AnswersNoMessage_AndChangesNothing()
    {
        var (sdd, client, _) = await ArrangeAsync(Performer);
        var (referral, delivery) = await PushKit.ReferAsync(sdd, client.Name, Performer);
        await UntilAcknowledgedAsync(Performer, delivery);
        var identificatie = Assert.Single(_partner.Stored.Keys);
        var forged = RetourOn(identificatie, "9332");
        forged.Descendants().First(e => e.Name.LocalName == "Bsn").Value = Kit.NewBsn();

        var answer = await PostRetourAsync(forged);

        Assert.Equal((409, "DELIVERY_NOT_FOUND\n"), answer);
        Assert.Single(await PushKit.ListAsync(_hub, Performer, DeliveryStatus.AwaitingRetour), d => d.Name == delivery);
        var performer = (await sdd.Referrals.GetReferralAsync(new GetReferralRequest { Name = referral })).Referral.Performers.Single();
        Assert.Equal(PerformerStatus.Requested, performer.Status);
    }

    [Fact]
    public async Task NoRetourWithinTheConfiguredTime_SetsTheDeliveryAside_AndGivesTheRequesterATask()
    {
        _hub.With("Hub:Push:RetourTimeout", "01:00:00");
        var (sdd, client, _) = await ArrangeAsync(Performer);
        using var requesterStream = sdd.Tail();
        var (referral, delivery) = await PushKit.ReferAsync(sdd, client.Name, Performer);
        await UntilAcknowledgedAsync(Performer, delivery);

        _hub.Clock.Advance(TimeSpan.FromMinutes(59));
        await Task.Delay(200);
        Assert.Single(await PushKit.ListAsync(_hub, Performer, DeliveryStatus.AwaitingRetour), d => d.Name == delivery);

        await PushKit.UntilAsync(_hub, async () => (await PushKit.ListAsync(_hub, Performer, DeliveryStatus.SetAside)).Any(d => d.Name == delivery), step: TimeSpan.FromSeconds(5));
        var setAside = Assert.Single(await PushKit.ListAsync(_hub, Performer, DeliveryStatus.SetAside), d => d.Name == delivery);
        Assert.Equal("RETOUR_OVERDUE", setAside.StatusReason);
        var task = await Kit.NextOfKind(requesterStream, Delivery.PayloadOneofCase.Task);
        Assert.Equal(TaskKind.RetourOverdue, task.Task.Kind);
        Assert.Equal([referral, delivery], task.Task.Resources);
        Assert.Contains(await JourneyAsync(client.Name), e => e.Type == JourneyEventType.RetourOverdue && e.Resource == referral);
    }

    [Fact]
    public async Task AReferralFromAProviderToAnIWmoProvider_IsNoToewijzing_ItIsSetAsideWithTheReason_AndNothingIsSent()
    {
        var (sdd, client, _) = await ArrangeAsync(Performer);

        // Waakvlam Zorg, a care provider, names the iWmo provider directly: no municipality decided, so no 301.
        var (_, fromProvider) = await PushKit.ReferAsync(_hub.As(Coach), client.Name, Performer);
        var (_, fromSdd) = await PushKit.ReferAsync(sdd, client.Name, Performer);

        await UntilAcknowledgedAsync(Performer, fromSdd);
        await PushKit.UntilAsync(_hub, async () => (await PushKit.ListAsync(_hub, Performer, DeliveryStatus.SetAside)).Any(d => d.Name == fromProvider));
        var setAside = Assert.Single(await PushKit.ListAsync(_hub, Performer, DeliveryStatus.SetAside), d => d.Name == fromProvider);
        Assert.Equal("UNTRANSLATABLE:IWMO_NO_MUNICIPAL_DECISION", setAside.StatusReason);
        var sent = Assert.Single(_partner.Stored.Values);
        Assert.Equal("0505", Single(sent.Document, "Afzender"));
        Assert.Equal(1, _partner.Requests);
    }

    [Fact]
    public async Task AProvidersOwn315_IsAnsweredWith316_AndWhenTheSocialServiceAccepts_TheProviderGetsItsToewijzingAs301WithItsReference()
    {
        var (sdd, client, bsn) = await ArrangeAsync(Performer);

        // The provider asks the municipality (0505, decided for by the social service) for a toewijzing for itself.
        var (status, body) = await PostAsync(Verzoek(bsn, client.BirthDate, "VOT-2026-0042"), "WMO315");
        Assert.Equal(200, status);
        var retour = XDocument.Parse(body);
        Assert.Equal("http://www.istandaarden.nl/iwmo/3_2/wmo316/schema", retour.Root!.Name.NamespaceName);
        Assert.Empty(SchemaCatalog.Validate(retour, IStandaard.IWmo));
        Assert.All(retour.Descendants().Where(e => e.Name.LocalName == "RetourCode"), c => Assert.Equal("0200", c.Value));

        // The social service finds the request on its side, as any referral, and accepts it.
        var request = Assert.Single((await sdd.Referrals.ListReferralsAsync(new ListReferralsRequest { PageSize = 1000 })).Referrals, r => r.RequesterReference == "VOT-2026-0042");
        Assert.Equal((ReferralKind.AllocationRequest, "parties/" + Performer, ServiceKind.IndividualGuidance, "02A03"), (request.Kind, request.Requester, request.Service, request.ProductCode));
        await sdd.Referrals.AcceptReferralAsync(new AcceptReferralRequest { RequestId = NewRequestId(), Name = request.Name });

        // The hub issues the toewijzing: the provider's endpoint gets a 301 from the municipality with its own reference.
        await PushKit.UntilAsync(_hub, () => Task.FromResult(_partner.Stored.Values.Any(m => m.Document.Root!.Name.LocalName == "Bericht" && m.Document.Root.Name.NamespaceName.EndsWith("wmo301/schema", StringComparison.Ordinal))));
        var toewijzing = Assert.Single(_partner.Stored.Values, m => m.Document.Root!.Name.NamespaceName.EndsWith("wmo301/schema", StringComparison.Ordinal));
        Assert.Equal(("0505", "98000002", "VOT-2026-0042", bsn), (Single(toewijzing.Document, "Afzender"), Single(toewijzing.Document, "Ontvanger"), Single(toewijzing.Document, "ReferentieAanbieder"), Single(toewijzing.Document, "Bsn")));
        Assert.Equal("02A03", Single(toewijzing.Document, "Code"));

        // Its 302 without remarks accepts the toewijzing the hub issued (the provider is its performer).
        var identificatie = Assert.Single(_partner.Stored, m => m.Value == toewijzing).Key;
        Assert.Equal((200, "OK\n"), await PostRetourAsync(RetourOn(identificatie)));
        var issued = Assert.Single((await sdd.Referrals.ListReferralsAsync(new ListReferralsRequest { PageSize = 1000 })).Referrals, r => r.AllocationRequest == request.Name);
        Assert.Equal(PerformerStatus.Accepted, Assert.Single(issued.Performers).Status);

        // The same 315 again is the same message: the same answer, and no second request.
        Assert.Equal((200, body), await PostAsync(Verzoek(bsn, client.BirthDate, "VOT-2026-0042"), "WMO315"));
        Assert.Single((await sdd.Referrals.ListReferralsAsync(new ListReferralsRequest { PageSize = 1000 })).Referrals, r => r.RequesterReference == "VOT-2026-0042");
        Assert.Equal(0, _partner.Invalid);

        // The update telling the provider its request was accepted has no message of its own (the 301 says it): the hub
        // closes it unsent, as not in the format; nothing is set aside, so nothing alarms an operator.
        await PushKit.UntilAsync(_hub, async () => (await PushKit.ListAsync(_hub, Performer, DeliveryStatus.Acknowledged)).Any(d => d.StatusReason == "NOT_IN_FORMAT"));
        Assert.Empty(await PushKit.ListAsync(_hub, Performer, DeliveryStatus.SetAside));
        Assert.Empty(await PushKit.ListAsync(_hub, Performer, DeliveryStatus.Pending));
        Assert.DoesNotContain(_partner.Stored.Values, m => !m.Document.Root!.Name.NamespaceName.EndsWith("wmo301/schema", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AProvidersOwn315_RefusedByTheSocialService_ReachesTheProviderAsA319_WhichIts320Acknowledges()
    {
        var (sdd, client, bsn) = await ArrangeAsync(Performer);
        Assert.Equal(200, (await PostAsync(Verzoek(bsn, client.BirthDate, "VOT-2026-0043"), "WMO315")).Status);
        var request = Assert.Single((await sdd.Referrals.ListReferralsAsync(new ListReferralsRequest { PageSize = 1000 })).Referrals, r => r.RequesterReference == "VOT-2026-0043");

        // Declined with WJ759 code 3 (geen contract), written with two digits as the hub writes reason codes.
        await sdd.Referrals.DeclineReferralAsync(new DeclineReferralRequest { RequestId = NewRequestId(), Name = request.Name, ReasonCode = "03" });

        await PushKit.UntilAsync(_hub, () => Task.FromResult(_partner.Stored.Values.Any(m => m.Document.Root!.Name.NamespaceName.EndsWith("wmo319/schema", StringComparison.Ordinal))));
        var antwoord = Assert.Single(_partner.Stored, m => m.Value.Document.Root!.Name.NamespaceName.EndsWith("wmo319/schema", StringComparison.Ordinal));
        Assert.Equal(("VOT-2026-0043", "1", "3"), (Single(antwoord.Value.Document, "ReferentieAanbieder"), Single(antwoord.Value.Document, "VerzoekAntwoord"), Single(antwoord.Value.Document, "RedenAfwijzingVerzoek")));
        Assert.DoesNotContain(_partner.Stored.Values, m => m.Document.Root!.Name.NamespaceName.EndsWith("wmo301/schema", StringComparison.Ordinal));

        // The 319 waits for its retour (once the hub recorded the partner's receipt); the provider's 320 acknowledges it.
        await PushKit.UntilAsync(_hub, async () => (await PushKit.ListAsync(_hub, Performer, DeliveryStatus.AwaitingRetour)).Count == 1);
        var waiting = Assert.Single(await PushKit.ListAsync(_hub, Performer, DeliveryStatus.AwaitingRetour));
        var retour = Ketenhub.Adapters.IWmo.Inbound.RetourWriter.Write(IStandaard.IWmo, Bericht.Antwoord, antwoord.Value.Document, new Dictionary<XElement, List<string>>(), DateOnly.FromDateTime(_hub.Clock.GetUtcNow().UtcDateTime));
        Assert.Equal((200, "OK\n"), await PostAsync(retour, "WMO320"));
        Assert.Single(await PushKit.ListAsync(_hub, Performer, DeliveryStatus.Acknowledged), d => d.Name == waiting.Name);
    }

    [Fact]
    public async Task AProvidersOwn315ForAKnownClientWithOtherFacts_GetsItsCodes_AndNothingIsStored()
    {
        var (sdd, client, bsn) = await ArrangeAsync(Performer);
        var otherBirthDate = Date(client.BirthDate.Year + 1, client.BirthDate.Month, client.BirthDate.Day);

        var (status, body) = await PostAsync(Verzoek(bsn, otherBirthDate, "VOT-2026-0044"), "WMO315");

        Assert.Equal(200, status);
        var retour = XDocument.Parse(body);
        var codes = retour.Descendants().Where(e => e.Name.LocalName == "RetourCodes").ToDictionary(e => e.Parent!.Name.LocalName, e => e.Elements().Single().Value);
        Assert.Equal(("0200", "0001", "0233"), (codes["Header"], codes["Client"], codes["AangevraagdProduct"]));
        Assert.DoesNotContain((await sdd.Referrals.ListReferralsAsync(new ListReferralsRequest { PageSize = 1000 })).Referrals, r => r.RequesterReference == "VOT-2026-0044");
    }

    /// <summary>A provider's own WMO315 for the client, as its software writes it (with a product code, volume and end date).</summary>
    private XDocument Verzoek(string bsn, Google.Type.Date birthDate, string reference)
    {
        var provider = new IWmoParty("parties/" + Performer, PartyKind.CareProvider, "Begeleiding Plus", "98000002", [], IStandaarden.IWmo);
        var municipality = new IWmoParty("parties/sdd", PartyKind.SocialService, "Sociale Dienst Drechtsteden", string.Empty, ["0505"], IStandaarden.IWmo);
        var now = _hub.Clock.GetUtcNow();
        var delivery = new Delivery
        {
            Name = "deliveries/dlv_provider",
            Sequence = 77,
            CreateTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(now),
            Referral = new Referral
            {
                Name = "referrals/ref_provider",
                Requester = provider.Name,
                Service = ServiceKind.IndividualGuidance,
                Reason = "Needs help with the household administration.",
                ProductCode = "02A03",
                Volume = new SupportVolume { Quantity = 4, Unit = VolumeUnit.Hour, Frequency = VolumeFrequency.PerWeek },
                RequestedEndDate = Date(2026, 12, 31),
                Performers = { new ReferralPerformer { Party = municipality.Name } },
            },
        };
        var client = new IWmoClient(bsn, new DateOnly(birthDate.Year, birthDate.Month, birthDate.Day), "0505", "eigen-dossier-17");
        var message = Assert.IsType<Ketenhub.Adapters.IWmo.Outbound.OutboundResult.Message>(
            Ketenhub.Adapters.IWmo.Outbound.OutboundTranslator.Translate(new Ketenhub.Adapters.IWmo.Outbound.OutboundRequest(delivery, client, municipality, provider, now)));
        message.Document.Descendants().Single(e => e.Name.LocalName == "ReferentieAanbieder").Value = reference;
        message.Document.Descendants().Single(e => e.Name.LocalName == "Identificatie" && e.Parent!.Name.LocalName == "BerichtIdentificatie").Value = "V" + reference[^4..];
        return message.Document;
    }

    /// <summary>The client's journey as the coach reads it (with the client's consent for coaching).</summary>
    private async Task<IReadOnlyList<JourneyEvent>> JourneyAsync(string client)
    {
        var coach = _hub.As(Coach);
        if (!_coachMayRead)
        {
            await coach.GrantAsync(client, GrantorRole.Client, Coach, [Purpose.Coaching], [DataCategory.SupportPlan]);
            _coachMayRead = true;
        }

        return await Kit.JourneyAsync(coach, client);
    }

    private bool _coachMayRead;

    private static string Single(XDocument document, string localName) =>
        Assert.Single(document.Descendants(), e => e.Name.LocalName == localName).Value;

    private Task<(PartyClient Sdd, Client Client, string Bsn)> ArrangeAsync(string recipient, Google.Type.Date? birthDate = null, params string[] pushed) =>
        _hub.ArrangePushAsync("IWMO", _partner.Endpoint, recipient, birthDate, pushed);

    private static async Task<string> ReferAsync(PartyClient sdd, string client, string performer = Performer) =>
        (await PushKit.ReferAsync(sdd, client, performer)).Delivery;

    /// <summary>Until the partner's system took every one of <paramref name="deliveries"/>: each waits for its retour.</summary>
    private Task UntilAcknowledgedAsync(string recipient, params string[] deliveries) =>
        PushKit.UntilAsync(
            _hub,
            async () => (await PushKit.ListAsync(_hub, recipient, DeliveryStatus.AwaitingRetour)).Count(d => deliveries.Contains(d.Name)) == deliveries.Length,
            failure: () => $"stored {_partner.Stored.Count}, invalid {_partner.Invalid}, requests {_partner.Requests}");

    /// <summary>The partner's retour on the hub's message with identification <paramref name="identificatie"/>: codes on its product (none: 0200).</summary>
    private XDocument RetourOn(string identificatie, params string[] codes)
    {
        var heen = _partner.Stored[identificatie];
        var product = heen.Document.Descendants().Single(e => e.Name.LocalName == "ToegewezenProduct");
        var decided = new Dictionary<XElement, List<string>>();
        if (codes.Length > 0)
        {
            decided[product] = [.. codes];
        }

        return Ketenhub.Adapters.IWmo.Inbound.RetourWriter.Write(heen.Standaard, Bericht.Toewijzing, heen.Document, decided, DateOnly.FromDateTime(_hub.Clock.GetUtcNow().UtcDateTime));
    }

    private Task<(int Status, string Body)> PostRetourAsync(XDocument retour) => PostAsync(retour, "WMO302");

    /// <summary>Posts a message as the provider, to <c>/iwmo/{route}</c>.</summary>
    private async Task<(int Status, string Body)> PostAsync(XDocument retour, string route)
    {
        var http = _hub.CreateClient();
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", _hub.Token(Performer));
        using var content = new StringContent(System.Text.Encoding.UTF8.GetString(IWmoXml.ToBytes(retour)), System.Text.Encoding.UTF8);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/xml");
        using var response = await http.PostAsync(new Uri("/iwmo/" + route, UriKind.Relative), content);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}

/// <summary>One message the partner kept.</summary>
internal sealed record IWmoMessage(IStandaard Standaard, XDocument Document, IReadOnlyList<SchemaProblem> Problems);

/// <summary>
/// An iWmo partner's receiving endpoint as a provider would run one: Kestrel over HTTP on loopback; every message is
/// parsed and validated against the iWmo (or iJw) 3.2 schemas by its namespace before anything else, an invalid one is
/// refused with 400 and kept nowhere; a valid one is kept once by its BerichtIdentificatie.
/// </summary>
internal sealed class IWmoPartner : IAsyncDisposable
{
    private WebApplication _app = null!;
    private readonly ConcurrentQueue<Fault> _faults = new();
    private int _invalid;
    private int _requests;

    /// <summary>The endpoint the hub posts to.</summary>
    public Uri Endpoint { get; private set; } = null!;

    /// <summary>Messages kept, by BerichtIdentificatie.</summary>
    public ConcurrentDictionary<string, IWmoMessage> Stored { get; } = new(StringComparer.Ordinal);

    /// <summary>Second and later copies of a kept message, by BerichtIdentificatie.</summary>
    public ConcurrentDictionary<string, int> Copies { get; } = new(StringComparer.Ordinal);

    /// <summary>Messages refused as invalid against the schemas.</summary>
    public int Invalid => _invalid;

    /// <summary>Every request that reached the partner.</summary>
    public int Requests => _requests;

    /// <summary>Faults queued and not yet used.</summary>
    public int PendingFaults => _faults.Count;

    /// <summary>Queues faults for the next requests, in order (this partner acts on ServerError, Drop and StoreThenDrop).</summary>
    public void FailNext(params Fault[] faults)
    {
        foreach (var fault in faults)
        {
            _faults.Enqueue(fault);
        }
    }

    /// <summary>Starts a partner on a free loopback port (plain HTTP).</summary>
    public static async Task<IWmoPartner> StartAsync()
    {
        var partner = new IWmoPartner();
        (partner._app, partner.Endpoint) = await PushKit.StartPartnerAsync("/iwmo", partner.HandleAsync);
        return partner;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext http)
    {
        Interlocked.Increment(ref _requests);
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer, http.RequestAborted);
        var fault = _faults.TryDequeue(out var next) ? next : Fault.None;
        switch (fault)
        {
            case Fault.ServerError:
                http.Response.StatusCode = 500;
                return;
            case Fault.Drop:
                http.Abort();
                return;
        }

        buffer.Position = 0;
        XDocument document;
        try
        {
            document = XDocument.Load(buffer, LoadOptions.SetLineInfo);
        }
        catch (System.Xml.XmlException)
        {
            Interlocked.Increment(ref _invalid);
            http.Response.StatusCode = 400;
            return;
        }

        var standaard = document.Root!.Name.NamespaceName.Contains("/ijw/", StringComparison.Ordinal) ? IStandaard.IJw : IStandaard.IWmo;
        var problems = SchemaCatalog.Validate(document, standaard);
        var identification = document.Descendants().FirstOrDefault(e => e.Name.LocalName == "BerichtIdentificatie")?
            .Elements().FirstOrDefault(e => e.Name.LocalName == "Identificatie")?.Value;
        if (problems.Count > 0 || string.IsNullOrEmpty(identification))
        {
            Interlocked.Increment(ref _invalid);
            http.Response.StatusCode = 400;
            return;
        }

        if (!Stored.TryAdd(identification, new IWmoMessage(standaard, document, problems)))
        {
            Copies.AddOrUpdate(identification, 1, (_, n) => n + 1);
        }

        if (fault == Fault.StoreThenDrop)
        {
            http.Abort();
            return;
        }

        http.Response.StatusCode = 200;
    }
}

using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Integration;

/// <summary>
/// ListReferrals, ListTransitions and ListSignals: exactly what the Get of each would return to the caller, filtered
/// (AIP-160 subset), ordered by create time either way, in pages whose tokens hold the filter and the order, each listed
/// client's read audited.
/// </summary>
public sealed class MessageListTests : IDisposable
{
    private readonly HubFactory _hub = new(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task ListSignals_ShowsEachCallerExactlyWhatGetSignalWouldGiveIt()
    {
        var (sdd, coach, consenting) = await Kit.CoachedForSignalsAsync(_hub);
        var withoutConsent = await Kit.ClientWithCoachAsync(coach, coachId: "piet", displayName: "Piet");
        var shared = (await sdd.Signals.CreateSignalAsync(Kit.Signal(consenting.Name))).Signal;
        _hub.Clock.Advance(TimeSpan.FromMinutes(1));
        var notShared = (await sdd.Signals.CreateSignalAsync(Kit.Signal(withoutConsent.Name))).Signal;
        var stranger = _hub.As("zorgboerderij-de-hoeve");

        Assert.Equal([shared.Name, notShared.Name], await SignalNamesAsync(sdd, new ListSignalsRequest()));
        Assert.Equal([shared.Name], await SignalNamesAsync(coach, new ListSignalsRequest()));
        Assert.Empty(await SignalNamesAsync(stranger, new ListSignalsRequest()));

        // The list agrees with Get for every signal, for every caller.
        foreach (var party in new[] { sdd, coach, stranger })
        {
            var listed = await SignalNamesAsync(party, new ListSignalsRequest());
            foreach (var name in new[] { shared.Name, notShared.Name })
            {
                var readable = await Readable(() => party.Signals.GetSignalAsync(new GetSignalRequest { Name = name }).ResponseAsync);
                Assert.Equal(readable, listed.Contains(name));
            }
        }

        var listedSignal = Assert.Single((await coach.Signals.ListSignalsAsync(new ListSignalsRequest())).Signals);
        Assert.Equal(shared, listedSignal);

        // A content delivery withheld before it was received (the consent withdrawn while it was in flight) lists nothing;
        // the one the coach received stays listed.
        await coach.DrainAsync(acknowledge: true);
        _hub.Clock.Advance(TimeSpan.FromMinutes(1));
        var withheld = (await sdd.Signals.CreateSignalAsync(Kit.Signal(consenting.Name))).Signal;
        var consent = Assert.Single((await coach.Consents.ListConsentsAsync(new ListConsentsRequest { Client = consenting.Name })).Consents);
        await coach.Consents.WithdrawConsentAsync(new WithdrawConsentRequest { RequestId = NewRequestId(), Name = consent.Name });
        Assert.Contains(await Kit.DeliveriesAsync(coach, DeliveryStatus.Withheld, consenting.Name), d => d.Name.Length > 0);
        Assert.Equal([shared.Name], await SignalNamesAsync(coach, new ListSignalsRequest()));
        Assert.Equal([shared.Name, notShared.Name, withheld.Name], await SignalNamesAsync(sdd, new ListSignalsRequest()));
    }

    [Fact]
    public async Task ListReferrals_FiltersOnEachField_OrdersBothWays_AndPages()
    {
        var coach = _hub.As("waakvlam-zorg");
        var client = await Kit.ClientWithCoachAsync(coach);
        var other = await Kit.ClientWithCoachAsync(coach, coachId: "piet", displayName: "Piet");
        var created = new List<Referral>();
        foreach (var (who, performer, service) in new[]
        {
            (client, "begeleiding-plus", ServiceKind.IndividualGuidance),
            (client, "dagbesteding-de-brug", ServiceKind.DayActivities),
            (other, "begeleiding-plus", ServiceKind.IndividualGuidance),
            (client, "begeleiding-plus", ServiceKind.DebtCounselling),
            (other, "dagbesteding-de-brug", ServiceKind.DayActivities),
        })
        {
            var referral = Kit.CareReferral(who.Name, performer, service);
            created.Add((await coach.Referrals.CreateReferralAsync(new CreateReferralRequest { RequestId = NewRequestId(), Referral = referral })).Referral);
            _hub.Clock.Advance(TimeSpan.FromMinutes(10));
        }

        var names = created.Select(r => r.Name).ToList();
        Assert.Equal(names, await ReferralNamesAsync(coach, new ListReferralsRequest()));
        Assert.Equal(Enumerable.Reverse(names), await ReferralNamesAsync(coach, new ListReferralsRequest { OrderBy = "create_time desc" }));
        Assert.Equal([names[0], names[1], names[3]], await ReferralNamesAsync(coach, new ListReferralsRequest { Filter = $"client = \"{client.Name}\"" }));
        Assert.Equal([names[2], names[4]], await ReferralNamesAsync(coach, new ListReferralsRequest { Filter = $"client != \"{client.Name}\"" }));
        Assert.Equal([names[0], names[2], names[3]], await ReferralNamesAsync(coach, new ListReferralsRequest { Filter = "performers.party = \"parties/begeleiding-plus\"" }));
        Assert.Equal([names[1], names[4]], await ReferralNamesAsync(coach, new ListReferralsRequest { Filter = "service = SERVICE_KIND_DAY_ACTIVITIES" }));
        Assert.Equal([names[3]], await ReferralNamesAsync(coach, new ListReferralsRequest { Filter = $"service=SERVICE_KIND_DEBT_COUNSELLING AND client = \"{client.Name}\"" }));
        Assert.Equal(names, await ReferralNamesAsync(coach, new ListReferralsRequest { Filter = "requester = \"parties/waakvlam-zorg\" AND performers.status = PERFORMER_STATUS_REQUESTED" }));
        Assert.Equal([names[2], names[3], names[4]], await ReferralNamesAsync(coach, new ListReferralsRequest { Filter = "create_time >= \"2026-03-02T09:20:00Z\"" }));
        Assert.Equal([names[0], names[1]], await ReferralNamesAsync(coach, new ListReferralsRequest { Filter = "create_time < \"2026-03-02T10:20:00+01:00\"" }));

        // The performer sees only its own; after it accepts, the status filter moves it.
        var plus = _hub.As("begeleiding-plus");
        Assert.Equal([names[0], names[2], names[3]], await ReferralNamesAsync(plus, new ListReferralsRequest()));
        await plus.Referrals.AcceptReferralAsync(new AcceptReferralRequest { RequestId = NewRequestId(), Name = names[2] });
        Assert.Equal([names[2]], await ReferralNamesAsync(plus, new ListReferralsRequest { Filter = "performers.status = PERFORMER_STATUS_ACCEPTED" }));
        Assert.Equal([names[0], names[3]], await ReferralNamesAsync(plus, new ListReferralsRequest { Filter = "performers.status != PERFORMER_STATUS_ACCEPTED" }));
        Assert.Empty(await ReferralNamesAsync(_hub.As("zorgboerderij-de-hoeve"), new ListReferralsRequest()));

        // Pages of two, newest first, with a filter: the same referrals as one call, each once.
        var paged = new List<string>();
        var token = string.Empty;
        var calls = 0;
        do
        {
            var page = await coach.Referrals.ListReferralsAsync(new ListReferralsRequest { PageSize = 2, PageToken = token, OrderBy = "create_time desc", Filter = "service != SERVICE_KIND_DEBT_COUNSELLING" });
            Assert.True(page.Referrals.Count <= 2);
            paged.AddRange(page.Referrals.Select(r => r.Name));
            token = page.NextPageToken;
            calls++;
        }
        while (token.Length > 0);
        Assert.Equal([names[4], names[2], names[1], names[0]], paged);
        Assert.InRange(calls, 2, 3);

        // A token holds its filter and order: with another, or from another caller or list, it is refused.
        var first = await coach.Referrals.ListReferralsAsync(new ListReferralsRequest { PageSize = 1, Filter = "service = SERVICE_KIND_DAY_ACTIVITIES" });
        Assert.NotEmpty(first.NextPageToken);
        await Errors.Expect(StatusCode.InvalidArgument, "INVALID_REQUEST", () => coach.Referrals.ListReferralsAsync(new ListReferralsRequest { PageSize = 1, PageToken = first.NextPageToken }).ResponseAsync);
        await Errors.Expect(StatusCode.InvalidArgument, "INVALID_REQUEST", () => coach.Referrals.ListReferralsAsync(new ListReferralsRequest { PageSize = 1, PageToken = first.NextPageToken, Filter = "service = SERVICE_KIND_DAY_ACTIVITIES", OrderBy = "create_time desc" }).ResponseAsync);
        await Errors.Expect(StatusCode.InvalidArgument, "INVALID_REQUEST", () => plus.Referrals.ListReferralsAsync(new ListReferralsRequest { PageSize = 1, PageToken = first.NextPageToken, Filter = "service = SERVICE_KIND_DAY_ACTIVITIES" }).ResponseAsync);
        await Errors.Expect(StatusCode.InvalidArgument, "INVALID_REQUEST", () => coach.Signals.ListSignalsAsync(new ListSignalsRequest { PageSize = 1, PageToken = first.NextPageToken }).ResponseAsync);
        var second = await coach.Referrals.ListReferralsAsync(new ListReferralsRequest { PageSize = 1, PageToken = first.NextPageToken, Filter = "service = SERVICE_KIND_DAY_ACTIVITIES" });
        Assert.Equal([names[4]], second.Referrals.Select(r => r.Name));
    }

    [Fact]
    public async Task ListTransitions_ShowsTheSendersAndFiltersOnKindAndDate()
    {
        var sdd = _hub.As("sdd");
        var coach = _hub.As("waakvlam-zorg");
        var client = await Kit.ClientWithCoachAsync(coach);
        var transition = new Transition
        {
            Client = client.Name,
            Kind = TransitionKind.ScaleDown,
            FromParty = "parties/waakvlam-zorg",
            ToParty = "parties/sdd",
            EffectiveDate = Date(2026, 4, 1),
            HandoverSummary = "Goes on with the social service.",
        };
        var created = (await coach.Transitions.CreateTransitionAsync(new CreateTransitionRequest { RequestId = NewRequestId(), Transition = transition })).Transition;

        Assert.Equal([created.Name], (await coach.Transitions.ListTransitionsAsync(new ListTransitionsRequest())).Transitions.Select(t => t.Name));
        Assert.Equal([created.Name], (await coach.Transitions.ListTransitionsAsync(new ListTransitionsRequest { Filter = "kind = TRANSITION_KIND_SCALE_DOWN AND effective_date >= \"2026-04-01\" AND to_party = \"parties/sdd\"" })).Transitions.Select(t => t.Name));
        Assert.Empty((await coach.Transitions.ListTransitionsAsync(new ListTransitionsRequest { Filter = "effective_date > \"2026-04-01\"" })).Transitions);
        Assert.Empty((await coach.Transitions.ListTransitionsAsync(new ListTransitionsRequest { Filter = "kind = TRANSITION_KIND_SCALE_UP" })).Transitions);
        var listedBySdd = (await sdd.Transitions.ListTransitionsAsync(new ListTransitionsRequest())).Transitions.Select(t => t.Name).ToList();
        var sddMayRead = await Readable(() => sdd.Transitions.GetTransitionAsync(new GetTransitionRequest { Name = created.Name }).ResponseAsync);
        Assert.Equal(sddMayRead, listedBySdd.Contains(created.Name));
    }

    [Theory]
    [InlineData("severity", "0")]
    [InlineData("nonsense = \"x\"", "0")]
    [InlineData("kind = 1", "7")]
    [InlineData("client < \"clients/x\"", "7")]
    [InlineData("client = clients", "9")]
    [InlineData("severity = PERFORMER_STATUS_ACCEPTED", "11")]
    [InlineData("create_time > \"2026-03-02\"", "14")]
    [InlineData("create_time > \"2026-03-02T09:00:00\"", "14")]
    [InlineData("severity = SIGNAL_SEVERITY_URGENT OR kind = SIGNAL_KIND_RENT_ARREARS", "34")]
    [InlineData("severity = SIGNAL_SEVERITY_URGENT AND", "37")]
    [InlineData("sender = \"parties/sdd", "9")]
    [InlineData("kind ! SIGNAL_KIND_RENT_ARREARS", "5")]
    [InlineData("kind = SIGNAL_KIND_UNSPECIFIED", "7")]
    public async Task AFilterThatDoesNotHold_IsInvalidFilter_NamingWhere(string filter, string position)
    {
        var coach = _hub.As("waakvlam-zorg");
        var error = await Errors.Detail(() => coach.Signals.ListSignalsAsync(new ListSignalsRequest { Filter = filter }).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "INVALID_FILTER"), (error.Code, error.Reason));
        Assert.Equal(position, error.Metadata["position"]);
        Assert.Equal(new Violation("filter", "INVALID_FILTER"), Assert.Single(error.Violations));
        Assert.DoesNotContain("SIGNAL_KIND_RENT", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("name")]
    [InlineData("create_time sideways")]
    [InlineData("create_time desc, name")]
    public async Task AnOrderNotOffered_IsInvalidOrderBy(string orderBy)
    {
        await Errors.Expect(StatusCode.InvalidArgument, "INVALID_ORDER_BY", () => _hub.As("sdd").Signals.ListSignalsAsync(new ListSignalsRequest { OrderBy = orderBy }).ResponseAsync);
        await Errors.Expect(StatusCode.InvalidArgument, "INVALID_REQUEST", () => _hub.As("sdd").Signals.ListSignalsAsync(new ListSignalsRequest { PageSize = -1 }).ResponseAsync);
    }

    [Fact]
    public async Task Listing_IsAuditedAsAReadOfEachListedClient()
    {
        var (sdd, coach, client) = await Kit.CoachedForSignalsAsync(_hub);
        var signal = (await sdd.Signals.CreateSignalAsync(Kit.Signal(client.Name))).Signal;

        await coach.Signals.ListSignalsAsync(new ListSignalsRequest());

        var officer = _hub.As("sdd", "officer-1", ["privacy-officer"]);
        var events = (await officer.Audit.ListAuditEventsAsync(new ListAuditEventsRequest { Client = client.Name, PageSize = 1000 })).AuditEvents;
        var listing = Assert.Single(events, e => e.EventType == "ListSignals");
        Assert.Equal(("parties/waakvlam-zorg", AuditOutcome.Success), (listing.Party, listing.Outcome));
        Assert.Contains(signal.Name, listing.Resources);
    }

    [Fact]
    public void TheFieldsEachListFiltersOn_AreTheOnesDocsContractsLists()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Hub.sln")))
        {
            dir = dir.Parent;
        }

        var lines = File.ReadAllLines(Path.Combine(dir!.FullName, "docs", "contracts.md"));
        foreach (var (list, fields) in Ketenhub.Hub.Host.Messages.MessageLists.Fields)
        {
            var row = Assert.Single(lines, l => l.StartsWith($"| `{list}` |", StringComparison.Ordinal));
            var documented = row.Split('|')[2].Split(',').Select(f => f.Trim().Trim('`')).ToList();
            Assert.Equal(fields.Order(StringComparer.Ordinal), documented.Order(StringComparer.Ordinal));
        }
    }

    private static async Task<List<string>> SignalNamesAsync(PartyClient party, ListSignalsRequest request) =>
        (await party.Signals.ListSignalsAsync(request)).Signals.Select(s => s.Name).ToList();

    private static async Task<List<string>> ReferralNamesAsync(PartyClient party, ListReferralsRequest request)
    {
        var response = await party.Referrals.ListReferralsAsync(request);
        Assert.Empty(response.NextPageToken);
        return response.Referrals.Select(r => r.Name).ToList();
    }

    private static async Task<bool> Readable(Func<Task> get)
    {
        try
        {
            await get();
            return true;
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            return false;
        }
    }
}

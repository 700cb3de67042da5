using Ketenhub.Hub.Audit;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Journeys;
using Ketenhub.Hub.Messages;
using static Ketenhub.Hub.Storage.Tests.TestData;

namespace Ketenhub.Hub.Storage.Tests;

/// <summary>
/// What every <see cref="IHubStore"/> must do. An implementation's test class derives from this one and
/// says how to open a store; each test gets a fresh, empty directory that is deleted afterwards.
/// </summary>
public abstract partial class HubStoreContractTests : IAsyncLifetime
{
    private static readonly TimeSpan GateTimeout = TimeSpan.FromSeconds(30);
    private readonly List<IHubStore> _stores = [];

    protected HubStoreContractTests()
    {
        DataDirectory = Path.Combine(Path.GetTempPath(), "ketenhub-store-tests", Guid.NewGuid().ToString("N"));
    }

    /// <summary>This test's directory (not yet created).</summary>
    protected string DataDirectory { get; }

    /// <summary>Opens a store over <paramref name="directory"/>; a second store on the same directory sees the first one's data.</summary>
    protected abstract IHubStore CreateStore(string directory);

    /// <summary>Opens a store on this test's directory; it is disposed after the test.</summary>
    protected IHubStore Open()
    {
        var store = CreateStore(DataDirectory);
        _stores.Add(store);
        return store;
    }

    protected static async Task CloseAsync(IHubStore store)
    {
        if (store is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        foreach (var store in _stores)
        {
            await CloseAsync(store);
        }

        if (Directory.Exists(DataDirectory))
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
    }

    // ----- Round trips

    [Fact]
    public async Task Client_RoundTripsByIdAndBsnHash()
    {
        var store = Open();
        var client = Client(handled: true);
        await store.WriteAsync(s => { s.InsertClient(client); return 0; });

        var (byId, byHash, missing) = await store.ReadAsync(s =>
            (s.FindClient(client.Id), s.FindClientByBsnHash(client.BsnHash), s.FindClient("cli_missing")));

        AssertSame(client, byId);
        AssertSame(client, byHash);
        Assert.Null(missing);
    }

    [Fact]
    public async Task UpdateClient_ReplacesBodyAndLookupColumns()
    {
        var store = Open();
        var client = Client();
        await store.WriteAsync(s => { s.InsertClient(client); return 0; });
        var updated = client with { BsnHash = "hash-new", MunicipalityCode = "0599", ComingOfAgeHandled = true };

        await store.WriteAsync(s => { s.UpdateClient(updated); return 0; });

        var (byId, byOldHash, byNewHash) = await store.ReadAsync(s =>
            (s.FindClient(client.Id), s.FindClientByBsnHash(client.BsnHash), s.FindClientByBsnHash("hash-new")));
        AssertSame(updated, byId);
        Assert.Null(byOldHash);
        AssertSame(updated, byNewHash);
    }

    [Fact]
    public async Task RolesAndCoachAssignments_RoundTripInInsertOrder()
    {
        var store = Open();
        var client = Client();
        var role1 = Role(client.Id, "school-1");
        var role2 = Role(client.Id, "provider-1");
        var coach1 = CoachAssignment(client.Id, until: T0);
        var coach2 = CoachAssignment(client.Id);
        await store.WriteAsync(s =>
        {
            s.InsertClient(client);
            s.InsertRole(role1);
            s.InsertRole(role2);
            s.InsertRole(Role("cli_other"));
            s.InsertCoachAssignment(coach1);
            s.InsertCoachAssignment(coach2);
            return 0;
        });

        var endedRole = role1 with { Until = T0.AddDays(1) };
        var endedCoach = coach2 with { Until = T0.AddDays(2) };
        await store.WriteAsync(s => { s.UpdateRole(endedRole); s.UpdateCoachAssignment(endedCoach); return 0; });

        var (roles, coaches) = await store.ReadAsync(s => (s.GetRoles(client.Id), s.GetCoachAssignments(client.Id)));
        Assert.Equal(2, roles.Count);
        AssertSame(endedRole, roles[0]);
        AssertSame(role2, roles[1]);
        Assert.Equal(2, coaches.Count);
        AssertSame(coach1, coaches[0]);
        AssertSame(endedCoach, coaches[1]);
    }

    [Fact]
    public async Task CurrentCoachAssignments_ListByPartyAndCoach_InClientOrder_WithoutEndedOnes()
    {
        var store = Open();
        var coach = Coach();
        var other = coach with { CoachId = "coach-other" };
        var elsewhere = coach with { PartyId = "provider-2" };
        var b = CoachAssignment("cli_b") with { Coach = coach };
        var a = CoachAssignment("cli_a") with { Coach = other };
        var c = CoachAssignment("cli_c") with { Coach = coach };
        var ended = CoachAssignment("cli_d", until: T0) with { Coach = coach };
        var foreign = CoachAssignment("cli_e") with { Coach = elsewhere };
        await store.WriteAsync(s =>
        {
            foreach (var assignment in new[] { b, a, c, ended, foreign })
            {
                s.InsertCoachAssignment(assignment);
            }

            return 0;
        });

        var (party, ofCoach, after, limited) = await store.ReadAsync(s => (
            s.ListCurrentCoachAssignments(coach.PartyId, null, string.Empty, 10),
            s.ListCurrentCoachAssignments(coach.PartyId, coach.CoachId, string.Empty, 10),
            s.ListCurrentCoachAssignments(coach.PartyId, null, "cli_a", 10),
            s.ListCurrentCoachAssignments(coach.PartyId, null, string.Empty, 1)));

        Assert.Equal(["cli_a", "cli_b", "cli_c"], party.Select(x => x.ClientId));
        AssertSame(a, party[0]);
        Assert.Equal(["cli_b", "cli_c"], ofCoach.Select(x => x.ClientId));
        Assert.Equal(["cli_b", "cli_c"], after.Select(x => x.ClientId));
        Assert.Equal(["cli_a"], limited.Select(x => x.ClientId));
    }

    [Fact]
    public async Task Consents_RoundTripAndUpdate()
    {
        var store = Open();
        var consent = NewConsent("cli_a");
        var other = NewConsent("cli_a");
        await store.WriteAsync(s => { s.InsertConsent(consent); s.InsertConsent(other); s.InsertConsent(NewConsent("cli_b")); return 0; });

        var withdrawn = consent with { WithdrawTime = T0.AddHours(3) };
        await store.WriteAsync(s => { s.UpdateConsent(withdrawn); return 0; });

        var (found, all, missing) = await store.ReadAsync(s => (s.FindConsent(consent.Id), s.GetConsents("cli_a"), s.FindConsent("con_missing")));
        AssertSame(withdrawn, found);
        Assert.Equal([consent.Id, other.Id], all.Select(c => c.Id));
        AssertSame(withdrawn, all[0]);
        Assert.Null(missing);
    }

    [Fact]
    public async Task Messages_RoundTrip()
    {
        var store = Open();
        var referral = Referral("cli_a");
        var transition = Transition("cli_a");
        var signal = Signal("cli_a");
        await store.WriteAsync(s =>
        {
            s.InsertReferral(referral);
            s.InsertReferral(Referral("cli_b"));
            s.InsertTransition(transition);
            s.InsertSignal(signal);
            s.InsertSignal(Signal("cli_b"));
            return 0;
        });

        var accepted = referral with
        {
            Performers = [new Messages.PerformerState("provider-1", PerformerStatus.Accepted, null, T0.AddDays(1), new DateOnly(2025, 4, 2))],
        };
        await store.WriteAsync(s => { s.UpdateReferral(accepted); return 0; });

        var read = await store.ReadAsync(s => new
        {
            Referral = s.FindReferral(referral.Id),
            Transition = s.FindTransition(transition.Id),
            Signal = s.FindSignal(signal.Id),
            Referrals = s.GetReferralsForClient("cli_a"),
            Signals = s.GetSignalsForClient("cli_a"),
            Missing = (s.FindReferral("x"), s.FindTransition("x"), s.FindSignal("x")),
        });

        AssertSame(accepted, read.Referral);
        AssertSame(transition, read.Transition);
        AssertSame(signal, read.Signal);
        AssertSame(accepted, Assert.Single(read.Referrals));
        AssertSame(signal, Assert.Single(read.Signals));
        Assert.Null(read.Missing.Item1);
        Assert.Null(read.Missing.Item2);
        Assert.Null(read.Missing.Item3);
    }

    [Fact]
    public async Task Delivery_RoundTripsWithAssignedSequence()
    {
        var store = Open();
        var delivery = NewDelivery("cli_a", ackDeadline: T0.AddHours(4), awaitUntil: T0.AddDays(14)) with
        {
            PayloadJson = """{"kind":"THIN_NOTICE"}""",
            AttemptCount = 2,
            EscalationOf = "dlv_0",
            AckTime = T0.AddMinutes(1),
        };

        var inserted = await store.WriteAsync(s => s.InsertDelivery(delivery));

        Assert.True(inserted.Sequence > 0);
        AssertSame(delivery with { Sequence = inserted.Sequence }, inserted);
        var found = await store.ReadAsync(s => s.FindDelivery(delivery.Id));
        AssertSame(inserted, found);
        Assert.Null(await store.ReadAsync(s => s.FindDelivery("dlv_missing")));
    }

    [Fact]
    public async Task RequeueDelivery_MovesItToTheEndOfTheQueue_AndLaterInsertsStayAboveIt()
    {
        var store = Open();
        var (waiting, second, third) = await store.WriteAsync(s => (
            s.InsertDelivery(NewDelivery("cli_a", status: DeliveryStatus.AwaitingConsent)),
            s.InsertDelivery(NewDelivery("cli_b")),
            s.InsertDelivery(NewDelivery("cli_c"))));

        var released = await store.WriteAsync(s => s.RequeueDelivery(waiting with { Status = DeliveryStatus.Pending, UpdateTime = T0.AddMinutes(1) }));

        Assert.True(released.Sequence > third.Sequence);
        var (found, afterCursor) = await store.ReadAsync(s => (
            s.FindDelivery(waiting.Id),
            s.ListDeliveries(new DeliveryQuery("provider-1", DeliveryStatus.Pending, AfterSequence: third.Sequence))));
        AssertSame(released, found);
        Assert.Equal([waiting.Id], afterCursor.Select(d => d.Id));

        // The old place is not given again; a new delivery comes after the requeued one.
        var next = await store.WriteAsync(s => s.InsertDelivery(NewDelivery("cli_d")));
        Assert.True(next.Sequence > released.Sequence);
        var all = await store.ReadAsync(s => s.ListDeliveries(new DeliveryQuery("provider-1", DeliveryStatus.Pending)));
        Assert.Equal([second.Id, third.Id, waiting.Id, next.Id], all.Select(d => d.Id));
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.WriteAsync(s => s.RequeueDelivery(NewDelivery("cli_x"))));
    }

    [Fact]
    public async Task UpdateDelivery_ReplacesBodyAndQueryColumns()
    {
        var store = Open();
        var inserted = await store.WriteAsync(s => s.InsertDelivery(NewDelivery("cli_a", ackDeadline: T0.AddHours(1))));
        var acknowledged = inserted with
        {
            Status = DeliveryStatus.Acknowledged,
            AckTime = T0.AddMinutes(5),
            SignalAckTime = T0.AddMinutes(6),
            UpdateTime = T0.AddMinutes(6),
        };

        await store.WriteAsync(s => { s.UpdateDelivery(acknowledged); return 0; });

        var (found, open, due, pending) = await store.ReadAsync(s => (
            s.FindDelivery(inserted.Id),
            s.GetOpenDeliveriesForClient("cli_a"),
            s.GetDueEscalations(T0.AddDays(1), 10),
            s.ListDeliveries(new DeliveryQuery(Status: DeliveryStatus.Pending))));
        AssertSame(acknowledged, found);
        Assert.Empty(open);
        Assert.Empty(due);
        Assert.Empty(pending);
    }

    [Fact]
    public async Task UpdateDelivery_OfTheBodyAlone_OfItsStatus_OrOfItsRecipientClientAndMessage_KeepsEveryQueryRight()
    {
        var store = Open();
        var inserted = await store.WriteAsync(s => s.InsertDelivery(NewDelivery("cli_a", ackDeadline: T0.AddHours(1))));

        // Only the body changes (an attempt counted): every query still finds it where it was, with the new body.
        var attempted = inserted with { AttemptCount = 1, StatusReason = "TRIED", UpdateTime = T0.AddMinutes(1) };
        await store.WriteAsync(s => { s.UpdateDelivery(attempted); return 0; });
        var (found, pending, due, forMessage) = await store.ReadAsync(s => (
            s.FindDelivery(inserted.Id),
            s.ListDeliveries(new DeliveryQuery("provider-1", DeliveryStatus.Pending)),
            s.GetDueEscalations(T0.AddDays(1), 10),
            s.GetDeliveriesForMessage("sig_1")));
        AssertSame(attempted, found);
        AssertSame(attempted, Assert.Single(pending));
        AssertSame(attempted, Assert.Single(due));
        AssertSame(attempted, Assert.Single(forMessage));

        // The escalation is done: it leaves the due list, stays pending.
        var escalated = attempted with { Escalated = true, UpdateTime = T0.AddMinutes(2) };
        await store.WriteAsync(s => { s.UpdateDelivery(escalated); return 0; });
        Assert.Empty(await store.ReadAsync(s => s.GetDueEscalations(T0.AddDays(1), 10)));
        AssertSame(escalated, Assert.Single(await store.ReadAsync(s => s.ListDeliveries(new DeliveryQuery("provider-1", DeliveryStatus.Pending)))));

        // Another recipient, client and message (nothing in the hub does this today; the store still must).
        var moved = escalated with { Recipient = "provider-2", ClientId = "cli_b", MessageId = null, UpdateTime = T0.AddMinutes(3) };
        await store.WriteAsync(s => { s.UpdateDelivery(moved); return 0; });
        var (old, movedTo, oldClient, newClient, oldMessage) = await store.ReadAsync(s => (
            s.ListDeliveries(new DeliveryQuery("provider-1")),
            s.ListDeliveries(new DeliveryQuery("provider-2", DeliveryStatus.Pending)),
            s.GetOpenDeliveriesForClient("cli_a"),
            s.GetOpenDeliveriesForClient("cli_b"),
            s.GetDeliveriesForMessage("sig_1")));
        Assert.Empty(old);
        AssertSame(moved, Assert.Single(movedTo));
        Assert.Empty(oldClient);
        AssertSame(moved, Assert.Single(newClient));
        Assert.Empty(oldMessage);
    }

    [Fact]
    public async Task JourneyEvents_RoundTripWithAssignedSequence()
    {
        var store = Open();
        await store.WriteAsync(s =>
        {
            s.AppendJourneyEvent(Journey("cli_a", JourneyEventType.ClientRegistered, sequence: 999));
            s.AppendJourneyEvent(Journey("cli_b"));
            s.AppendJourneyEvent(Journey("cli_a", JourneyEventType.SignalRaised, sequence: 5));
            return 0;
        });

        var journey = await store.ReadAsync(s => s.GetJourney("cli_a", 0, 100));

        Assert.Equal([JourneyEventType.ClientRegistered, JourneyEventType.SignalRaised], journey.Select(e => e.Type));
        Assert.True(journey[0].Sequence > 0);
        Assert.True(journey[1].Sequence > journey[0].Sequence);
        Assert.NotEqual(999, journey[0].Sequence);
        AssertSame(Journey("cli_a", JourneyEventType.SignalRaised, journey[1].Sequence), journey[1]);
    }

    [Fact]
    public async Task GetJourney_PagesAfterSequenceWithLimit()
    {
        var store = Open();
        for (var i = 0; i < 5; i++)
        {
            await store.WriteAsync(s => { s.AppendJourneyEvent(Journey("cli_a")); return 0; });
        }

        var all = await store.ReadAsync(s => s.GetJourney("cli_a", 0, 100));
        var page = await store.ReadAsync(s => s.GetJourney("cli_a", all[1].Sequence, 2));

        Assert.Equal(5, all.Count);
        Assert.Equal([all[2].Sequence, all[3].Sequence], page.Select(e => e.Sequence));
    }

    [Fact]
    public async Task UpdateOfMissingRow_Throws()
    {
        var store = Open();
        var client = Client();

        await Assert.ThrowsAsync<InvalidOperationException>(() => store.WriteAsync(s => { s.UpdateClient(client); return 0; }));
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.WriteAsync(s => { s.UpdateRole(Role(client.Id)); return 0; }));
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.WriteAsync(s => { s.UpdateCoachAssignment(CoachAssignment(client.Id)); return 0; }));
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.WriteAsync(s => { s.UpdateConsent(NewConsent(client.Id)); return 0; }));
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.WriteAsync(s => { s.UpdateReferral(Referral(client.Id)); return 0; }));
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.WriteAsync(s => { s.UpdateDelivery(NewDelivery(client.Id)); return 0; }));
    }

    // ----- Idempotency records

    [Fact]
    public async Task SavedRequest_IsFoundOnlyByItsCallerOperationAndRequestId()
    {
        var store = Open();
        Assert.Null(await store.ReadAsync(s => s.FindRequest("school-1", "SubmitSignal", "req-1")));

        await store.WriteAsync(s => { s.SaveRequest("school-1", "SubmitSignal", "req-1", new StoredRequest("hash-1", """{"id":"sig_1"}"""), T0); return 0; });

        var found = await store.ReadAsync(s => new[]
        {
            s.FindRequest("school-1", "SubmitSignal", "req-1"),
            s.FindRequest("school-2", "SubmitSignal", "req-1"),
            s.FindRequest("school-1", "SubmitReferral", "req-1"),
            s.FindRequest("school-1", "SubmitSignal", "req-2"),
        });
        Assert.Equal(new StoredRequest("hash-1", """{"id":"sig_1"}"""), found[0]);
        Assert.All(found[1..], Assert.Null);
    }

    [Fact]
    public async Task RequestSavedByFailingWork_IsNotStored()
    {
        var store = Open();

        await Assert.ThrowsAsync<HubException>(() => store.WriteAsync<int>(s =>
        {
            s.SaveRequest("school-1", "SubmitSignal", "req-1", new StoredRequest("hash-1", "{}"), T0);
            throw HubException.Precondition(ErrorReasons.ConsentRequired, "No consent.");
        }));

        Assert.Null(await store.ReadAsync(s => s.FindRequest("school-1", "SubmitSignal", "req-1")));
    }

    // ----- Sequences

    [Fact]
    public async Task InsertDelivery_AssignsIncreasingSequences()
    {
        var store = Open();
        var first = await store.WriteAsync(s => new[] { s.InsertDelivery(NewDelivery("cli_a")), s.InsertDelivery(NewDelivery("cli_a")) });
        var later = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => store.WriteAsync(s => s.InsertDelivery(NewDelivery("cli_b")))));

        var sequences = first.Concat(later.OrderBy(d => d.Sequence)).Select(d => d.Sequence).ToList();
        Assert.True(sequences[0] > 0);
        Assert.True(sequences.Zip(sequences.Skip(1)).All(p => p.Second > p.First));
        Assert.Equal(sequences.Count, sequences.Distinct().Count());

        var listed = await store.ReadAsync(s => s.ListDeliveries(new DeliveryQuery(Limit: 1000)));
        Assert.Equal(sequences, listed.Select(d => d.Sequence));
    }

    [Fact]
    public async Task SequenceOfRolledBackDelivery_IsNotVisible()
    {
        var store = Open();
        await Assert.ThrowsAsync<InvalidTimeZoneException>(() => store.WriteAsync<int>(s =>
        {
            s.InsertDelivery(NewDelivery("cli_a"));
            throw new InvalidTimeZoneException("synthetic");
        }));
        var kept = await store.WriteAsync(s => s.InsertDelivery(NewDelivery("cli_a")));

        var listed = await store.ReadAsync(s => s.ListDeliveries(new DeliveryQuery()));
        Assert.Equal([kept.Sequence], listed.Select(d => d.Sequence));
    }

    // ----- Delivery queries

    [Fact]
    public async Task ListDeliveries_FiltersByRecipientStatusClientAndSequence()
    {
        var store = Open();
        var d = await store.WriteAsync(s => new[]
        {
            s.InsertDelivery(NewDelivery("cli_a", "party-1", DeliveryStatus.Pending)),          // 0
            s.InsertDelivery(NewDelivery("cli_a", "party-2", DeliveryStatus.Pending)),          // 1
            s.InsertDelivery(NewDelivery("cli_b", "party-1", DeliveryStatus.Acknowledged)),     // 2
            s.InsertDelivery(NewDelivery("cli_b", "party-1", DeliveryStatus.Pending)),          // 3
            s.InsertDelivery(NewDelivery("cli_a", "party-1", DeliveryStatus.AwaitingConsent)),  // 4
            s.InsertDelivery(NewDelivery("cli_a", "party-1", DeliveryStatus.Pending)),          // 5
        });

        async Task<long[]> List(DeliveryQuery query) =>
            (await store.ReadAsync(s => s.ListDeliveries(query))).Select(x => x.Sequence).ToArray();
        long[] Seq(params int[] indexes) => indexes.Select(i => d[i].Sequence).ToArray();

        Assert.Equal(Seq(0, 1, 2, 3, 4, 5), await List(new DeliveryQuery()));
        Assert.Equal(Seq(0, 2, 3, 4, 5), await List(new DeliveryQuery(Recipient: "party-1")));
        Assert.Equal(Seq(0, 1, 3, 5), await List(new DeliveryQuery(Status: DeliveryStatus.Pending)));
        Assert.Equal(Seq(2, 3), await List(new DeliveryQuery(ClientId: "cli_b")));
        Assert.Equal(Seq(0, 3, 5), await List(new DeliveryQuery(Recipient: "party-1", Status: DeliveryStatus.Pending)));
        Assert.Equal(Seq(0, 5), await List(new DeliveryQuery(Recipient: "party-1", Status: DeliveryStatus.Pending, ClientId: "cli_a")));
        Assert.Equal(Seq(3, 5), await List(new DeliveryQuery(Recipient: "party-1", Status: DeliveryStatus.Pending, AfterSequence: d[0].Sequence)));
        Assert.Equal(Seq(2, 3), await List(new DeliveryQuery(Recipient: "party-1", AfterSequence: d[0].Sequence, Limit: 2)));
        Assert.Equal(Seq(4), await List(new DeliveryQuery(Status: DeliveryStatus.AwaitingConsent, ClientId: "cli_a")));
        Assert.Empty(await List(new DeliveryQuery(Recipient: "party-9")));
        Assert.Empty(await List(new DeliveryQuery(AfterSequence: d[5].Sequence)));
        Assert.Empty(await List(new DeliveryQuery(Limit: 0)));
    }

    [Fact]
    public async Task OpenDeliveriesForClient_ArePendingOrAwaitingConsentBySequence()
    {
        var store = Open();
        var d = await store.WriteAsync(s => new[]
        {
            s.InsertDelivery(NewDelivery("cli_a", status: DeliveryStatus.AwaitingConsent)),
            s.InsertDelivery(NewDelivery("cli_a", status: DeliveryStatus.Acknowledged)),
            s.InsertDelivery(NewDelivery("cli_a", status: DeliveryStatus.Withheld)),
            s.InsertDelivery(NewDelivery("cli_a", status: DeliveryStatus.Expired)),
            s.InsertDelivery(NewDelivery("cli_a", status: DeliveryStatus.SetAside)),
            s.InsertDelivery(NewDelivery("cli_b", status: DeliveryStatus.Pending)),
            s.InsertDelivery(NewDelivery("cli_a", status: DeliveryStatus.Pending)),
        });

        var open = await store.ReadAsync(s => s.GetOpenDeliveriesForClient("cli_a"));

        Assert.Equal([d[0].Sequence, d[6].Sequence], open.Select(x => x.Sequence));
    }

    [Fact]
    public async Task DeliveriesForMessage_AreThatMessagesBySequence()
    {
        var store = Open();
        var d = await store.WriteAsync(s => new[]
        {
            s.InsertDelivery(NewDelivery("cli_a", "party-1", messageId: "sig_1")),
            s.InsertDelivery(NewDelivery("cli_a", "party-2", messageId: "sig_2")),
            s.InsertDelivery(NewDelivery("cli_a", "party-2", messageId: null)),
            s.InsertDelivery(NewDelivery("cli_a", "party-3", messageId: "sig_1")),
        });

        var forMessage = await store.ReadAsync(s => s.GetDeliveriesForMessage("sig_1"));

        Assert.Equal([d[0].Sequence, d[3].Sequence], forMessage.Select(x => x.Sequence));
    }

    [Fact]
    public async Task PartyMessages_AreThoseAPartySentPerformsOrWasDeliveredOnce_ByCreateTimeThenId()
    {
        var store = Open();
        var early = Referral("cli_a") with { Id = "ref_b", CreateTime = T0 };
        var late = Referral("cli_b") with
        {
            Id = "ref_a",
            CreateTime = T0.AddMinutes(5),
            Requester = "provider-2",
            Performers = [new PerformerState("provider-1", PerformerStatus.Requested, null, T0, null), new PerformerState("provider-3", PerformerStatus.Requested, null, T0, null)],
        };
        var sameTime = Referral("cli_a") with { Id = "ref_c", CreateTime = T0, Requester = "provider-2" };
        var signal = Signal("cli_a") with { Id = "sig_x", CreateTime = T0.AddMinutes(1) };
        var transition = Transition("cli_a") with { Id = "trn_x", CreateTime = T0.AddMinutes(2) };
        await store.WriteAsync(s =>
        {
            s.InsertReferral(early);
            s.InsertReferral(late);
            s.InsertReferral(sameTime);
            s.InsertSignal(signal);
            s.InsertTransition(transition);

            // Content deliveries list the message for their recipient once, whatever their state; a notice does not.
            s.InsertDelivery(NewDelivery("cli_a", "coach-org", messageId: "sig_x"));
            s.InsertDelivery(NewDelivery("cli_a", "coach-org", status: DeliveryStatus.Withheld, messageId: "sig_x"));
            s.InsertDelivery(NewDelivery("cli_a", "notice-org", messageId: "sig_x") with { PayloadKind = PayloadKind.ThinNotice });
            s.InsertDelivery(NewDelivery("cli_a", "coach-org", messageId: "trn_x") with { PayloadKind = PayloadKind.Transition });
            s.InsertDelivery(NewDelivery("cli_a", "coach-org", messageId: "ref_b") with { PayloadKind = PayloadKind.Referral });
            return 0;
        });

        // A delivery made in a later write (an escalation, say) lists its message at the message's own create time.
        await store.WriteAsync(s => s.InsertDelivery(NewDelivery("cli_a", "late-org", messageId: "sig_x") with { CreateTime = T0.AddHours(3) }));

        var result = await store.ReadAsync(s => new
        {
            Late = s.ListPartyMessages(new PartyMessageQuery("late-org", MessageType.Signal)),
            School = s.ListPartyMessages(new PartyMessageQuery("school-1", MessageType.Referral)),
            Provider1 = s.ListPartyMessages(new PartyMessageQuery("provider-1", MessageType.Referral)),
            Provider2Newest = s.ListPartyMessages(new PartyMessageQuery("provider-2", MessageType.Referral, Descending: true)),
            Provider1ClientB = s.ListPartyMessages(new PartyMessageQuery("provider-1", MessageType.Referral, ClientId: "cli_b")),
            Provider1After = s.ListPartyMessages(new PartyMessageQuery("provider-1", MessageType.Referral, After: new MessagePosition(T0, "ref_b"))),
            Provider1BeforeLate = s.ListPartyMessages(new PartyMessageQuery("provider-1", MessageType.Referral, After: new MessagePosition(T0.AddMinutes(5), "ref_a"), Descending: true)),
            Provider1First = s.ListPartyMessages(new PartyMessageQuery("provider-1", MessageType.Referral, Limit: 1)),
            CoachSignals = s.ListPartyMessages(new PartyMessageQuery("coach-org", MessageType.Signal)),
            CoachTransitions = s.ListPartyMessages(new PartyMessageQuery("coach-org", MessageType.Transition)),
            CoachReferrals = s.ListPartyMessages(new PartyMessageQuery("coach-org", MessageType.Referral)),
            Notice = s.ListPartyMessages(new PartyMessageQuery("notice-org", MessageType.Signal)),
            SenderSignals = s.ListPartyMessages(new PartyMessageQuery("social-1", MessageType.Signal)),
            SchoolTransitions = s.ListPartyMessages(new PartyMessageQuery("school-1", MessageType.Transition)),
            SchoolSignals = s.ListPartyMessages(new PartyMessageQuery("school-1", MessageType.Signal)),
        });

        Assert.Equal([new MessagePosition(signal.CreateTime, "sig_x")], result.Late);
        Assert.Equal(["ref_b"], result.School.Select(p => p.MessageId));
        Assert.Equal(["ref_b", "ref_c", "ref_a"], result.Provider1.Select(p => p.MessageId));
        Assert.Equal([T0, T0, T0.AddMinutes(5)], result.Provider1.Select(p => p.CreateTime));
        Assert.Equal(["ref_a", "ref_c"], result.Provider2Newest.Select(p => p.MessageId));
        Assert.Equal(["ref_a"], result.Provider1ClientB.Select(p => p.MessageId));
        Assert.Equal(["ref_c", "ref_a"], result.Provider1After.Select(p => p.MessageId));
        Assert.Equal(["ref_c", "ref_b"], result.Provider1BeforeLate.Select(p => p.MessageId));
        Assert.Equal(["ref_b"], result.Provider1First.Select(p => p.MessageId));
        Assert.Equal(["sig_x"], result.CoachSignals.Select(p => p.MessageId));
        Assert.Equal(["trn_x"], result.CoachTransitions.Select(p => p.MessageId));
        Assert.Equal(["ref_b"], result.CoachReferrals.Select(p => p.MessageId));
        Assert.Empty(result.Notice);
        Assert.Equal(["sig_x"], result.SenderSignals.Select(p => p.MessageId));
        Assert.Equal(["trn_x"], result.SchoolTransitions.Select(p => p.MessageId));
        Assert.Empty(result.SchoolSignals);
    }

    [Fact]
    public async Task PartyMessages_OfARolledBackWrite_AreNotListed()
    {
        var store = Open();
        var referral = Referral("cli_a");
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.WriteAsync<int>(s =>
        {
            s.InsertReferral(referral);
            throw new InvalidOperationException("fails after the insert");
        }));

        Assert.Empty(await store.ReadAsync(s => s.ListPartyMessages(new PartyMessageQuery("school-1", MessageType.Referral))));
    }

    [Fact]
    public async Task PendingQueue_CountsARecipientsPendingDeliveries_AndGivesTheOldest()
    {
        var store = Open();
        var d = await store.WriteAsync(s => new[]
        {
            s.InsertDelivery(NewDelivery("cli_a", "party-1", status: DeliveryStatus.Acknowledged)),
            s.InsertDelivery(NewDelivery("cli_a", "party-1")),
            s.InsertDelivery(NewDelivery("cli_b", "party-1", status: DeliveryStatus.SetAside)),
            s.InsertDelivery(NewDelivery("cli_b", "party-1")),
            s.InsertDelivery(NewDelivery("cli_a", "party-2")),
        });

        var (one, two, none) = await store.ReadAsync(s => (s.GetPendingQueue("party-1"), s.GetPendingQueue("party-2"), s.GetPendingQueue("party-3")));

        Assert.Equal((2, d[1].Id, d[1].Sequence), (one.Count, one.Oldest?.Id, one.Oldest?.Sequence));
        Assert.Equal((1, d[4].Id), (two.Count, two.Oldest?.Id));
        Assert.Equal((0, (DeliveryRecord?)null), (none.Count, none.Oldest));
    }

    [Fact]
    public async Task DueEscalations_AreDeadlinePassedWithoutSignalAckOrEscalation()
    {
        var store = Open();
        var now = T0.AddHours(10);
        var d = await store.WriteAsync(s => new[]
        {
            s.InsertDelivery(NewDelivery("cli_a", ackDeadline: now.AddHours(-2))),                                                   // 0 due
            s.InsertDelivery(NewDelivery("cli_a", ackDeadline: now)),                                                                // 1 due: deadline equals now
            s.InsertDelivery(NewDelivery("cli_a", ackDeadline: now.AddTicks(1))),                                                    // 2 not yet
            s.InsertDelivery(NewDelivery("cli_a", ackDeadline: now.AddHours(-3), signalAckTime: now.AddHours(-4))),                  // 3 signal acknowledged
            s.InsertDelivery(NewDelivery("cli_a", ackDeadline: now.AddHours(-3), escalated: true)),                                  // 4 already escalated
            s.InsertDelivery(NewDelivery("cli_a", status: DeliveryStatus.Withheld, ackDeadline: now.AddHours(-3))),                   // 5 withheld
            s.InsertDelivery(NewDelivery("cli_a", status: DeliveryStatus.Expired, ackDeadline: now.AddHours(-3))),                   // 6 expired
            s.InsertDelivery(NewDelivery("cli_a", status: DeliveryStatus.Acknowledged, ackDeadline: now.AddHours(-5)) with { AckTime = now.AddHours(-6) }), // 7 due: only delivered
            s.InsertDelivery(NewDelivery("cli_a")),                                                                                  // 8 no deadline
            s.InsertDelivery(NewDelivery("cli_a", status: DeliveryStatus.AwaitingConsent, ackDeadline: now.AddHours(-1).ToOffset(TimeSpan.FromHours(2)))), // 9 due
        });

        var due = await store.ReadAsync(s => s.GetDueEscalations(now, 100));
        var limited = await store.ReadAsync(s => s.GetDueEscalations(now, 2));

        Assert.Equal(new[] { 7, 0, 9, 1 }.Select(i => d[i].Sequence).Order(), due.Select(x => x.Sequence).Order());
        Assert.Equal(2, limited.Count);
        Assert.Equal(new[] { d[7].Sequence, d[0].Sequence }, limited.Select(x => x.Sequence)); // earliest deadlines first
    }

    [Fact]
    public async Task ExpiredAwaiting_AreAwaitingConsentPastTheirWait()
    {
        var store = Open();
        var now = T0.AddDays(14);
        var d = await store.WriteAsync(s => new[]
        {
            s.InsertDelivery(NewDelivery("cli_a", status: DeliveryStatus.AwaitingConsent, awaitUntil: now.AddDays(-1))), // 0 expired
            s.InsertDelivery(NewDelivery("cli_a", status: DeliveryStatus.AwaitingConsent, awaitUntil: now)),             // 1 expired: equals now
            s.InsertDelivery(NewDelivery("cli_a", status: DeliveryStatus.AwaitingConsent, awaitUntil: now.AddTicks(1))), // 2 still waiting
            s.InsertDelivery(NewDelivery("cli_a", status: DeliveryStatus.Pending, awaitUntil: now.AddDays(-1))),         // 3 no longer awaiting
            s.InsertDelivery(NewDelivery("cli_a", status: DeliveryStatus.AwaitingConsent)),                              // 4 no wait end
            s.InsertDelivery(NewDelivery("cli_b", status: DeliveryStatus.AwaitingConsent, awaitUntil: now.AddDays(-2).ToOffset(TimeSpan.FromHours(-5)))), // 5 expired
        });

        var expired = await store.ReadAsync(s => s.GetExpiredAwaiting(now, 100));
        var limited = await store.ReadAsync(s => s.GetExpiredAwaiting(now, 1));

        Assert.Equal(new[] { 0, 1, 5 }.Select(i => d[i].Sequence).Order(), expired.Select(x => x.Sequence).Order());
        Assert.Equal(d[5].Sequence, Assert.Single(limited).Sequence); // longest expired first
    }

    // ----- Clients coming of age

    [Fact]
    public async Task ClientsComingOfAge_AreUnhandledClientsWhoseEighteenthBirthdayIsOnOrBefore()
    {
        var store = Open();
        var on = new DateOnly(2025, 6, 15);
        var exactly = Client(birthDate: new DateOnly(2007, 6, 15));
        var older = Client(birthDate: new DateOnly(2005, 1, 1));
        var dayShort = Client(birthDate: new DateOnly(2007, 6, 16));
        var handled = Client(birthDate: new DateOnly(2006, 1, 1), handled: true);
        var young = Client(birthDate: new DateOnly(2012, 3, 3));
        await store.WriteAsync(s =>
        {
            foreach (var c in new[] { exactly, older, dayShort, handled, young })
            {
                s.InsertClient(c);
            }

            return 0;
        });

        var due = await store.ReadAsync(s => s.ListClientsComingOfAge(on, 100));
        var limited = await store.ReadAsync(s => s.ListClientsComingOfAge(on, 1));

        Assert.Equal(new[] { older.Id, exactly.Id }.Order(), due.Select(c => c.Id).Order());
        Assert.Equal(older.Id, Assert.Single(limited).Id);

        await store.WriteAsync(s => { s.UpdateClient(older with { ComingOfAgeHandled = true }); return 0; });
        var afterHandling = await store.ReadAsync(s => s.ListClientsComingOfAge(on, 100));
        Assert.Equal([exactly.Id], afterHandling.Select(c => c.Id));
    }

    [Fact]
    public async Task ClientBornOnLeapDay_ComesOfAgeOnTheDayItsRecordSays()
    {
        var store = Open();
        var leapling = Client(birthDate: new DateOnly(2008, 2, 29));
        await store.WriteAsync(s => { s.InsertClient(leapling); return 0; });

        var before = await store.ReadAsync(s => s.ListClientsComingOfAge(leapling.EighteenthBirthday.AddDays(-1), 10));
        var on = await store.ReadAsync(s => s.ListClientsComingOfAge(leapling.EighteenthBirthday, 10));

        Assert.Empty(before);
        Assert.Equal(leapling.Id, Assert.Single(on).Id);
    }

    // ----- Writes: group commit, failure isolation, cancellation

    [Fact]
    public async Task WriteWork_SeesItsOwnWritesAndReturnsItsResult()
    {
        var store = Open();
        var client = Client();

        var found = await store.WriteAsync(s =>
        {
            s.InsertClient(client);
            return s.FindClient(client.Id);
        });

        AssertSame(client, found);
    }

    [Fact]
    public async Task WriteWork_ReadsSeeEveryEarlierWriteOfTheSameWork()
    {
        var store = Open();
        var client = Client();
        var signal = Signal(client.Id);

        var seen = await store.WriteAsync(s =>
        {
            s.InsertClient(client);
            s.InsertRole(Role(client.Id));
            var roles = s.GetRoles(client.Id).Count;
            s.InsertConsent(NewConsent(client.Id));
            var consents = s.GetConsents(client.Id).Count;
            s.AppendJourneyEvent(Journey(client.Id));
            var journey = s.GetJourney(client.Id, 0, 10).Count;
            s.InsertSignal(signal);
            var found = s.FindSignal(signal.Id) is not null;
            var indexed = s.ListPartyMessages(new PartyMessageQuery(signal.Sender, MessageType.Signal)).Count;
            var delivery = s.InsertDelivery(NewDelivery(client.Id));
            s.UpdateDelivery(delivery with { Status = DeliveryStatus.Acknowledged });
            var status = s.FindDelivery(delivery.Id)?.Status;
            s.UpdateClient(client with { ComingOfAgeHandled = true });
            var listed = s.ListClientsComingOfAge(new DateOnly(2100, 1, 1), 10).Count;
            return (roles, consents, journey, found, indexed, status, listed);
        });

        Assert.Equal((1, 1, 1, true, 1, (DeliveryStatus?)DeliveryStatus.Acknowledged, 0), seen);
    }

    [Fact]
    public async Task FailingWorkInBatch_RollsBackOnlyItself()
    {
        var store = Open();
        using var gate = new ManualResetEventSlim();

        // The first write holds the writer until every other write is queued, so the rest share one batch.
        var blocker = store.WriteAsync(s =>
        {
            s.AppendJourneyEvent(Journey("cli_gate"));
            return gate.Wait(GateTimeout);
        });
        var writes = Enumerable.Range(0, 50).Select(i => store.WriteAsync(s =>
        {
            var client = Client($"cli_{i:D2}");
            s.InsertClient(client);
            s.InsertDelivery(NewDelivery(client.Id));
            if (i == 17)
            {
                throw new InvalidTimeZoneException("synthetic failure");
            }

            return client.Id;
        })).ToList();
        gate.Set();

        Assert.True(await blocker);
        var failure = await Assert.ThrowsAsync<InvalidTimeZoneException>(() => writes[17]);
        Assert.Equal("synthetic failure", failure.Message);
        var committed = new List<string>();
        foreach (var (write, i) in writes.Select((w, i) => (w, i)).Where(x => x.i != 17))
        {
            committed.Add(await write);
        }

        var (clients, deliveries, failed) = await store.ReadAsync(s => (
            committed.Count(id => s.FindClient(id) is not null),
            s.ListDeliveries(new DeliveryQuery(Limit: 1000)),
            s.FindClient("cli_17")));
        Assert.Equal(49, clients);
        Assert.Equal(49, deliveries.Count);
        Assert.Null(failed);
        Assert.DoesNotContain(deliveries, d => d.ClientId == "cli_17");
    }

    [Fact]
    public async Task FailingWork_RollsBackEverythingItWrote()
    {
        var store = Open();
        var client = Client();

        await Assert.ThrowsAsync<HubException>(() => store.WriteAsync<int>(s =>
        {
            s.InsertClient(client);
            s.InsertConsent(NewConsent(client.Id));
            s.AppendJourneyEvent(Journey(client.Id));
            throw HubException.NotFound(ErrorReasons.UnknownParty, "The party");
        }));

        var (found, consents, journey) = await store.ReadAsync(s => (s.FindClient(client.Id), s.GetConsents(client.Id), s.GetJourney(client.Id, 0, 10)));
        Assert.Null(found);
        Assert.Empty(consents);
        Assert.Empty(journey);
    }

    [Fact]
    public async Task WriteCancelledBeforeQueueing_DoesNotRun()
    {
        var store = Open();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var ran = false;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.WriteAsync(s => ran = true, cancelled.Token));

        Assert.False(ran);
    }

    [Fact]
    public async Task WriteCancelledWhileQueued_IsSkipped()
    {
        var store = Open();
        using var gate = new ManualResetEventSlim();
        using var cancellation = new CancellationTokenSource();
        var client = Client();

        var blocker = store.WriteAsync(s => gate.Wait(GateTimeout));
        var queued = store.WriteAsync(s => { s.InsertClient(client); return 0; }, cancellation.Token);
        await cancellation.CancelAsync();
        gate.Set();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued);
        Assert.True(await blocker);
        var after = await store.WriteAsync(s => s.FindClient(client.Id));
        Assert.Null(after);
    }

    [Fact]
    public async Task WritesFromManyCallers_AllCommit()
    {
        var store = Open();

        var ids = await Task.WhenAll(Enumerable.Range(0, 500).Select(i => Task.Run(() => store.WriteAsync(s =>
        {
            var client = Client();
            s.InsertClient(client);
            s.AppendJourneyEvent(Journey(client.Id, JourneyEventType.ClientRegistered));
            return client.Id;
        }))));

        var found = await store.ReadAsync(s => ids.Count(id => s.FindClient(id) is not null && s.GetJourney(id, 0, 10).Count == 1));
        Assert.Equal(500, found);
    }

    // ----- Durability

    [Fact]
    public async Task CommittedWrite_IsVisibleToANewStoreOnTheSameFiles()
    {
        var first = CreateStore(DataDirectory);
        var client = Client();
        var delivery = await first.WriteAsync(s =>
        {
            s.InsertClient(client);
            return s.InsertDelivery(NewDelivery(client.Id));
        });
        await CloseAsync(first);

        var second = Open();
        var (found, deliveries) = await second.ReadAsync(s => (s.FindClient(client.Id), s.ListDeliveries(new DeliveryQuery())));

        AssertSame(client, found);
        AssertSame(delivery, Assert.Single(deliveries));
        var next = await second.WriteAsync(s => s.InsertDelivery(NewDelivery(client.Id)));
        Assert.True(next.Sequence > delivery.Sequence);
    }

    [Fact]
    public async Task QueuedWrites_AreCommittedBeforeDisposeCompletes()
    {
        var store = CreateStore(DataDirectory);
        var writes = Enumerable.Range(0, 100).Select(_ => store.WriteAsync(s => s.InsertDelivery(NewDelivery("cli_a")))).ToList();
        await CloseAsync(store);

        Assert.All(writes, w => Assert.True(w.IsCompletedSuccessfully));
        var reopened = Open();
        var listed = await reopened.ReadAsync(s => s.ListDeliveries(new DeliveryQuery(Limit: 1000)));
        Assert.Equal(100, listed.Count);
    }

    // ----- Reads

    [Fact]
    public async Task ReadSession_RefusesWrites()
    {
        var store = Open();
        var client = Client();

        await Assert.ThrowsAsync<InvalidOperationException>(() => store.ReadAsync(s => { s.InsertClient(client); return 0; }));
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.ReadAsync(s => s.InsertDelivery(NewDelivery(client.Id))));
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.ReadAsync(s => { s.AppendJourneyEvent(Journey(client.Id)); return 0; }));
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.ReadAsync(s => { s.SaveRequest("a", "b", "c", new StoredRequest("h", "{}"), T0); return 0; }));

        Assert.Null(await store.ReadAsync(s => s.FindClient(client.Id)));
    }

    [Fact]
    public async Task SessionUsedAfterItsWork_Throws()
    {
        var store = Open();

        var writeSession = await store.WriteAsync(s => s);
        var readSession = await store.ReadAsync(s => s);

        Assert.Throws<InvalidOperationException>(() => writeSession.FindClient("cli_1"));
        Assert.Throws<InvalidOperationException>(() => writeSession.InsertClient(Client()));
        Assert.Throws<InvalidOperationException>(() => readSession.FindClient("cli_1"));
    }

    [Fact]
    public async Task FailingRead_PropagatesItsExceptionAndLeavesTheStoreUsable()
    {
        var store = Open();

        await Assert.ThrowsAsync<InvalidTimeZoneException>(() => store.ReadAsync<int>(_ => throw new InvalidTimeZoneException("synthetic")));

        Assert.Null(await store.ReadAsync(s => s.FindClient("cli_1")));
    }

    [Fact]
    public async Task ConcurrentReadsDuringWrites_SeeWholeWritesOnly()
    {
        var store = Open();

        // Every write adds three deliveries for one message; a read that sees part of a write would see 1 or 2.
        var writes = Task.Run(async () =>
        {
            var pending = new List<Task>();
            for (var i = 0; i < 200; i++)
            {
                var messageId = $"sig_{i:D3}";
                pending.Add(store.WriteAsync(s =>
                {
                    for (var r = 0; r < 3; r++)
                    {
                        s.InsertDelivery(NewDelivery("cli_a", $"party-{r}", messageId: messageId));
                    }

                    return 0;
                }));
                if (i % 10 == 0)
                {
                    await Task.WhenAll(pending);
                }
            }

            await Task.WhenAll(pending);
        });

        var reads = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            var partial = 0;
            for (var n = 0; n < 25; n++)
            {
                partial += await store.ReadAsync(s =>
                {
                    var all = s.ListDeliveries(new DeliveryQuery(ClientId: "cli_a", Limit: 10_000));
                    var byMessage = all.GroupBy(d => d.MessageId).Count(g => g.Count() != 3);
                    var perMessage = all.Count == 0 ? 0 : s.GetDeliveriesForMessage(all[^1].MessageId!).Count;
                    return byMessage + (all.Count == 0 || perMessage == 3 ? 0 : 1);
                });
            }

            return partial;
        })).ToList();

        await writes;
        var partials = await Task.WhenAll(reads);

        Assert.All(partials, p => Assert.Equal(0, p));
        Assert.Equal(600, (await store.ReadAsync(s => s.ListDeliveries(new DeliveryQuery(Limit: 10_000)))).Count);
    }

    [Fact]
    public async Task ReadInProgress_KeepsItsSnapshotWhileAWriteCommits()
    {
        var store = Open();
        await store.WriteAsync(s => s.InsertDelivery(NewDelivery("cli_a")));
        using var firstQueryDone = new ManualResetEventSlim();
        using var writeDone = new ManualResetEventSlim();

        // The read may run on the calling thread (see IHubStore), so it starts on a thread of its own here.
        var read = Task.Run(() => store.ReadAsync(s =>
        {
            var before = s.ListDeliveries(new DeliveryQuery()).Count;
            firstQueryDone.Set();
            Assert.True(writeDone.Wait(GateTimeout));
            var after = s.ListDeliveries(new DeliveryQuery()).Count;
            return (before, after);
        }));
        Assert.True(firstQueryDone.Wait(GateTimeout));
        await store.WriteAsync(s => s.InsertDelivery(NewDelivery("cli_a")));
        writeDone.Set();

        Assert.Equal((1, 1), await read);
        Assert.Equal(2, (await store.ReadAsync(s => s.ListDeliveries(new DeliveryQuery()))).Count);
    }

    // ----- Audit trail

    /// <summary>An audit record that follows <paramref name="head"/>, at <paramref name="time"/>, about <paramref name="client"/>.</summary>
    protected static AuditRecord AuditAfter(AuditHead? head, DateTimeOffset time, string? client = "ap_one") =>
        AuditChain.Next(head, new AuditEvent
        {
            Id = NewId("aud"),
            Time = time,
            EventType = "CreateSignal",
            Action = AuditAction.Create,
            ActorParty = "sdd",
            Client = client,
            Outcome = AuditOutcome.Success,
        });

    /// <summary>Appends records at the given times and clients, one write each; returns them.</summary>
    protected static async Task<List<AuditRecord>> AppendAuditAsync(IHubStore store, params (DateTimeOffset Time, string? Client)[] events)
    {
        var appended = new List<AuditRecord>();
        foreach (var (time, client) in events)
        {
            appended.Add(await store.WriteAsync(s =>
            {
                var record = AuditAfter(s.GetAuditHead(), time, client);
                s.AppendAuditRecord(record);
                return record;
            }));
        }

        return appended;
    }

    [Fact]
    public async Task AuditRecords_AppendInChainOrder_AndRoundTripExactly()
    {
        var store = Open();
        Assert.Null(await store.ReadAsync(s => s.GetAuditHead()));

        var appended = await AppendAuditAsync(store, (T0, "ap_one"), (T0.AddMinutes(1), null), (T0.AddMinutes(2), "ap_two"));

        var (head, all) = await store.ReadAsync(s => (s.GetAuditHead(), s.ListAuditRecords(new AuditQuery())));
        Assert.Equal(new AuditHead(3, appended[2].Hash), head);
        Assert.Equal(appended, all);
        Assert.Equal([1L, 2L, 3L], all.Select(r => r.Sequence));
        Assert.True(AuditVerifier.Verify((after, limit) => all.Where(r => r.Sequence > after).Take(limit).ToList()).Intact);
    }

    [Fact]
    public async Task AuditRecords_AreFoundByPeriodAndByClient_InPages()
    {
        var store = Open();
        var appended = await AppendAuditAsync(store,
            (T0, "ap_one"), (T0.AddHours(1), "ap_two"), (T0.AddHours(2), "ap_one"), (T0.AddHours(3), "ap_one"), (T0.AddHours(4), "ap_two"));

        var (period, client, clientInPeriod, firstPage, secondPage) = await store.ReadAsync(s => (
            s.ListAuditRecords(new AuditQuery(From: T0.AddHours(1), Until: T0.AddHours(3))),
            s.ListAuditRecords(new AuditQuery(ClientPseudonym: "ap_one")),
            s.ListAuditRecords(new AuditQuery(From: T0.AddHours(1), Until: T0.AddHours(4), ClientPseudonym: "ap_one")),
            s.ListAuditRecords(new AuditQuery(Limit: 2)),
            s.ListAuditRecords(new AuditQuery(AfterSequence: 2, Limit: 2))));

        Assert.Equal([2L, 3L], period.Select(r => r.Sequence));
        Assert.Equal([1L, 3L, 4L], client.Select(r => r.Sequence));
        Assert.Equal([3L, 4L], clientInPeriod.Select(r => r.Sequence));
        Assert.Equal([1L, 2L], firstPage.Select(r => r.Sequence));
        Assert.Equal([3L, 4L], secondPage.Select(r => r.Sequence));
        Assert.Equal(appended[2], period[1]);
    }

    [Fact]
    public async Task AuditRecord_OfAFailedWrite_IsRolledBackWithIt()
    {
        var store = Open();
        await AppendAuditAsync(store, (T0, "ap_one"));

        await Assert.ThrowsAsync<InvalidOperationException>(() => store.WriteAsync<int>(s =>
        {
            s.AppendAuditRecord(AuditAfter(s.GetAuditHead(), T0.AddMinutes(1)));
            throw new InvalidOperationException("the effect failed");
        }));
        var next = await AppendAuditAsync(store, (T0.AddMinutes(2), "ap_one"));

        var all = await store.ReadAsync(s => s.ListAuditRecords(new AuditQuery()));
        Assert.Equal([1L, 2L], all.Select(r => r.Sequence));
        Assert.Equal(next[0], all[1]);
    }

    [Fact]
    public async Task AuditRecord_AtATakenPosition_IsRefused()
    {
        var store = Open();
        await AppendAuditAsync(store, (T0, "ap_one"), (T0.AddMinutes(1), "ap_one"));

        await Assert.ThrowsAnyAsync<Exception>(() => store.WriteAsync(s =>
        {
            s.AppendAuditRecord(AuditAfter(new AuditHead(1, "x"), T0.AddMinutes(2)));
            return 0;
        }));

        Assert.Equal(2, (await store.ReadAsync(s => s.ListAuditRecords(new AuditQuery()))).Count);
    }

    [Fact]
    public async Task AuditRecords_CannotBeWrittenFromARead()
    {
        var store = Open();

        await Assert.ThrowsAsync<InvalidOperationException>(() => store.ReadAsync(s =>
        {
            s.AppendAuditRecord(AuditAfter(null, T0));
            return 0;
        }));
    }
}

using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Integration;

/// <summary>
/// Delivery through the stream: redelivery after a reconnect, the resume cursor, order, set-aside after the
/// configured attempts, rejection and replay.
/// </summary>
public sealed class DeliveryTests : IDisposable
{
    private readonly HubFactory _hub = new();

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task Reconnect_RedeliversEverythingUnacknowledged_InOrder_WithTheSameNames_AndAttemptCountIncreasing()
    {
        var (sdd, coach, client) = await Kit.CoachedForSignalsAsync(_hub);
        var sent = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            sent.Add(await Kit.RaiseForCoachAsync(sdd, client.Name, $"Signal {i}"));
        }

        var first = await ReceiveAsync(coach, 3);
        Assert.Equal(sent, first.Select(d => d.Name));
        Assert.All(first, d => Assert.Equal(1, d.AttemptCount));
        Assert.True(first[0].Sequence < first[1].Sequence && first[1].Sequence < first[2].Sequence);

        var second = await ReceiveAsync(coach, 3);
        Assert.Equal(sent, second.Select(d => d.Name));
        Assert.All(second, d => Assert.Equal(2, d.AttemptCount));
        Assert.Equal(first.Select(d => d.Sequence), second.Select(d => d.Sequence));
        Assert.Equal(first.Select(d => d.Signal), second.Select(d => d.Signal));

        await coach.AcknowledgeAsync(second[1]);

        using var third = coach.Tail();
        var a = await third.NextAsync();
        var b = await third.NextAsync();
        Assert.Equal([sent[0], sent[2]], new[] { a.Name, b.Name });
        Assert.Equal([3, 3], new[] { a.AttemptCount, b.AttemptCount });

        // Nothing else was waiting: the next thing on the stream is a new delivery.
        var fresh = await Kit.RaiseForCoachAsync(sdd, client.Name, "Signal 3");
        var next = await third.NextAsync();
        Assert.Equal(fresh, next.Name);
        Assert.Equal(1, next.AttemptCount);
    }

    [Fact]
    public async Task AfterSequence_HidesNoUnacknowledgedDelivery()
    {
        var (sdd, coach, client) = await Kit.CoachedForSignalsAsync(_hub);
        var sent = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            sent.Add(await Kit.RaiseForCoachAsync(sdd, client.Name, $"Signal {i}"));
        }

        var listed = await Kit.DeliveriesAsync(coach);
        Assert.Equal(sent, listed.Select(d => d.Name));
        Assert.All(listed, d => Assert.Equal(Delivery.PayloadOneofCase.None, d.PayloadCase));

        // A cursor past an unacknowledged delivery does not hide it (docs/clients.md, "Delivery streams").
        using (var resumed = coach.Tail(afterSequence: listed[2].Sequence))
        {
            var received = await resumed.CollectUntilQuietAsync(TimeSpan.FromMilliseconds(700));
            Assert.Equal(sent, received.Select(d => d.Name));
            foreach (var delivery in received)
            {
                await coach.AcknowledgeAsync(delivery);
            }
        }

        // Acknowledged ones never come again; new ones do.
        using var fromLast = coach.Tail(afterSequence: listed[0].Sequence);
        var later = await Kit.RaiseForCoachAsync(sdd, client.Name, "Signal 3");
        Assert.Equal(later, (await fromLast.NextAsync()).Name);
    }

    [Fact]
    public async Task DeliveriesOfEachClient_ArriveInTheOrderTheyWereCommitted()
    {
        var (sdd, coach, clientA) = await Kit.CoachedForSignalsAsync(_hub);
        var clientB = await Kit.ClientWithCoachAsync(coach, "lisa", "Lisa");
        await coach.GrantAsync(clientB.Name, GrantorRole.Client, "waakvlam-zorg", [Purpose.SignalFollowUp], [DataCategory.Finances]);
        using var stream = coach.Tail();

        // Two senders raise signals about two clients at the same time, each in its own order.
        var plus = _hub.As("begeleiding-plus");
        async Task<List<string>> RaiseMany(PartyClient sender, string client)
        {
            var names = new List<string>();
            for (var i = 0; i < 8; i++)
            {
                names.Add(await Kit.RaiseForCoachAsync(sender, client, $"{client} #{i}"));
            }

            return names;
        }

        var results = await Task.WhenAll(RaiseMany(sdd, clientA.Name), RaiseMany(plus, clientB.Name), RaiseMany(sdd, clientB.Name));
        var received = new List<Delivery>();
        for (var i = 0; i < 24; i++)
        {
            received.Add(await stream.NextAsync());
        }

        Assert.Equal(received.Select(d => d.Sequence).Order(), received.Select(d => d.Sequence));
        Assert.Equal(results[0], received.Where(d => d.Client == clientA.Name).Select(d => d.Name));
        var forB = received.Where(d => d.Client == clientB.Name).Select(d => d.Name).ToList();
        Assert.Equal(results[1], forB.Where(results[1].Contains));
        Assert.Equal(results[2], forB.Where(results[2].Contains));
        Assert.Equal(24, received.Select(d => d.Name).Distinct().Count());
    }

    [Fact]
    public async Task AfterMaxAttempts_ADeliveryIsSetAside_DoesNotBlockLaterOnes_AndReplayPutsItBack()
    {
        _hub.With("Hub:MaxDeliveryAttempts", "2");
        var (sdd, coach, client) = await Kit.CoachedForSignalsAsync(_hub);
        var stuck = await Kit.RaiseForCoachAsync(sdd, client.Name, "Never acknowledged");
        var fine = await Kit.RaiseForCoachAsync(sdd, client.Name, "Acknowledged at once");

        var first = await ReceiveAsync(coach, 2);
        Assert.Equal([stuck, fine], first.Select(d => d.Name));
        await coach.AcknowledgeAsync(first[1]);

        var second = await ReceiveAsync(coach, 1);
        Assert.Equal(stuck, second[0].Name);
        Assert.Equal(2, second[0].AttemptCount);

        // The third connection sets it aside and goes on with what comes after it.
        using var stream = coach.Tail();
        var later = await Kit.RaiseForCoachAsync(sdd, client.Name, "Later");
        var next = await stream.NextAsync();
        Assert.Equal(later, next.Name);

        var setAside = Assert.Single(await Kit.DeliveriesAsync(coach, DeliveryStatus.SetAside));
        Assert.Equal(stuck, setAside.Name);
        Assert.Equal(DeliveryStatus.SetAside, setAside.Status);
        Assert.Equal(2, setAside.AttemptCount);
        Assert.Equal([later], (await Kit.DeliveriesAsync(coach, DeliveryStatus.Pending)).Select(d => d.Name));

        // Replay puts it back in the queue with a fresh attempt count; it is delivered again under its name.
        var replay = new ReplayDeliveryRequest { RequestId = NewRequestId(), Name = stuck };
        Assert.Equal(DeliveryStatus.Pending, (await coach.Deliveries.ReplayDeliveryAsync(replay)).Status);
        Assert.Empty(await Kit.DeliveriesAsync(coach, DeliveryStatus.SetAside));
        await Errors.Expect(StatusCode.FailedPrecondition, "DELIVERY_NOT_SET_ASIDE", () =>
            coach.Deliveries.ReplayDeliveryAsync(new ReplayDeliveryRequest { RequestId = NewRequestId(), Name = stuck }).ResponseAsync);

        var again = await stream.NextAsync();
        Assert.Equal(stuck, again.Name);
        Assert.Equal(1, again.AttemptCount);
        Assert.Equal("Never acknowledged", again.Signal.Description);
        await coach.AcknowledgeAsync(again);

        // Replayed, it went to the end of the queue: a new sequence, after the one that was delivered meanwhile.
        Assert.Equal([fine, stuck], (await Kit.DeliveriesAsync(coach, DeliveryStatus.Acknowledged)).Select(d => d.Name));
    }

    [Fact]
    public async Task ASetAsideDelivery_DoesNotHoldBackThoseBehindIt_EvenWhenItFillsAWholeBatch()
    {
        // One delivery per read: the set-aside one takes the whole first read of the third connection.
        _hub.With("Hub:MaxDeliveryAttempts", "2").With("Hub:StreamBatchSize", "1");
        var (sdd, coach, client) = await Kit.CoachedForSignalsAsync(_hub);
        var stuck = await Kit.RaiseForCoachAsync(sdd, client.Name, "Never acknowledged");
        Assert.Equal(stuck, (await ReceiveAsync(coach, 1))[0].Name);
        Assert.Equal(stuck, (await ReceiveAsync(coach, 1))[0].Name);

        var behind = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            behind.Add(await Kit.RaiseForCoachAsync(sdd, client.Name, $"Behind {i}"));
        }

        // Nothing new is committed while the stream runs: what is pending must still come through.
        using var stream = coach.Tail();
        foreach (var name in behind)
        {
            Assert.Equal(name, (await stream.NextAsync()).Name);
        }

        Assert.Equal(stuck, Assert.Single(await Kit.DeliveriesAsync(coach, DeliveryStatus.SetAside)).Name);
    }

    [Fact]
    public async Task RejectDelivery_CountsTowardsSetAside()
    {
        _hub.With("Hub:MaxDeliveryAttempts", "2");
        var (sdd, coach, client) = await Kit.CoachedForSignalsAsync(_hub);
        var name = await Kit.RaiseForCoachAsync(sdd, client.Name, "Cannot be processed");

        var first = await ReceiveAsync(coach, 1);
        var rejected = await coach.Deliveries.RejectDeliveryAsync(new RejectDeliveryRequest { RequestId = NewRequestId(), Name = name, ReasonCode = "E-PARSE" });
        Assert.Equal((DeliveryStatus.Pending, 1), (rejected.Status, rejected.AttemptCount));
        Assert.Equal(name, first[0].Name);

        var second = await ReceiveAsync(coach, 1);
        Assert.Equal((name, 2), (second[0].Name, second[0].AttemptCount));
        rejected = await coach.Deliveries.RejectDeliveryAsync(new RejectDeliveryRequest { RequestId = NewRequestId(), Name = name, ReasonCode = "E-PARSE" });
        Assert.Equal((DeliveryStatus.SetAside, 2), (rejected.Status, rejected.AttemptCount));
        Assert.Equal(name, Assert.Single(await Kit.DeliveriesAsync(coach, DeliveryStatus.SetAside)).Name);

        // A set-aside delivery is not sent again until it is replayed.
        using (var stream = coach.Tail())
        {
            var later = await Kit.RaiseForCoachAsync(sdd, client.Name, "Later");
            Assert.Equal(later, (await stream.NextAsync()).Name);
            await coach.AcknowledgeAsync(new Delivery { Name = later });
        }

        await coach.Deliveries.ReplayDeliveryAsync(new ReplayDeliveryRequest { RequestId = NewRequestId(), Name = name });
        var replayed = await ReceiveAsync(coach, 1);
        Assert.Equal((name, 1), (replayed[0].Name, replayed[0].AttemptCount));
    }

    [Fact]
    public async Task ListDeliveries_PagesBySequence_AndFiltersByClientAndStatus()
    {
        var (sdd, coach, client) = await Kit.CoachedForSignalsAsync(_hub);
        var other = await Kit.ClientWithCoachAsync(coach);
        await coach.GrantAsync(other.Name, GrantorRole.Client, "waakvlam-zorg", [Purpose.SignalFollowUp], [DataCategory.Finances]);
        var sent = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            sent.Add(await Kit.RaiseForCoachAsync(sdd, i % 2 == 0 ? client.Name : other.Name, $"Signal {i}"));
        }

        var pages = new List<string>();
        var token = string.Empty;
        do
        {
            var page = await coach.Deliveries.ListDeliveriesAsync(new ListDeliveriesRequest { PageSize = 2, PageToken = token });
            Assert.True(page.Deliveries.Count <= 2);
            pages.AddRange(page.Deliveries.Select(d => d.Name));
            token = page.NextPageToken;
        }
        while (token.Length > 0);
        Assert.Equal(sent, pages);

        var forClient = await coach.Deliveries.ListDeliveriesAsync(new ListDeliveriesRequest { Client = client.Name });
        Assert.Equal([sent[0], sent[2], sent[4]], forClient.Deliveries.Select(d => d.Name));
        await coach.AcknowledgeAsync(new Delivery { Name = sent[2] });
        var acknowledged = await coach.Deliveries.ListDeliveriesAsync(new ListDeliveriesRequest { Status = DeliveryStatus.Acknowledged });
        Assert.Equal([sent[2]], acknowledged.Deliveries.Select(d => d.Name));

        // Another party sees none of them.
        Assert.Empty(await Kit.DeliveriesAsync(sdd));
        await Errors.Expect(StatusCode.InvalidArgument, "INVALID_REQUEST", () => coach.Deliveries.ListDeliveriesAsync(new ListDeliveriesRequest { PageToken = "not-a-token" }).ResponseAsync);
    }

    [Fact]
    public async Task ReplayingADeliveryThatIsNotSetAside_IsDeliveryNotSetAside()
    {
        var (sdd, coach, client) = await Kit.CoachedForSignalsAsync(_hub);
        var pending = await Kit.RaiseForCoachAsync(sdd, client.Name, "Pending");
        var acknowledged = await Kit.RaiseForCoachAsync(sdd, client.Name, "Acknowledged");
        await coach.AcknowledgeAsync(new Delivery { Name = acknowledged });

        await Errors.Expect(StatusCode.FailedPrecondition, "DELIVERY_NOT_SET_ASIDE", () =>
            coach.Deliveries.ReplayDeliveryAsync(new ReplayDeliveryRequest { RequestId = NewRequestId(), Name = pending }).ResponseAsync);
        await Errors.Expect(StatusCode.FailedPrecondition, "DELIVERY_NOT_SET_ASIDE", () =>
            coach.Deliveries.ReplayDeliveryAsync(new ReplayDeliveryRequest { RequestId = NewRequestId(), Name = acknowledged }).ResponseAsync);
        await Errors.Expect(StatusCode.PermissionDenied, "NOT_THE_RECIPIENT", () =>
            sdd.Deliveries.ReplayDeliveryAsync(new ReplayDeliveryRequest { RequestId = NewRequestId(), Name = pending }).ResponseAsync);
        await Errors.Expect(StatusCode.NotFound, "DELIVERY_NOT_FOUND", () =>
            coach.Deliveries.ReplayDeliveryAsync(new ReplayDeliveryRequest { RequestId = NewRequestId(), Name = "deliveries/dlv_unknown" }).ResponseAsync);

        var statuses = (await Kit.DeliveriesAsync(coach)).Select(d => (d.Name, d.Status, d.AttemptCount));
        Assert.Equal([(pending, DeliveryStatus.Pending, 0), (acknowledged, DeliveryStatus.Acknowledged, 0)], statuses);
    }

    [Fact]
    public async Task ADeliveryReleasedByConsent_ReachesAnOpenStream_AfterLaterDeliveries()
    {
        var (sdd, coach, client) = await Kit.CoachedForSignalsAsync(_hub);
        using var stream = coach.Tail();

        // The coach's copy of a referral waits for a coaching consent; a later signal is delivered at once.
        var referral = await sdd.Referrals.CreateReferralAsync(new CreateReferralRequest { RequestId = NewRequestId(), Referral = Kit.CareReferral(client.Name, "begeleiding-plus") });
        var copy = Assert.Single(referral.Decisions, d => d.Recipient == "parties/waakvlam-zorg");
        Assert.Equal(RecipientOutcome.AwaitingConsent, copy.Outcome);
        var signal = await Kit.RaiseForCoachAsync(sdd, client.Name, "Arrears");
        Assert.Equal(signal, (await stream.NextAsync()).Name);

        var grant = await coach.Consents.GrantConsentAsync(new GrantConsentRequest
        {
            RequestId = NewRequestId(),
            Consent = new Consent
            {
                Client = client.Name,
                GrantorRole = GrantorRole.Client,
                RecipientParty = "parties/waakvlam-zorg",
                Purposes = { Purpose.Coaching },
                DataCategories = { DataCategory.SupportPlan, DataCategory.ContactDetails, DataCategory.Finances },
            },
        });
        Assert.Equal(1, grant.ReleasedDeliveries);

        var released = await stream.NextAsync();
        Assert.Equal(copy.Delivery, released.Name);
        Assert.Equal(referral.Referral.Name, released.Referral.Name);
        Assert.Equal("CONSENT_ACTIVE", released.Decision.Reason);
    }

    /// <summary>Opens a stream, takes exactly <paramref name="count"/> deliveries and disconnects without acknowledging.</summary>
    private static async Task<List<Delivery>> ReceiveAsync(PartyClient party, int count)
    {
        using var stream = party.Tail();
        var received = new List<Delivery>();
        for (var i = 0; i < count; i++)
        {
            received.Add(await stream.NextAsync());
        }

        return received;
    }
}

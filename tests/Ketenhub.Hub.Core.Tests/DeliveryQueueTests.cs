using Ketenhub.Hub.Common;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Messages;
using static Ketenhub.Hub.Core.Tests.CoreServices;

namespace Ketenhub.Hub.Core.Tests;

/// <summary>
/// The recipient's side through <c>DeliveryQueue</c> on the in-memory store (<see cref="CoreServices"/>): claim in order,
/// acknowledge, reject, set aside after the attempt limit, replay (docs/architecture.md, rule 8).
/// </summary>
public sealed class DeliveryQueueTests : IAsyncLifetime
{
    private const int MaxAttempts = 3;

    private readonly CoreServices _hub = Create(maxDeliveryAttempts: MaxAttempts);
    private string _client = string.Empty;

    public async Task InitializeAsync()
    {
        _client = await _hub.RegisterClientAsync();
        await _hub.GrantAsync("school-a", _client, "zorg-a", Purpose.IncomeAndParticipation, DebtReferralCategories);
    }

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    /// <summary>Submits <paramref name="count"/> referrals to zorg-a, one minute apart; returns their delivery ids in order.</summary>
    private async Task<List<string>> ReferAsync(int count)
    {
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            _hub.Clock.Advance(TimeSpan.FromMinutes(1));
            ids.Add(Assert.Single((await _hub.ReferDebtCounsellingAsync("school-a", _client, "zorg-a")).Decisions).DeliveryId!);
        }

        return ids;
    }

    private Task<DeliveryStatus> AcknowledgeAsync(string party, string deliveryId) =>
        _hub.Deliveries.AcknowledgeAsync(_hub.Party(party), "deliveries/" + deliveryId, _hub.NewKey(), CancellationToken.None);

    private Task<(DeliveryStatus Status, int Attempts)> RejectAsync(string deliveryId, string reason = "UNREADABLE") =>
        _hub.Deliveries.RejectAsync(_hub.Party("zorg-a"), "deliveries/" + deliveryId, reason, _hub.NewKey(), CancellationToken.None);

    [Fact]
    public async Task Claim_ReturnsTheClientsDeliveriesInSubmitOrder_CountingAnAttemptForEach()
    {
        var ids = await ReferAsync(3);

        var claimed = await _hub.ClaimAsync("zorg-a");

        Assert.Equal(ids, claimed.Select(c => c.Delivery.Id));
        Assert.True(claimed.Select(c => c.Delivery.Sequence).SequenceEqual(claimed.Select(c => c.Delivery.Sequence).Order()));
        foreach (var id in ids)
        {
            var stored = await _hub.DeliveryAsync(id);
            Assert.Equal(1, stored.AttemptCount);
            Assert.Equal(DeliveryStatus.Pending, stored.Status);
        }
    }

    [Fact]
    public async Task Claim_WithAMaximumAndACursor_PagesThroughTheQueue()
    {
        var ids = await ReferAsync(3);

        var first = Assert.Single(await _hub.ClaimAsync("zorg-a", max: 1));
        var rest = await _hub.ClaimAsync("zorg-a", afterSequence: first.Delivery.Sequence);

        Assert.Equal(ids[0], first.Delivery.Id);
        Assert.Equal(ids[1..], rest.Select(c => c.Delivery.Id));
    }

    [Fact]
    public async Task Acknowledge_ClosesTheDelivery_AndItIsNotClaimedAgain()
    {
        var ids = await ReferAsync(2);
        await _hub.ClaimAsync("zorg-a");
        _hub.Clock.Advance(TimeSpan.FromSeconds(30));

        var status = await AcknowledgeAsync("zorg-a", ids[0]);

        Assert.Equal(DeliveryStatus.Acknowledged, status);
        var stored = await _hub.DeliveryAsync(ids[0]);
        Assert.Equal(DeliveryStatus.Acknowledged, stored.Status);
        Assert.Equal(_hub.Clock.GetUtcNow(), stored.AckTime);
        Assert.Equal([ids[1]], (await _hub.ClaimAsync("zorg-a")).Select(c => c.Delivery.Id));

        // Acknowledging again (a retry with a new request id) answers the same and changes nothing.
        _hub.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(DeliveryStatus.Acknowledged, await AcknowledgeAsync("zorg-a", ids[0]));
        Assert.Equal(stored.AckTime, (await _hub.DeliveryAsync(ids[0])).AckTime);
    }

    [Fact]
    public async Task AcknowledgingAnUnknownDelivery_IsACodedNotFound()
    {
        var refused = await Assert.ThrowsAsync<HubException>(() => AcknowledgeAsync("zorg-a", "dlv_unknown"));

        Assert.Equal(ErrorCategory.NotFound, refused.Category);
        Assert.Equal(ErrorReasons.DeliveryNotFound, refused.Reason);
    }

    [Fact]
    public async Task AcknowledgingAnotherPartysDelivery_IsNotFound_AndLeavesItPending()
    {
        var ids = await ReferAsync(1);

        // zorg-b has no part in the delivery: to it, the delivery does not exist (docs/errors.md, "Not found or not allowed").
        var refused = await Assert.ThrowsAsync<HubException>(() => AcknowledgeAsync("zorg-b", ids[0]));

        Assert.Equal(ErrorCategory.NotFound, refused.Category);
        Assert.Equal(ErrorReasons.DeliveryNotFound, refused.Reason);
        Assert.Equal(DeliveryStatus.Pending, (await _hub.DeliveryAsync(ids[0])).Status);
    }

    [Fact]
    public async Task AcknowledgingAWithheldDelivery_IsRefusedAsClosed()
    {
        var withheld = Assert.Single((await _hub.ReferDebtCounsellingAsync("school-a", _client, "zorg-b")).Decisions);
        Assert.Equal(RecipientOutcome.Blocked, withheld.Outcome);

        var refused = await Assert.ThrowsAsync<HubException>(() => AcknowledgeAsync("zorg-b", withheld.DeliveryId!));

        Assert.Equal(ErrorReasons.DeliveryClosed, refused.Reason);
    }

    [Fact]
    public async Task Rejected_IsRedeliveredWithItsIdAndPlace_BeforeTheDeliveriesBehindIt()
    {
        var ids = await ReferAsync(2);
        await _hub.ClaimAsync("zorg-a");
        var before = await _hub.DeliveryAsync(ids[0]);

        var (status, attempts) = await RejectAsync(ids[0]);

        Assert.Equal(DeliveryStatus.Pending, status);
        Assert.Equal(1, attempts);
        var after = await _hub.DeliveryAsync(ids[0]);
        Assert.Equal("REJECTED:UNREADABLE", after.StatusReason);
        Assert.Equal(before.Sequence, after.Sequence);
        var again = await _hub.ClaimAsync("zorg-a");
        Assert.Equal(ids, again.Select(c => c.Delivery.Id));
        Assert.Equal(2, (await _hub.DeliveryAsync(ids[0])).AttemptCount);
    }

    [Fact]
    public async Task AtTheAttemptLimit_ARejectedDeliveryIsSetAside_AndReplayPutsItAtTheEndOfTheQueueWithItsId()
    {
        var ids = await ReferAsync(2);
        for (var attempt = 1; attempt < MaxAttempts; attempt++)
        {
            await _hub.ClaimAsync("zorg-a", max: 1);
            Assert.Equal(DeliveryStatus.Pending, (await RejectAsync(ids[0])).Status);
        }

        await _hub.ClaimAsync("zorg-a", max: 1);
        var (status, attempts) = await RejectAsync(ids[0]);
        Assert.Equal(DeliveryStatus.SetAside, status);
        Assert.Equal(MaxAttempts, attempts);
        Assert.Equal([ids[1]], (await _hub.ClaimAsync("zorg-a")).Select(c => c.Delivery.Id));
        var setAside = await _hub.DeliveryAsync(ids[0]);
        var behind = await _hub.DeliveryAsync(ids[1]);

        var replayed = await _hub.Deliveries.ReplayAsync(_hub.Party("zorg-a"), "deliveries/" + ids[0], _hub.NewKey(), CancellationToken.None);

        Assert.Equal(DeliveryStatus.Pending, replayed);
        var requeued = await _hub.DeliveryAsync(ids[0]);
        Assert.Equal(0, requeued.AttemptCount);
        Assert.Equal("REPLAYED", requeued.StatusReason);
        Assert.True(requeued.Sequence > behind.Sequence);
        Assert.True(requeued.Sequence > setAside.Sequence);

        // A recipient that resumes from its cursor (past the delivery's old place) still gets it.
        var resumed = await _hub.ClaimAsync("zorg-a", afterSequence: behind.Sequence);
        Assert.Equal([ids[0]], resumed.Select(c => c.Delivery.Id));
    }

    [Fact]
    public async Task ReplayingADeliveryThatIsNotSetAside_IsRefused()
    {
        var ids = await ReferAsync(1);

        var refused = await Assert.ThrowsAsync<HubException>(() =>
            _hub.Deliveries.ReplayAsync(_hub.Party("zorg-a"), "deliveries/" + ids[0], _hub.NewKey(), CancellationToken.None));

        Assert.Equal(ErrorReasons.DeliveryNotSetAside, refused.Reason);
    }

    [Fact]
    public async Task AClaimedDeliveryWhoseConsentWasWithdrawn_CanNoLongerBeAcknowledged()
    {
        var ids = await ReferAsync(1);
        await _hub.ClaimAsync("zorg-a");
        var consent = Assert.Single(await _hub.Consents.ListAsync(_hub.Party("school-a"), _client, CancellationToken.None));
        await _hub.Consents.WithdrawAsync(_hub.Party("school-a"), consent.Consent.Name, _hub.NewKey(), CancellationToken.None);

        var refused = await Assert.ThrowsAsync<HubException>(() => AcknowledgeAsync("zorg-a", ids[0]));

        Assert.Equal(ErrorReasons.DeliveryClosed, refused.Reason);
        Assert.Equal(DeliveryStatus.Withheld, (await _hub.DeliveryAsync(ids[0])).Status);
    }

    [Fact]
    public async Task List_PagesTheRecipientsDeliveries_BySequence()
    {
        var ids = await ReferAsync(3);

        var first = await _hub.Deliveries.ListAsync(_hub.Party("zorg-a"), DeliveryStatus.Pending, null, 2, 0, CancellationToken.None);
        var second = await _hub.Deliveries.ListAsync(_hub.Party("zorg-a"), DeliveryStatus.Pending, null, 2, first.NextAfterSequence!.Value, CancellationToken.None);
        var none = await _hub.Deliveries.ListAsync(_hub.Party("zorg-b"), null, null, 10, 0, CancellationToken.None);

        Assert.Equal(ids[..2], first.Deliveries.Select(d => d.Id));
        Assert.Equal([ids[2]], second.Deliveries.Select(d => d.Id));
        Assert.Null(second.NextAfterSequence);
        Assert.Empty(none.Deliveries);
    }

    [Fact]
    public async Task Claim_CarriesWhatTheRecipientMayKnowOfTheClient()
    {
        await ReferAsync(1);

        var sent = Assert.Single(await _hub.ClaimAsync("zorg-a"));

        Assert.IsType<ReferralRecord>(sent.Payload);
        Assert.NotNull(sent.Client);
        Assert.NotNull(sent.Consent);
        Assert.Equal("zorg-a", sent.Consent!.Consent.RecipientParty);
    }
}

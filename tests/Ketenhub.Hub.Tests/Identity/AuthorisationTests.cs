using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using Ketenhub.HubTests.Integration;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Identity;

/// <summary>
/// Authorisation on every call, through the real host with signed tokens: a party reads only deliveries addressed
/// to it; reads a client's journey only with a current role and a consent; another party's deliveries are listed or
/// replayed only with the admin role.
/// </summary>
public sealed class AuthorisationTests : IDisposable
{
    private readonly HubFactory _hub = new();

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task APartyReadsOnlyDeliveriesAddressedToIt()
    {
        var (sdd, coach, client) = await Kit.CoachedForSignalsAsync(_hub);
        var raised = await sdd.Signals.CreateSignalAsync(Kit.Signal(client.Name));
        var delivery = Assert.Single(raised.Decisions, d => d.Recipient == "parties/waakvlam-zorg").Delivery;

        // The recipient lists and streams it.
        Assert.Contains(await Kit.DeliveriesAsync(coach), d => d.Name == delivery);
        using (var tail = coach.Tail())
        {
            Assert.Equal(delivery, (await tail.NextAsync()).Name);
        }

        // Another party lists nothing of it, streams nothing of it, and cannot acknowledge it.
        var other = _hub.As("begeleiding-plus");
        Assert.DoesNotContain(await Kit.DeliveriesAsync(other), d => d.Name == delivery);
        Assert.Empty(await other.DrainAsync(TimeSpan.FromMilliseconds(300)));
        Assert.Empty(await Kit.DeliveriesAsync(other));
        // To a party with no part in it, the delivery does not exist (docs/errors.md, "Not found or not allowed").
        await Errors.Expect(StatusCode.NotFound, "DELIVERY_NOT_FOUND", () =>
            other.Deliveries.AcknowledgeDeliveryAsync(new AcknowledgeDeliveryRequest { RequestId = NewRequestId(), Name = delivery }).ResponseAsync);

        // Nor can it ask for the recipient's list by name without the admin role.
        await Errors.Expect(StatusCode.PermissionDenied, "ADMIN_ROLE_REQUIRED", () =>
            other.Deliveries.ListDeliveriesAsync(new ListDeliveriesRequest { Recipient = "parties/waakvlam-zorg" }).ResponseAsync);

        // Naming itself as the recipient is the same as naming none.
        var own = await coach.Deliveries.ListDeliveriesAsync(new ListDeliveriesRequest { Recipient = "parties/waakvlam-zorg" });
        Assert.Contains(own.Deliveries, d => d.Name == delivery);
    }

    [Fact]
    public async Task TheJourney_NeedsACurrentRoleAndAConsent()
    {
        var coach = _hub.As("waakvlam-zorg");
        var client = await Kit.ClientWithCoachAsync(coach);

        // Role (the coach's organisation) but no consent for coaching.
        await Errors.Expect(StatusCode.PermissionDenied, "CONSENT_REQUIRED", () => Kit.JourneyAsync(coach, client.Name));

        await coach.GrantAsync(client.Name, GrantorRole.Client, "waakvlam-zorg", [Purpose.Coaching], [DataCategory.SupportPlan]);
        Assert.NotEmpty(await Kit.JourneyAsync(coach, client.Name));

        // A consent for another party, but no role for the client: refused.
        var stranger = _hub.As("begeleiding-plus");
        await coach.GrantAsync(client.Name, GrantorRole.Client, "begeleiding-plus", [Purpose.Coaching], [DataCategory.SupportPlan]);
        await Errors.Expect(StatusCode.PermissionDenied, "NO_ROLE_FOR_CLIENT", () => Kit.JourneyAsync(stranger, client.Name));

        // An admin of another party is no exception: the journey is about a person, not about the hub's operation.
        var admin = _hub.As("begeleiding-plus", "operator-1", ["admin"]);
        await Errors.Expect(StatusCode.PermissionDenied, "NO_ROLE_FOR_CLIENT", () => Kit.JourneyAsync(admin, client.Name));
    }

    [Fact]
    public async Task AnAdmin_ListsAndReplaysAnotherPartysSetAsideDeliveries_OthersCannot()
    {
        _hub.With("Hub:MaxDeliveryAttempts", "1");
        var (sdd, coach, client) = await Kit.CoachedForSignalsAsync(_hub);
        var raised = await sdd.Signals.CreateSignalAsync(Kit.Signal(client.Name, "Never acknowledged"));
        var stuck = Assert.Single(raised.Decisions, d => d.Recipient == "parties/waakvlam-zorg").Delivery;
        using (var first = coach.Tail())
        {
            Assert.Equal(stuck, (await first.NextAsync()).Name);
        }

        // The next connection finds it at the attempt limit and sets it aside.
        var admin = _hub.As("sdd", "operator-1", ["admin"]);
        var request = new ListDeliveriesRequest { Recipient = "parties/waakvlam-zorg", Status = DeliveryStatus.SetAside };
        ListDeliveriesResponse listed;
        using (var second = coach.Tail())
        {
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while ((listed = await admin.Deliveries.ListDeliveriesAsync(request)).Deliveries.Count == 0 && waited.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(50);
            }
        }

        Assert.Equal([stuck], listed.Deliveries.Select(d => d.Name));

        // Without the role, sdd cannot replay the coach's delivery; with it, it can.
        await Errors.Expect(StatusCode.PermissionDenied, "NOT_THE_RECIPIENT", () =>
            sdd.Deliveries.ReplayDeliveryAsync(new ReplayDeliveryRequest { RequestId = NewRequestId(), Name = stuck }).ResponseAsync);
        var replayed = await admin.Deliveries.ReplayDeliveryAsync(new ReplayDeliveryRequest { RequestId = NewRequestId(), Name = stuck });
        Assert.Equal(DeliveryStatus.Pending, replayed.Status);

        // The recipient gets it again.
        using var tail = coach.Tail();
        Assert.Equal(stuck, (await tail.NextAsync()).Name);
    }

    [Fact]
    public async Task AnUnknownRecipientName_IsAnInvalidArgument()
    {
        var admin = _hub.As("sdd", null, ["admin"]);
        await Errors.Expect(StatusCode.InvalidArgument, "UNKNOWN_PARTY", () =>
            admin.Deliveries.ListDeliveriesAsync(new ListDeliveriesRequest { Recipient = "parties/nobody" }).ResponseAsync);
    }
}

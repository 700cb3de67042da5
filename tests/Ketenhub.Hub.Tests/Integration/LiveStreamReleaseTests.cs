using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using static Ketenhub.HubTests.Infrastructure.PartyClient;

namespace Ketenhub.HubTests.Integration;

/// <summary>A stream that stays open gets deliveries released behind its cursor, without a reconnect.</summary>
public sealed class LiveStreamReleaseTests : IDisposable
{
    private readonly HubFactory _hub = new(new DateTimeOffset(2026, 1, 10, 9, 0, 0, TimeSpan.Zero));

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task ConsentGranted_WhileStreamOpen_ReleasedDeliveryArrivesOnSameStream_AndNothingTwice()
    {
        var school = _hub.As("hans-petrischool");
        var sdd = _hub.As("sdd");
        var client = await school.RegisterAsync("111222333", Date(2008, 3, 14), "0642", "parties/hans-petrischool");
        var other = await school.RegisterAsync("123456782", Date(2008, 1, 2), "0505", "parties/hans-petrischool");
        await school.GrantAsync(other.Name, GrantorRole.Client, "sdd", [Purpose.Transition], [DataCategory.SupportPlan, DataCategory.ContactDetails]);

        using var stream = sdd.Tail();

        // Waits for consent: the stream sees nothing.
        var waiting = await school.Transitions.CreateTransitionAsync(new CreateTransitionRequest
        {
            RequestId = NewRequestId(),
            Transition = new Transition { Client = client.Name, Kind = TransitionKind.SchoolLeaver18, EffectiveDate = Date(2026, 7, 1), HandoverSummary = "Summary." },
        });
        Assert.Equal(RecipientOutcome.AwaitingConsent, waiting.Decisions.Single(d => d.Recipient == "parties/sdd").Outcome);

        // A later delivery moves the stream's cursor past the waiting one, and stays unacknowledged.
        var later = await school.Transitions.CreateTransitionAsync(new CreateTransitionRequest
        {
            RequestId = NewRequestId(),
            Transition = new Transition { Client = other.Name, Kind = TransitionKind.SchoolLeaver18, EffectiveDate = Date(2026, 7, 1), HandoverSummary = "Other." },
        });
        var first = await stream.NextAsync();
        Assert.Equal(later.Transition.Name, first.Transition.Name);

        // The consent arrives: the waiting delivery is released and comes over the open stream.
        await school.GrantAsync(client.Name, GrantorRole.Client, "sdd", [Purpose.Transition], [DataCategory.SupportPlan, DataCategory.ContactDetails]);
        var released = await stream.NextAsync();
        Assert.Equal(waiting.Transition.Name, released.Transition.Name);
        Assert.Equal(waiting.Decisions.Single(d => d.Recipient == "parties/sdd").Delivery, released.Name);

        // The unacknowledged later delivery was not sent a second time on the same connection.
        Assert.Empty(await stream.CollectUntilQuietAsync(TimeSpan.FromMilliseconds(700)));
    }
}

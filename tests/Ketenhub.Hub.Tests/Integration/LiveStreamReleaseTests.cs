using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using static Ketenhub.Testing.InProcess.PartyClient;

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
        var recorded = await Kit.DeliveriesAsync(sdd);
        Assert.Equal(1, recorded.Single(d => d.Name == first.Name).AttemptCount);
        Assert.Equal(1, recorded.Single(d => d.Name == released.Name).AttemptCount);
    }

    [Fact]
    public async Task AStreamResumedFromALaterCursor_ReceivesDeliveriesReleasedOrReplayedBehindIt()
    {
        var school = _hub.As("hans-petrischool");
        var sdd = _hub.As("sdd");
        var client = await school.RegisterAsync("111222333", Date(2008, 3, 14), "0642", "parties/hans-petrischool");
        var other = await school.RegisterAsync("123456782", Date(2008, 1, 2), "0505", "parties/hans-petrischool");
        await school.GrantAsync(other.Name, GrantorRole.Client, "sdd", [Purpose.Transition], [DataCategory.SupportPlan, DataCategory.ContactDetails]);

        var waiting = await school.Transitions.CreateTransitionAsync(new CreateTransitionRequest
        {
            RequestId = NewRequestId(),
            Transition = new Transition { Client = client.Name, Kind = TransitionKind.SchoolLeaver18, EffectiveDate = Date(2026, 7, 1), HandoverSummary = "Summary." },
        });
        Assert.Equal(RecipientOutcome.AwaitingConsent, waiting.Decisions.Single(d => d.Recipient == "parties/sdd").Outcome);
        await school.Transitions.CreateTransitionAsync(new CreateTransitionRequest
        {
            RequestId = NewRequestId(),
            Transition = new Transition { Client = other.Name, Kind = TransitionKind.SchoolLeaver18, EffectiveDate = Date(2026, 7, 1), HandoverSummary = "Other." },
        });

        // SDD handles and acknowledges what it has, keeps the cursor, and disconnects.
        var handled = await sdd.DrainAsync(acknowledge: true);
        var cursor = Assert.Single(handled).Sequence;

        // The consent arrives while SDD is away; SDD resumes from its cursor and gets the released delivery.
        await school.GrantAsync(client.Name, GrantorRole.Client, "sdd", [Purpose.Transition], [DataCategory.SupportPlan, DataCategory.ContactDetails]);
        using (var resumed = sdd.Tail(afterSequence: cursor))
        {
            var released = await resumed.NextAsync();
            Assert.Equal(waiting.Decisions.Single(d => d.Recipient == "parties/sdd").Delivery, released.Name);
            Assert.True(released.Sequence > cursor);
            await sdd.AcknowledgeAsync(released);
            cursor = released.Sequence;
        }

        // An acknowledged delivery is not replayable; a set-aside one is, and a resumed stream gets it again.
        var rejected = await school.Transitions.CreateTransitionAsync(new CreateTransitionRequest
        {
            RequestId = NewRequestId(),
            Transition = new Transition { Client = other.Name, Kind = TransitionKind.SchoolLeaver18, EffectiveDate = Date(2026, 8, 1), HandoverSummary = "Later leaving date." },
        });
        var name = rejected.Decisions.Single(d => d.Recipient == "parties/sdd").Delivery;
        Delivery? last = null;
        for (var attempt = 0; attempt < 10; attempt++)
        {
            using var tail = sdd.Tail(afterSequence: cursor);
            last = await tail.NextAsync();
            Assert.Equal(name, last.Name);
            var answer = await sdd.Deliveries.RejectDeliveryAsync(new RejectDeliveryRequest { RequestId = NewRequestId(), Name = name, ReasonCode = "CANNOT_PROCESS" });
            if (answer.Status == DeliveryStatus.SetAside)
            {
                break;
            }
        }

        Assert.Equal(DeliveryStatus.SetAside, (await sdd.Deliveries.ListDeliveriesAsync(new ListDeliveriesRequest { Status = DeliveryStatus.SetAside })).Deliveries.Single().Status);
        var laterCursor = last!.Sequence;
        await sdd.Deliveries.ReplayDeliveryAsync(new ReplayDeliveryRequest { RequestId = NewRequestId(), Name = name });
        using (var resumed = sdd.Tail(afterSequence: laterCursor))
        {
            var replayed = await resumed.NextAsync();
            Assert.Equal(name, replayed.Name);
            Assert.True(replayed.Sequence > laterCursor);
        }
    }
}

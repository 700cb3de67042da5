using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using Ketenhub.HubTests.Integration;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Scenarios;

/// <summary>S4 — Crisis signal nobody picks up.</summary>
public sealed class S4_CrisisSignalEscalationTests : IDisposable
{
    private readonly HubFactory _hub = new(new DateTimeOffset(2026, 6, 8, 8, 0, 0, TimeSpan.Zero));

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task UnacknowledgedCrisis_EscalatesToWijkteamAfterFourHours_AsThinNotice()
    {
        var waakvlam = _hub.As("waakvlam-zorg");
        var sdd = _hub.As("sdd");
        var wijkteam = _hub.As("wijkteam-zwijndrecht");

        // Kevin has coach Ahmed; his consent covers the coach for housing signals, not the wijkteam.
        var client = await waakvlam.RegisterAsync("192837461", Date(2001, 1, 21), "0610");
        await waakvlam.AssignCoachAsync(client.Name, "ahmed", "Ahmed");
        await waakvlam.GrantAsync(client.Name, GrantorRole.Client, "waakvlam-zorg", [Purpose.SignalFollowUp, Purpose.Coaching], [DataCategory.Housing]);

        // A housing corporation reports eviction risk through SDD: crisis, domain wonen.
        var raised = await sdd.Signals.CreateSignalAsync(new CreateSignalRequest
        {
            RequestId = NewRequestId(),
            Signal = new Signal { Client = client.Name, Kind = SignalKind.EvictionRisk, LifeDomain = LifeDomain.Housing, Severity = SignalSeverity.Crisis, Description = "Eviction notice served." },
        });
        var toCoach = Assert.Single(raised.Decisions, d => d.Recipient == "parties/waakvlam-zorg");
        Assert.Equal(RecipientOutcome.Content, toCoach.Outcome);
        Assert.Contains("crisis-escalation", toCoach.RuleIds);
        Assert.Equal("parties/wijkteam-zwijndrecht", toCoach.EscalationTarget);
        Assert.Equal(_hub.Clock.GetUtcNow().AddHours(4), toCoach.AcknowledgeDeadlineTime.ToDateTimeOffset());
        Assert.DoesNotContain(raised.Decisions, d => d.Recipient == "parties/wijkteam-zwijndrecht");

        // The coach's system receives it (a technical receipt), but no person acknowledges the signal.
        var received = await waakvlam.DrainAsync(acknowledge: true);
        Assert.Single(received, d => d.Signal?.Name == raised.Signal.Name);

        // Just before the deadline nothing escalates.
        // (The hub's own timer also runs on the fake clock; running the work here as well waits for it, so
        // the assertions see the finished result whichever run did the work.)
        _hub.Clock.Advance(TimeSpan.FromHours(4) - TimeSpan.FromMinutes(1));
        await _hub.RunScheduledWorkAsync();
        Assert.Empty(await wijkteam.DrainAsync());
        Assert.Empty(await Kit.DeliveriesAsync(wijkteam, client: client.Name));

        // At four hours the hub escalates to the wijkteam: no consent covers it, so a thin notice.
        _hub.Clock.Advance(TimeSpan.FromMinutes(1));
        await _hub.RunScheduledWorkAsync();
        var escalation = Assert.Single(await wijkteam.DrainAsync(acknowledge: true));
        Assert.Equal(Delivery.PayloadOneofCase.ThinNotice, escalation.PayloadCase);
        Assert.Equal("parties/sdd", escalation.ThinNotice.ContactParty);
        Assert.Equal(LifeDomain.Housing, escalation.ThinNotice.LifeDomain);
        Assert.Equal(SignalSeverity.Crisis, escalation.ThinNotice.Severity);
        Assert.Equal(toCoach.Delivery, escalation.EscalationOf);
        Assert.DoesNotContain("Eviction notice", escalation.ToString(), StringComparison.Ordinal);

        // It escalates once, not at every run.
        _hub.Clock.Advance(TimeSpan.FromHours(1));
        await _hub.RunScheduledWorkAsync();
        Assert.Empty(await wijkteam.DrainAsync());
        Assert.Equal([(escalation.Name, DeliveryStatus.Acknowledged)], (await Kit.DeliveriesAsync(wijkteam, client: client.Name)).Select(d => (d.Name, d.Status)));

        // The journey shows the escalation.
        var journey = await waakvlam.Clients.ListJourneyEventsAsync(new ListJourneyEventsRequest { Client = client.Name });
        var types = journey.Events.Select(e => e.Type).ToList();
        Assert.True(types.IndexOf(JourneyEventType.SignalRaised) < types.IndexOf(JourneyEventType.SignalEscalated));
        var escalated = Assert.Single(journey.Events, e => e.Type == JourneyEventType.SignalEscalated);
        Assert.Equal("parties/wijkteam-zwijndrecht", escalated.Party);
        Assert.Equal(raised.Signal.Name, escalated.Resource);
    }

    [Fact]
    public async Task AcknowledgedCrisis_DoesNotEscalate_AndEscalationCarriesContentUnderConsent()
    {
        var waakvlam = _hub.As("waakvlam-zorg");
        var sdd = _hub.As("sdd");
        var wijkteam = _hub.As("wijkteam-zwijndrecht");
        var client = await waakvlam.RegisterAsync("192837461", Date(2001, 1, 21), "0610");
        await waakvlam.AssignCoachAsync(client.Name, "ahmed", "Ahmed");
        await waakvlam.GrantAsync(client.Name, GrantorRole.Client, "waakvlam-zorg", [Purpose.SignalFollowUp], [DataCategory.Housing]);
        await waakvlam.GrantAsync(client.Name, GrantorRole.Client, "wijkteam-zwijndrecht", [Purpose.SignalFollowUp], [DataCategory.Housing]);

        var acknowledged = await RaiseAsync(sdd, client.Name);
        await waakvlam.Signals.AcknowledgeSignalAsync(new AcknowledgeSignalRequest { RequestId = NewRequestId(), Name = acknowledged.Signal.Name });
        var ignored = await RaiseAsync(sdd, client.Name);

        _hub.Clock.Advance(TimeSpan.FromHours(5));
        await _hub.RunScheduledWorkAsync();
        var escalation = Assert.Single(await wijkteam.DrainAsync());
        Assert.Equal(Delivery.PayloadOneofCase.Signal, escalation.PayloadCase);
        Assert.Equal(ignored.Signal.Name, escalation.Signal.Name);
        Assert.Equal("ahmed", escalation.Coach.CoachId);
    }

    private static async Task<CreateSignalResponse> RaiseAsync(PartyClient sdd, string client) =>
        await sdd.Signals.CreateSignalAsync(new CreateSignalRequest
        {
            RequestId = NewRequestId(),
            Signal = new Signal { Client = client, Kind = SignalKind.EvictionRisk, LifeDomain = LifeDomain.Housing, Severity = SignalSeverity.Crisis, Description = "Eviction notice served." },
        });
}

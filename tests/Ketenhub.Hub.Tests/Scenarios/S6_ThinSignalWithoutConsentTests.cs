using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Scenarios;

/// <summary>S6 — Thin signal without consent.</summary>
public sealed class S6_ThinSignalWithoutConsentTests : IDisposable
{
    private readonly HubFactory _hub = new(new DateTimeOffset(2026, 5, 4, 9, 0, 0, TimeSpan.Zero));

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task SignalWithoutConsent_CoachGetsThinNoticeOnly_DecisionRecordsRule()
    {
        var waakvlam = _hub.As("waakvlam-zorg");
        var sdd = _hub.As("sdd");
        var client = await waakvlam.RegisterAsync("135792460", Date(1985, 12, 1), "0482");
        await waakvlam.AssignCoachAsync(client.Name, "emma", "Emma");
        using var coachStream = waakvlam.Tail();

        const string description = "Arrears of 1,234.56 euro with the energy company since March.";
        var raised = await sdd.Signals.CreateSignalAsync(new CreateSignalRequest
        {
            RequestId = NewRequestId(),
            Signal = new Signal { Client = client.Name, Kind = SignalKind.PaymentArrears, LifeDomain = LifeDomain.Finances, Severity = SignalSeverity.Concern, Description = description },
        });

        // The decision: thin notice under the signal-to-coach rule.
        var decision = Assert.Single(raised.Decisions, d => d.Recipient == "parties/waakvlam-zorg");
        Assert.Equal(RecipientOutcome.ThinNotice, decision.Outcome);
        Assert.Equal("THIN_NOTICE_RULE", decision.Reason);
        Assert.Contains("signal-to-coach", decision.RuleIds);
        Assert.Contains("rule 'signal-to-coach'", decision.Explanation, StringComparison.Ordinal);
        Assert.Empty(decision.DataCategories);

        // The coach learns SDD has a concern in financiën — no amounts, no free text.
        var delivery = await coachStream.NextAsync();
        Assert.Equal(Delivery.PayloadOneofCase.ThinNotice, delivery.PayloadCase);
        Assert.Equal("parties/sdd", delivery.ThinNotice.ContactParty);
        Assert.Equal(LifeDomain.Finances, delivery.ThinNotice.LifeDomain);
        Assert.DoesNotContain("1,234", delivery.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("energy", delivery.ToString(), StringComparison.Ordinal);
        Assert.Null(delivery.Coach);

        // The recorded decision (the trail) still says thin notice under rule X, and the coach cannot read the signal.
        var listed = await waakvlam.Deliveries.ListDeliveriesAsync(new ListDeliveriesRequest { Client = client.Name });
        var recorded = Assert.Single(listed.Deliveries, d => d.Name == delivery.Name);
        Assert.Equal("THIN_NOTICE_RULE", recorded.Decision.Reason);
        Assert.Contains("signal-to-coach", recorded.Decision.RuleIds);
        var error = await Errors.Of(() => waakvlam.Signals.GetSignalAsync(new GetSignalRequest { Name = raised.Signal.Name }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, error.Code);
    }
}

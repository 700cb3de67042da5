using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Integration;

/// <summary>
/// The pilot report through the host (docs/monitor.md): a small history built through the API, the report as the
/// monitor role with its figures and suppressed cells, the audit trail of every request, and no per-client read for the
/// monitor role.
/// </summary>
public sealed class PilotReportTests : IDisposable
{
    // The monitor works at a party that has no relationship with the clients of this history.
    private const string MonitorParty = "sociale-dienst-gorinchem";
    private readonly HubFactory _hub = new(new DateTimeOffset(2026, 2, 2, 9, 0, 0, TimeSpan.Zero));

    public void Dispose() => _hub.Dispose();

    private PartyClient Monitor() => _hub.As(MonitorParty, "monitor-1", ["monitor"]);

    private static GetPilotReportRequest February(string municipality = "") =>
        new() { StartDate = Date(2026, 2, 1), EndDate = Date(2026, 3, 1), MunicipalityCode = municipality };

    /// <summary>Six adults and one young person in Dordrecht get their first coach and raise a signal; the adults' signals are acknowledged.</summary>
    private async Task<List<string>> BuildHistoryAsync()
    {
        var sdd = _hub.As("sdd");
        var waakvlam = _hub.As("waakvlam-zorg");
        var clients = new List<string>();
        string[] adults = ["123456782", "111222333", "999990019", "999990020", "999990032", "999990044"];
        for (var i = 0; i < adults.Length; i++)
        {
            var client = await waakvlam.RegisterAsync(adults[i], Date(1990 + i, 3, 4), "0505");
            await waakvlam.AssignCoachAsync(client.Name, "lisa", "Lisa");
            await waakvlam.GrantAsync(client.Name, GrantorRole.Client, "waakvlam-zorg", [Purpose.SignalFollowUp], [DataCategory.Finances]);
            var raised = await sdd.Signals.CreateSignalAsync(new CreateSignalRequest
            {
                RequestId = NewRequestId(),
                Signal = new Signal { Client = client.Name, Kind = SignalKind.PaymentArrears, LifeDomain = LifeDomain.Finances, Severity = SignalSeverity.Urgent, Description = "Arrears." },
            });
            _hub.Clock.Advance(TimeSpan.FromHours(i + 1));
            await waakvlam.Signals.AcknowledgeSignalAsync(new AcknowledgeSignalRequest { RequestId = NewRequestId(), Name = raised.Signal.Name });
            clients.Add(client.Name);
        }

        var young = await waakvlam.RegisterAsync("999990056", Date(2012, 5, 6), "0505");
        await waakvlam.AssignCoachAsync(young.Name, "piet", "Piet");
        await sdd.Signals.CreateSignalAsync(new CreateSignalRequest
        {
            RequestId = NewRequestId(),
            Signal = new Signal { Client = young.Name, Kind = SignalKind.SchoolAbsence, LifeDomain = LifeDomain.Education, Severity = SignalSeverity.Concern, Description = "Absent." },
        });
        clients.Add(young.Name);
        return clients;
    }

    [Fact]
    public async Task TheMonitor_GetsTheFigures_WithSmallCellsSuppressed()
    {
        await BuildHistoryAsync();
        _hub.Clock.Advance(TimeSpan.FromDays(40));

        var report = (await Monitor().Monitor.GetPilotReportAsync(February())).Report;

        Assert.Equal(5, report.MinimumCellSize);
        Assert.Equal(new[] { PilotLevel.All, PilotLevel.Under18, PilotLevel.Adult }, report.Levels.Select(l => l.Level));
        var all = report.Levels[0];
        var young = report.Levels[1];
        var adult = report.Levels[2];

        // Seven first coaches, seven with a coach at the end, none at the start.
        Assert.Equal(7, Shown(all.CoachFlow.FirstCoaches));
        Assert.Equal(7, Shown(all.CoachFlow.WithCoachAtEnd));
        Assert.Equal(0, Shown(all.CoachFlow.WithCoachAtStart));

        // One young person: suppressed, and the adults' count with it, or all - adults would give it.
        Assert.Equal(Suppression.SmallCount, young.CoachFlow.FirstCoaches.Suppression);
        Assert.Equal(0, young.CoachFlow.FirstCoaches.Value);
        Assert.Equal(Suppression.Complementary, adult.CoachFlow.FirstCoaches.Suppression);
        Assert.Equal(0, adult.CoachFlow.FirstCoaches.Value);

        // Seven signals; six acknowledged after 1 to 6 hours: the median of six, shown; the young person's group is too small.
        Assert.Equal(7, Shown(all.EarlyPresence.Signals));
        // By domain: one in education, so finances is hidden too, or signals - finances would give it.
        Assert.Equal(Suppression.SmallCount, all.EarlyPresence.ByLifeDomain.Single(d => d.LifeDomain == LifeDomain.Education).Signals.Suppression);
        Assert.Equal(Suppression.Complementary, all.EarlyPresence.ByLifeDomain.Single(d => d.LifeDomain == LifeDomain.Finances).Signals.Suppression);
        Assert.Equal(0, Shown(all.EarlyPresence.ByLifeDomain.Single(d => d.LifeDomain == LifeDomain.Housing).Signals));
        Assert.False(all.EarlyPresence.TimeToAcknowledgement.Suppressed);
        Assert.Equal(TimeSpan.FromHours(3.5), all.EarlyPresence.TimeToAcknowledgement.Median.ToTimeSpan());
        Assert.True(young.EarlyPresence.TimeToAcknowledgement.Suppressed);
        Assert.Null(young.EarlyPresence.TimeToAcknowledgement.Median);

        // One signal was not acknowledged: the six acknowledged are hidden, or signals - acknowledged would give it.
        Assert.True(all.EarlyPresence.Acknowledged.Suppressed);

        // Over time: February is one month, so one interval, its domains under the same rule as the period's.
        var february = Assert.Single(all.EarlyPresence.SignalsOverTime);
        Assert.Equal((Date(2026, 2, 1), Date(2026, 3, 1)), (february.StartDate, february.EndDate));
        Assert.Equal(7, Shown(february.Signals));
        Assert.Equal(7, february.ByLifeDomain.Count);
        Assert.Equal(Suppression.SmallCount, february.ByLifeDomain.Single(d => d.LifeDomain == LifeDomain.Education).Signals.Suppression);
        Assert.True(february.ByLifeDomain.Single(d => d.LifeDomain == LifeDomain.Finances).Signals.Suppressed);

        // The times to acknowledgement in ranges: 1, 2 and 3 hours, then 4, 5 and 6; three each, so both are hidden.
        var ranges = all.EarlyPresence.TimeToAcknowledgementDistribution;
        Assert.Equal(new[] { 0.0, 1, 4, 24, 72, 168 }, ranges.Select(r => r.LowerBound.ToTimeSpan().TotalHours));
        Assert.Null(ranges[^1].UpperBound);
        Assert.Equal(0, Shown(ranges[0].Count));
        Assert.Equal(Suppression.SmallCount, ranges[1].Count.Suppression);
        Assert.Equal(Suppression.SmallCount, ranges[2].Count.Suppression);
        Assert.Equal(5, all.ScaleUp.TimeToStartDistribution.Count);

        // The deliveries of the signals are counted; the shares add up where shown.
        Assert.True(all.ConsentCoverage.Deliveries.Suppressed || all.ConsentCoverage.Deliveries.Value >= 7);

        // The cost view: seven coached clients, priced with the evaluation's defaults as a range; no steps down to price.
        var costs = report.Costs;
        Assert.Equal((700, 2600, 300, 12), (costs.Assumptions.WaakvlamPerClientYearLow, costs.Assumptions.WaakvlamPerClientYearHigh, costs.Assumptions.StepDownSavingPerMonth, costs.Assumptions.ReferenceMonthsToStepDown));
        Assert.False(costs.PilotCost.Suppressed);
        Assert.Equal(7, costs.PilotCost.Clients);
        Assert.InRange(costs.PilotCost.Quantity, 0.1, 7 * 28 / 365.25 + 0.05);
        Assert.True(costs.PilotCost.HasHighEuros && costs.PilotCost.HighEuros > costs.PilotCost.LowEuros);
        Assert.True(costs.StepDownSavings.Suppressed);
        Assert.Equal((0.7, 1.4), (costs.BreakEven.CrisesByRuleLow, costs.BreakEven.CrisesByRuleHigh));

        // Another municipality: nobody, so zeros, and no cost at all.
        var zwijndrecht = (await Monitor().Monitor.GetPilotReportAsync(February("0642"))).Report;
        Assert.Equal("0642", zwijndrecht.MunicipalityCode);
        Assert.Equal(0, Shown(zwijndrecht.Levels[0].EarlyPresence.Signals));
        Assert.True(zwijndrecht.Costs.PilotCost.Suppressed && zwijndrecht.Costs.BreakEven.Suppressed);
        Assert.Equal(0, zwijndrecht.Costs.PilotCost.LowEuros);
    }

    [Fact]
    public async Task EveryRequest_IsAudited_AboutNoClient_AndOnlyTheMonitorRoleGetsIt()
    {
        await Monitor().Monitor.GetPilotReportAsync(February());
        await Monitor().Monitor.GetPilotReportAsync(February("0505"));
        await Errors.Expect(StatusCode.PermissionDenied, "MONITOR_ROLE_REQUIRED", () => _hub.As("sdd").Monitor.GetPilotReportAsync(February()).ResponseAsync);
        await Errors.Expect(StatusCode.PermissionDenied, "MONITOR_ROLE_REQUIRED", () => _hub.As("sdd", "fg-1", ["privacy-officer", "admin"]).Monitor.GetPilotReportAsync(February()).ResponseAsync);

        var events = (await _hub.As("sdd", "fg-1", ["privacy-officer"]).Audit.ListAuditEventsAsync(new ListAuditEventsRequest { PageSize = 1000 })).AuditEvents
            .Where(e => e.EventType == "GetPilotReport").ToList();
        Assert.Equal(4, events.Count);
        Assert.All(events, e => Assert.Equal(string.Empty, e.ClientPseudonym));
        Assert.All(events, e => Assert.Equal(AuditAction.Execute, e.Action));
        Assert.Equal(2, events.Count(e => e.Outcome == AuditOutcome.Success));
        Assert.Contains(events, e => e.Outcome == AuditOutcome.Success && e.Resources.SequenceEqual(new[] { "pilot-report/2026-02-01/2026-03-01/0505" }));
        var granted = events.First(e => e.Outcome == AuditOutcome.Success);
        Assert.Equal("parties/" + MonitorParty, granted.Party);
        Assert.Equal("monitor-1", granted.User);
        Assert.Contains(granted.Checks, c => c.Kind == AuditCheckKind.Authorisation && c.Reference == "ROLE:monitor");
        Assert.Equal(new[] { "pilot-report/2026-02-01/2026-03-01" }, granted.Resources);
        Assert.Equal(2, events.Count(e => e.Outcome == AuditOutcome.Refused && e.Reason == "MONITOR_ROLE_REQUIRED"));
    }

    [Fact]
    public async Task TheMonitorRole_ReadsNothingPerClient()
    {
        var clients = await BuildHistoryAsync();
        var monitor = Monitor();
        var client = clients[0];

        await Errors.Expect(StatusCode.PermissionDenied, "NO_ROLE_FOR_CLIENT", () => monitor.Clients.GetClientAsync(new GetClientRequest { Name = client }).ResponseAsync);
        await Errors.Expect(StatusCode.PermissionDenied, "NO_ROLE_FOR_CLIENT", () => monitor.Clients.GetClientReportAsync(new GetClientReportRequest { Client = client }).ResponseAsync);
        await Errors.Expect(StatusCode.PermissionDenied, "NO_ROLE_FOR_CLIENT", () => monitor.Clients.ListJourneyEventsAsync(new ListJourneyEventsRequest { Client = client }).ResponseAsync);
        await Errors.Expect(StatusCode.PermissionDenied, "ACCESS_REPORT_NOT_ALLOWED", () => monitor.Clients.GetClientAccessReportAsync(new GetClientAccessReportRequest { Client = client }).ResponseAsync);
        await Errors.Expect(StatusCode.PermissionDenied, "AUDIT_ROLE_REQUIRED", () => monitor.Audit.ListAuditEventsAsync(new ListAuditEventsRequest()).ResponseAsync);
    }

    [Fact]
    public async Task ABadPeriod_IsRefused_WithTheField()
    {
        var error = await Errors.Of(() => Monitor().Monitor.GetPilotReportAsync(new GetPilotReportRequest { StartDate = Date(2026, 3, 1), EndDate = Date(2026, 2, 1) }).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "INVALID_DATE"), (error.Code, error.Reason));
        Assert.Equal(new[] { "end_date" }, error.Fields);

        var missing = await Errors.Of(() => Monitor().Monitor.GetPilotReportAsync(new GetPilotReportRequest { MunicipalityCode = "Dordrecht" }).ResponseAsync);
        Assert.Equal("INVALID_REQUEST", missing.Reason);
        Assert.Equal(new[] { "start_date", "end_date", "municipality_code" }, missing.Fields);
    }

    [Fact]
    public async Task TheMinimumCellSize_IsTheHubsSetting()
    {
        using var hub = new HubFactory(new DateTimeOffset(2026, 2, 2, 9, 0, 0, TimeSpan.Zero));
        hub.With("Hub:Monitor:MinimumCellSize", "8");
        var report = (await hub.As(MonitorParty, null, ["monitor"]).Monitor.GetPilotReportAsync(February())).Report;
        Assert.Equal(8, report.MinimumCellSize);
    }

    private static long Shown(PilotCount count)
    {
        Assert.False(count.Suppressed, "The count is suppressed.");
        return count.Value;
    }
}

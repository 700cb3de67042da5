using System.Diagnostics.Metrics;
using Ketenhub.Contracts.V1;
using Ketenhub.Hub.Audit;
using Ketenhub.Hub.Retention;
using Ketenhub.Hub.Storage;
using Ketenhub.HubTests.Integration;
using Ketenhub.Testing.InProcess;
using Microsoft.Extensions.DependencyInjection;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Privacy;

/// <summary>
/// Runs alone: the retention metrics are process-wide, so no other hub may count while these tests do.
/// </summary>
[CollectionDefinition(nameof(RetentionCollection), DisableParallelization = true)]
public sealed class RetentionCollection;

/// <summary>
/// Retention (docs/privacy.md) with a moved clock: a message's content is erased a set time after every delivery of it
/// ended, not before and not while one is still on its way; stored request answers expire, so a repeated request id is a
/// new request; journey events go after their own term; the audit trail is kept and still verifies; the metrics count
/// what went.
/// </summary>
[Collection(nameof(RetentionCollection))]
public sealed class RetentionTests : IDisposable
{
    private static readonly TimeSpan ContentTerm = TimeSpan.FromDays(1);
    private static readonly TimeSpan RequestTerm = TimeSpan.FromHours(2);
    private static readonly TimeSpan JourneyTerm = TimeSpan.FromDays(10);
    private static readonly TimeSpan RecordTerm = TimeSpan.FromDays(5);

    private readonly HubFactory _hub = new HubFactory()
        .With("Hub:Retention:MessageContent", ContentTerm.ToString())
        .With("Hub:Retention:IdempotencyRecords", RequestTerm.ToString())
        .With("Hub:Retention:JourneyEvents", JourneyTerm.ToString())
        .With("Hub:Retention:MessageRecords", RecordTerm.ToString());

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task Content_IsErasedATermAfterEveryDeliveryEnded_NotBefore_NorWhileOneIsOnItsWay()
    {
        using var removed = new RemovedCounter();
        var (client, sdd, _) = await CoachedClientAsync();
        var description = "Retention marker " + Guid.NewGuid().ToString("N");
        var signal = (await sdd.Signals.CreateSignalAsync(Kit.Signal(client, description))).Signal;
        var recipients = (await DeliveriesOfAsync(signal.Name)).Select(d => d.Recipient).Distinct().ToList();
        Assert.Contains("waakvlam-zorg", recipients);

        // Long past the term, but nothing was delivered yet: the content stays.
        _hub.Clock.Advance(ContentTerm * 3);
        await RunAsync();
        Assert.Equal(description, (await ReadAsync(sdd, signal.Name)).Description);

        // Every recipient takes and acknowledges it (the store's contract tests hold one pending delivery among ended ones
        // to the same rule).
        foreach (var recipient in recipients)
        {
            await _hub.As(recipient).DrainAsync(acknowledge: true);
        }

        // Every delivery ended now: not yet erased within the term, erased after it.
        _hub.Clock.Advance(ContentTerm - TimeSpan.FromMinutes(1));
        await RunAsync();
        var kept = await ReadAsync(sdd, signal.Name);
        Assert.Equal(description, kept.Description);
        Assert.Null(kept.ContentEraseTime);

        var endedBy = _hub.Clock.GetUtcNow() - ContentTerm + TimeSpan.FromMinutes(1);
        _hub.Clock.Advance(TimeSpan.FromMinutes(2));

        // The hub's own timer may have done it first; either way it is done once a run returns.
        await RunAsync();
        var erased = await ReadAsync(sdd, signal.Name);
        Assert.Equal(string.Empty, erased.Description);
        Assert.InRange(erased.ContentEraseTime.ToDateTimeOffset(), endedBy + ContentTerm, _hub.Clock.GetUtcNow());

        // What routes, lists and shows state stays: the signal, its kind, its sender, its deliveries and their states.
        Assert.Equal((signal.Kind, signal.LifeDomain, signal.Sender), (erased.Kind, erased.LifeDomain, erased.Sender));
        Assert.All(await DeliveriesOfAsync(signal.Name), d => Assert.Equal(Ketenhub.Hub.Common.DeliveryStatus.Acknowledged, d.Status));

        // Nothing of the content is left in the database file or its WAL.
        Assert.Empty(RawFindings(description));

        // The audit trail is not shortened by it and still verifies.
        var audit = _hub.Services.GetRequiredService<AuditTrail>();
        Assert.True((await audit.VerifyAsync(CancellationToken.None)).Intact);

        // The metrics count each erased content once: here the signal, and the inline payloads of the client's deliveries.
        var store = _hub.Services.GetRequiredService<IHubStore>();
        var id = client["clients/".Length..];
        var (signals, deliveries) = await store.ReadAsync(s => (
            s.GetSignalsForClient(id).Count(x => x.ContentEraseTime is not null),
            s.ListDeliveries(new DeliveryQuery(ClientId: id, Limit: 1000)).Count(d => d.ContentEraseTime is not null)));
        Assert.Equal(1, signals);
        Assert.Equal(signals, removed.Of("message_content"));
        Assert.Equal(deliveries, removed.Of("delivery_payload"));
    }

    [Fact]
    public async Task StoredRequestAnswers_Expire_SoARepeatedRequestIdAfterwardsIsANewRequest()
    {
        using var removed = new RemovedCounter();
        var (client, sdd, _) = await CoachedClientAsync();
        var request = Kit.Signal(client);
        var first = (await sdd.Signals.CreateSignalAsync(request)).Signal.Name;

        // Within the term a repeat gets the first answer.
        _hub.Clock.Advance(RequestTerm - TimeSpan.FromMinutes(1));
        await RunAsync();
        Assert.Equal(first, (await sdd.Signals.CreateSignalAsync(request)).Signal.Name);

        // After it, the stored answer is gone: the same request id makes a new signal.
        _hub.Clock.Advance(TimeSpan.FromMinutes(2));
        await RunAsync();
        Assert.True(removed.Of("idempotency_record") >= 1, "no stored answer counted as removed");
        var again = (await sdd.Signals.CreateSignalAsync(request)).Signal.Name;
        Assert.NotEqual(first, again);
    }

    [Fact]
    public async Task JourneyEvents_GoAfterTheirOwnTerm_TheAuditTrailStays()
    {
        using var removed = new RemovedCounter();
        var (client, sdd, _) = await CoachedClientAsync();
        await sdd.Signals.CreateSignalAsync(Kit.Signal(client));
        var store = _hub.Services.GetRequiredService<IHubStore>();
        var id = client["clients/".Length..];
        var journey = await store.ReadAsync(s => s.GetJourney(id, 0, 100));
        Assert.NotEmpty(journey);
        var auditBefore = (await AuditEventsAsync()).Count;

        _hub.Clock.Advance(JourneyTerm - TimeSpan.FromHours(1));
        await RunAsync();
        Assert.Equal(journey.Count, (await store.ReadAsync(s => s.GetJourney(id, 0, 100))).Count);

        _hub.Clock.Advance(TimeSpan.FromHours(2));
        await RunAsync();
        Assert.Empty(await store.ReadAsync(s => s.GetJourney(id, 0, 100)));
        Assert.Equal(journey.Count, removed.Of("journey_event"));

        // The audit trail is never shortened, and it still verifies.
        Assert.True((await AuditEventsAsync()).Count >= auditBefore);
        Assert.True((await _hub.Services.GetRequiredService<AuditTrail>().VerifyAsync(CancellationToken.None)).Intact);
    }

    [Fact]
    public async Task MessageRecords_GoWithTheirDeliveries_ATermAfterEveryDeliveryEnded()
    {
        using var removed = new RemovedCounter();
        var (client, sdd, _) = await CoachedClientAsync();
        var signal = (await sdd.Signals.CreateSignalAsync(Kit.Signal(client))).Signal;
        var recipients = (await DeliveriesOfAsync(signal.Name)).Select(d => d.Recipient).Distinct().ToList();
        foreach (var recipient in recipients)
        {
            await _hub.As(recipient).DrainAsync(acknowledge: true);
        }

        // Within the term the record stays (its content went after its own, shorter term).
        _hub.Clock.Advance(RecordTerm - TimeSpan.FromHours(1));
        await RunAsync();
        Assert.Equal(string.Empty, (await ReadAsync(sdd, signal.Name)).Description);
        Assert.NotEmpty(await DeliveriesOfAsync(signal.Name));

        _hub.Clock.Advance(TimeSpan.FromHours(2));
        await RunAsync();
        var gone = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => ReadAsync(sdd, signal.Name));
        Assert.Equal(Grpc.Core.StatusCode.NotFound, gone.StatusCode);
        Assert.Empty(await DeliveriesOfAsync(signal.Name));
        Assert.True(removed.Of("message_record") >= 1, "no message record counted as removed");

        // The audit trail keeps its own, longer term and still verifies.
        Assert.True((await _hub.Services.GetRequiredService<AuditTrail>().VerifyAsync(CancellationToken.None)).Intact);
    }

    [Fact]
    public async Task TheRetentionService_RunsOnItsOwnTimer()
    {
        using var hub = new HubFactory();
        hub.With("Hub:Retention:MessageContent", ContentTerm.ToString()).With("Hub:Retention:IdempotencyRecords", RequestTerm.ToString()).With("Hub:Retention:Interval", "01:00:00");
        var sdd = hub.As("sdd");
        var coach = hub.As("waakvlam-zorg");
        var client = (await coach.RegisterAsync(Kit.NewBsn(), Date(1994, 11, 2), "0505")).Name;
        await coach.AssignCoachAsync(client, "lisa", "Lisa");
        await coach.GrantAsync(client, GrantorRole.Client, "waakvlam-zorg", [Purpose.SignalFollowUp], [DataCategory.Finances]);
        var signal = (await sdd.Signals.CreateSignalAsync(Kit.Signal(client, "timer marker"))).Signal.Name;
        var store = hub.Services.GetRequiredService<IHubStore>();
        foreach (var recipient in (await store.ReadAsync(s => s.GetDeliveriesForMessage(signal["signals/".Length..]))).Select(d => d.Recipient).Distinct())
        {
            await hub.As(recipient).DrainAsync(acknowledge: true);
        }

        // Hour by hour past the term: the service's timer fires on the moved clock and erases the content by itself.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        for (var hour = 0; hour < 26; hour++)
        {
            hub.Clock.Advance(TimeSpan.FromHours(1));
            await Task.Delay(20);
        }

        while ((await sdd.Signals.GetSignalAsync(new GetSignalRequest { Name = signal })).Signal.ContentEraseTime is null)
        {
            Assert.True(DateTime.UtcNow < deadline, "the retention service did not erase the content on its own");
            hub.Clock.Advance(TimeSpan.FromHours(1));
            await Task.Delay(100);
        }
    }

    private async Task<(string Client, PartyClient Sdd, PartyClient Coach)> CoachedClientAsync()
    {
        var sdd = _hub.As("sdd");
        var coach = _hub.As("waakvlam-zorg");
        var client = (await coach.RegisterAsync(Kit.NewBsn(), Date(1994, 11, 2), "0505")).Name;
        await coach.AssignCoachAsync(client, "lisa", "Lisa");
        await coach.GrantAsync(client, GrantorRole.Client, "waakvlam-zorg", [Purpose.SignalFollowUp, Purpose.CareDelivery], [DataCategory.Finances, DataCategory.SupportPlan]);
        return (client, sdd, coach);
    }

    private Task<RetentionResult> RunAsync() => _hub.Services.GetRequiredService<RetentionWork>().RunOnceAsync(CancellationToken.None);

    private static async Task<Signal> ReadAsync(PartyClient party, string name) =>
        (await party.Signals.GetSignalAsync(new GetSignalRequest { Name = name })).Signal;

    private Task<IReadOnlyList<Ketenhub.Hub.Delivery.DeliveryRecord>> DeliveriesOfAsync(string signal) =>
        _hub.Services.GetRequiredService<IHubStore>().ReadAsync(s => s.GetDeliveriesForMessage(signal["signals/".Length..]));

    private async Task<List<Ketenhub.Hub.Audit.AuditEvent>> AuditEventsAsync()
    {
        var records = await _hub.Services.GetRequiredService<IHubStore>().ReadAsync(s => s.ListAuditRecords(new AuditQuery(Limit: 100_000)));
        return [.. records.Select(r => AuditChain.Open(r).Event)];
    }

    private List<string> RawFindings(string needle)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(needle);
        return [.. Directory.GetFiles(_hub.DataDirectory).Where(f => File.ReadAllBytes(f).AsSpan().IndexOf(bytes) >= 0)];
    }

    /// <summary>Counts <c>ketenhub.retention.removed</c> by kind while it lives.</summary>
    private sealed class RemovedCounter : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly Dictionary<string, long> _counts = [];

        public RemovedCounter()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == Ketenhub.Hub.Common.HubMetrics.MeterName && instrument.Name == "ketenhub.retention.removed")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "kind" && tag.Value is string kind)
                    {
                        lock (_counts)
                        {
                            _counts[kind] = _counts.GetValueOrDefault(kind) + value;
                        }
                    }
                }
            });
            _listener.Start();
        }

        public long Of(string kind)
        {
            lock (_counts)
            {
                return _counts.GetValueOrDefault(kind);
            }
        }

        public void Dispose() => _listener.Dispose();
    }
}

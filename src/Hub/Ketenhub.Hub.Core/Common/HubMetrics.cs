using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Ketenhub.Hub.Common;

/// <summary>
/// The hub's own metrics (meter <c>Ketenhub.Hub</c>; docs/operations.md, "Metrics"). Every tag is a code from a closed
/// set (a method of the contract, a status, an outcome, a channel, a store): never a client, a party's own name for a
/// client, a BSN or free text. Values are recorded after the change they count was committed, except routing decisions,
/// which are counted as they are made (a write rolled back after deciding, which is rare, still counts; a repeated
/// request decides nothing again).
/// </summary>
public static class HubMetrics
{
    /// <summary>The meter's name, for an exporter to subscribe to.</summary>
    public const string MeterName = "Ketenhub.Hub";

    private static readonly Meter Meter = new(MeterName);

    // Bucket boundaries: seconds from a millisecond to five minutes (calls, commits, acknowledgements), and powers of two
    // for batch sizes; the exporters' defaults are made for milliseconds.
    private static readonly InstrumentAdvice<double> Seconds = new() { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300] };
    private static readonly InstrumentAdvice<long> Sizes = new() { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024] };

    private static readonly Counter<long> Calls = Meter.CreateCounter<long>("ketenhub.rpc.server.calls", "{call}", "Calls answered, by method and gRPC status.");
    private static readonly Histogram<double> CallDuration = Meter.CreateHistogram("ketenhub.rpc.server.duration", "s", "How long calls took, by method and gRPC status.", tags: null, advice: Seconds);
    private static readonly Counter<long> Decisions = Meter.CreateCounter<long>("ketenhub.consent.decisions", "{decision}", "Routing decisions for a recipient of a message, by outcome.");
    private static readonly Counter<long> Acknowledged = Meter.CreateCounter<long>("ketenhub.deliveries.acknowledged", "{delivery}", "Deliveries acknowledged by their recipient or its partner system, by channel.");
    private static readonly Counter<long> SetAside = Meter.CreateCounter<long>("ketenhub.deliveries.set_aside", "{delivery}", "Deliveries set aside, by channel.");
    private static readonly Counter<long> NotInFormat = Meter.CreateCounter<long>("ketenhub.deliveries.not_in_format", "{delivery}", "Deliveries closed without sending because the pushed partner's standard has no message for them, by channel.");
    private static readonly Histogram<double> AckLatency = Meter.CreateHistogram("ketenhub.delivery.ack_latency", "s", "From a delivery's creation to its acknowledgement, by channel.", tags: null, advice: Seconds);
    private static readonly Counter<long> Escalations = Meter.CreateCounter<long>("ketenhub.escalations", "{escalation}", "Signals escalated because nobody acknowledged them in time.");
    private static readonly Counter<long> RateLimited = Meter.CreateCounter<long>("ketenhub.rate_limit.refusals", "{call}", "Calls refused for the calling party's rate limit or the allowance for unknown callers.");
    private static readonly Histogram<double> CommitDuration = Meter.CreateHistogram("ketenhub.store.commit.duration", "s", "How long a store commit took, by store.", tags: null, advice: Seconds);
    private static readonly Histogram<long> CommitBatch = Meter.CreateHistogram("ketenhub.store.commit.batch_size", "{write}", "Writes committed together, by store.", tags: null, advice: Sizes);

    private static readonly Counter<long> RetentionRemoved = Meter.CreateCounter<long>("ketenhub.retention.removed", "{record}", "Records whose term passed, removed or emptied by the retention work, by kind (message_content, delivery_payload, idempotency_record, journey_event, message_record, delivery_record, audit_event).");
    private static readonly Counter<long> Erasures = Meter.CreateCounter<long>("ketenhub.erasure.requests", "{request}", "Requests to erase a client, by outcome (erased, already_erased, refused).");

    private static Func<IReadOnlyList<QueueSample>> _queues = static () => [];

    /// <summary>Where the queue gauges read their values (the hub's sampler); each value as of its last sample.</summary>
    public static void ObserveQueues(Func<IReadOnlyList<QueueSample>> source) => Volatile.Write(ref _queues, source ?? throw new ArgumentNullException(nameof(source)));

    private static readonly ObservableGauge<int> QueueDepth = Meter.CreateObservableGauge(
        "ketenhub.queue.depth",
        () => Volatile.Read(ref _queues)().Select(q => new Measurement<int>(q.Pending, new KeyValuePair<string, object?>("party", q.Party))),
        "{delivery}",
        "Deliveries pending for a party (not yet acknowledged, rejected for good or set aside), as last sampled.");

    private static readonly ObservableGauge<double> QueueAge = Meter.CreateObservableGauge(
        "ketenhub.queue.oldest_age",
        () => Volatile.Read(ref _queues)().Select(q => new Measurement<double>(q.OldestAge.TotalSeconds, new KeyValuePair<string, object?>("party", q.Party))),
        "s",
        "How long the oldest pending delivery of a party has waited, as last sampled (0 when none waits).");

    public static void Call(string method, string status, TimeSpan duration)
    {
        var tags = new TagList { { "rpc.method", method }, { "rpc.grpc.status", status } };
        Calls.Add(1, tags);
        CallDuration.Record(duration.TotalSeconds, tags);
    }

    public static void Decision(RecipientOutcome outcome) => Decisions.Add(1, new KeyValuePair<string, object?>("outcome", Code(outcome)));

    public static void Acknowledge(DeliveryChannel channel, TimeSpan sinceCreated)
    {
        var tag = new KeyValuePair<string, object?>("channel", Code(channel));
        Acknowledged.Add(1, tag);
        AckLatency.Record(Math.Max(0, sinceCreated.TotalSeconds), tag);
    }

    /// <summary>One delivery closed without sending: the pushed partner's standard has no message for it.</summary>
    public static void ClosedNotInFormat(DeliveryChannel channel) => NotInFormat.Add(1, new KeyValuePair<string, object?>("channel", Code(channel)));

    public static void SetAsideDelivery(DeliveryChannel channel) => SetAside.Add(1, new KeyValuePair<string, object?>("channel", Code(channel)));

    public static void Escalated(int count) => Escalations.Add(count);

    public static void RateLimitRefusal() => RateLimited.Add(1);

    /// <summary>Counts records the retention work removed; <paramref name="kind"/> is one of a closed set of codes.</summary>
    public static void Removed(string kind, int count)
    {
        if (count > 0)
        {
            RetentionRemoved.Add(count, new KeyValuePair<string, object?>("kind", kind));
        }
    }

    /// <summary>Counts a request to erase a client by its outcome code.</summary>
    public static void Erasure(string outcome) => Erasures.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public static void Commit(string store, TimeSpan duration, int writes)
    {
        var tag = new KeyValuePair<string, object?>("store", store);
        CommitDuration.Record(duration.TotalSeconds, tag);
        CommitBatch.Record(writes, tag);
    }

    private static string Code<T>(T value)
        where T : struct, Enum => value.ToString().ToLowerInvariant();
}

/// <summary>One party's queue as last sampled: its id (an organisation, from the parties file), pending deliveries, and the oldest one's age.</summary>
public sealed record QueueSample(string Party, int Pending, TimeSpan OldestAge);

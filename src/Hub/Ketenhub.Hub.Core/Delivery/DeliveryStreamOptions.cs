using Ketenhub.Hub.Common;
using System.ComponentModel.DataAnnotations;

namespace Ketenhub.Hub.Delivery;

/// <summary>
/// The delivery stream's defaults and redelivery pace (section <c>Hub:Streams</c>). A stream's request may set its own ack
/// deadline, flow control and heartbeat within <see cref="DeliveryStreamSettings"/>' bounds. Validated at start-up.
/// </summary>
public sealed class DeliveryStreamOptions
{
    public const string Section = "Hub:Streams";

    /// <summary>How long a delivery stays leased to the stream it was sent on without an answer, when the request sets no <c>ack_deadline</c>. <value>The default value is 60 seconds.</value></summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan DefaultAckDeadline { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How many deliveries a stream holds unanswered at most, when the request sets no <c>max_outstanding</c>. <value>The default value is 100.</value></summary>
    [Range(1, 1000)]
    public int DefaultMaxOutstanding { get; set; } = 100;

    /// <summary>The pause before a rejected delivery is offered again after its first attempt; it doubles with every further attempt. <value>The default value is 1 second.</value></summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan RedeliveryBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest pause before a rejected delivery is offered again. <value>The default value is 1 minute.</value></summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan MaxRedeliveryBackoff { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The pause before a delivery rejected after <paramref name="attempts"/> attempts is offered again.</summary>
    public TimeSpan BackoffAfter(int attempts)
    {
        var exponent = Math.Clamp(attempts - 1, 0, 30);
        return TimeSpan.FromTicks((long)Math.Min(MaxRedeliveryBackoff.Ticks, RedeliveryBackoff.Ticks * Math.Pow(2, exponent)));
    }
}

/// <summary>How a delivery stream shares its party's deliveries with the party's other streams (the contract's numbers).</summary>
public enum StreamSharing
{
    /// <summary>Not set: <see cref="Shared"/>.</summary>
    Unspecified = 0,

    /// <summary>The party's shared streams are one group: each delivery is leased to one of them at a time.</summary>
    Shared = 1,

    /// <summary>The stream gets every delivery of the party; its leases hold on this stream only.</summary>
    FanOut = 2,
}

/// <summary>One stream's settings, checked against their bounds (<see cref="Check"/>).</summary>
/// <param name="AckDeadline">How long a sent delivery stays leased to the stream without an answer.</param>
/// <param name="MaxOutstanding">How many deliveries the stream holds unanswered at most.</param>
/// <param name="Sharing">Shared with the party's other shared streams, or fan-out.</param>
/// <param name="HeartbeatInterval">Heartbeats at least this often, and when caught up; null for none.</param>
public sealed record DeliveryStreamSettings(TimeSpan AckDeadline, int MaxOutstanding, StreamSharing Sharing, TimeSpan? HeartbeatInterval)
{
    public static readonly TimeSpan MinAckDeadline = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxAckDeadline = TimeSpan.FromHours(1);
    public const int MaxMaxOutstanding = 1000;
    public static readonly TimeSpan MinHeartbeatInterval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxHeartbeatInterval = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The settings a request asks for, the hub's defaults where it leaves them unset (null durations, zero count,
    /// unspecified sharing); VALUE_OUT_OF_RANGE or UNKNOWN_ENUM_VALUE for a value outside its bounds.
    /// </summary>
    public static DeliveryStreamSettings Check(TimeSpan? ackDeadline, int maxOutstanding, StreamSharing sharing, TimeSpan? heartbeatInterval, DeliveryStreamOptions defaults)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        var v = new Common.Validator();
        if (ackDeadline is { } deadline && (deadline < MinAckDeadline || deadline > MaxAckDeadline))
        {
            v.Add(ErrorReasons.ValueOutOfRange, "ack_deadline", "ack_deadline must lie between 1 second and 1 hour.", ("min", "1"), ("max", "3600"));
        }

        if (maxOutstanding is < 0 or > MaxMaxOutstanding)
        {
            v.Add(ErrorReasons.ValueOutOfRange, "max_outstanding", "max_outstanding must lie between 1 and 1000.", ("min", "1"), ("max", "1000"));
        }

        TextRules.CheckEnum(v, sharing, "delivery_mode", required: false);
        if (heartbeatInterval is { } interval && (interval < MinHeartbeatInterval || interval > MaxHeartbeatInterval))
        {
            v.Add(ErrorReasons.ValueOutOfRange, "heartbeat_interval", "heartbeat_interval must lie between 1 second and 10 minutes.", ("min", "1"), ("max", "600"));
        }

        v.ThrowIfAny();
        return new DeliveryStreamSettings(
            ackDeadline ?? defaults.DefaultAckDeadline,
            maxOutstanding == 0 ? defaults.DefaultMaxOutstanding : maxOutstanding,
            sharing == StreamSharing.FanOut ? StreamSharing.FanOut : StreamSharing.Shared,
            heartbeatInterval);
    }
}

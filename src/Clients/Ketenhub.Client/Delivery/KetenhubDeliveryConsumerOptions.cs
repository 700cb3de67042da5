namespace Ketenhub.Client;

/// <summary>Settings of a <see cref="KetenhubDeliveryConsumer"/>.</summary>
public sealed class KetenhubDeliveryConsumerOptions
{
    /// <summary>
    /// Sent as the first stream's <c>after_sequence</c>. A hint only: the hub sends every unacknowledged delivery
    /// whatever it holds, so it never hides one. <value>The default value is 0.</value>
    /// </summary>
    public long StartAfterSequence { get; set; }

    /// <summary>The first pause before reconnecting after a broken stream, and before a failed delivery comes again. <value>The default value is 1 second.</value></summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest pause; pauses double up to it, with random jitter. <value>The default value is 1 minute.</value></summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The reason code sent with <c>RejectDelivery</c> when the handler throws (your own code, up to 64
    /// printable characters, no personal data). <value>The default value is <c>HANDLER_FAILED</c>.</value>
    /// </summary>
    public string RejectReasonCode { get; set; } = "HANDLER_FAILED";

    /// <summary>
    /// How many deliveries the hub sends ahead without an acknowledgement (the stream's <c>max_outstanding</c>), 1 to
    /// 1000; 0 takes the hub's default. The consumer handles one delivery at a time, so keep this times the handler's
    /// time well below <see cref="AckDeadline"/>: a delivery waiting here past its deadline is offered again.
    /// <value>The default value is 10.</value>
    /// </summary>
    public int MaxOutstanding { get; set; } = 10;

    /// <summary>
    /// How long the hub leases a delivery sent to this consumer before it offers it again (the stream's
    /// <c>ack_deadline</c>), 1 second to 1 hour; null takes the hub's default (60 seconds unless its operator changed
    /// it). <value>The default value is null.</value>
    /// </summary>
    public TimeSpan? AckDeadline { get; set; }

    /// <summary>
    /// False (the default): this consumer shares the party's deliveries with the party's other consumers (replicas),
    /// each delivery going to one of them at a time. True: it gets every delivery of the party, whatever the others hold.
    /// <value>The default value is false.</value>
    /// </summary>
    public bool FanOut { get; set; }
}

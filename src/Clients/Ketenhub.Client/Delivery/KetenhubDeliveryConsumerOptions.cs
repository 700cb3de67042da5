namespace Ketenhub.Client;

/// <summary>Settings of a <see cref="KetenhubDeliveryConsumer"/>.</summary>
public sealed class KetenhubDeliveryConsumerOptions
{
    /// <summary>
    /// Where the first stream starts: only deliveries with a higher sequence. 0 (the default) takes every
    /// unacknowledged delivery, which is what a consumer normally wants at start-up.
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
}

using System.ComponentModel.DataAnnotations;

namespace Ketenhub.Hub.Host.Transport;

/// <summary>
/// The hub's own HTTP/2 keepalive (section <c>Hub:KeepAlive</c>): on a connection that has been quiet for
/// <see cref="PingDelay"/>, Kestrel sends a PING and closes the connection when no answer comes within
/// <see cref="PingTimeout"/>. So a delivery stream whose recipient vanished (a dropped NAT mapping, a killed process
/// behind a proxy) ends on the hub side too, and its leased deliveries go back to the recipient's other streams.
/// Validated at start-up.
/// </summary>
public sealed class KeepAliveOptions
{
    public const string Section = HubOptions.Section + ":KeepAlive";

    /// <summary>How long a connection may be quiet before the hub pings it. <value>The default value is 30 seconds.</value></summary>
    [Range(typeof(TimeSpan), "00:00:05", "01:00:00")]
    public TimeSpan PingDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the hub waits for the answer to its ping before it closes the connection. <value>The default value is 20 seconds.</value></summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan PingTimeout { get; set; } = TimeSpan.FromSeconds(20);
}

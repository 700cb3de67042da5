using System.ComponentModel.DataAnnotations;

namespace Ketenhub.Hub.Host.Inbound;

/// <summary>The partner adapters' inbound endpoints (section <c>Hub:Inbound</c>).</summary>
public sealed class InboundOptions
{
    public const string Section = HubOptions.Section + ":Inbound";

    /// <summary>Largest message body accepted on an inbound endpoint, in bytes. <value>The default value is 1 MiB.</value></summary>
    [Range(1024, 6 * 1024 * 1024)]
    public int MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// The hub's public base address (for example <c>https://ketenhub.example.nl/</c>). Identifier systems for the hub's
    /// ids are built from it (<c>{base}/id/referrals</c>), so it must be the address the hub's outbound messages carry.
    /// Empty: the address the request came in on.
    /// </summary>
    [Url]
    public string? PublicBaseUrl { get; set; }
}

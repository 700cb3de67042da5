namespace Ketenhub.Hub.Audit;

/// <summary>Audit trail settings (section <c>Hub:Audit</c>). Validated at start-up.</summary>
public sealed class AuditOptions
{
    public const string Section = "Hub:Audit";

    /// <summary>
    /// Key (base64, at least 16 bytes) of the client pseudonyms in the audit trail. Keep it secret and stable:
    /// a new key gives every client a new pseudonym, so older events are no longer found by client.
    /// <value>The default value is empty: the key is derived from <c>Hub:BsnLookupKey</c> (HKDF with its own label).</value>
    /// </summary>
    public string PseudonymKey { get; set; } = string.Empty;
}

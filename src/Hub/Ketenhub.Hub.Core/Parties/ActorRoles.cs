namespace Ketenhub.Hub.Parties;

/// <summary>The roles an identity can grant an <see cref="Actor"/>.</summary>
public static class ActorRoles
{
    /// <summary>The hub's operators: may read and replay any party's deliveries.</summary>
    public const string Admin = "admin";

    /// <summary>The privacy officer: may read and verify the audit trail and any client's access report.</summary>
    public const string PrivacyOfficer = "privacy-officer";

    /// <summary>
    /// The pilot monitor: may read the pilot report, aggregates only. Grants nothing per client: the per-client calls
    /// still need a relationship with the client.
    /// </summary>
    public const string Monitor = "monitor";
}

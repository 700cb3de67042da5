using Ketenhub.Hub.Common;

namespace Ketenhub.Hub.Clients;

/// <summary>
/// A client inside the hub: a stable id; the BSN is kept only as a keyed hash (for lookup) and encrypted in
/// <see cref="ProtectedBsn"/> (see <see cref="BsnProtector"/>), decrypted only for a delivery to a party with a
/// legal need (<see cref="ClientDisclosure"/>).
/// </summary>
public sealed record ClientRecord(
    string Id,
    string BsnHash,
    string ProtectedBsn,
    DateOnly BirthDate,
    string MunicipalityCode,
    DateTimeOffset CreateTime)
{
    /// <summary>Set once the hub has handled the client's 18th birthday (coach task, consent hold).</summary>
    public bool ComingOfAgeHandled { get; init; }

    public string Name => "clients/" + Id;

    public DateOnly EighteenthBirthday => BirthDate.AddYears(18);

    public int AgeOn(DateOnly date) => DutchTime.AgeOn(BirthDate, date);
}

/// <summary>A party's role for a client over a period: school of record, provider, social service, coach's employer.</summary>
public sealed record ClientRole(
    string Id,
    string ClientId,
    string PartyId,
    RoleKind Kind,
    DateTimeOffset From,
    DateTimeOffset? Until,
    string Source)
{
    public bool IsCurrentAt(DateTimeOffset now) => From <= now && (Until is null || now < Until);
}

/// <summary>A client without the BSN: what answers and stored request results carry.</summary>
public sealed record ClientSummary(string Id, DateOnly BirthDate, string MunicipalityCode, DateTimeOffset CreateTime)
{
    public string Name => "clients/" + Id;

    public static ClientSummary From(ClientRecord client) => new(client.Id, client.BirthDate, client.MunicipalityCode, client.CreateTime);
}

using Ketenhub.Hub.Common;

namespace Ketenhub.Hub.Clients;

/// <summary>
/// A client inside the hub: a stable id; the BSN is kept only as a keyed hash (for lookup) and encrypted in
/// <see cref="ProtectedBsn"/> (see <see cref="BsnProtector"/>), decrypted only for a delivery to a party with a
/// legal need (<see cref="ClientDisclosure"/>).
/// <para>
/// Where the client lives is a fact with a history: <see cref="MunicipalityCode"/> is the municipality as registered
/// (or corrected before anyone vouched for it), and <see cref="Residences"/> the moves since, each from a date. Routing
/// and access use <see cref="MunicipalityOn"/> for the date of the message.
/// </para>
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

    /// <summary>Moves and corrections of the municipality after registration, oldest first (by <see cref="Residence.From"/>).</summary>
    public IReadOnlyList<Residence> Residences { get; init; } = [];

    /// <summary>
    /// What the person source said when it last disagreed with the facts a party sent (its birth date, municipality and
    /// since when), so the same disagreement raises one task, not one per check. Null while it agrees.
    /// </summary>
    public string? SourceConflict { get; init; }

    /// <summary>The date of death the person source records, if any.</summary>
    public DateOnly? DeathDate { get; init; }

    /// <summary>The client's recorded legal representatives, current and past (see <see cref="RepresentationRules"/>).</summary>
    public IReadOnlyList<Representation> Representations { get; init; } = [];

    /// <summary>
    /// When a privacy officer erased the client (<see cref="Retention.ClientErasure"/>): the record is a tombstone that
    /// keeps only the id, so references to it resolve to "erased"; null for a client that was not erased.
    /// </summary>
    public DateTimeOffset? EraseTime { get; init; }

    public string Name => "clients/" + Id;

    /// <summary>The municipality the client lives in on <paramref name="date"/>: the last residence that began on or before it.</summary>
    public string MunicipalityOn(DateOnly date)
    {
        var code = MunicipalityCode;
        foreach (var residence in Residences)
        {
            if (residence.From <= date)
            {
                code = residence.MunicipalityCode;
            }
        }

        return code;
    }

    /// <summary>The municipality at <paramref name="time"/> (its date in the Netherlands).</summary>
    public string MunicipalityAt(DateTimeOffset time) => MunicipalityOn(DutchTime.DateOf(time));

    /// <summary>The client with a residence added in date order (a later move recorded earlier stays after it).</summary>
    public ClientRecord WithResidence(Residence residence)
    {
        ArgumentNullException.ThrowIfNull(residence);
        var list = Residences.ToList();
        var at = list.FindLastIndex(r => r.From <= residence.From) + 1;
        list.Insert(at, residence);
        return this with { Residences = list };
    }

    public DateOnly EighteenthBirthday => BirthDate.AddYears(18);

    public int AgeOn(DateOnly date) => DutchTime.AgeOn(BirthDate, date);
}

/// <summary>How a change of the client's municipality reached the hub.</summary>
public enum ResidenceSource
{
    /// <summary>A relocation transition announced by a party with a relationship.</summary>
    Relocation = 1,

    /// <summary>A correction by a party with a role (<c>CorrectClientFacts</c>).</summary>
    Correction = 2,

    /// <summary>The person source (the population register).</summary>
    PersonSource = 3,
}

/// <summary>
/// The client lives in <paramref name="MunicipalityCode"/> from <paramref name="From"/> on (until a later residence).
/// <paramref name="RecordedBy"/> is the party that recorded it (or <c>person-source</c>); <paramref name="Reference"/>
/// the transition that announced it, if any.
/// </summary>
public sealed record Residence(string MunicipalityCode, DateOnly From, ResidenceSource Source, string RecordedBy, DateTimeOffset RecordTime, string? Reference = null);

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

    /// <summary>The client as it stands at <paramref name="now"/> (the municipality it lives in then).</summary>
    public static ClientSummary From(ClientRecord client, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(client);
        return new(client.Id, client.BirthDate, client.MunicipalityAt(now), client.CreateTime);
    }
}

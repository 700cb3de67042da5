using Ketenhub.Hub.Common;

namespace Ketenhub.Hub.Parties;

/// <summary>
/// An organisation connected to the hub, with its Dutch identifiers. <paramref name="BsnLegalBasis"/> is set for
/// a party with a legal need for the BSN (for example a care provider under the Wabvpz): only such a party
/// receives the client's BSN in a delivery; every other party receives a pseudonym of its own.
/// <paramref name="Endpoint"/> is where the hub pushes the deliveries of a party whose <paramref name="Channel"/> is
/// not <see cref="DeliveryChannel.Stream"/> (a FHIR base address, an iWmo or webhook URL). <paramref name="Ura"/> is the
/// party's URA (UZI-register abonneenummer, eight digits) where it has one: care providers are known by it in FHIR.
/// </summary>
public sealed record Party(
    string Id,
    PartyKind Kind,
    string DisplayName,
    DeliveryChannel Channel,
    IReadOnlyList<string> MunicipalityCodes,
    string? Brin = null,
    string? Agb = null,
    string? Oin = null,
    string? Kvk = null,
    string? BsnLegalBasis = null,
    Uri? Endpoint = null,
    string? Ura = null)
{
    public string Name => "parties/" + Id;

    /// <summary>Does the party receive the client's BSN in its deliveries?</summary>
    public bool ReceivesBsn => BsnLegalBasis is not null;

    /// <summary>Does the hub push this party's deliveries through an adapter, instead of the party opening a stream?</summary>
    public bool IsPushed => Channel != DeliveryChannel.Stream;
}

/// <summary>The configured parties. Read-only at run time.</summary>
public sealed class PartyDirectory
{
    private readonly Dictionary<string, Party> _byId;

    /// <summary>The kinds of party that may name a client's first coach when the parties file does not say.</summary>
    public static readonly IReadOnlySet<PartyKind> DefaultFirstCoachKinds = new HashSet<PartyKind> { PartyKind.School, PartyKind.SocialService, PartyKind.Wijkteam };

    public PartyDirectory(IEnumerable<Party> parties, IReadOnlySet<PartyKind>? firstCoachKinds = null)
    {
        _byId = parties.ToDictionary(p => p.Id, StringComparer.Ordinal);
        All = [.. _byId.Values.OrderBy(p => p.Id, StringComparer.Ordinal)];
        FirstCoachKinds = firstCoachKinds ?? DefaultFirstCoachKinds;
    }

    public IReadOnlyList<Party> All { get; }

    /// <summary>
    /// The kinds of party that may name the first coach of a client without one (parties file: <c>firstCoachNamedBy</c>).
    /// The caller needs a relationship with the client as well (see <c>CareRelationships</c>); a kind listed here
    /// grants nothing by itself.
    /// </summary>
    public IReadOnlySet<PartyKind> FirstCoachKinds { get; }

    /// <summary>Whether the parties file marks itself as the demo configuration (<c>"demo": true</c>), which runs only in Development.</summary>
    public bool IsDemo { get; init; }

    public Party? Find(string? id) => id is not null && _byId.TryGetValue(id, out var p) ? p : null;

    /// <summary>Resolves a <c>parties/{id}</c> name of an existing party, or throws UNKNOWN_PARTY for the field.</summary>
    public Party Require(string? name, string field)
    {
        var id = Ids.Require(name, "parties", field);
        return Find(id) ?? throw HubException.Invalid(ErrorReasons.UnknownParty, field, $"{field} names a party the hub does not know.");
    }

    /// <summary>The social service that serves a municipality, if one is configured.</summary>
    public Party? SocialServiceFor(string municipalityCode) =>
        All.FirstOrDefault(p => p.Kind == PartyKind.SocialService && p.MunicipalityCodes.Contains(municipalityCode));

    /// <summary>The wijkteam that serves a municipality, if one is configured.</summary>
    public Party? WijkteamFor(string municipalityCode) =>
        All.FirstOrDefault(p => p.Kind == PartyKind.Wijkteam && p.MunicipalityCodes.Contains(municipalityCode));
}

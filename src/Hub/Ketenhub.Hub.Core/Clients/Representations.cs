using Ketenhub.Hub.Common;

namespace Ketenhub.Hub.Clients;

/// <summary>
/// One recorded representation of a client. The representative's name is personal data: it is stored sealed
/// (<see cref="ProtectedName"/>, see <see cref="FreeTextProtector"/>) and opened only for the parties that may read the
/// client's representatives and for the client's own access report. <paramref name="Source"/> is <c>party</c> for a
/// representation a party recorded, or <c>person-source</c> for parental authority from the population register.
/// </summary>
public sealed record Representation(
    string Id,
    RepresentationKind Kind,
    string ProtectedName,
    DateOnly From,
    DateOnly? Until,
    string RecordedBy,
    string Source,
    DateTimeOffset RecordTime)
{
    public string Name => "representatives/" + Id;

    /// <summary>Where the sealed name is bound to (associated data): the client and the representation.</summary>
    public static string Place(string clientId, string representationId) => $"clients/{clientId}/representatives/{representationId}";
}

/// <summary>The rules of legal representation the hub applies to consents (docs/security.md, "Representatives").</summary>
public static class RepresentationRules
{
    /// <summary>Representations that exist only while the client is a minor.</summary>
    public static bool ForMinors(RepresentationKind kind) => kind is RepresentationKind.ParentalAuthority or RepresentationKind.Guardianship;

    /// <summary>Does the representation hold on <paramref name="date"/>: begun, not ended, and for a minor's representation, before the 18th birthday.</summary>
    public static bool IsCurrentOn(Representation representation, ClientRecord client, DateOnly date)
    {
        ArgumentNullException.ThrowIfNull(representation);
        ArgumentNullException.ThrowIfNull(client);
        return representation.From <= date
            && (representation.Until is null || date < representation.Until)
            && (!ForMinors(representation.Kind) || date < client.EighteenthBirthday);
    }

    /// <summary>The representation a grantor role needs, or null for the client's own consent.</summary>
    public static RepresentationKind? KindFor(GrantorRole grantor) => grantor switch
    {
        GrantorRole.Parent => RepresentationKind.ParentalAuthority,
        GrantorRole.Guardian => RepresentationKind.Guardianship,
        GrantorRole.Mentor => RepresentationKind.Mentorship,
        GrantorRole.Curator => RepresentationKind.Curatorship,
        GrantorRole.Administrator => RepresentationKind.Administration,
        _ => null,
    };

    /// <summary>May a representative of this kind decide on data of this category? A mentor not on money; an administrator only on money.</summary>
    public static bool Covers(RepresentationKind kind, DataCategory category) => kind switch
    {
        RepresentationKind.Mentorship => category != DataCategory.Finances,
        RepresentationKind.Administration => category == DataCategory.Finances,
        _ => true,
    };

    /// <summary>The client's representation of <paramref name="kind"/> that holds on <paramref name="date"/>, if exactly one does.</summary>
    public static IReadOnlyList<Representation> CurrentOfKind(ClientRecord client, RepresentationKind kind, DateOnly date)
    {
        ArgumentNullException.ThrowIfNull(client);
        return [.. client.Representations.Where(r => r.Kind == kind && IsCurrentOn(r, client, date))];
    }
}

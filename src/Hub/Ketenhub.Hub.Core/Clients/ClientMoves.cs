using Ketenhub.Hub.Common;
using Ketenhub.Hub.Journeys;
using Ketenhub.Hub.Parties;
using Ketenhub.Hub.Storage;

namespace Ketenhub.Hub.Clients;

/// <summary>
/// A change of the municipality a client lives in: a relocation transition, a correction by a party with a role, or
/// the person source. The client gets a <see cref="Residence"/> from the date of the move; routing and access use the
/// municipality of each message's date from then on (<see cref="ClientRecord.MunicipalityOn"/>). The social service
/// of the old municipality loses the role it had as the client's social service on that date; its other roles stay,
/// and the wijkteam's municipal relationship ends by itself, as it follows the municipality.
/// </summary>
public static class ClientMoves
{
    /// <summary>What a move records: the client as it reads after the move, and the roles it ends (as they will read).</summary>
    public sealed record Move(ClientRecord Client, Residence Residence, string PreviousMunicipality, IReadOnlyList<ClientRole> EndedRoles);

    /// <summary>
    /// The move of <paramref name="client"/> to <paramref name="municipalityCode"/> from <paramref name="from"/>, without
    /// storing it (explain routes on it too). Null when the client already lives there on that date.
    /// </summary>
    public static Move? Plan(ClientRecord client, IReadOnlyList<ClientRole> roles, PartyDirectory parties, string municipalityCode, DateOnly from, ResidenceSource source, string recordedBy, DateTimeOffset now, string? reference)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(roles);
        ArgumentNullException.ThrowIfNull(parties);
        var previous = client.MunicipalityOn(from);
        if (previous == municipalityCode)
        {
            return null;
        }

        var residence = new Residence(municipalityCode, from, source, recordedBy, now, reference);
        var moved = client.WithResidence(residence);
        var start = DutchTime.StartOf(from);
        var ended = roles
            .Where(r => r.Kind == RoleKind.SocialService && (r.Until is null || r.Until > start))
            .Where(r => parties.Find(r.PartyId) is not { } party || !party.MunicipalityCodes.Contains(municipalityCode))
            .Select(r => r with { Until = start < r.From ? r.From : start, Source = reference ?? r.Source })
            .ToList();
        return new Move(moved, residence, previous, ended);
    }

    /// <summary>
    /// Stores a planned move: the client, the ended roles, and the journey's steps (a <c>MUNICIPALITY_CHANGED</c>
    /// dated at the move, detail <c>{from} {to} {source}</c>, and a <c>ROLE_ENDED</c> per ended role unless
    /// <paramref name="rolesJournaled"/>: a transition writes those steps for every role it ends itself).
    /// </summary>
    public static void Record(IHubSession session, Move move, string actor, string? resource, bool rolesJournaled = false)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(move);
        var client = move.Client;
        var residence = move.Residence;
        session.UpdateClient(client);
        var at = DutchTime.StartOf(residence.From);
        session.AppendJourneyEvent(new JourneyEvent(0, client.Id, at, JourneyEventType.MunicipalityChanged, actor, resource ?? client.Name, $"{move.PreviousMunicipality} {residence.MunicipalityCode} {Code(residence.Source)}"));
        if (rolesJournaled)
        {
            foreach (var role in move.EndedRoles)
            {
                session.UpdateRole(role);
            }

            return;
        }

        EndRoles(session, move, resource);
    }

    /// <summary>Stores the roles a move ends, each with its <c>ROLE_ENDED</c> step dated at its end.</summary>
    public static void EndRoles(IHubSession session, Move move, string? resource)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(move);
        foreach (var role in move.EndedRoles)
        {
            session.UpdateRole(role);
            session.AppendJourneyEvent(new JourneyEvent(0, move.Client.Id, role.Until!.Value, JourneyEventType.RoleEnded, role.PartyId, resource ?? move.Client.Name, "SOCIAL_SERVICE"));
        }
    }

    private static string Code(ResidenceSource source) => source switch
    {
        ResidenceSource.Relocation => "RELOCATION",
        ResidenceSource.Correction => "CORRECTION",
        _ => "PERSON_SOURCE",
    };
}

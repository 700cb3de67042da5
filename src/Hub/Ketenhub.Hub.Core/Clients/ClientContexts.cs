using Ketenhub.Hub.Common;
using Ketenhub.Hub.Routing;
using Ketenhub.Hub.Storage;

namespace Ketenhub.Hub.Clients;

/// <summary>Loads what the hub knows about a client, for routing and access decisions.</summary>
public static class ClientContexts
{
    public static ClientContext Load(IHubSession session, ClientRecord client, DateTimeOffset now)
    {
        var coach = session.GetCoachAssignments(client.Id).FirstOrDefault(a => a.From <= now && (a.Until is null || now < a.Until));
        return new ClientContext(client, session.GetRoles(client.Id), coach, session.GetConsents(client.Id));
    }

    public static ClientRecord RequireClient(IHubSession session, string? clientName, string field)
    {
        var id = Ids.Require(clientName, "clients", field);
        var client = session.FindClient(id) ?? throw HubException.NotFound(ErrorReasons.ClientNotFound, "The client");

        // An erased client is a tombstone: its name still resolves, to "erased", and nothing more is done with it.
        return client.EraseTime is null ? client : throw Retention.ClientErasure.Erased();
    }

    /// <summary>The client's school of record now (the party with a current school role), or null.</summary>
    public static string? CurrentSchool(IHubSession session, string clientId, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(session);
        return session.GetRoles(clientId).FirstOrDefault(r => r.Kind == RoleKind.School && r.IsCurrentAt(now))?.PartyId;
    }

    /// <summary>Does the party have a current role for the client (school, provider, social service, or the coach's employer)?</summary>
    public static bool HasCurrentRole(ClientContext context, string partyId, DateTimeOffset now) =>
        context.Roles.Any(r => r.PartyId == partyId && r.IsCurrentAt(now))
        || context.Coach?.Coach.PartyId == partyId;
}

using Ketenhub.Hub.Audit;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Parties;
using Ketenhub.Hub.Storage;

namespace Ketenhub.Hub.Clients;

/// <summary>
/// Whether a party has a care relationship with a client, which the hub requires before the party may change what
/// others receive about the client (record, withdraw or confirm a consent; announce a transition, which changes the
/// client's roles and may change the coach). A relationship is, in this order:
/// <list type="bullet">
/// <item>a current role (school of record, provider, social service, the coach's organisation);</item>
/// <item>the social service or wijkteam of the client's municipality (by the party's configured municipality codes);</item>
/// <item>having acted for the client before in a way that itself needed a relationship: the client's journey names
/// the party for registering the client (creating it), naming its coach, recording a consent or announcing a
/// transition. Raising a signal or requesting a referral, which any party that meets the client may do, does not
/// count;</item>
/// <item>being a recipient the hub routed a message about the client to.</item>
/// </list>
/// </summary>
public static class CareRelationships
{
    /// <summary>Notes the relationship on the audit note, or refuses with NO_ROLE_FOR_CLIENT.</summary>
    public static void Require(IHubSession session, ClientRecord client, Party caller, DateTimeOffset now, AuditNote note)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(note);
        var context = ClientContexts.Load(session, client, now);
        if (ClientContexts.HasCurrentRole(context, caller.Id, now))
        {
            note.Relationship(context, caller.Id, now);
            return;
        }

        if (caller.Kind is PartyKind.SocialService or PartyKind.Wijkteam && caller.MunicipalityCodes.Contains(client.MunicipalityCode))
        {
            note.Check(AuditCheckKind.Relationship, AuditChecks.ServesMunicipality);
            return;
        }

        if (ActedFor(session, client.Id, caller.Id))
        {
            note.Check(AuditCheckKind.Relationship, AuditChecks.ActedForClient);
            return;
        }

        // The hub routed a message about the client to the caller (perhaps waiting for this very consent): the client
        // is expected at its desk.
        if (session.ListDeliveries(new DeliveryQuery(caller.Id, null, client.Id, 0, 1)).Count > 0)
        {
            note.Check(AuditCheckKind.Relationship, AuditChecks.RoutedRecipient);
            return;
        }

        note.Refuse();
        throw HubException.Denied(ErrorReasons.NoRoleForClient, "The caller has no relationship with this client: no current role, no earlier act for it, no message about it.");
    }

    // Only acts that themselves needed a relationship (or created the client) count. Raising a signal or requesting
    // a referral is open to any party that meets the client, so it must not open the client's consents to that party.
    private static bool Establishes(JourneyEventType type) => type is JourneyEventType.ClientRegistered
        or JourneyEventType.CoachAssigned or JourneyEventType.ConsentGranted or JourneyEventType.ConsentWithdrawn
        or JourneyEventType.ConsentConfirmed or JourneyEventType.TransitionAnnounced;

    private static bool ActedFor(IHubSession session, string clientId, string partyId)
    {
        const int Page = 500;
        var after = 0L;
        while (true)
        {
            var events = session.GetJourney(clientId, after, Page);
            if (events.Any(e => e.PartyId == partyId && Establishes(e.Type)))
            {
                return true;
            }

            if (events.Count < Page)
            {
                return false;
            }

            after = events[^1].Sequence;
        }
    }
}

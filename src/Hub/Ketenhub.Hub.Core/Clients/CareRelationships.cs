using Ketenhub.Hub.Audit;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Parties;
using Ketenhub.Hub.Routing;
using Ketenhub.Hub.Storage;

namespace Ketenhub.Hub.Clients;

/// <summary>
/// Whether a party has a care relationship with a client, which the hub requires before the party may change what
/// others receive about the client (record, withdraw or confirm a consent; announce a transition, which changes the
/// client's roles and may change the coach; name the first coach). A relationship comes only from acts the hub can
/// check, never from a claim. It is, in this order:
/// <list type="bullet">
/// <item>a current role: school of record (a school that registered its own student), provider (through a referral,
/// requested by a party with a relationship, that it started, or a transition that names it), social service (a
/// school-leaver transition that names it) or the coach's organisation (an assignment by a party with a
/// relationship);</item>
/// <item>the social service or wijkteam of the client's municipality (by the party's configured municipality codes);</item>
/// <item>having acted for the client before in a way that itself needed a relationship: the client's journey names
/// the party for naming its coach, recording a consent or announcing a transition. Registering the client, raising
/// a signal or requesting a referral, which any party that meets the client may do, does not count;</item>
/// <item>being a recipient of a transition about the client, or of a referral whose requester had a relationship
/// (for example the social service waiting for the client's consent to receive a transition).</item>
/// </list>
/// </summary>
public static class CareRelationships
{
    /// <summary>Notes the relationship on the audit note, or refuses with NO_ROLE_FOR_CLIENT (the note is marked refused).</summary>
    public static void Require(IHubSession session, ClientRecord client, Party caller, DateTimeOffset now, AuditNote note)
    {
        ArgumentNullException.ThrowIfNull(note);
        var context = ClientContexts.Load(session, client, now);
        if (Find(session, context, caller, now) is not { } relationship)
        {
            note.Refuse();
            throw HubException.Denied(ErrorReasons.NoRoleForClient, "The caller has no relationship with this client: no current role, no earlier act for it, no message about it.");
        }

        Note(note, context, caller, relationship, now);
    }

    /// <summary>
    /// The caller's relationship with the client of <paramref name="context"/> (an audit check code, or
    /// <see cref="CurrentRole"/>), or null when it has none.
    /// </summary>
    public static string? Find(IHubSession session, ClientContext context, Party caller, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(caller);
        var client = context.Client;
        if (ClientContexts.HasCurrentRole(context, caller.Id, now))
        {
            return CurrentRole;
        }

        if (ServesMunicipality(caller, client.MunicipalityAt(now)))
        {
            return AuditChecks.ServesMunicipality;
        }

        if (ActedFor(session, client.Id, caller.Id))
        {
            return AuditChecks.ActedForClient;
        }

        return RoutedTo(session, client.Id, caller.Id) ? AuditChecks.RoutedRecipient : null;
    }

    /// <summary>Is the party the social service or wijkteam of the municipality?</summary>
    public static bool ServesMunicipality(Party party, string municipalityCode)
    {
        ArgumentNullException.ThrowIfNull(party);
        return RelationshipRules.ServesMunicipalities(party.Kind) && party.MunicipalityCodes.Contains(municipalityCode);
    }

    /// <summary>
    /// Does anyone vouch for the client's stored facts? True once any party has or had a role, a coach was named or a
    /// consent recorded: each of those needed a relationship. A client registered only by parties without one (a
    /// registration that created no role) is vouched for by nobody, and a party that establishes a relationship by
    /// registering the client with other facts replaces them (see <c>ClientRegistry.RegisterAsync</c>).
    /// </summary>
    public static bool IsVouchedFor(IHubSession session, string clientId)
    {
        ArgumentNullException.ThrowIfNull(session);
        return session.GetRoles(clientId).Count > 0 || session.GetCoachAssignments(clientId).Count > 0 || session.GetConsents(clientId).Count > 0;
    }

    /// <summary>What <see cref="Find"/> answers for a current role; <see cref="Note"/> writes the roles themselves.</summary>
    public const string CurrentRole = "CURRENT_ROLE";

    /// <summary>Notes a relationship <see cref="Find"/> found on the audit note: the current roles, or the other check's code.</summary>
    public static void Note(AuditNote note, ClientContext context, Party caller, string relationship, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(note);
        ArgumentNullException.ThrowIfNull(caller);
        if (relationship == CurrentRole)
        {
            note.Relationship(context, caller.Id, now);
        }
        else
        {
            note.Check(AuditCheckKind.Relationship, relationship);
        }
    }

    // Only acts that themselves needed a relationship count. Registering a client, raising a signal or requesting a
    // referral is open to any party that meets the client, so it must not open the client's consents to that party.
    private static bool Establishes(JourneyEventType type) => type is JourneyEventType.CoachAssigned
        or JourneyEventType.ConsentGranted or JourneyEventType.ConsentWithdrawn
        or JourneyEventType.ConsentConfirmed or JourneyEventType.TransitionAnnounced or JourneyEventType.ClientFactsCorrected
        or JourneyEventType.RepresentativeRecorded or JourneyEventType.RepresentativeEnded;

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

    // A transition needs a relationship to be announced, so being its recipient is one. A referral is open to any
    // party: its recipients gain a relationship only when its requester had one. Signals, notices and tasks do not
    // count: a stranger's signal must not open the client to whoever the rules route it to.
    private static bool RoutedTo(IHubSession session, string clientId, string partyId)
    {
        const int Page = 200;
        var after = 0L;
        while (true)
        {
            var deliveries = session.ListDeliveries(new DeliveryQuery(partyId, null, clientId, after, Page));
            foreach (var delivery in deliveries)
            {
                if (delivery.Sender == partyId || delivery.MessageId is null)
                {
                    continue;
                }

                if (delivery.PayloadKind == PayloadKind.Transition
                    || (delivery.PayloadKind == PayloadKind.Referral && session.FindReferral(delivery.MessageId) is { RequesterHadRelationship: not false }))
                {
                    return true;
                }
            }

            if (deliveries.Count < Page)
            {
                return false;
            }

            after = deliveries[^1].Sequence;
        }
    }
}

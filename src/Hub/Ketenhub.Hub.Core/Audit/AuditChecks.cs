using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Routing;

namespace Ketenhub.Hub.Audit;

/// <summary>The checks behind the hub's decisions, as the audit trail notes them: codes and ids, never personal data.</summary>
public static class AuditChecks
{
    /// <summary>The caller is a known party and acts as itself (submits as itself, reads its own deliveries).</summary>
    public const string PartyActsAsItself = "PARTY_ACTS_AS_ITSELF";

    /// <summary>The caller is a performer of the referral it steps.</summary>
    public const string Performer = "REFERRAL_PERFORMER";

    /// <summary>The caller received the message it reads or acknowledges, or is its sender.</summary>
    public const string MessageParty = "MESSAGE_PARTY";

    /// <summary>The caller is the recipient of the delivery.</summary>
    public const string Recipient = "DELIVERY_RECIPIENT";

    /// <summary>The caller is the social service or wijkteam of the client's municipality.</summary>
    public const string ServesMunicipality = "SERVES_MUNICIPALITY";

    /// <summary>The caller has acted for the client before (an event of the client's journey), without a current role.</summary>
    public const string ActedForClient = "ACTED_FOR_CLIENT";

    /// <summary>The hub routed a message about the client to the caller, without a current role.</summary>
    public const string RoutedRecipient = "ROUTED_RECIPIENT";

    /// <summary>The caller holds the <c>admin</c> role, which opens any party's deliveries to it.</summary>
    public const string AdminRole = "ADMIN_ROLE";

    private static readonly Dictionary<Purpose, string> PurposeCodes = Enum.GetValues<Purpose>().ToDictionary(p => p, p => Explain.Code(p));
    private static readonly Dictionary<RoleKind, string> RoleCodes = Enum.GetValues<RoleKind>().ToDictionary(r => r, r => Explain.Code(r));

    /// <summary>The contract code of a purpose, for <see cref="AuditNote.For"/>.</summary>
    public static string Code(Purpose purpose) => PurposeCodes[purpose];

    /// <summary>Notes the caller's current roles for the client (the care relationship that allows the access).</summary>
    public static AuditNote Relationship(this AuditNote note, ClientContext context, string partyId, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(note);
        ArgumentNullException.ThrowIfNull(context);
        foreach (var role in context.Roles)
        {
            if (role.PartyId == partyId && role.IsCurrentAt(now))
            {
                note.Check(AuditCheckKind.Relationship, RoleCodes[role.Kind]);
            }
        }

        if (context.Coach?.Coach.PartyId == partyId)
        {
            note.Check(AuditCheckKind.Relationship, "COACH");
        }

        return note;
    }

    /// <summary>Notes what allowed each decision that lets content or a notice go out: a consent, a legal-basis rule or a rule of the hub.</summary>
    public static AuditNote Decided(this AuditNote note, IEnumerable<Decision> decisions)
    {
        ArgumentNullException.ThrowIfNull(note);
        ArgumentNullException.ThrowIfNull(decisions);
        foreach (var decision in decisions)
        {
            note.Decided(decision);
        }

        return note;
    }

    /// <summary>Notes what allowed one decision, if it lets anything go out.</summary>
    public static AuditNote Decided(this AuditNote note, Decision decision)
    {
        ArgumentNullException.ThrowIfNull(note);
        ArgumentNullException.ThrowIfNull(decision);
        if (decision.Outcome is not (RecipientOutcome.Content or RecipientOutcome.ThinNotice))
        {
            return note;
        }

        if (decision.Purpose != Purpose.Unspecified)
        {
            note.For(PurposeCodes[decision.Purpose]);
        }

        if (decision.ConsentId is not null)
        {
            note.Check(AuditCheckKind.Consent, "consents/" + decision.ConsentId);
        }
        else if (decision.LegalBasisRuleId is not null)
        {
            note.Check(AuditCheckKind.LegalBasis, decision.LegalBasisRuleId);
        }
        else
        {
            foreach (var rule in decision.RuleIds)
            {
                note.Check(AuditCheckKind.Rule, rule);
            }
        }

        return note;
    }
}

using Ketenhub.Hub.Audit;
using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Consent;
using Ketenhub.Hub.Messages;
using Ketenhub.Hub.Parties;
using Ketenhub.Hub.Routing;
using Ketenhub.Hub.Storage;

namespace Ketenhub.Hub.Journeys;

/// <summary>The client's plan as one reader sees it: every open referral across organisations, and the coach.</summary>
public sealed record ClientPlan(ClientSummary Client, CoachInfo? Coach, IReadOnlyList<ReferralRecord> OpenReferrals, DateTimeOffset ReadTime);

/// <summary>
/// One client, one plan ("één gezin, één plan, één regisseur"): the open referrals of a client across organisations,
/// for the coach — the client's regisseur — and for a party that coordinates with the client's consent. A referral is
/// open while one of its performers has it requested, accepted or started.
/// <para>
/// Who may read the plan: the coach's organisation under a consent for <c>COACHING</c> or <c>COORDINATION</c>; another
/// party with a relationship of its own (a current role, or the social service or wijkteam of the client's
/// municipality) under a consent for <c>COORDINATION</c>. Both consents must cover <c>SUPPORT_PLAN</c>. The plan
/// names services, parties and states, never the free text of a referral (reason, strengths): that stays with its
/// requester and performers.
/// </para>
/// </summary>
public sealed class ClientPlans(ConsentEvaluator consent, AuditTrail audit, TimeProvider time)
{
    private static readonly DataCategory[] PlanCategories = [DataCategory.SupportPlan];

    /// <summary>The client's open referrals, oldest first; of one service when <paramref name="service"/> is set.</summary>
    public static IReadOnlyList<ReferralRecord> Open(IHubSession session, string clientId, ServiceKind? service = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        return [.. session.GetReferralsForClient(clientId)
            .Where(r => IsOpen(r) && (service is null || r.Service == service))
            .OrderBy(r => r.CreateTime)
            .ThenBy(r => r.Id, StringComparer.Ordinal)];
    }

    /// <summary>Is one of the referral's performers still at it (requested, accepted or started)?</summary>
    public static bool IsOpen(ReferralRecord referral)
    {
        ArgumentNullException.ThrowIfNull(referral);
        return referral.Performers.Any(p => p.Status is PerformerStatus.Requested or PerformerStatus.Accepted or PerformerStatus.Started);
    }

    /// <summary>
    /// The consent that lets <paramref name="caller"/> read the client's plan, or null when nothing does (no
    /// relationship, or no consent that covers it).
    /// </summary>
    public ConsentRecord? MayRead(ClientContext context, Party caller, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(caller);
        var isCoach = context.Coach?.Coach.PartyId == caller.Id;
        var related = isCoach
            || ClientContexts.HasCurrentRole(context, caller.Id, now)
            || CareRelationships.ServesMunicipality(caller, context.Client.MunicipalityAt(now));
        if (!related)
        {
            return null;
        }

        Purpose[] purposes = isCoach ? [Purpose.Coaching, Purpose.Coordination] : [Purpose.Coordination];
        foreach (var purpose in purposes)
        {
            var evaluation = consent.Evaluate(context.Consents, context.Client, new ConsentRequirement(caller, purpose, PlanCategories), now);
            if (evaluation.Verdict == ConsentVerdict.Covered)
            {
                return evaluation.Consent;
            }
        }

        return null;
    }

    /// <summary>May <paramref name="caller"/> know of <paramref name="referral"/>: its requester, a performer, or a reader of the plan.</summary>
    public bool MayKnow(ReferralRecord referral, ClientContext context, Party caller, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(referral);
        ArgumentNullException.ThrowIfNull(caller);
        return referral.Requester == caller.Id || referral.Performers.Any(p => p.PartyId == caller.Id) || MayRead(context, caller, now) is not null;
    }

    /// <summary>Reads the client's plan for a caller that may (see the class); others are refused and the refusal is audited.</summary>
    public Task<ClientPlan> GetAsync(Party caller, string? clientName, CancellationToken cancellationToken)
    {
        var note = audit.Note(caller, "GetClientPlan", AuditAction.Read).For(AuditChecks.Code(Purpose.Coordination));
        return audit.ReadAsync(
            note,
            session =>
            {
                var now = time.GetUtcNow();
                var client = ClientContexts.RequireClient(session, clientName, "client");
                note.About(client.Id);
                var context = ClientContexts.Load(session, client, now);
                var relationship = CareRelationships.Find(session, context, caller, now);
                var isCoach = context.Coach?.Coach.PartyId == caller.Id;
                if (!isCoach && !ClientContexts.HasCurrentRole(context, caller.Id, now) && relationship != AuditChecks.ServesMunicipality)
                {
                    throw HubException.Denied(ErrorReasons.NoRoleForClient, "Only the coach's organisation, a party with a current role for the client, or its municipality's social service or wijkteam may read the client's plan.");
                }

                var allowed = MayRead(context, caller, now)
                    ?? throw HubException.Denied(ErrorReasons.ConsentRequired, "No active consent lets the caller read this client's plan (purpose COORDINATION, or COACHING for the coach's organisation; category SUPPORT_PLAN).");
                CareRelationships.Note(note, context, caller, relationship!, now);
                note.Check(AuditCheckKind.Consent, allowed.Name);
                return new ClientPlan(ClientSummary.From(client, now), context.Coach?.Coach, Open(session, client.Id), now);
            },
            cancellationToken);
    }
}

using Ketenhub.Hub.Audit;
using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Journeys;
using Ketenhub.Hub.Parties;
using Ketenhub.Hub.Routing;
using Ketenhub.Hub.Storage;

namespace Ketenhub.Hub.Consent;

/// <summary>A consent as submitted.</summary>
public sealed record ConsentDraft(
    string? ClientName,
    GrantorRole Grantor,
    string? RecipientPartyName,
    PartyKind RecipientKind,
    IReadOnlyList<Purpose> Purposes,
    IReadOnlyList<DataCategory> Categories,
    DateTimeOffset? Start,
    DateTimeOffset? End)
{
    /// <summary>For a representative's consent: the representation, <c>representatives/{id}</c>; empty takes the one that holds.</summary>
    public string? RepresentativeName { get; init; }
}

/// <summary>A consent with its state at the time of the answer.</summary>
public sealed record ConsentView(ConsentRecord Consent, ConsentState State);

/// <summary>The answer to a grant, withdrawal or confirmation: how many open deliveries changed.</summary>
public sealed record ConsentChange(ConsentView Consent, int Released, int Withheld, IReadOnlyList<string> Wake);

/// <summary>
/// Records consents and applies them at once to open deliveries: a grant or confirmation releases what
/// waited for it; a withdrawal withholds what it covered (docs/architecture.md, rules 1–3).
/// </summary>
public sealed class ConsentBook(
    PartyDirectory parties,
    ConsentEvaluator evaluator,
    Router router,
    Dispatcher dispatcher,
    DeliveryNotifier notifier,
    AuditTrail audit,
    DateLimits dates,
    TimeProvider time)
{
    public async Task<ConsentChange> GrantAsync(Party caller, ConsentDraft draft, RequestKey key, CancellationToken cancellationToken)
    {
        var v = new Validator();
        TextRules.CheckEnum(v, draft.Grantor, "consent.grantor_role");
        Party? recipient = null;
        if (!string.IsNullOrEmpty(draft.RecipientPartyName))
        {
            if (draft.RecipientKind != PartyKind.Unspecified)
            {
                v.Add(ErrorReasons.InvalidRequest, "consent.recipient_kind", "Set either consent.recipient_party or consent.recipient_kind, not both.", ("otherField", "consent.recipient_party"));
            }

            var id = Ids.Parse(draft.RecipientPartyName, "parties");
            recipient = parties.Find(id);
            if (recipient is null)
            {
                v.Add(id is null ? ErrorReasons.InvalidResourceName : ErrorReasons.UnknownParty, "consent.recipient_party", "consent.recipient_party must name a party the hub knows.");
            }
        }
        else
        {
            TextRules.CheckEnum(v, draft.RecipientKind, "consent.recipient_kind");
        }

        if (draft.Purposes.Count == 0)
        {
            v.Add(ErrorReasons.FieldRequired, "consent.purposes", "consent.purposes needs at least one purpose.");
        }

        for (var i = 0; i < draft.Purposes.Count; i++)
        {
            TextRules.CheckEnum(v, draft.Purposes[i], $"consent.purposes[{i}]");
        }

        if (draft.Categories.Count == 0)
        {
            v.Add(ErrorReasons.FieldRequired, "consent.data_categories", "consent.data_categories needs at least one category.");
        }

        for (var i = 0; i < draft.Categories.Count; i++)
        {
            TextRules.CheckEnum(v, draft.Categories[i], $"consent.data_categories[{i}]");
        }

        if (draft.Start is { } s && (s.Year < 1900 || s.Year > 2200))
        {
            v.Add(ErrorReasons.InvalidDate, "consent.start_time", "consent.start_time is out of range.");
        }

        if (draft.End is { } e && (e.Year > 2200 || (draft.Start is { } st && e <= st)))
        {
            v.Add(ErrorReasons.InvalidDate, "consent.end_time", "consent.end_time must be after consent.start_time.", ("otherField", "consent.start_time"));
        }

        v.ThrowIfAny();
        var note = audit.Note(caller, "GrantConsent", AuditAction.Create, key).Check(AuditCheckKind.Authorisation, AuditChecks.PartyActsAsItself);
        var result = await audit.CommandAsync(
            note,
            key,
            (session, now) =>
            {
                var client = ClientContexts.RequireClient(session, draft.ClientName, "consent.client");
                note.About(client.Id);
                RequireRole(session, client, caller, now, note);
                var start = draft.Start ?? now;
                if (draft.Start is { } explicitStart)
                {
                    var dateCheck = new Validator();
                    ClientDates.Check(dateCheck, client, DutchTime.DateOf(explicitStart), "consent.start_time", DutchTime.DateOf(now), dates);
                    dateCheck.ThrowIfAny();
                }

                if (draft.Grantor is GrantorRole.Parent or GrantorRole.Guardian && client.AgeOn(DutchTime.DateOf(start)) >= 18)
                {
                    throw HubException.Precondition(ErrorReasons.GrantorNotAllowed, "A parent or guardian cannot grant consent for a client who is 18 or older; the client, a mentor, a curator or an administrator can.").With("adultAge", "18");
                }

                var representation = Representation(client, draft, start);

                if (draft.End is { } end && end <= start)
                {
                    throw HubException.Invalid(ErrorReasons.InvalidDate, "consent.end_time", "consent.end_time must be after the start.");
                }

                var consent = new ConsentRecord(
                    Ids.New("cns", time), client.Id, draft.Grantor, recipient?.Id, recipient is null ? draft.RecipientKind : PartyKind.Unspecified,
                    [.. draft.Purposes.Distinct()], [.. draft.Categories.Distinct()], start, draft.End, null, null, caller.Id, now)
                {
                    RepresentationId = representation?.Id,
                };
                session.InsertConsent(consent);
                note.Resource(consent.Name);
                session.AppendJourneyEvent(new JourneyEvent(0, client.Id, now, JourneyEventType.ConsentGranted, caller.Id, consent.Name, Explain.Code(draft.Grantor)));
                var (released, withheld, wake) = Reconsider(session, client, now);
                var state = evaluator.StateOf(consent, client, now);
                if (draft.Grantor == GrantorRole.Parent && ConfirmConsentTasks.AfterComingOfAge(client, now)
                    && state is ConsentState.Active or ConsentState.AwaitingConfirmation)
                {
                    // The client is an adult already: the coach, if any, goes through this parent's consent with them now.
                    var asked = ConfirmConsentTasks.Ask(session, dispatcher, ClientContexts.Load(session, client, now), [consent], "A parent's consent from before the client's 18th birthday was recorded: the coach goes through it with the client.", now);
                    wake = [.. wake, .. asked];
                }

                return new ConsentChange(new ConsentView(consent, state), released, withheld, wake);
            },
            cancellationToken).ConfigureAwait(false);
        notifier.NotifyReleased(result.Wake);
        return result;
    }

    public Task<ConsentChange> WithdrawAsync(Party caller, string? consentName, RequestKey key, CancellationToken cancellationToken) =>
        ChangeAsync(ByParty(caller, "WithdrawConsent", key), caller.Id, consentName, JourneyEventType.ConsentWithdrawn, key, Withdraw, cancellationToken);

    public Task<ConsentChange> ConfirmAsync(Party caller, string? consentName, RequestKey key, CancellationToken cancellationToken) =>
        ChangeAsync(ByParty(caller, "ConfirmConsent", key), caller.Id, consentName, JourneyEventType.ConsentConfirmed, key, Confirm, cancellationToken);

    /// <summary>The client withdraws one of their own consents: at once, exactly as a party's withdrawal (open deliveries withheld).</summary>
    public Task<ConsentChange> WithdrawAsClientAsync(Citizen citizen, string? consentName, RequestKey key, CancellationToken cancellationToken) =>
        ChangeAsync(Own(citizen, "WithdrawConsent", key), string.Empty, consentName, JourneyEventType.ConsentWithdrawn, key, Withdraw, cancellationToken);

    /// <summary>The adult client confirms a parent's consent themselves.</summary>
    public Task<ConsentChange> ConfirmAsClientAsync(Citizen citizen, string? consentName, RequestKey key, CancellationToken cancellationToken) =>
        ChangeAsync(Own(citizen, "ConfirmConsent", key), string.Empty, consentName, JourneyEventType.ConsentConfirmed, key, Confirm, cancellationToken);

    /// <summary>The client's own consents, oldest first, each with its state now.</summary>
    public Task<IReadOnlyList<ConsentView>> ListAsClientAsync(Citizen citizen, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(citizen);
        var note = audit.CitizenNote(citizen, "ListConsents", AuditAction.Read);
        return audit.ReadAsync<IReadOnlyList<ConsentView>>(
            note,
            session =>
            {
                var now = time.GetUtcNow();
                var client = session.FindClient(citizen.ClientId) ?? throw HubException.NotFound(ErrorReasons.ClientNotFound, "The client");
                return [.. session.GetConsents(client.Id).OrderBy(c => c.CreateTime).Select(c => new ConsentView(c, evaluator.StateOf(c, client, now)))];
            },
            cancellationToken);
    }

    private static ConsentRecord Withdraw(ConsentRecord consent, ClientRecord client, DateTimeOffset now)
    {
        if (consent.WithdrawTime is not null)
        {
            throw HubException.Precondition(ErrorReasons.ConsentNotWithdrawable, "The consent was already withdrawn.");
        }

        return consent with { WithdrawTime = now };
    }

    private static ConsentRecord Confirm(ConsentRecord consent, ClientRecord client, DateTimeOffset now)
    {
        if (consent.Grantor != GrantorRole.Parent || consent.ConfirmTime is not null || consent.WithdrawTime is not null
            || client.AgeOn(DutchTime.DateOf(now)) < 18)
        {
            throw HubException.Precondition(ErrorReasons.ConsentNotConfirmable, "Only an unconfirmed, not withdrawn parent's consent of a client aged 18 or older can be confirmed.").With("adultAge", "18");
        }

        return consent with { ConfirmTime = now };
    }

    /// <summary>The note and check of a party's change: it needs a care relationship with the consent's client.</summary>
    private (AuditNote Note, Action<IHubSession, ClientRecord, DateTimeOffset> Authorise) ByParty(Party caller, string operation, RequestKey key)
    {
        var note = audit.Note(caller, operation, AuditAction.Update, key).Check(AuditCheckKind.Authorisation, AuditChecks.PartyActsAsItself);
        return (note, (session, client, now) =>
        {
            if (CareRelationships.Find(session, ClientContexts.Load(session, client, now), caller, now) is null)
            {
                // No relationship with its client: no part in the consent, which does not exist for the caller
                // (docs/errors.md, "Not found or not allowed").
                note.Refuse();
                throw HubException.NotFound(ErrorReasons.ConsentNotFound, "The consent");
            }

            RequireRole(session, client, caller, now, note);
        });
    }

    /// <summary>The note and check of the client's own change: the consent must be about the client, else it does not exist for them.</summary>
    private (AuditNote Note, Action<IHubSession, ClientRecord, DateTimeOffset> Authorise) Own(Citizen citizen, string operation, RequestKey key)
    {
        ArgumentNullException.ThrowIfNull(citizen);
        var note = audit.CitizenNote(citizen, operation, AuditAction.Update, key);
        return (note, (_, client, _) =>
        {
            if (client.Id != citizen.ClientId)
            {
                note.Refuse();
                throw HubException.NotFound(ErrorReasons.ConsentNotFound, "The consent");
            }
        });
    }

    /// <summary>Changes a recorded consent and, in the same write, applies the change to the client's open deliveries.</summary>
    private async Task<ConsentChange> ChangeAsync(
        (AuditNote Note, Action<IHubSession, ClientRecord, DateTimeOffset> Authorise) actor,
        string journeyParty,
        string? consentName,
        JourneyEventType journeyEvent,
        RequestKey key,
        Func<ConsentRecord, ClientRecord, DateTimeOffset, ConsentRecord> change,
        CancellationToken cancellationToken)
    {
        var consentId = Ids.Require(consentName, "consents", "name");
        var note = actor.Note;
        var result = await audit.CommandAsync(
            note,
            key,
            (session, now) =>
            {
                var consent = session.FindConsent(consentId) ?? throw HubException.NotFound(ErrorReasons.ConsentNotFound, "The consent");
                note.About(consent.ClientId).Resource(consent.Name);
                var client = session.FindClient(consent.ClientId)!;
                actor.Authorise(session, client, now);
                consent = change(consent, client, now);
                session.UpdateConsent(consent);
                session.AppendJourneyEvent(new JourneyEvent(0, client.Id, now, journeyEvent, journeyParty, consent.Name, Explain.Code(consent.Grantor)));
                var (released, withheld, wake) = Reconsider(session, client, now);
                return new ConsentChange(new ConsentView(consent, evaluator.StateOf(consent, client, now)), released, withheld, wake);
            },
            cancellationToken).ConfigureAwait(false);
        notifier.NotifyReleased(result.Wake);
        return result;
    }

    // Recording, withdrawing or confirming a client's consent needs a care relationship with the client (see
    // CareRelationships): a party cannot grant itself or anyone access to a stranger's data, nor withdraw a consent
    // others rely on.
    private static void RequireRole(IHubSession session, ClientRecord client, Party caller, DateTimeOffset now, AuditNote note) =>
        CareRelationships.Require(session, client, caller, now, note);

    public Task<IReadOnlyList<ConsentView>> ListAsync(Party caller, string? clientName, CancellationToken cancellationToken)
    {
        var note = audit.Note(caller, "ListConsents", AuditAction.Read);
        return audit.ReadAsync<IReadOnlyList<ConsentView>>(
            note,
            session =>
            {
                var now = time.GetUtcNow();
                var client = ClientContexts.RequireClient(session, clientName, "client");
                note.About(client.Id);
                var context = ClientContexts.Load(session, client, now);
                if (!ClientContexts.HasCurrentRole(context, caller.Id, now))
                {
                    throw HubException.Denied(ErrorReasons.NoRoleForClient, "The caller has no current role for this client.");
                }

                note.Relationship(context, caller.Id, now);
                return [.. context.Consents.OrderBy(c => c.CreateTime).Select(c => new ConsentView(c, evaluator.StateOf(c, client, now)))];
            },
            cancellationToken);
    }

    /// <summary>
    /// One consent for a caller with a current role for its client. For any other caller it does not exist
    /// (CONSENT_NOT_FOUND), so consent names cannot be probed; the refusal is audited as one.
    /// </summary>
    public Task<ConsentView> GetAsync(Party caller, string? consentName, CancellationToken cancellationToken)
    {
        var id = Ids.Require(consentName, "consents", "name");
        var note = audit.Note(caller, "GetConsent", AuditAction.Read).Resource("consents/" + id);
        return audit.ReadAsync(
            note,
            session =>
            {
                var now = time.GetUtcNow();
                var consent = session.FindConsent(id) ?? throw HubException.NotFound(ErrorReasons.ConsentNotFound, "The consent");
                var client = session.FindClient(consent.ClientId)!;
                note.About(client.Id);
                var context = ClientContexts.Load(session, client, now);
                if (!ClientContexts.HasCurrentRole(context, caller.Id, now))
                {
                    note.Refuse();
                    throw HubException.NotFound(ErrorReasons.ConsentNotFound, "The consent");
                }

                note.Relationship(context, caller.Id, now);
                return new ConsentView(consent, evaluator.StateOf(consent, client, now));
            },
            cancellationToken);
    }

    private (int Released, int Withheld, IReadOnlyList<string> Wake) Reconsider(IHubSession session, ClientRecord client, DateTimeOffset now) =>
        DeliveryDecisions.ReconsiderClient(session, router, parties, client, now);

    /// <summary>
    /// The representation a representative's consent rests on: the one it names, or the client's one representation of
    /// the grantor's kind that holds on the consent's first day. Null for the
    /// client's own consent. Recorded, never assumed: without one, NO_REPRESENTATION.
    /// </summary>
    private static Clients.Representation? Representation(ClientRecord client, ConsentDraft draft, DateTimeOffset start)
    {
        if (RepresentationRules.KindFor(draft.Grantor) is not { } kind)
        {
            if (!string.IsNullOrEmpty(draft.RepresentativeName))
            {
                throw HubException.Invalid(ErrorReasons.InvalidRequest, "consent.representative", "consent.representative is only for a consent by a representative.");
            }

            return null;
        }

        // The representation must hold on the day the consent begins: a parent's consent given while the client was a
        // minor and recorded later rests on the authority the parent had then.
        var on = DutchTime.DateOf(start);
        Clients.Representation representation;
        if (!string.IsNullOrEmpty(draft.RepresentativeName))
        {
            var id = Ids.Require(draft.RepresentativeName, "representatives", "consent.representative");
            representation = client.Representations.FirstOrDefault(r => r.Id == id)
                ?? throw HubException.NotFound(ErrorReasons.RepresentativeNotFound, "The representative");
            if (representation.Kind != kind)
            {
                throw HubException.Invalid(ErrorReasons.OutsideRepresentation, "consent.representative", $"consent.representative is a {Explain.Code(representation.Kind)}, not the representation a {Explain.Code(draft.Grantor)} consent rests on ({Explain.Code(kind)}).", ("representativeKind", Explain.Code(representation.Kind)), ("grantorRole", Explain.Code(draft.Grantor)), ("requiredKind", Explain.Code(kind)));
            }

            if (!RepresentationRules.IsCurrentOn(representation, client, on))
            {
                throw HubException.Precondition(ErrorReasons.NoRepresentation, "The named representation does not hold on the consent's first day.");
            }
        }
        else
        {
            var current = RepresentationRules.CurrentOfKind(client, kind, on);
            if (current.Count == 0)
            {
                throw HubException.Precondition(ErrorReasons.NoRepresentation, $"No {Explain.Code(kind)} of the client is recorded that holds on the consent's first day: record the representative first (CreateRepresentative).")
                    .With("representativeKind", Explain.Code(kind));
            }

            if (current.Count > 1)
            {
                throw HubException.Invalid(ErrorReasons.FieldRequired, "consent.representative", $"The client has more than one {Explain.Code(kind)}: name the one who consents in consent.representative.", ("representativeKind", Explain.Code(kind)));
            }

            representation = current[0];
        }

        var outside = draft.Categories.Where(c => !RepresentationRules.Covers(kind, c)).Distinct().ToList();
        if (outside.Count > 0)
        {
            throw HubException.Invalid(ErrorReasons.OutsideRepresentation, "consent.data_categories", $"A {Explain.Code(kind)} does not decide on {Explain.Codes(outside)}: the client consents to that, or a representative who decides on it.", ("representativeKind", Explain.Code(kind)), ("dataCategories", string.Join(",", outside.Select(Explain.Code))));
        }

        return representation;
    }
}

using Ketenhub.Hub.Audit;
using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Journeys;
using Ketenhub.Hub.Parties;
using Ketenhub.Hub.Routing;
using Ketenhub.Hub.Storage;

namespace Ketenhub.Hub.Messages;

/// <summary>The answer to a submitted referral.</summary>
public sealed record ReferralResult(ReferralRecord Referral, IReadOnlyList<Decision> Decisions, IReadOnlyList<string> Wake)
{
    /// <summary>What the hub noticed for the sender (an open referral for the same service, say).</summary>
    public IReadOnlyList<Finding> Findings { get; init; } = [];
}

/// <summary>The answer to a submitted transition, with the decisions for each referral created with it.</summary>
public sealed record TransitionResult(TransitionRecord Transition, IReadOnlyList<Decision> Decisions, IReadOnlyList<ReferralResult> Referrals, IReadOnlyList<string> Wake);

/// <summary>The answer to a submitted signal.</summary>
public sealed record SignalResult(SignalRecord Signal, IReadOnlyList<Decision> Decisions, IReadOnlyList<string> Wake);

/// <summary>The answer to a referral lifecycle step.</summary>
public sealed record ReferralStepResult(ReferralRecord Referral, IReadOnlyList<string> Wake);

/// <summary>
/// Referrals, transitions and signals: validates drafts, routes them under consent and commits the message
/// with its deliveries and journey events in one write.
/// </summary>
public sealed partial class Messaging(
    PartyDirectory parties,
    Router router,
    Dispatcher dispatcher,
    DeliveryNotifier notifier,
    AuditTrail audit,
    DateLimits dates,
    ClientPlans plans,
    TimeProvider time)
{
    public async Task<ReferralResult> CreateReferralAsync(Party caller, ReferralDraft draft, RequestKey key, CancellationToken cancellationToken)
    {
        var performers = ValidateReferral(draft, "referral", caller);
        var note = Submitting(caller, "CreateReferral", key);
        var result = await audit.ReplayableCommandAsync(
            note,
            key,
            (session, now) =>
            {
                var client = ClientContexts.RequireClient(session, draft.ClientName, "referral.client");
                note.About(client.Id);
                var context = ClientContexts.Load(session, client, now);
                var vouched = CareRelationships.Find(session, context, caller, now) is not null;
                var submitted = SubmitReferral(session, caller, Ids.New("ref", time), draft, performers, context, null, vouched, now, note);
                note.Resource(submitted.Referral.Name).Decided(submitted.Decisions);
                return submitted;
            },
            cancellationToken).ConfigureAwait(false);
        notifier.Notify(result.Wake);
        return result;
    }

    public async Task<TransitionResult> CreateTransitionAsync(Party caller, TransitionDraft draft, RequestKey key, CancellationToken cancellationToken)
    {
        var (from, to, coachAfter, referralPerformers) = ValidateTransition(draft);
        var note = Submitting(caller, "CreateTransition", key);
        var result = await audit.CommandAsync(
            note,
            key,
            (session, now) =>
            {
                var client = ClientContexts.RequireClient(session, draft.ClientName, "transition.client");
                note.About(client.Id);

                // A transition changes the client's roles (and may change the coach): only a party with a care
                // relationship with the client may announce one.
                CareRelationships.Require(session, client, caller, now, note);
                var dateCheck = new Validator();
                ClientDates.Check(dateCheck, client, draft.EffectiveDate, "transition.effective_date", DutchTime.DateOf(now), dates);
                dateCheck.ThrowIfAny();
                var context = ClientContexts.Load(session, client, now);
                var wake = new List<string>();
                var effective = draft.EffectiveDate!.Value;
                var effectiveStart = DutchTime.StartOf(effective);
                var id = Ids.New("trn", time);
                var move = PlanMove(client, context, draft, caller, id, now);

                // The coach survives the transition unless the transition names another one explicitly.
                var coach = context.Coach?.Coach;
                if (coachAfter is not null && coachAfter != coach)
                {
                    wake.AddRange(CoachChanges.Change(session, dispatcher, time, client, context.Coach, coachAfter, caller.Id, now));
                    context = ClientContexts.Load(session, client, now);
                    coach = coachAfter;
                }

                ApplyRoleChanges(session, client, context, draft.Kind, from, to, effectiveStart, id);
                if (move is not null)
                {
                    // Where the client lives changes on the effective date; routing for this transition already uses it.
                    ClientMoves.Record(session, move, caller.Id, "transitions/" + id, rolesJournaled: true);
                    client = move.Client;
                }

                context = ClientContexts.Load(session, client, now);

                // The transition goes out before the referrals it carries, so a recipient reads them in that order.
                var referralIds = draft.Referrals.Select(_ => Ids.New("ref", time)).ToList();
                var transition = new TransitionRecord(id, client.Id, caller.Id, draft.Kind, from?.Id, to?.Id, effective, draft.HandoverSummary ?? string.Empty, coach, referralIds, now)
                {
                    NewMunicipalityCode = move?.Residence.MunicipalityCode,
                };
                session.InsertTransition(transition);
                session.AppendJourneyEvent(new JourneyEvent(0, client.Id, now, JourneyEventType.TransitionAnnounced, caller.Id, transition.Name, Explain.Code(draft.Kind)));
                foreach (var role in context.Roles.Where(r => r.Source == id && r.Until is not null))
                {
                    session.AppendJourneyEvent(new JourneyEvent(0, client.Id, role.Until!.Value, JourneyEventType.RoleEnded, role.PartyId, transition.Name, Explain.Code(role.Kind)));
                }

                var facts = TransitionFacts(caller, draft, to, from, move);
                var routed = router.Route(facts, context, now);
                var dispatched = dispatcher.Dispatch(session, new MessageRef(PayloadKind.Transition, id, client.Id, caller.Id, new ThinNoticePayload(MessageType.Transition, caller.Id, LifeDomain.Unspecified, SignalSeverity.Unspecified)), routed.Decisions, now, note);
                wake.AddRange(dispatched.Wake);

                var referrals = new List<ReferralResult>();
                for (var i = 0; i < draft.Referrals.Count; i++)
                {
                    referrals.Add(SubmitReferral(session, caller, referralIds[i], draft.Referrals[i], referralPerformers[i], context, id, true, now, note));
                    wake.AddRange(referrals[^1].Wake);
                }

                note.Resource(transition.Name).Decided(dispatched.Decisions);
                foreach (var referral in referrals)
                {
                    note.Resource(referral.Referral.Name).Decided(referral.Decisions);
                }

                return new TransitionResult(transition, dispatched.Decisions, referrals, wake.Distinct().ToList());
            },
            cancellationToken).ConfigureAwait(false);
        notifier.Notify(result.Wake);
        return result;
    }

    public async Task<SignalResult> CreateSignalAsync(Party caller, SignalDraft draft, RequestKey key, CancellationToken cancellationToken)
    {
        ValidateSignal(draft);
        var note = Submitting(caller, "CreateSignal", key);
        var result = await audit.ReplayableCommandAsync(
            note,
            key,
            (session, now) =>
            {
                var client = ClientContexts.RequireClient(session, draft.ClientName, "signal.client");
                note.About(client.Id);
                var context = ClientContexts.Load(session, client, now);
                var signal = new SignalRecord(Ids.New("sig", time), client.Id, caller.Id, draft.Kind, draft.Domain, draft.Severity, draft.Description ?? string.Empty, now);
                session.InsertSignal(signal);
                session.AppendJourneyEvent(new JourneyEvent(0, client.Id, now, JourneyEventType.SignalRaised, caller.Id, signal.Name, $"{Explain.Code(draft.Kind)} {Explain.Code(draft.Domain)} {Explain.Code(draft.Severity)}"));
                var facts = new RoutingFacts(MessageType.Signal, caller.Id, MessageCategories.ForSignal(draft.Domain), SignalKind: draft.Kind, Severity: draft.Severity, Domain: draft.Domain);
                var routed = router.Route(facts, context, now);
                var dispatched = dispatcher.Dispatch(session, new MessageRef(PayloadKind.Signal, signal.Id, client.Id, caller.Id, new ThinNoticePayload(MessageType.Signal, caller.Id, draft.Domain, draft.Severity)), routed.Decisions, now, note);
                note.Resource(signal.Name).Decided(dispatched.Decisions);
                return new SignalResult(signal, dispatched.Decisions, dispatched.Wake);
            },
            cancellationToken).ConfigureAwait(false);
        notifier.Notify(result.Wake);
        return result;
    }

    /// <summary>A person at the caller has picked up the signal: stops its escalation and is recorded in the journey.</summary>
    public Task<DateTimeOffset> AcknowledgeSignalAsync(Party caller, string? signalName, RequestKey key, CancellationToken cancellationToken)
    {
        var signalId = Ids.Require(signalName, "signals", "name");
        var note = audit.Note(caller, "AcknowledgeSignal", AuditAction.Update, key).Check(AuditCheckKind.Authorisation, AuditChecks.MessageParty);
        return audit.ReplayableCommandAsync(
            note,
            key,
            (session, now) =>
            {
                var signal = session.FindSignal(signalId) ?? throw HubException.NotFound(ErrorReasons.SignalNotFound, "The signal");
                note.About(signal.ClientId).Resource(signal.Name).For(AuditChecks.Code(Purpose.SignalFollowUp));
                var mine = session.GetDeliveriesForMessage(signal.Id)
                    .Where(d => d.Recipient == caller.Id && d.Status is DeliveryStatus.Pending or DeliveryStatus.Acknowledged or DeliveryStatus.SetAside)
                    .ToList();
                if (mine.Count == 0)
                {
                    // Only its sender knows of a signal it was not sent; anyone else hears it does not exist.
                    note.Refuse();
                    throw signal.Sender == caller.Id
                        ? HubException.Denied(ErrorReasons.NotASignalRecipient, "The caller did not receive this signal.")
                        : HubException.NotFound(ErrorReasons.SignalNotFound, "The signal");
                }

                foreach (var delivery in mine.Where(d => d.SignalAckTime is null))
                {
                    session.UpdateDelivery(delivery with { SignalAckTime = now, UpdateTime = now });
                }

                session.AppendJourneyEvent(new JourneyEvent(0, signal.ClientId, now, JourneyEventType.SignalAcknowledged, caller.Id, signal.Name, Explain.Code(signal.Kind)));
                return now;
            },
            cancellationToken);
    }

    public async Task<ReferralStepResult> StepAsync(Party caller, string? referralName, ReferralStep step, string? reasonCode, DateOnly? date, RequestKey key, CancellationToken cancellationToken)
    {
        var referralId = Ids.Require(referralName, "referrals", "name");
        var v = new Validator();
        if (step is ReferralStep.Decline or ReferralStep.End)
        {
            if (string.IsNullOrEmpty(reasonCode))
            {
                v.Add(ErrorReasons.FieldRequired, "reason_code", "reason_code is required.");
            }
            else if (!(reasonCode.Length == 2 && reasonCode.All(char.IsAsciiDigit)) && !(step == ReferralStep.Decline && ReferralLifecycle.IsRetourReason(reasonCode)))
            {
                v.Add(ErrorReasons.InvalidReasonCode, "reason_code", step == ReferralStep.Decline
                    ? "reason_code must be a two-digit code, or WJ001- and the codes of a rejecting iWmo retour."
                    : "reason_code must be a two-digit code.");
            }
        }

        if (step is ReferralStep.Start or ReferralStep.End && date is { Year: < 1900 or > 2200 })
        {
            v.Add(ErrorReasons.InvalidDate, step == ReferralStep.Start ? "start_date" : "end_date", "The date is out of range.");
        }

        v.ThrowIfAny();
        var note = audit.Note(caller, "Referral" + step, AuditAction.Update, key).Check(AuditCheckKind.Authorisation, AuditChecks.Performer).For(AuditChecks.Code(Purpose.CareDelivery));
        var result = await audit.ReplayableCommandAsync(
            note,
            key,
            (session, now) =>
            {
                var referral = session.FindReferral(referralId) ?? throw HubException.NotFound(ErrorReasons.ReferralNotFound, "The referral");
                note.About(referral.ClientId).Resource(referral.Name);
                if (!referral.Performers.Any(p => p.PartyId == caller.Id)
                    && referral.Requester != caller.Id
                    && !MessageReader.ReceivedContent(session, caller, referral.Id))
                {
                    // No part in the referral: it does not exist for the caller (NOT_A_PERFORMER is for those who know it).
                    note.Refuse();
                    throw HubException.NotFound(ErrorReasons.ReferralNotFound, "The referral");
                }

                var change = ReferralLifecycle.Take(referral, caller.Id, step, reasonCode, date, now);
                var client = session.FindClient(referral.ClientId)!;
                CheckStepDate(client, change.Before, step, date, DutchTime.DateOf(now));
                referral = change.Referral;
                var updated = change.After;
                session.UpdateReferral(referral);

                // Care started on a referral from a party with a relationship gives the performer a provider role; a
                // referral any stranger could have requested (for itself, say) gives none.
                if (step == ReferralStep.Start && referral.RequesterHadRelationship != false)
                {
                    session.InsertRole(new ClientRole(Ids.New("rol", time), client.Id, caller.Id, RoleKind.Provider, DutchTime.StartOf(updated.StartDate!.Value), null, referral.Id));
                }
                else if (step == ReferralStep.End)
                {
                    var until = DutchTime.StartOf(updated.EndDate!.Value);
                    foreach (var role in session.GetRoles(client.Id).Where(r => r.PartyId == caller.Id && r.Kind == RoleKind.Provider && r.Source == referral.Id && r.Until is null))
                    {
                        session.UpdateRole(role with { Until = until < role.From ? role.From : until });
                    }
                }

                session.AppendJourneyEvent(new JourneyEvent(0, client.Id, now, ReferralLifecycle.JourneyEventOf(step), caller.Id, referral.Name, Explain.Code(referral.Service)));

                var context = ClientContexts.Load(session, client, now);
                ReferralResult? issued = null;
                if (step == ReferralStep.Accept && referral.Kind == ReferralKind.AllocationRequest)
                {
                    issued = IssueToewijzing(session, caller, referral, context, now, note);
                }

                var facts = new RoutingFacts(MessageType.ReferralUpdate, caller.Id, MessageCategories.ForReferralUpdate(), Service: referral.Service, Requester: referral.Requester, Performers: [.. referral.Performers.Select(p => p.PartyId)]);
                var routed = router.Route(facts, context, now);
                var update = new ReferralUpdatePayload(referral.Id, caller.Id, updated.Status, updated.ReasonCode, referral.Service)
                {
                    Kind = referral.Kind,
                    RequesterReference = referral.RequesterReference,
                };
                var wake = new List<string>(issued?.Wake ?? []);
                var thin = new ThinNoticePayload(MessageType.ReferralUpdate, caller.Id, referral.LifeDomains.Count > 0 ? referral.LifeDomains[0] : LifeDomain.Unspecified, SignalSeverity.Unspecified);
                foreach (var decision in routed.Decisions)
                {
                    note.Decided(decision);
                    var record = decision.Outcome == RecipientOutcome.ThinNotice
                        ? dispatcher.Direct(session, decision.Recipient, client.Id, caller.Id, PayloadKind.ThinNotice, referral.Id, thin, decision, now)
                        : dispatcher.Direct(session, decision.Recipient, client.Id, caller.Id, PayloadKind.ReferralUpdate, referral.Id, update, decision, now);
                    if (record.Status == DeliveryStatus.Pending)
                    {
                        wake.Add(record.Recipient);
                    }
                }

                if (step == ReferralStep.Decline && reasonCode == ReferralLifecycle.AlreadyInCare)
                {
                    wake.AddRange(TellOtherReferrers(session, referral, caller, client.Id, thin, now));
                }

                return new ReferralStepResult(referral, wake);
            },
            cancellationToken).ConfigureAwait(false);
        notifier.Notify(result.Wake);
        return result;
    }

    /// <summary>
    /// The toewijzing for an accepted request for one: a referral from the deciding party to the requesting provider, for the
    /// same client, service and scope (product code, volume, end date), carrying the request's reason and strengths, which
    /// the provider wrote, and the provider's reference for the request (its own, else the request's id). It is routed as any referral of the deciding party (consent, rules), in the
    /// same write as the acceptance, so the provider never sees the acceptance without its toewijzing. Its creation is
    /// audited in the acceptance's event (the resource and its decisions).
    /// </summary>
    private ReferralResult IssueToewijzing(IHubSession session, Party decider, ReferralRecord request, ClientContext context, DateTimeOffset now, AuditNote note)
    {
        var provider = parties.Find(request.Requester)
            ?? throw HubException.Precondition(ErrorReasons.UnknownParty, "The requester of this request for a toewijzing is no longer a configured party.");
        var draft = new ReferralDraft(null, request.Service, request.Reason, request.LifeDomains, request.Urgency, request.Strengths, [provider.Name])
        {
            ProductCode = request.ProductCode,
            Volume = request.Volume,
            RequestedEndDate = request.RequestedEndDate,
            Kind = ReferralKind.Care,
        };
        var issued = SubmitReferral(session, decider, Ids.New("ref", time), draft, [provider], context, null, request.RequesterHadRelationship != false, now, note, request);
        note.Resource(issued.Referral.Name).Decided(issued.Decisions);
        return issued;
    }

    /// <summary>
    /// A referral declined as "already in care" (WJ759 06, stapeling) is closed; the requesters of the client's other open
    /// referrals for the same service get a content-free notice from the performer, so the one who referred first knows
    /// a second referral came in and was closed. A requester that had no relationship with the client is told nothing.
    /// </summary>
    private List<string> TellOtherReferrers(IHubSession session, ReferralRecord declined, Party performer, string clientId, ThinNoticePayload thin, DateTimeOffset now)
    {
        var wake = new List<string>();
        var others = ClientPlans.Open(session, clientId, declined.Service)
            .Where(r => r.Id != declined.Id && r.RequesterHadRelationship != false)
            .Select(r => r.Requester)
            .Where(requester => requester != declined.Requester && requester != performer.Id)
            .Distinct(StringComparer.Ordinal);
        foreach (var requester in others)
        {
            var decision = new Decision(requester, RecipientOutcome.ThinNotice, [], Purpose.CareDelivery, [], null, null, DecisionReasons.DuplicateReferralDeclined,
                $"{performer.Name} declined another referral for {Explain.Code(declined.Service)} of this client as already in care (WJ759 06), next to the recipient's own open referral for it; a content-free notice.");
            var record = dispatcher.Direct(session, requester, clientId, performer.Id, PayloadKind.ThinNotice, declined.Id, thin, decision, now);
            if (record.Status == DeliveryStatus.Pending)
            {
                wake.Add(requester);
            }
        }

        return wake;
    }

    /// <summary>
    /// A start or end date must lie on or after the client's birth and within the horizon; an end not before the
    /// performer's start. (A start before the request is allowed: care can start before the paperwork.)
    /// </summary>
    private void CheckStepDate(ClientRecord client, PerformerState current, ReferralStep step, DateOnly? date, DateOnly today)
    {
        if (step is not (ReferralStep.Start or ReferralStep.End) || date is not { } value)
        {
            return;
        }

        var field = step == ReferralStep.Start ? "start_date" : "end_date";
        var v = new Validator();
        ClientDates.Check(v, client, value, field, today, dates);
        if (!v.HasErrors && step == ReferralStep.End && current.StartDate is { } started && value < started)
        {
            v.Add(ErrorReasons.InvalidDate, field, "end_date lies before the date care started.");
        }

        v.ThrowIfAny();
    }

    // A submit is allowed because the caller is a known party submitting as itself; what lets its content go
    // out is noted per decision (consent, legal basis, rule).
    private AuditNote Submitting(Party caller, string eventType, RequestKey key) =>
        audit.Note(caller, eventType, AuditAction.Create, key).Check(AuditCheckKind.Authorisation, AuditChecks.PartyActsAsItself);

    private (Party? From, Party? To, CoachInfo? CoachAfter, List<List<Party>> ReferralPerformers) ValidateTransition(TransitionDraft draft)
    {
        var v = new Validator();
        TextRules.CheckEnum(v, draft.Kind, "transition.kind");
        var from = OptionalParty(v, draft.FromPartyName, "transition.from_party");
        var to = OptionalParty(v, draft.ToPartyName, "transition.to_party");
        if (draft.EffectiveDate is null)
        {
            v.Add(ErrorReasons.FieldRequired, "transition.effective_date", "transition.effective_date is required.");
        }
        else if (draft.EffectiveDate.Value.Year is < 1900 or > 2200)
        {
            v.Add(ErrorReasons.InvalidDate, "transition.effective_date", "transition.effective_date is out of range.");
        }

        if (draft.Kind == TransitionKind.Relocation)
        {
            if (string.IsNullOrEmpty(draft.NewMunicipalityCode))
            {
                v.Add(ErrorReasons.FieldRequired, "transition.new_municipality_code", "transition.new_municipality_code is required for a relocation: the hub routes the move to the new municipality.");
            }
            else if (!Municipality.IsValidCode(draft.NewMunicipalityCode))
            {
                v.Add(ErrorReasons.InvalidMunicipalityCode, "transition.new_municipality_code", "transition.new_municipality_code must be a four-digit CBS municipality code.");
            }
        }
        else if (!string.IsNullOrEmpty(draft.NewMunicipalityCode))
        {
            v.Add(ErrorReasons.InvalidRequest, "transition.new_municipality_code", "transition.new_municipality_code is only for a relocation.");
        }

        if (draft.Kind == TransitionKind.ProviderChange && to is null)
        {
            v.Add(ErrorReasons.FieldRequired, "transition.to_party", "transition.to_party is required for a provider change.");
        }

        TextRules.Check(v, draft.HandoverSummary, "transition.handover_summary", TextRules.FreeTextMax, multiline: true);
        var coachAfter = CoachRules.Validate(v, draft.CoachAfter, "transition.coach_after", parties);
        if (draft.Referrals.Count > 10)
        {
            v.Add(ErrorReasons.InvalidRequest, "transition.referrals", "transition.referrals holds at most 10 referrals.", ("maxItems", "10"));
        }

        v.ThrowIfAny();
        var referralPerformers = draft.Referrals.Select((r, i) => ValidateReferral(r with { ClientName = draft.ClientName }, $"transition.referrals[{i}]")).ToList();

        return (from, to, coachAfter, referralPerformers);
    }

    private static void ValidateSignal(SignalDraft draft)
    {
        var v = new Validator();
        TextRules.CheckEnum(v, draft.Kind, "signal.kind");
        TextRules.CheckEnum(v, draft.Domain, "signal.life_domain");
        TextRules.CheckEnum(v, draft.Severity, "signal.severity");
        TextRules.Check(v, draft.Description, "signal.description", TextRules.FreeTextMax, multiline: true);
        v.ThrowIfAny();
    }

    private ReferralResult SubmitReferral(IHubSession session, Party caller, string referralId, ReferralDraft draft, IReadOnlyList<Party> performers, ClientContext context, string? transitionId, bool requesterHadRelationship, DateTimeOffset now, AuditNote note, ReferralRecord? allocationRequest = null)
    {
        if (draft.Kind == ReferralKind.AllocationRequest && !DecidesFor(performers[0], context.Client, now))
        {
            throw HubException.Invalid(ErrorReasons.AllocationRequestInvalid, "referral.performers[0].party", "A request for a toewijzing goes to a party that decides for the client's municipality (its municipality, social service or wijkteam), and this performer does not act for it.");
        }

        // One client, one plan: another open referral for the same service is flagged, not refused.
        var open = ClientPlans.Open(session, context.Client.Id, draft.Service);
        if (open.Count > 0)
        {
            note.Check(AuditCheckKind.Rule, DecisionReasons.OpenReferralExists);
        }

        var referral = new ReferralRecord(
            referralId,
            context.Client.Id,
            caller.Id,
            draft.Service,
            draft.Reason ?? string.Empty,
            [.. draft.LifeDomains.Distinct()],
            draft.Urgency == ReferralUrgency.Unspecified ? ReferralUrgency.Routine : draft.Urgency,
            draft.Strengths ?? string.Empty,
            [.. performers.Select(p => new PerformerState(p.Id, PerformerStatus.Requested, null, now))],
            context.Coach?.Coach,
            now,
            transitionId)
        {
            RequesterHadRelationship = requesterHadRelationship,
            OpenReferralsAtRequest = [.. open.Select(r => new RelatedReferral(r.Id, r.Requester, [.. r.Performers.Select(p => p.PartyId)]))],
            ProductCode = string.IsNullOrEmpty(draft.ProductCode) ? null : draft.ProductCode,
            Volume = draft.Volume,
            RequestedEndDate = draft.RequestedEndDate,
            Kind = draft.Kind == ReferralKind.Unspecified ? ReferralKind.Care : draft.Kind,
            RequesterReference = string.IsNullOrEmpty(draft.RequesterReference) ? null : draft.RequesterReference,
            AllocationRequestId = allocationRequest?.Id,
            AllocationReference = allocationRequest is null ? null : allocationRequest.RequesterReference ?? allocationRequest.Id,
        };
        session.InsertReferral(referral);
        session.AppendJourneyEvent(new JourneyEvent(0, context.Client.Id, now, JourneyEventType.ReferralRequested, caller.Id, referral.Name, Explain.Code(draft.Service)));
        var facts = new RoutingFacts(MessageType.Referral, caller.Id, MessageCategories.ForReferral(referral.LifeDomains), Service: draft.Service, Performers: [.. performers.Select(p => p.Id)], Requester: caller.Id);
        var routed = router.Route(facts, context, now);
        var thin = new ThinNoticePayload(MessageType.Referral, caller.Id, referral.LifeDomains.Count > 0 ? referral.LifeDomains[0] : LifeDomain.Unspecified, SignalSeverity.Unspecified);
        var dispatched = dispatcher.Dispatch(session, new MessageRef(PayloadKind.Referral, referral.Id, context.Client.Id, caller.Id, thin), routed.Decisions, now, note);
        return new ReferralResult(referral, dispatched.Decisions, dispatched.Wake)
        {
            Findings = requesterHadRelationship ? OpenReferralFindings(open, draft.Service, context, caller, now) : [],
        };
    }

    /// <summary>
    /// The OPEN_REFERRAL_EXISTS findings for a sender with a relationship with the client, naming each open referral the
    /// sender may know of (its own, one it performs, or any when it may read the client's plan). A sender without a
    /// relationship learns nothing of the client's other referrals.
    /// </summary>
    private List<Finding> OpenReferralFindings(IReadOnlyList<ReferralRecord> open, ServiceKind service, ClientContext context, Party caller, DateTimeOffset now) =>
        [.. open.Select(r => plans.MayKnow(r, context, caller, now)
            ? new Finding(DecisionReasons.OpenReferralExists, r.Name, $"The client has an open referral for {Explain.Code(service)}: {r.Name}, requested by parties/{r.Requester}. The performers see the two linked; the coach sees both in the client's plan.")
            : new Finding(DecisionReasons.OpenReferralExists, null, $"The client has an open referral for {Explain.Code(service)} that the caller may not see; the performers see the two linked, and the coach sees both in the client's plan."))];

    /// <summary>Findings for a draft referral, as a submit now would give them (explain).</summary>
    private IReadOnlyList<Finding> DraftFindings(IHubSession session, ReferralDraft draft, ClientContext context, Party caller, DateTimeOffset now) =>
        CareRelationships.Find(session, context, caller, now) is null ? [] : OpenReferralFindings(ClientPlans.Open(session, context.Client.Id, draft.Service), draft.Service, context, caller, now);

    /// <summary>
    /// The referral's product code, volume and end date, as the iWmo/iJw standards carry them: a product code of 1 to 5
    /// letters or digits; a volume of 0 to 99,999,999 with its unit and frequency; an end date not before today, required
    /// for a volume in total over the period.
    /// </summary>
    private void CheckScope(Validator v, ReferralDraft draft, string field)
    {
        if (!string.IsNullOrEmpty(draft.ProductCode))
        {
            if (draft.ProductCode.Length > 5)
            {
                v.Add(ErrorReasons.FieldTooLong, field + ".product_code", $"{field}.product_code is at most 5 characters.", ("maxLength", "5"));
            }
            else if (!draft.ProductCode.All(char.IsAsciiLetterOrDigit))
            {
                v.Add(ErrorReasons.InvalidCharacters, field + ".product_code", $"{field}.product_code holds only letters and digits.");
            }
        }

        if (draft.Volume is { } volume)
        {
            if (volume.Quantity is < 0 or > SupportVolume.MaxQuantity)
            {
                v.Add(ErrorReasons.ValueOutOfRange, field + ".volume.quantity", $"{field}.volume.quantity is from 0 to 99999999.", ("min", "0"), ("max", "99999999"));
            }

            TextRules.CheckEnum(v, volume.Unit, field + ".volume.unit");
            TextRules.CheckEnum(v, volume.Frequency, field + ".volume.frequency");
            if (volume.Frequency == VolumeFrequency.Total && draft.RequestedEndDate is null)
            {
                v.Add(ErrorReasons.FieldRequired, field + ".requested_end_date", $"{field}.requested_end_date is required with a volume in total over the period.");
            }
        }

        if (draft.RequestedEndDate is { } end && end < DutchTime.Today(time))
        {
            v.Add(ErrorReasons.InvalidDate, field + ".requested_end_date", $"{field}.requested_end_date lies in the past.");
        }
    }

    private List<Party> ValidateReferral(ReferralDraft draft, string field, Party? caller = null)
    {
        var v = new Validator();
        TextRules.CheckEnum(v, draft.Service, field + ".service");
        TextRules.CheckEnum(v, draft.Kind, field + ".kind", required: false);
        if (!string.IsNullOrEmpty(draft.RequesterReference))
        {
            if (draft.RequesterReference.Length > MaxRequesterReference)
            {
                v.Add(ErrorReasons.FieldTooLong, field + ".requester_reference", $"{field}.requester_reference is at most {MaxRequesterReference} characters.", ("maxLength", MaxRequesterReference.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            }
            else if (draft.RequesterReference.Any(c => c < ' ' || c > '~') || string.IsNullOrWhiteSpace(draft.RequesterReference))
            {
                v.Add(ErrorReasons.InvalidCharacters, field + ".requester_reference", $"{field}.requester_reference holds printable ASCII characters, not only spaces.");
            }
        }

        TextRules.CheckEnum(v, draft.Urgency, field + ".urgency", required: false);
        for (var i = 0; i < draft.LifeDomains.Count; i++)
        {
            TextRules.CheckEnum(v, draft.LifeDomains[i], $"{field}.life_domains[{i}]");
        }

        TextRules.Check(v, draft.Reason, field + ".reason", TextRules.FreeTextMax, multiline: true);
        TextRules.Check(v, draft.Strengths, field + ".strengths", TextRules.FreeTextMax, multiline: true);
        CheckScope(v, draft, field);
        var performers = new List<Party>();
        if (draft.PerformerNames.Count == 0)
        {
            v.Add(ErrorReasons.FieldRequired, field + ".performers", $"{field}.performers needs at least one performer.");
        }
        else if (draft.PerformerNames.Count > 10)
        {
            v.Add(ErrorReasons.InvalidRequest, field + ".performers", $"{field}.performers holds at most 10 performers.", ("maxItems", "10"));
        }

        for (var i = 0; i < Math.Min(draft.PerformerNames.Count, 10); i++)
        {
            if (OptionalParty(v, draft.PerformerNames[i], $"{field}.performers[{i}].party", required: true) is { } party && performers.All(p => p.Id != party.Id))
            {
                performers.Add(party);
            }
        }

        if (draft.Kind == ReferralKind.AllocationRequest && !v.HasErrors)
        {
            CheckAllocationRoles(v, draft, performers, field, caller);
        }

        v.ThrowIfAny();
        return performers;
    }

    /// <summary>The longest requester's reference: the iWmo/iJw <c>ReferentieAanbieder</c> (LDT_Referentie) is 36 characters.</summary>
    public const int MaxRequesterReference = 36;

    /// <summary>
    /// A request for a toewijzing has the roles of the iWmo/iJw verzoek om toewijzing (315): a care provider asks the one
    /// party that decides for the client's municipality. Whether that party acts for the client's municipality is checked
    /// once the client is read (<see cref="DecidesFor"/>). In a transition the requester is the transition's sender.
    /// </summary>
    private static void CheckAllocationRoles(Validator v, ReferralDraft draft, IReadOnlyList<Party> performers, string field, Party? caller)
    {
        if (caller is not null && caller.Kind != PartyKind.CareProvider)
        {
            v.Add(ErrorReasons.AllocationRequestInvalid, field + ".kind", "A request for a toewijzing comes from a care provider asking it for itself; the caller is not a care provider.");
        }

        if (draft.PerformerNames.Count != 1)
        {
            v.Add(ErrorReasons.AllocationRequestInvalid, field + ".performers", "A request for a toewijzing names one performer: the party that decides for the client's municipality.");
        }
        else if (!IsMunicipalitySide(performers[0]))
        {
            v.Add(ErrorReasons.AllocationRequestInvalid, field + ".performers[0].party", "A request for a toewijzing goes to a municipality, social service or wijkteam, which decides for the municipality.");
        }
    }

    private static bool IsMunicipalitySide(Party party) => party.Kind is PartyKind.Municipality or PartyKind.SocialService or PartyKind.Wijkteam;

    /// <summary>
    /// Does <paramref name="party"/> decide on a toewijzing for the client now: a municipality, social service or wijkteam
    /// acting for the municipality the client lives in (Wmo 2015 art. 2.3.5, Jeugdwet art. 2.3: the municipality decides).
    /// </summary>
    public static bool DecidesFor(Party party, ClientRecord client, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(party);
        ArgumentNullException.ThrowIfNull(client);
        return IsMunicipalitySide(party) && party.MunicipalityCodes.Contains(client.MunicipalityAt(now));
    }

    private Party? OptionalParty(Validator v, string? name, string field, bool required = false)
    {
        if (string.IsNullOrEmpty(name))
        {
            if (required)
            {
                v.Add(ErrorReasons.FieldRequired, field, $"{field} is required.");
            }

            return null;
        }

        var id = Ids.Parse(name, "parties");
        if (id is null)
        {
            v.Add(ErrorReasons.InvalidResourceName, field, $"{field} must have the form parties/{{id}}.", ("expectedForm", "parties/{id}"));
            return null;
        }

        var party = parties.Find(id);
        if (party is null)
        {
            v.Add(ErrorReasons.UnknownParty, field, $"{field} names a party the hub does not know.");
        }

        return party;
    }

    /// <summary>
    /// A relocation's move of the client to the new municipality from the effective date, not stored yet (explain uses
    /// it too). Null for other transitions. Moving to the municipality the client already lives in then is refused.
    /// </summary>
    private ClientMoves.Move? PlanMove(ClientRecord client, ClientContext context, TransitionDraft draft, Party caller, string transitionId, DateTimeOffset now)
    {
        if (draft.Kind != TransitionKind.Relocation)
        {
            return null;
        }

        return ClientMoves.Plan(client, context.Roles, parties, draft.NewMunicipalityCode!, draft.EffectiveDate!.Value, ResidenceSource.Relocation, caller.Id, now, transitionId)
            ?? throw HubException.Invalid(ErrorReasons.InvalidMunicipalityCode, "transition.new_municipality_code", "The client already lives in that municipality on the effective date.");
    }

    /// <summary>What the router needs of a transition: for a relocation, routed for the new municipality, the old one noted.</summary>
    private static RoutingFacts TransitionFacts(Party caller, TransitionDraft draft, Party? to, Party? from, ClientMoves.Move? move) =>
        new(MessageType.Transition, caller.Id, MessageCategories.ForTransition(), TransitionKind: draft.Kind, ToParty: to?.Id, FromParty: from?.Id)
        {
            Municipality = move?.Residence.MunicipalityCode,
            PreviousMunicipality = move?.PreviousMunicipality,
        };

    private void ApplyRoleChanges(IHubSession session, ClientRecord client, ClientContext context, TransitionKind kind, Party? from, Party? to, DateTimeOffset effective, string transitionId)
    {
        var (ended, begun) = RoleChanges(client, context, kind, from, to, effective, transitionId);
        foreach (var role in ended)
        {
            session.UpdateRole(role);
        }

        foreach (var role in begun)
        {
            session.InsertRole(role);
        }
    }

    /// <summary>The roles a transition ends (as they will read) and begins. Stores nothing, so explain can route on them too.</summary>
    private (List<ClientRole> Ended, List<ClientRole> Begun) RoleChanges(ClientRecord client, ClientContext context, TransitionKind kind, Party? from, Party? to, DateTimeOffset effective, string transitionId)
    {
        IEnumerable<ClientRole> ending = kind switch
        {
            // The school's role ends on the effective date, whichever school announced it.
            TransitionKind.SchoolLeaver18 => context.Roles.Where(r => r.Kind == RoleKind.School && (r.Until is null || r.Until > effective)),
            TransitionKind.ProviderChange or TransitionKind.SupportEnded or TransitionKind.Relocation when from is not null =>
                context.Roles.Where(r => r.PartyId == from.Id && r.Kind != RoleKind.Coach && (r.Until is null || r.Until > effective)),
            _ => [],
        };
        var ended = ending.Select(role => role with { Until = effective < role.From ? role.From : effective, Source = transitionId }).ToList();
        var begun = new List<ClientRole>();
        if (kind == TransitionKind.ProviderChange && to is not null && RelationshipRules.GainsRoleByProviderChange(to.Kind))
        {
            begun.Add(new ClientRole(Ids.New("rol", time), client.Id, to.Id, RoleKind.Provider, effective, null, transitionId));
        }

        if (kind == TransitionKind.SchoolLeaver18 && to is not null && RelationshipRules.GainsRoleBySchoolLeaving(to.Kind))
        {
            begun.Add(new ClientRole(Ids.New("rol", time), client.Id, to.Id, RoleKind.SocialService, effective, null, transitionId));
        }

        return (ended, begun);
    }
}

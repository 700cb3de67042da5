using Ketenhub.Hub.Audit;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Consent;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Journeys;
using Ketenhub.Hub.Messages;
using Ketenhub.Hub.Parties;
using Ketenhub.Hub.Routing;
using Ketenhub.Hub.Storage;

namespace Ketenhub.Hub.Clients;

/// <summary>The answer to a registration.</summary>
public sealed record Registration(ClientSummary Client, string? SchoolId, bool AlreadyRegistered);

/// <summary>A client's current care team.</summary>
public sealed record CareTeamView(ClientSummary Client, CoachAssignment? Coach, IReadOnlyList<string> Parties)
{
    /// <summary>
    /// Changes whenever the coach changes: a hash of the client and the current coach assignment (its id, never shown),
    /// for conditional coach changes.
    /// </summary>
    public string Etag => EtagOf(Client.Id, Coach);

    public static string EtagOf(string clientId, CoachAssignment? coach) =>
        Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(clientId + "|" + (coach?.Id ?? "none"))).AsSpan(0, 12))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>The answer to a coach assignment.</summary>
public sealed record CoachAssignmentResult(CareTeamView CareTeam, bool HandoverTaskCreated, IReadOnlyList<string> Wake);

/// <summary>A client as a party with a role sees it.</summary>
public sealed record ClientView(ClientSummary Client, string? SchoolId, CoachInfo? Coach);

/// <summary>How quickly a signal was picked up.</summary>
public sealed record SignalFigure(string SignalId, DateTimeOffset RaiseTime, TimeSpan? TimeToAcknowledgement, bool Escalated);

/// <summary>How quickly a referral led to care.</summary>
public sealed record ReferralFigure(string ReferralId, ServiceKind Service, DateTimeOffset RequestTime, TimeSpan? TimeToStart, TimeSpan? TimeFromSignalToStart);

/// <summary>Figures about a client's path through the chain.</summary>
public sealed record ClientReport(ClientSummary Client, IReadOnlyList<SignalFigure> Signals, IReadOnlyList<ReferralFigure> Referrals, IReadOnlyList<CoachInfo> Coaches);

/// <summary>Registers clients, keeps the coach thread and serves the journey to those who may read it.</summary>
public sealed class ClientRegistry(
    PartyDirectory parties,
    BsnHasher hasher,
    BsnProtector protector,
    ConsentEvaluator consent,
    Dispatcher dispatcher,
    DeliveryNotifier notifier,
    AuditTrail audit,
    PersonFacts personFacts,
    TimeProvider time)
{
    /// <summary>
    /// Registers a client by BSN. A registration gives a role only to a school that names itself as the school of record;
    /// any other party gains nothing by registering (it may still raise signals and request referrals). A BSN the hub
    /// knows is answered with the client only when the caller has a relationship with the client or the facts it sent
    /// match the stored ones; otherwise CLIENT_FACTS_MISMATCH, which reveals nothing stored, and whoever answers for the
    /// client gets a task to check the facts. Facts nobody with a relationship vouched for (a registration that created
    /// no role, and nothing since) give way to a registration that establishes a relationship by itself: the school
    /// registering its own student, or the social service or wijkteam of the municipality it sends.
    /// </summary>
    public async Task<Registration> RegisterAsync(Party caller, string? bsn, DateOnly? birthDate, string? municipalityCode, string? schoolName, RequestKey key, CancellationToken cancellationToken)
    {
        var v = new Validator();
        if (string.IsNullOrEmpty(bsn))
        {
            v.Add(ErrorReasons.FieldRequired, "bsn", "bsn is required.");
        }
        else if (!Bsn.IsValid(bsn))
        {
            v.Add(ErrorReasons.InvalidBsn, "bsn", "bsn is not a valid burgerservicenummer (elfproef).");
        }

        var school = ClientFacts.Validate(v, birthDate, municipalityCode, schoolName, string.Empty, parties, DutchTime.Today(time));
        if (school is not null && school.Id != caller.Id)
        {
            v.Add(ErrorReasons.SchoolNotCaller, "school", "school must be the caller: only a school makes itself a client's school of record.");
        }

        v.ThrowIfAny();
        var hash = hasher.Hash(bsn!);
        // A registration that establishes a relationship by itself, whatever the hub held before.
        var establishes = school is not null || CareRelationships.ServesMunicipality(caller, municipalityCode!);
        var note = audit.Note(caller, "RegisterClient", AuditAction.Create, key).Check(AuditCheckKind.Authorisation, AuditChecks.PartyActsAsItself);
        var result = await audit.WriteAsync(
            note,
            session =>
            {
                var now = time.GetUtcNow();
                var outcome = Idempotency.Run(session, caller.Id, "RegisterClient", key, now, () =>
                {
                    var existing = session.FindClientByBsnHash(hash);
                    if (existing is null)
                    {
                        // A client who is already an adult came of age before the hub knew them: nothing to do at 18.
                        var clientId = Ids.New("cli", time);
                        var client = new ClientRecord(clientId, hash, protector.Protect(clientId, bsn!), birthDate!.Value, municipalityCode!, now)
                        {
                            ComingOfAgeHandled = DutchTime.AgeOn(birthDate.Value, DutchTime.DateOf(now)) >= 18,
                        };
                        session.InsertClient(client);
                        note.About(client.Id);
                        BecomeSchoolOfRecord(session, client, school, now);
                        session.AppendJourneyEvent(new JourneyEvent(0, client.Id, now, JourneyEventType.ClientRegistered, caller.Id, client.Name, string.Empty));
                        return new RegistrationOutcome(new Registration(ClientSummary.From(client, now), school?.Id, false), []);
                    }

                    note.About(existing.Id);
                    var matches = existing.BirthDate == birthDate!.Value && existing.MunicipalityAt(now) == municipalityCode;
                    if (!matches && establishes && !CareRelationships.IsVouchedFor(session, existing.Id))
                    {
                        // Nobody with a relationship stands behind the stored facts: the party that does replaces them.
                        existing = Correct(session, existing, birthDate.Value, municipalityCode!, caller.Id, now);
                        note.As(AuditAction.Update);
                        matches = true;
                    }

                    var relationship = CareRelationships.Find(session, ClientContexts.Load(session, existing, now), caller, now);
                    if (!matches)
                    {
                        var wake = FactConflicts.Raise(session, dispatcher, parties, existing, now);
                        if (relationship is null)
                        {
                            // The task is committed with the refusal's event; the caller is refused after the commit.
                            return new RegistrationOutcome(null, wake);
                        }

                        note.As(AuditAction.Read).Check(AuditCheckKind.Relationship, relationship);
                        return new RegistrationOutcome(new Registration(ClientSummary.From(existing, now), ClientContexts.CurrentSchool(session, existing.Id, now), true), wake);
                    }

                    if (note.Action == AuditAction.Create)
                    {
                        note.As(AuditAction.Read);
                    }

                    BecomeSchoolOfRecord(session, existing, school, now);
                    // The stored school is told only to a party with a relationship (a school registering its own student has
                    // one now); the facts themselves are the caller's own.
                    var known = relationship is not null || school is not null;
                    return new RegistrationOutcome(new Registration(ClientSummary.From(existing, now), known ? ClientContexts.CurrentSchool(session, existing.Id, now) : null, true), []);
                },
                () => note.ClientId);
                if (outcome.Registration is null)
                {
                    // A mismatch (first or repeated): the event records the refusal; the task went with the first.
                    note.As(AuditAction.Read).RefuseWith(ErrorReasons.ClientFactsMismatch);
                }

                return outcome;
            },
            cancellationToken).ConfigureAwait(false);
        notifier.Notify(result.Wake);
        if (result.Registration is { AlreadyRegistered: false } registered)
        {
            // A new client is checked against the person source at once (when one is configured): a disagreement with what
            // the party sent becomes a task, authority over a minor is recorded. A source that cannot answer now delays the
            // check to the scheduled run; the registration stands.
            await personFacts.CheckAsync(registered.Client.Id, cancellationToken).ConfigureAwait(false);
        }

        return result.Registration ?? throw FactsMismatch();
    }

    /// <summary>
    /// Corrects a client's birth date or municipality (after a CLIENT_FACTS_MISMATCH task, say). The caller needs a
    /// current role for the client or to be the social service or wijkteam of its municipality. The correction is a step
    /// of the journey; routing uses the new facts from now on, and a corrected birth date that makes the client 18 or
    /// older brings the coming of age's work (the parent's consents) at the next scheduled run.
    /// </summary>
    public async Task<ClientView> CorrectFactsAsync(Party caller, string? clientName, DateOnly? birthDate, string? municipalityCode, RequestKey key, CancellationToken cancellationToken)
    {
        var v = new Validator();
        if (birthDate is null && string.IsNullOrEmpty(municipalityCode))
        {
            v.Add(ErrorReasons.FieldRequired, "birth_date", "Set birth_date, municipality_code or both.");
        }

        if (birthDate is { } date && (date > DutchTime.Today(time) || date.Year < 1900))
        {
            v.Add(ErrorReasons.InvalidBirthDate, "birth_date", "birth_date must be a real date from 1900 up to today.", ("minYear", "1900"));
        }

        if (!string.IsNullOrEmpty(municipalityCode) && !Municipality.IsValidCode(municipalityCode))
        {
            v.Add(ErrorReasons.InvalidMunicipalityCode, "municipality_code", "municipality_code must be a four-digit CBS municipality code.");
        }

        v.ThrowIfAny();
        var note = audit.Note(caller, "CorrectClientFacts", AuditAction.Update, key);
        var result = await audit.CommandAsync(
            note,
            key,
            (session, now) =>
            {
                var client = ClientContexts.RequireClient(session, clientName, "name");
                note.About(client.Id);
                var context = ClientContexts.Load(session, client, now);
                if (ClientContexts.HasCurrentRole(context, caller.Id, now))
                {
                    note.Relationship(context, caller.Id, now);
                }
                else if (CareRelationships.ServesMunicipality(caller, client.MunicipalityAt(now)))
                {
                    note.Check(AuditCheckKind.Relationship, AuditChecks.ServesMunicipality);
                }
                else
                {
                    throw HubException.Denied(ErrorReasons.NoRoleForClient, "Only a party with a current role for the client, or its municipality's social service or wijkteam, may correct its facts.");
                }

                var corrected = Correct(session, client, birthDate ?? client.BirthDate, string.IsNullOrEmpty(municipalityCode) ? client.MunicipalityAt(now) : municipalityCode, caller.Id, now);
                var after = ClientContexts.Load(session, corrected, now);
                return new ClientView(ClientSummary.From(corrected, now), ClientContexts.CurrentSchool(session, corrected.Id, now), after.Coach?.Coach);
            },
            cancellationToken).ConfigureAwait(false);
        return result;
    }

    private static HubException FactsMismatch() =>
        HubException.Precondition(ErrorReasons.ClientFactsMismatch, "The BSN is known with other facts, and the caller has no relationship with the client. The parties that answer for the client were asked to check the facts.");

    /// <summary>
    /// Corrects the client's facts and records the correction in the journey. A new birth date replaces the old one; a
    /// new municipality is a residence from today (the history keeps where the client was registered), which ends the
    /// role of a social service that does not serve it. Unchanged facts change nothing.
    /// </summary>
    private ClientRecord Correct(IHubSession session, ClientRecord client, DateOnly birthDate, string municipalityCode, string actor, DateTimeOffset now)
    {
        var fields = new List<string>();
        var corrected = client;
        if (birthDate != client.BirthDate)
        {
            fields.Add("BIRTH_DATE");

            // A client whose 18th birthday now lies ahead comes of age again; one who is now of age and was not handled is
            // handled by the next scheduled run (the parent's consents, the coach's task).
            corrected = corrected with { BirthDate = birthDate, ComingOfAgeHandled = client.ComingOfAgeHandled && DutchTime.AgeOn(birthDate, DutchTime.DateOf(now)) >= 18 };
        }

        ClientMoves.Move? move = null;
        if (municipalityCode != client.MunicipalityAt(now))
        {
            fields.Add("MUNICIPALITY_CODE");
            move = ClientMoves.Plan(corrected, session.GetRoles(client.Id), parties, municipalityCode, DutchTime.DateOf(now), ResidenceSource.Correction, actor, now, null);
            corrected = move!.Client;
        }

        if (fields.Count == 0)
        {
            return client;
        }

        session.UpdateClient(corrected);
        if (move is not null)
        {
            ClientMoves.EndRoles(session, move, null);
        }

        session.AppendJourneyEvent(new JourneyEvent(0, client.Id, now, JourneyEventType.ClientFactsCorrected, actor, client.Name, string.Join(' ', fields)));
        return corrected;
    }

    /// <summary>A school that registers its own student becomes the student's school of record, once.</summary>
    private void BecomeSchoolOfRecord(IHubSession session, ClientRecord client, Party? school, DateTimeOffset now)
    {
        if (school is null || session.GetRoles(client.Id).Any(r => r.PartyId == school.Id && r.Kind == RoleKind.School && r.IsCurrentAt(now)))
        {
            return;
        }

        // The roles a registration gives: the school of record only (ClientFacts.Registered mirrors this for explain).
        session.InsertRole(new ClientRole(Ids.New("rol", time), client.Id, school.Id, RoleKind.School, now, null, "registration"));
    }

    /// <summary>What a registration's write decided: the answer (null for a mismatch to refuse) and the parties to wake.</summary>
    private sealed record RegistrationOutcome(Registration? Registration, IReadOnlyList<string> Wake);

    public Task<ClientView> GetAsync(Party caller, string? clientName, CancellationToken cancellationToken) =>
        ReadWithRoleAsync(
            caller,
            "GetClient",
            clientName,
            "name",
            (session, client, context, now) =>
            {
                return new ClientView(ClientSummary.From(client, now), ClientContexts.CurrentSchool(session, client.Id, now), context.Coach?.Coach);
            },
            cancellationToken);

    public async Task<CoachAssignmentResult> AssignCoachAsync(Party caller, string? clientName, CoachDraft? coachDraft, RequestKey key, CancellationToken cancellationToken, string? etag = null)
    {
        var v = new Validator();
        if (coachDraft is null)
        {
            v.Add(ErrorReasons.FieldRequired, "coach", "coach is required.");
        }

        var coach = CoachRules.Validate(v, coachDraft, "coach", parties);
        v.ThrowIfAny();
        var note = audit.Note(caller, "AssignCoach", AuditAction.Update, key).For(AuditChecks.Code(Purpose.Coaching));
        var result = await audit.CommandAsync(
            note,
            key,
            (session, now) =>
            {
                var client = ClientContexts.RequireClient(session, clientName, "client");
                note.About(client.Id);
                var context = ClientContexts.Load(session, client, now);
                if (context.Coach is not null && !ClientContexts.HasCurrentRole(context, caller.Id, now))
                {
                    throw HubException.Denied(ErrorReasons.NoRoleForClient, "Only a party with a current role for the client may change its coach.");
                }

                if (context.Coach is null)
                {
                    // The first coach: a party with a relationship whose kind may name one (parties file,
                    // firstCoachNamedBy). Naming a coach is what gives the coach's organisation its role.
                    var relationship = CareRelationships.Find(session, context, caller, now)
                        ?? throw HubException.Denied(ErrorReasons.NoRoleForClient, "Only a party with a relationship with the client may name its first coach.");
                    if (!parties.FirstCoachKinds.Contains(caller.Kind))
                    {
                        throw HubException.Denied(ErrorReasons.FirstCoachNotAllowed, "The caller's kind of party may not name a client's first coach.");
                    }

                    CareRelationships.Note(note, context, caller, relationship, now);
                }
                else
                {
                    note.Relationship(context, caller.Id, now);
                }

                if (!string.IsNullOrEmpty(etag) && etag != CareTeamView.EtagOf(client.Id, context.Coach))
                {
                    throw HubException.Aborted(ErrorReasons.EtagMismatch, "The coach changed since the care team was read (etag); read it again.");
                }

                if (context.Coach?.Coach == coach)
                {
                    return new CoachAssignmentResult(CareTeam(context, now), false, []);
                }

                var wake = CoachChanges.Change(session, dispatcher, time, client, context.Coach, coach!, caller.Id, now);
                var after = ClientContexts.Load(session, client, now);
                if (context.Coach is null && ConfirmConsentTasks.AfterComingOfAge(client, now))
                {
                    // An adult's first coach: parent's consents that wait for the client's confirmation were put to nobody yet.
                    wake = [.. wake, .. ConfirmConsentTasks.Ask(session, dispatcher, after, ConfirmConsentTasks.Unconfirmed(consent, after, now), "The client has a first coach while a parent's consent awaits the client's confirmation: the coach goes through it with the client.", now)];
                }

                return new CoachAssignmentResult(CareTeam(after, now), context.Coach is not null, wake);
            },
            cancellationToken).ConfigureAwait(false);
        notifier.Notify(result.Wake);
        return result;
    }

    public Task<CareTeamView> GetCareTeamAsync(Party caller, string? clientName, CancellationToken cancellationToken) =>
        ReadWithRoleAsync(
            caller,
            "GetCareTeam",
            clientName,
            "client",
            (session, client, context, now) =>
            {
                return CareTeam(context, now);
            },
            cancellationToken);

    /// <summary>
    /// The client's journey, ordered by when each step happened. Readable only by a party with a current role
    /// for the client and a consent for coaching. Steps dated in the future (a role that ends on a coming
    /// effective date) appear once their date has come.
    /// </summary>
    public Task<(IReadOnlyList<JourneyEvent> Events, int? NextOffset)> GetJourneyAsync(Party caller, string? clientName, int pageSize, int offset, CancellationToken cancellationToken) =>
        ReadWithRoleAsync<(IReadOnlyList<JourneyEvent>, int?)>(
            caller,
            "ListJourneyEvents",
            clientName,
            "client",
            (session, client, context, now, note) =>
            {
                RequireCoachingConsent(caller, client, context, now, note);

                var events = session.GetJourney(client.Id, 0, 100_000)
                    .Where(e => e.Time <= now)
                    .OrderBy(e => e.Time)
                    .ThenBy(e => e.Sequence)
                    .ToList();
                var size = pageSize <= 0 ? 100 : Math.Min(pageSize, 1000);
                var page = events.Skip(offset).Take(size).ToList();
                int? next = offset + page.Count < events.Count ? offset + page.Count : null;
                return (page, next);
            },
            cancellationToken);

    public Task<ClientReport> GetReportAsync(Party caller, string? clientName, CancellationToken cancellationToken) =>
        ReadWithRoleAsync(
            caller,
            "GetClientReport",
            clientName,
            "client",
            (session, client, context, now) =>
            {
                var signals = session.GetSignalsForClient(client.Id).OrderBy(s => s.CreateTime).ToList();
                var signalFigures = signals.Select(s =>
                {
                    var deliveries = session.GetDeliveriesForMessage(s.Id);
                    var firstAck = deliveries.Where(d => d.SignalAckTime is not null).Select(d => d.SignalAckTime!.Value).DefaultIfEmpty().Min();
                    return new SignalFigure(s.Id, s.CreateTime, firstAck == default ? null : firstAck - s.CreateTime, deliveries.Any(d => d.Escalated));
                }).ToList();
                var referralFigures = session.GetReferralsForClient(client.Id).OrderBy(r => r.CreateTime).Select(r =>
                {
                    var start = r.Performers.Where(p => p.StartDate is not null && p.Status is PerformerStatus.Started or PerformerStatus.Ended)
                        .Select(p => DutchTime.StartOf(p.StartDate!.Value)).DefaultIfEmpty().Min();
                    TimeSpan? toStart = start == default ? null : Max(start - r.CreateTime, TimeSpan.Zero);
                    var signalBefore = signals.LastOrDefault(s => s.CreateTime <= r.CreateTime);
                    TimeSpan? fromSignal = start == default || signalBefore is null ? null : Max(start - signalBefore.CreateTime, TimeSpan.Zero);
                    return new ReferralFigure(r.Id, r.Service, r.CreateTime, toStart, fromSignal);
                }).ToList();
                var coaches = session.GetCoachAssignments(client.Id).OrderBy(a => a.From).Select(a => a.Coach).ToList();
                return new ClientReport(ClientSummary.From(client, now), signalFigures, referralFigures, coaches);
            },
            cancellationToken);

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>
    /// The journey's rule: a current role for the client and an active consent for coaching. Also decides who
    /// may read a client's access report.
    /// </summary>
    internal void RequireCoachingConsent(Party caller, ClientRecord client, ClientContext context, DateTimeOffset now, AuditNote note)
    {
        var requirement = new ConsentRequirement(caller, Purpose.Coaching, []);
        var evaluation = consent.Evaluate(context.Consents, client, requirement, now);
        if (evaluation.Verdict != ConsentVerdict.Covered)
        {
            throw HubException.Denied(ErrorReasons.ConsentRequired, "No active consent lets the caller read this client's journey (purpose COACHING).");
        }

        note.Check(AuditCheckKind.Consent, evaluation.Consent!.Name);
    }

    private Task<T> ReadWithRoleAsync<T>(Party caller, string eventType, string? clientName, string field, Func<IHubSession, ClientRecord, ClientContext, DateTimeOffset, T> read, CancellationToken cancellationToken) =>
        ReadWithRoleAsync(caller, eventType, clientName, field, (session, client, context, now, _) => read(session, client, context, now), cancellationToken);

    /// <summary>
    /// Reads about a client for a caller that has a current role for them; others are refused. The read and
    /// its refusal are audited, and the data is returned only once its audit event is committed.
    /// </summary>
    private Task<T> ReadWithRoleAsync<T>(Party caller, string eventType, string? clientName, string field, Func<IHubSession, ClientRecord, ClientContext, DateTimeOffset, AuditNote, T> read, CancellationToken cancellationToken)
    {
        var note = audit.Note(caller, eventType, AuditAction.Read);
        return audit.ReadAsync(
            note,
            session =>
            {
                var now = time.GetUtcNow();
                var client = ClientContexts.RequireClient(session, clientName, field);
                note.About(client.Id);
                var context = ClientContexts.Load(session, client, now);
                RequireRole(context, caller, now);
                note.Relationship(context, caller.Id, now);
                return read(session, client, context, now, note);
            },
            cancellationToken);
    }

    private static void RequireRole(ClientContext context, Party caller, DateTimeOffset now)
    {
        if (!ClientContexts.HasCurrentRole(context, caller.Id, now))
        {
            throw HubException.Denied(ErrorReasons.NoRoleForClient, "The caller has no current role for this client.");
        }
    }


    private static CareTeamView CareTeam(ClientContext context, DateTimeOffset now) =>
        new(ClientSummary.From(context.Client, now), context.Coach, [.. context.Roles.Where(r => r.IsCurrentAt(now)).Select(r => r.PartyId).Concat(context.Coach is { } c ? [c.Coach.PartyId] : []).Distinct().Order(StringComparer.Ordinal)]);
}

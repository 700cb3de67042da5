using System.Diagnostics;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Parties;
using Ketenhub.Hub.Storage;

namespace Ketenhub.Hub.Audit;

/// <summary>
/// What the transport knows about a call and the domain does not: the full actor (person and roles) and the
/// remote endpoint. The host sets it per call (<see cref="Current"/>); it flows with the call's async context.
/// </summary>
/// <param name="Actor">The caller as its identity describes it, when the transport resolved one.</param>
/// <param name="Source">The remote address and port, when the transport knows it.</param>
public sealed record CallOrigin(Actor? Actor, string? Source)
{
    private static readonly AsyncLocal<CallOrigin?> Ambient = new();

    /// <summary>The origin of the call being served on this async flow, or null outside a call.</summary>
    public static CallOrigin? Current
    {
        get => Ambient.Value;
        set => Ambient.Value = value;
    }
}

/// <summary>
/// What one call did, collected while it runs and written as one audit event: the client it concerned, the
/// checks that allowed it, the purpose and the resources. Created on the call's own flow (it captures the
/// call's origin and trace there), then filled inside the store's work.
/// </summary>
public sealed class AuditNote
{
    private readonly List<AuditCheck> _checks = [];
    private readonly List<string> _purposes = [];
    private readonly List<string> _resources = [];
    private List<AuditNote>? _followers;

    internal AuditNote(string partyId, Actor? actor, string eventType, AuditAction action, string? requestId, string? traceId, string? source)
    {
        PartyId = partyId;
        Actor = actor;
        EventType = eventType;
        Action = action;
        RequestId = requestId;
        TraceId = traceId;
        Source = source;

        // Where the call stood in its trace (W3C traceparent of the current span), for work it causes later, such as a
        // push to a partner, to continue the same trace. Taken on the call's own thread, when the note is made.
        TraceParent = traceId is not null && Activity.Current is { IdFormat: ActivityIdFormat.W3C } current ? current.Id : null;

        // The calling system's operation, when the call continued a trace that system began (its traceparent): the
        // parent of the outermost span of this process, which has a remote parent.
        var root = Activity.Current;
        while (root?.Parent is { } parent)
        {
            root = parent;
        }

        ForeignSpanId = root is { HasRemoteParent: true, IdFormat: ActivityIdFormat.W3C } && root.ParentSpanId != default ? root.ParentSpanId.ToHexString() : null;
    }

    /// <summary>The span id of the calling system's operation, when the call continued its trace; not audited.</summary>
    public string? ForeignSpanId { get; private init; }

    /// <summary>When the note was made: the start of the processing it records. Not audited.</summary>
    public DateTimeOffset Started { get; internal init; }

    /// <summary>The Logboek records of the events appended for this note, written once the write commits.</summary>
    internal List<ProcessingRecord> Processed { get; } = [];

    public string PartyId { get; }

    public Actor? Actor { get; }

    public string EventType { get; }

    public AuditAction Action { get; private set; }

    public string? RequestId { get; }

    public string? TraceId { get; }

    /// <summary>The W3C <c>traceparent</c> of the call's span when the note was made; null outside a trace. Not audited.</summary>
    public string? TraceParent { get; private init; }

    public string? Source { get; }

    /// <summary>The hub id of the client the call concerned, once known.</summary>
    public string? ClientId { get; private set; }

    /// <summary>Set when the call is refused although the caller is told something else (a name it may not see is "not found").</summary>
    public bool Refused { get; private set; }

    /// <summary>
    /// Set when the write commits what the refusal itself brings (a task for others) and the caller is refused after the
    /// commit: the write's event is appended as REFUSED with this reason instead of as a success.
    /// </summary>
    public string? RefusalReason { get; private set; }

    public IReadOnlyList<AuditCheck> Checks => _checks;

    public IReadOnlyList<string> Purposes => _purposes;

    public IReadOnlyList<string> Resources => _resources;

    /// <summary>The call concerns this client.</summary>
    public AuditNote About(string clientId)
    {
        ClientId = clientId;
        return this;
    }

    /// <summary>A check that allowed the call (added once).</summary>
    public AuditNote Check(AuditCheckKind kind, string reference)
    {
        if (!_checks.Exists(c => c.Kind == kind && c.Reference == reference))
        {
            _checks.Add(new AuditCheck(kind, reference));
        }

        return this;
    }

    /// <summary>The purpose of the access, a contract code such as <c>COACHING</c> (added once).</summary>
    public AuditNote For(string purpose)
    {
        if (!_purposes.Contains(purpose))
        {
            _purposes.Add(purpose);
        }

        return this;
    }

    /// <summary>
    /// A resource the call concerned (added once). Never the client's own name: the trail names the client
    /// only by pseudonym (<see cref="About"/>), so an export cannot be linked to the hub's client ids.
    /// </summary>
    public AuditNote Resource(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.StartsWith("clients/", StringComparison.Ordinal))
        {
            throw new ArgumentException("The audit trail names a client only by pseudonym.", nameof(name));
        }

        if (!_resources.Contains(name))
        {
            _resources.Add(name);
        }

        return this;
    }

    /// <summary>Corrects the action once the call knows what it did (a repeated registration only reads).</summary>
    public AuditNote As(AuditAction action)
    {
        Action = action;
        return this;
    }

    /// <summary>Notes appended right after this one when it is appended as a success, in the same transaction.</summary>
    public IReadOnlyList<AuditNote> Followers => _followers ?? (IReadOnlyList<AuditNote>)[];

    /// <summary>
    /// Another event that the call's success brings with it (a delivery claimed for its recipient in the same
    /// write): appended after this note, in the same transaction, only if the call succeeds.
    /// </summary>
    public AuditNote Then(AuditNote follower)
    {
        ArgumentNullException.ThrowIfNull(follower);
        (_followers ??= []).Add(follower);
        return this;
    }

    /// <summary>A new, empty note of the same call (same actor, origin, event type and action), for calls that touch several clients.</summary>
    public AuditNote Another() => new(PartyId, Actor, EventType, Action, RequestId, TraceId, Source) { TraceParent = TraceParent, ForeignSpanId = ForeignSpanId, Started = Started };

    /// <summary>What the note holds now, to set it back to with <see cref="Rewind"/>.</summary>
    internal Snapshot Mark() => new(Action, ClientId, Refused, RefusalReason, _checks.Count, _purposes.Count, _resources.Count, _followers?.Count ?? 0);

    /// <summary>Sets the note back to <paramref name="mark"/>: what a run of work that is run again had added goes.</summary>
    internal void Rewind(Snapshot mark)
    {
        Action = mark.Action;
        ClientId = mark.ClientId;
        Refused = mark.Refused;
        RefusalReason = mark.RefusalReason;
        _checks.RemoveRange(mark.Checks, _checks.Count - mark.Checks);
        _purposes.RemoveRange(mark.Purposes, _purposes.Count - mark.Purposes);
        _resources.RemoveRange(mark.Resources, _resources.Count - mark.Resources);
        _followers?.RemoveRange(mark.Followers, _followers.Count - mark.Followers);

        // A run that is run again appends its events again: the records of the earlier run go with them.
        Processed.Clear();
        foreach (var follower in Followers)
        {
            follower.Processed.Clear();
        }
    }

    internal readonly record struct Snapshot(AuditAction Action, string? ClientId, bool Refused, string? RefusalReason, int Checks, int Purposes, int Resources, int Followers);

    /// <summary>Marks the call refused, for refusals that reach the caller as something else.</summary>
    public AuditNote Refuse()
    {
        Refused = true;
        return this;
    }

    /// <summary>The write commits, but its event records the call as refused with <paramref name="reason"/> (see <see cref="RefusalReason"/>).</summary>
    public AuditNote RefuseWith(string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        Refused = true;
        RefusalReason = reason;
        return this;
    }
}

/// <summary>
/// The audit trail (NEN 7513): every read and write of client data writes an event before its effect, and if
/// the event cannot be written the call fails. A write's event is appended in the write's own transaction; a
/// read's event is committed durably after the read and before its data is returned. Refusals are recorded too.
/// </summary>
public sealed class AuditTrail(IHubStore store, AuditPseudonyms pseudonyms, TimeProvider time, IAuditCheckpointSource? checkpoints = null, IProcessingLog? processingLog = null)
{
    /// <summary>The actor of the hub's own scheduled work.</summary>
    public const string HubParty = "ketenhub";

    /// <summary>The role that may export the audit trail and read any client's access report.</summary>
    public const string PrivacyOfficerRole = ActorRoles.PrivacyOfficer;

    /// <summary>The administrator's role; it may export the audit trail as well.</summary>
    public const string AdminRole = ActorRoles.Admin;

    /// <summary>Starts the note of a call by <paramref name="caller"/>. Call it on the call's own flow, not inside store work.</summary>
    public AuditNote Note(Party caller, string eventType, AuditAction action, RequestKey? key = null)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var origin = CallOrigin.Current;
        var actor = origin?.Actor is { } a && a.Party.Id == caller.Id ? a : new Actor(caller, null, []);
        return new AuditNote(caller.Id, actor, eventType, action, key?.RequestId, TraceId(), origin?.Source) { Started = time.GetUtcNow() };
    }

    /// <summary>
    /// The note of a delivery handed to <paramref name="recipient"/> (event <c>DeliverContent</c>, action R): the
    /// recipient reads, whoever's call made the delivery, so the note carries neither that call's person nor its
    /// origin.
    /// </summary>
    public AuditNote DeliveryNote(Party recipient)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        return new AuditNote(recipient.Id, new Actor(recipient, null, []), DeliverContent, AuditAction.Read, null, TraceId(), null) { Started = time.GetUtcNow() };
    }

    /// <summary>
    /// The start of the party field of a call by the client themselves (<see cref="CitizenNote"/>), followed by the
    /// client's pseudonym: unique per client, so request ids are kept per client, and never the hub's client id.
    /// </summary>
    public const string CitizenPartyPrefix = "client:";

    /// <summary>Starts the note of a call by the client themselves, about their own data.</summary>
    public AuditNote CitizenNote(Clients.Citizen citizen, string eventType, AuditAction action, RequestKey? key = null)
    {
        ArgumentNullException.ThrowIfNull(citizen);
        return new AuditNote(CitizenPartyPrefix + PseudonymOf(citizen.ClientId), null, eventType, action, key?.RequestId, TraceId(), CallOrigin.Current?.Source) { Started = time.GetUtcNow() }
            .About(citizen.ClientId)
            .Check(AuditCheckKind.Authorisation, "CLIENT_SELF");
    }

    /// <summary>The event type of a delivery handed to its recipient.</summary>
    public const string DeliverContent = "DeliverContent";

    /// <summary>Starts the note of the hub's own work (scheduled escalations, coming of age, expiry).</summary>
    public AuditNote HubNote(string eventType, AuditAction action) =>
        new(HubParty, null, eventType, action, null, TraceId(), null) { Started = time.GetUtcNow() };

    /// <summary>The pseudonym the trail uses for a client.</summary>
    public string PseudonymOf(string clientId) => pseudonyms.Of(clientId);

    /// <summary>
    /// Runs a write and appends its audit event in the same transaction: both are committed or neither. A
    /// refusal is recorded in a write of its own, then rethrown.
    /// </summary>
    public Task<T> WriteAsync<T>(AuditNote note, Func<IHubSession, T> work, CancellationToken cancellationToken) =>
        WriteCoreAsync(note, work, replayable: false, cancellationToken);

    /// <summary>
    /// <see cref="WriteAsync{T}"/> for work whose only effects are through the session and on the note: the store may
    /// run it more than once (<see cref="IHubStore.WriteReplayableAsync{T}"/>), and the note is set back to what it
    /// was before the first run at the start of every run.
    /// </summary>
    public Task<T> WriteReplayableAsync<T>(AuditNote note, Func<IHubSession, T> work, CancellationToken cancellationToken) =>
        WriteCoreAsync(note, work, replayable: true, cancellationToken);

    /// <summary>
    /// Runs a command of the note's party: <see cref="WriteAsync{T}"/> of <paramref name="work"/> at most once per
    /// request key (<see cref="Idempotency.Run{T}"/>, docs/architecture.md, rule 9), with the note's event type as the
    /// operation the key is kept under. <paramref name="work"/> gets the session and the time the write began.
    /// </summary>
    public Task<T> CommandAsync<T>(AuditNote note, RequestKey key, Func<IHubSession, DateTimeOffset, T> work, CancellationToken cancellationToken) =>
        WriteCoreAsync(note, Idempotent(note, key, work), replayable: false, cancellationToken);

    /// <summary>
    /// <see cref="CommandAsync{T}"/> for work whose only effects are through the session and on the note (see
    /// <see cref="WriteReplayableAsync{T}"/>): the store may run it more than once.
    /// </summary>
    public Task<T> ReplayableCommandAsync<T>(AuditNote note, RequestKey key, Func<IHubSession, DateTimeOffset, T> work, CancellationToken cancellationToken) =>
        WriteCoreAsync(note, Idempotent(note, key, work), replayable: true, cancellationToken);

    private Func<IHubSession, T> Idempotent<T>(AuditNote note, RequestKey key, Func<IHubSession, DateTimeOffset, T> work)
    {
        ArgumentNullException.ThrowIfNull(note);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(work);
        return session =>
        {
            var now = time.GetUtcNow();
            return Idempotency.Run(session, note.PartyId, note.EventType, key, now, () => work(session, now), () => note.ClientId);
        };
    }

    private async Task<T> WriteCoreAsync<T>(AuditNote note, Func<IHubSession, T> work, bool replayable, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(note);
        ArgumentNullException.ThrowIfNull(work);
        try
        {
            if (!replayable)
            {
                var written = await store.WriteAsync(session => Run(session, note, work), cancellationToken).ConfigureAwait(false);
                Processed(note);
                return written;
            }

            var start = note.Mark();
            var result = await store.WriteReplayableAsync(
                session =>
                {
                    note.Rewind(start);
                    return Run(session, note, work);
                },
                cancellationToken).ConfigureAwait(false);
            Processed(note);
            return result;
        }
        catch (HubException refusal) when (IsRefusal(refusal, note))
        {
            await RecordRefusalAsync(note, refusal).ConfigureAwait(false);
            throw;
        }
    }

    private T Run<T>(IHubSession session, AuditNote note, Func<IHubSession, T> work)
    {
        var result = work(session);
        Append(session, note, note.RefusalReason is null ? AuditOutcome.Success : AuditOutcome.Refused, note.RefusalReason);
        return result;
    }

    /// <summary>
    /// Runs a read, then commits its audit event durably; only then is the data returned. If the event cannot
    /// be written the call fails and the data is not returned. A refusal is recorded, then rethrown.
    /// </summary>
    public async Task<T> ReadAsync<T>(AuditNote note, Func<IHubSession, T> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(note);
        ArgumentNullException.ThrowIfNull(work);
        T result;
        try
        {
            result = await store.ReadAsync(work, cancellationToken).ConfigureAwait(false);
        }
        catch (HubException refusal) when (IsRefusal(refusal, note))
        {
            await RecordRefusalAsync(note, refusal).ConfigureAwait(false);
            throw;
        }

        await store.WriteAsync(session => Append(session, note, AuditOutcome.Success, null), cancellationToken).ConfigureAwait(false);
        Processed(note);
        return result;
    }

    /// <summary>Commits the events of a read that concerned several clients (one note each); returns once they are durable.</summary>
    public Task RecordAsync(IReadOnlyList<AuditNote> notes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(notes);
        if (notes.Count == 0)
        {
            return Task.CompletedTask;
        }

        return RecordCoreAsync(notes, cancellationToken);
    }

    private async Task RecordCoreAsync(IReadOnlyList<AuditNote> notes, CancellationToken cancellationToken)
    {
        await store.WriteAsync(
            session =>
            {
                foreach (var note in notes)
                {
                    note.Processed.Clear();
                    Append(session, note, AuditOutcome.Success, null);
                }

                return true;
            },
            cancellationToken).ConfigureAwait(false);
        Processed(notes);
    }

    /// <summary>
    /// Writes the Logboek Dataverwerkingen records of <paramref name="notes"/> (and their followers) whose events a write
    /// appended with <see cref="Append"/>: call it once that write has committed, never inside it, so a record stands
    /// for a processing that happened. A note without a client records nothing.
    /// </summary>
    public void Processed(params IEnumerable<AuditNote> notes)
    {
        ArgumentNullException.ThrowIfNull(notes);
        foreach (var note in notes)
        {
            foreach (var record in note.Processed)
            {
                processingLog?.Record(record);
            }

            note.Processed.Clear();
            Processed(note.Followers);
        }
    }

    /// <summary>Appends the note's event inside a write. Any failure becomes AUDIT_UNAVAILABLE and fails the write.</summary>
    public bool Append(IHubSession session, AuditNote note, AuditOutcome outcome, string? reason)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(note);
        var auditEvent = new AuditEvent
        {
            Id = Ids.New("aud", time),
            Time = time.GetUtcNow(),
            EventType = note.EventType,
            Action = note.Action,
            ActorParty = note.PartyId,
            ActorUser = note.Actor?.UserId,
            ActorRoles = note.Actor?.Roles ?? [],
            Client = note.ClientId is null ? null : pseudonyms.Of(note.ClientId),
            Purpose = note.Purposes.Count == 0 ? null : string.Join(',', note.Purposes),
            Checks = [.. note.Checks],
            Outcome = outcome,
            Reason = reason,
            Resources = [.. note.Resources],
            RequestId = note.RequestId,
            TraceId = note.TraceId,
            Source = note.Source,
        };
        try
        {
            session.AppendAuditRecord(AuditChain.Next(session.GetAuditHead(), auditEvent));
        }
        catch (Exception ex) when (ex is not HubException and not OperationCanceledException)
        {
            throw AuditUnavailable();
        }

        if (processingLog is not null && note.ClientId is not null)
        {
            note.Processed.Add(new ProcessingRecord(note.EventType, note.ClientId, note.PartyId, outcome, note.Started == default ? auditEvent.Time : note.Started, auditEvent.Time, note.TraceParent, note.ForeignSpanId, auditEvent.Id, [.. note.Purposes])
            {
                ActionCode = auditEvent.ActionCode,
                ActorUser = auditEvent.ActorUser,
                ActorRoles = auditEvent.ActorRoles,
                Checks = auditEvent.Checks,
            });
        }

        if (outcome == AuditOutcome.Success)
        {
            foreach (var follower in note.Followers)
            {
                Append(session, follower, AuditOutcome.Success, null);
            }
        }

        return true;
    }

    /// <summary>The error of a call that could not be audited: nothing was done.</summary>
    public static HubException AuditUnavailable() =>
        new(ErrorCategory.Unavailable, ErrorReasons.AuditUnavailable, "The hub could not record the audit event, so it did not carry out the call.");

    /// <summary>
    /// One page of the trail for a privacy officer (or an admin): events in chain order, optionally of one
    /// period (<paramref name="until"/> exclusive) and one client. The export itself is audited (action E)
    /// before it is returned; a refused export is audited too.
    /// </summary>
    public async Task<(IReadOnlyList<ChainedAuditEvent> Events, long? NextAfterSequence)> ExportAsync(
        Actor actor, DateTimeOffset? from, DateTimeOffset? until, string? clientName, int pageSize, long afterSequence, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var v = new Validator();
        string? clientId = null;
        if (!string.IsNullOrEmpty(clientName))
        {
            clientId = Ids.Parse(clientName, "clients");
            if (clientId is null)
            {
                v.Add(ErrorReasons.InvalidResourceName, "client", "client must have the form clients/{id}.");
            }
        }

        if (from is { } f && until is { } u && u <= f)
        {
            v.Add(ErrorReasons.InvalidDate, "end_time", "end_time must be after start_time.");
        }

        v.ThrowIfAny();

        var note = NoteFor(actor, "ExportAuditTrail", AuditAction.Execute).Resource("audit-events");
        if (clientId is not null)
        {
            note.About(clientId);
        }

        await RequireAuditRoleAsync(actor, note).ConfigureAwait(false);
        var size = pageSize <= 0 ? 100 : Math.Min(pageSize, 1000);
        var pseudonym = clientId is null ? null : pseudonyms.Of(clientId);
        var records = await store.ReadAsync(session => session.ListAuditRecords(new AuditQuery(afterSequence, size + 1, from, until, pseudonym)), cancellationToken).ConfigureAwait(false);
        await store.WriteAsync(session => Append(session, note, AuditOutcome.Success, null), cancellationToken).ConfigureAwait(false);
        var events = records.Take(size).Select(AuditChain.Open).ToList();
        return (events, records.Count > size ? events[^1].Sequence : null);
    }

    /// <summary>Checks the whole chain for a privacy officer or an admin; the check is audited (action E).</summary>
    public async Task<AuditVerification> VerifyAsync(Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var note = NoteFor(actor, "VerifyAuditTrail", AuditAction.Execute).Resource("audit-events");
        await RequireAuditRoleAsync(actor, note).ConfigureAwait(false);
        var result = await VerifyAsync(cancellationToken).ConfigureAwait(false);
        await store.WriteAsync(session => Append(session, note, AuditOutcome.Success, null), cancellationToken).ConfigureAwait(false);
        return result;
    }

    private async Task RequireAuditRoleAsync(Actor actor, AuditNote note)
    {
        var role = actor.HasRole(PrivacyOfficerRole) ? PrivacyOfficerRole : actor.HasRole(AdminRole) ? AdminRole : null;
        if (role is null)
        {
            var refusal = HubException.Denied(ErrorReasons.AuditRoleRequired, "The audit trail is open only to the privacy-officer and admin roles.").With("roles", PrivacyOfficerRole + "," + AdminRole);
            await RecordRefusalAsync(note, refusal).ConfigureAwait(false);
            throw refusal;
        }

        note.Check(AuditCheckKind.Authorisation, "ROLE:" + role);
    }

    /// <summary>Starts the note of a call by an actor the transport resolved (person and roles included).</summary>
    public AuditNote NoteFor(Actor actor, string eventType, AuditAction action, RequestKey? key = null)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return new AuditNote(actor.Party.Id, actor, eventType, action, key?.RequestId, TraceId(), CallOrigin.Current?.Source) { Started = time.GetUtcNow() };
    }

    /// <summary>
    /// Starts the note of a command-line mode of the hub run by a named operator on the hub's own host (for example
    /// <c>Ketenhub.Hub erase</c>): the actor is the hub's own party (<see cref="HubParty"/>) with <paramref name="user"/>
    /// as the person and <paramref name="role"/> as the role the operator acts in; the source is <c>command-line</c>.
    /// </summary>
    public AuditNote OperatorNote(string user, string role, string eventType, AuditAction action)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(user);
        var hub = new Party(HubParty, PartyKind.Unspecified, "Ketenhub", DeliveryChannel.Unspecified, []);
        return new AuditNote(HubParty, new Actor(hub, user, [role]), eventType, action, null, TraceId(), "command-line") { Started = time.GetUtcNow() };
    }

    /// <summary>
    /// Checks the whole chain on one read snapshot, from the first event (or the recorded start after retention removed
    /// the oldest events), then against the signed checkpoints (read
    /// first, so each one's event is in the snapshot): see <see cref="AuditCheckpointCheck"/>.
    /// </summary>
    public Task<AuditVerification> VerifyAsync(CancellationToken cancellationToken)
    {
        var reading = checkpoints?.Read();
        return store.ReadAsync(session => AuditCheckpointCheck.Verify((after, limit) => session.ListAuditRecords(new AuditQuery(after, limit)), reading, start: session.GetAuditStart()), cancellationToken);
    }

    private static bool IsRefusal(HubException error, AuditNote note) =>
        note.Refused || error.Category is ErrorCategory.PermissionDenied or ErrorCategory.Unauthenticated;

    private async Task RecordRefusalAsync(AuditNote note, HubException refusal)
    {
        // A refusal is recorded even when the caller has gone: the attempt happened.
        note.Processed.Clear();
        await store.WriteAsync(session => Append(session, note, AuditOutcome.Refused, refusal.Reason), CancellationToken.None).ConfigureAwait(false);
        Processed(note);
    }

    private static string? TraceId() => Activity.Current is { } activity ? activity.TraceId.ToHexString() : null;
}

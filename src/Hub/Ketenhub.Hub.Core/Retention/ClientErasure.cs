using Ketenhub.Hub.Audit;
using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Parties;
using Ketenhub.Hub.Storage;
using Microsoft.Extensions.Options;

namespace Ketenhub.Hub.Retention;

/// <summary>The ground under AVG article 17(1) on which a privacy officer erases a client; recorded in the audit trail.</summary>
public enum ErasureGround
{
    Unspecified = 0,

    /// <summary>The client (or their representative) asked for it (art. 17(1), the right to erasure).</summary>
    DataSubjectRequest = 1,

    /// <summary>The data are no longer needed for the purposes they were collected for (art. 17(1)(a)).</summary>
    NoLongerNecessary = 2,

    /// <summary>The client withdrew the consent the processing rested on (art. 17(1)(b)).</summary>
    ConsentWithdrawn = 3,

    /// <summary>The data were processed unlawfully (art. 17(1)(d)).</summary>
    UnlawfullyProcessed = 4,

    /// <summary>A legal obligation requires the erasure (art. 17(1)(e)).</summary>
    LegalObligation = 5,
}

/// <summary>What an erasure did: the client (its tombstone's id), when, and how many records it emptied or removed.</summary>
public sealed record ErasureResult(string ClientId, DateTimeOffset EraseTime, bool AlreadyErased, int Messages, int DeliveryPayloads, int RelatedRecords)
{
    /// <summary>Whether the store removed the older versions of what was erased at once (<see cref="IHubStore.ScrubAsync"/>).</summary>
    public bool Scrubbed { get; init; }
}

/// <summary>
/// Erasure of a client at a privacy officer's request (AVG art. 17; docs/privacy.md, "Erasure on request"). In one
/// transaction, with its audit event: the client record becomes a tombstone that keeps only its id (its BSN hash is
/// replaced by an unlinkable marker, the encrypted BSN, birth date, municipality, residences and representatives go);
/// the content of every message about the client and every inline payload of its deliveries is erased
/// (<see cref="MessageContent"/>); its roles, coach assignments, consents, journey events and the stored answers of
/// requests about it are removed. The audit trail is kept as it is: it names the client only by a keyed pseudonym and
/// holds no BSN, birth date or content, so the chain still verifies.
/// <para>
/// Refused with <see cref="ErrorReasons.LegalRetentionApplies"/> while a legal retention applies: a legal hold on the
/// client (<see cref="RetentionOptions.LegalHolds"/>), an open referral (a performer that has not declined or ended it:
/// the municipality's duty to decide on it runs), or a delivery still on its way (open, or a signal still waiting for
/// its acknowledgement). A current coach does not hold the data: erasure ends the coaching through the hub. Erasing a
/// client that was erased already succeeds and changes nothing.
/// </para>
/// </summary>
public sealed class ClientErasure(IHubStore store, AuditTrail audit, IOptions<RetentionOptions> options, TimeProvider time)
{
    public const string EventType = "EraseClient";

    /// <summary>The answer to any call about an erased client (<see cref="ErrorReasons.ClientErased"/>).</summary>
    public static HubException Erased() =>
        new(ErrorCategory.NotFound, ErrorReasons.ClientErased, "The client was erased at a privacy officer's request; the hub holds nothing more about the client.");

    /// <summary>The code of a ground, as the audit trail records it (<c>ERASURE:DATA_SUBJECT_REQUEST</c>, …).</summary>
    public static string Code(ErasureGround ground) => ground switch
    {
        ErasureGround.DataSubjectRequest => "DATA_SUBJECT_REQUEST",
        ErasureGround.NoLongerNecessary => "NO_LONGER_NECESSARY",
        ErasureGround.ConsentWithdrawn => "CONSENT_WITHDRAWN",
        ErasureGround.UnlawfullyProcessed => "UNLAWFULLY_PROCESSED",
        ErasureGround.LegalObligation => "LEGAL_OBLIGATION",
        _ => "UNSPECIFIED",
    };

    /// <summary>Parses a ground's code (case-insensitive); null when it names none.</summary>
    public static ErasureGround? Parse(string? code) =>
        Enum.GetValues<ErasureGround>().Where(g => g != ErasureGround.Unspecified).Select(g => (ErasureGround?)g)
            .FirstOrDefault(g => string.Equals(Code(g!.Value), code?.Trim(), StringComparison.OrdinalIgnoreCase));

    /// <summary>Erasure through the API: only an identity with the <c>privacy-officer</c> role may; idempotent per request key.</summary>
    public async Task<ErasureResult> EraseAsync(Actor actor, string? clientName, ErasureGround ground, RequestKey key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(key);
        var clientId = Validate(clientName, ground, "name");
        var note = audit.NoteFor(actor, EventType, AuditAction.Delete, key).About(clientId);
        if (!actor.HasRole(ActorRoles.PrivacyOfficer))
        {
            // Thrown inside the write, so the refusal is audited (PERMISSION_DENIED always is) and nothing changes.
            return await audit.WriteAsync<ErasureResult>(
                note,
                _ => throw HubException.Denied(ErrorReasons.PrivacyOfficerRoleRequired, "Erasing a client is open only to the privacy-officer role.").With("roles", ActorRoles.PrivacyOfficer),
                cancellationToken).ConfigureAwait(false);
        }

        note.Check(AuditCheckKind.Authorisation, "ROLE:" + ActorRoles.PrivacyOfficer);
        return await RunAsync(note, ground, () => audit.CommandAsync(note, key, (session, now) => Erase(session, clientId, note, now), cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>
    /// Erasure from the hub's command line (<c>Ketenhub.Hub erase</c>), by the privacy officer named in
    /// <paramref name="officer"/>, on the hub's own host: its access to the host is the authorisation.
    /// </summary>
    public async Task<ErasureResult> EraseAsOperatorAsync(string officer, string? clientName, ErasureGround ground, CancellationToken cancellationToken)
    {
        var clientId = Validate(clientName, ground, "client");
        var note = audit.OperatorNote(officer, ActorRoles.PrivacyOfficer, EventType, AuditAction.Delete).About(clientId).Check(AuditCheckKind.Authorisation, "HOST_OPERATOR");
        return await RunAsync(note, ground, () => audit.WriteAsync(note, session => Erase(session, clientId, note, time.GetUtcNow()), cancellationToken)).ConfigureAwait(false);
    }

    private async Task<ErasureResult> RunAsync(AuditNote note, ErasureGround ground, Func<Task<ErasureResult>> write)
    {
        note.Check(AuditCheckKind.LegalBasis, "ERASURE:" + Code(ground));
        try
        {
            var result = await write().ConfigureAwait(false);
            HubMetrics.Erasure(result.AlreadyErased ? "already_erased" : "erased");

            // What was overwritten may still be in older page versions the store keeps (SQLite's WAL): remove them now
            // rather than at some later checkpoint. When the store is busy the next full checkpoint does it.
            return result with { Scrubbed = !result.AlreadyErased && await ScrubAsync().ConfigureAwait(false) };
        }
        catch (HubException ex) when (ex.Reason is ErrorReasons.LegalRetentionApplies or ErrorReasons.PrivacyOfficerRoleRequired)
        {
            HubMetrics.Erasure("refused");
            throw;
        }
    }

    private async Task<bool> ScrubAsync()
    {
        try
        {
            return await store.ScrubAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The erasure is committed; only the early removal of older page versions failed.
            return false;
        }
    }

    private static string Validate(string? clientName, ErasureGround ground, string field)
    {
        var v = new Validator();
        var clientId = Ids.Parse(clientName, "clients") ?? (clientName is { Length: > 0 } && !clientName.Contains('/', StringComparison.Ordinal) ? clientName : null);
        if (string.IsNullOrEmpty(clientName))
        {
            v.Add(ErrorReasons.FieldRequired, field, $"{field} is required: the client to erase, clients/{{id}}.");
        }
        else if (clientId is null)
        {
            v.Add(ErrorReasons.InvalidResourceName, field, $"{field} must have the form clients/{{id}}.");
        }

        if (ground == ErasureGround.Unspecified || !Enum.IsDefined(ground))
        {
            v.Add(ErrorReasons.FieldRequired, "ground", "ground is required: the ground of the erasure under AVG article 17(1).");
        }

        v.ThrowIfAny();
        return clientId!;
    }

    private ErasureResult Erase(IHubSession session, string clientId, AuditNote note, DateTimeOffset now)
    {
        var client = session.FindClient(clientId) ?? throw HubException.NotFound(ErrorReasons.ClientNotFound, "The client");
        if (client.EraseTime is { } erased)
        {
            return new ErasureResult(client.Id, erased, true, 0, 0, 0);
        }

        RefuseWhileRetained(session, client, note);

        var messages = 0;
        foreach (var referral in session.GetReferralsForClient(clientId).Where(r => r.ContentEraseTime is null))
        {
            session.UpdateReferral(MessageContent.Erase(referral, now));
            messages++;
        }

        foreach (var transition in session.GetTransitionsForClient(clientId).Where(t => t.ContentEraseTime is null))
        {
            session.UpdateTransition(MessageContent.Erase(transition, now));
            messages++;
        }

        foreach (var signal in session.GetSignalsForClient(clientId).Where(s => s.ContentEraseTime is null))
        {
            session.UpdateSignal(MessageContent.Erase(signal, now));
            messages++;
        }

        var payloads = 0;
        foreach (var delivery in Deliveries(session, clientId).Where(MessageContent.HoldsPayload))
        {
            session.UpdateDelivery(MessageContent.Erase(delivery, now));
            payloads++;
        }

        var related = session.DeleteClientRelations(clientId);
        session.UpdateClient(Tombstone(client, now));
        return new ErasureResult(client.Id, now, false, messages, payloads, related);
    }

    /// <summary>The client record that stays: the id and the times, nothing that identifies or describes the person.</summary>
    public static ClientRecord Tombstone(ClientRecord client, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(client);
        return new ClientRecord(client.Id, "erased:" + client.Id, string.Empty, DateOnly.MinValue, string.Empty, client.CreateTime)
        {
            ComingOfAgeHandled = true,
            EraseTime = now,
        };
    }

    private void RefuseWhileRetained(IHubSession session, ClientRecord client, AuditNote note)
    {
        if (options.Value.LegalHolds.Contains(client.Id, StringComparer.Ordinal))
        {
            throw Retained(note, "LEGAL_HOLD", null);
        }

        if (session.GetReferralsForClient(client.Id).FirstOrDefault(r => r.Performers.Any(p => p.Status is PerformerStatus.Requested or PerformerStatus.Accepted or PerformerStatus.Started)) is { } open)
        {
            throw Retained(note, "OPEN_REFERRAL", open.Name);
        }

        if (Deliveries(session, client.Id).FirstOrDefault(IsOnItsWay) is { } delivery)
        {
            throw Retained(note, "OPEN_DELIVERY", delivery.Name);
        }
    }

    /// <summary>A delivery still on its way: open, or a signal whose acknowledgement is awaited (it may still escalate).</summary>
    private static bool IsOnItsWay(DeliveryRecord delivery) =>
        !MessageContent.HasEnded(delivery.Status)
        || (delivery.AckDeadline is not null && delivery.SignalAckTime is null && !delivery.Escalated
            && delivery.Status is not (DeliveryStatus.Withheld or DeliveryStatus.Expired));

    private static HubException Retained(AuditNote note, string retention, string? resource)
    {
        // Audited as a refusal with its reason; nothing was changed.
        note.Refuse();
        var error = HubException.Precondition(ErrorReasons.LegalRetentionApplies, "The client cannot be erased yet: a legal retention applies (see metadata.retention).")
            .With("retention", retention);
        return resource is null ? error : error.With("resource", resource);
    }

    private static IEnumerable<DeliveryRecord> Deliveries(IHubSession session, string clientId)
    {
        long after = 0;
        while (true)
        {
            var page = session.ListDeliveries(new DeliveryQuery(ClientId: clientId, AfterSequence: after, Limit: 500));
            foreach (var delivery in page)
            {
                yield return delivery;
            }

            if (page.Count < 500)
            {
                yield break;
            }

            after = page[^1].Sequence;
        }
    }
}

using System.Text.Json;
using Ketenhub.Hub.Audit;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Journeys;
using Ketenhub.Hub.Parties;
using Ketenhub.Hub.Routing;
using Ketenhub.Hub.Storage;
using Microsoft.Extensions.Logging;

namespace Ketenhub.Hub.Clients;

/// <summary>
/// A source of person facts the hub checks its clients against (docs/security.md, "Facts from the person source"):
/// the population register through the Haal Centraal BRP API in production, a file for the demo. The hub sends it the
/// BSN and nothing else.
/// </summary>
public interface IPersonSource
{
    /// <summary>Whether a source is configured at all (the hub then checks registrations and runs the scheduled check).</summary>
    bool IsConfigured { get; }

    /// <summary>The person's facts, or null when the source does not know the BSN. Throws <see cref="PersonSourceUnavailableException"/> when it cannot answer.</summary>
    Task<PersonRecord?> FindAsync(string bsn, CancellationToken cancellationToken);
}

/// <summary>The person source could not answer (down, refused, timed out). The message names no person.</summary>
public sealed class PersonSourceUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// What the person source says about a person. Any fact may be missing (not recorded, or not a full date). The
/// municipality is the one the person is registered in, since <paramref name="MunicipalitySince"/>.
/// </summary>
public sealed record PersonRecord(
    DateOnly? BirthDate,
    string? MunicipalityCode,
    DateOnly? MunicipalitySince,
    DateOnly? DeathDate,
    IReadOnlyList<AuthorityHolder> Authority);

/// <summary>Someone who holds authority over a minor according to the source: a parent (parental authority) or a guardian.</summary>
public sealed record AuthorityHolder(RepresentationKind Kind, string DisplayName);

/// <summary>The hub without a person source: registrations are not checked and nothing is scheduled.</summary>
public sealed class NoPersonSource : IPersonSource
{
    public bool IsConfigured => false;

    public Task<PersonRecord?> FindAsync(string bsn, CancellationToken cancellationToken) => Task.FromResult<PersonRecord?>(null);
}

/// <summary>What one check of one client found and did.</summary>
public enum PersonCheckOutcome
{
    /// <summary>No source is configured.</summary>
    NoSource,

    /// <summary>The source does not know the BSN.</summary>
    Unknown,

    /// <summary>The source could not answer; the next scheduled check tries again.</summary>
    Unavailable,

    /// <summary>The source agrees with the hub.</summary>
    Agrees,

    /// <summary>The hub recorded what the source says (a move, an authority, a date of death), and perhaps raised a task.</summary>
    Updated,

    /// <summary>The source disagrees with what a party sent: a task to check the facts, nothing overwritten.</summary>
    Conflict,
}

/// <summary>What a check of all clients did.</summary>
public sealed record PersonSyncResult(int Checked, int Updated, int Conflicts, int Unavailable);

/// <summary>
/// Checks clients against the person source, at registration and on a schedule. What the source says is recorded only
/// where no party said otherwise since; a disagreement with what a party sent is a task for those who answer for the
/// client (<see cref="TaskKind.CheckClientFacts"/>), never a silent overwrite:
/// <list type="bullet">
/// <item>a birth date that differs is a conflict (the party's stays);</item>
/// <item>a municipality that differs is a move when the source registered it after the hub's last statement of where
/// the client lives (a residence from the source's date, <c>MUNICIPALITY_CHANGED … PERSON_SOURCE</c>), and a conflict
/// when a party stated the municipality after the source's date;</item>
/// <item>authority over a minor is recorded as the client's representation when none is recorded yet;</item>
/// <item>a date of death is recorded and put to those who answer for the client as a task.</item>
/// </list>
/// The BSN is decrypted for the lookup only, under an audit event of its own.
/// </summary>
public sealed partial class PersonFacts(
    IPersonSource source,
    IHubStore store,
    AuditTrail audit,
    BsnProtector bsns,
    FreeTextProtector names,
    PartyDirectory parties,
    Router router,
    Dispatcher dispatcher,
    DeliveryNotifier notifier,
    TimeProvider time,
    ILogger<PersonFacts> logger,
    IScheduleLease? lease = null)
{
    /// <summary>The journey's and the residences' name for the person source.</summary>
    public const string SourceName = "person-source";

    private const int PageSize = 100;

    public bool IsConfigured => source.IsConfigured;

    /// <summary>Checks every client against the source, a page at a time.</summary>
    public async Task<PersonSyncResult> CheckAllAsync(CancellationToken cancellationToken)
    {
        if (!source.IsConfigured)
        {
            return new PersonSyncResult(0, 0, 0, 0);
        }

        // Several instances on one store: one checks; the others find the lease taken and skip this round.
        await using var held = lease is null ? null : await lease.TryAcquireAsync("person-facts", cancellationToken).ConfigureAwait(false);
        if (lease is not null && held is null)
        {
            return new PersonSyncResult(0, 0, 0, 0);
        }

        var after = string.Empty;
        int done = 0, updated = 0, conflicts = 0, unavailable = 0;
        while (true)
        {
            var page = await store.ReadAsync(session => session.ListClients(after, PageSize).Select(c => c.Id).ToList(), cancellationToken).ConfigureAwait(false);
            foreach (var id in page)
            {
                var outcome = await CheckAsync(id, cancellationToken).ConfigureAwait(false);
                done++;
                updated += outcome == PersonCheckOutcome.Updated ? 1 : 0;
                conflicts += outcome == PersonCheckOutcome.Conflict ? 1 : 0;
                unavailable += outcome == PersonCheckOutcome.Unavailable ? 1 : 0;
            }

            if (page.Count < PageSize)
            {
                if (updated + conflicts + unavailable > 0)
                {
                    LogSync(done, updated, conflicts, unavailable);
                }

                return new PersonSyncResult(done, updated, conflicts, unavailable);
            }

            after = page[^1];
        }
    }

    /// <summary>Checks one client against the source.</summary>
    public async Task<PersonCheckOutcome> CheckAsync(string clientId, CancellationToken cancellationToken)
    {
        if (!source.IsConfigured)
        {
            return PersonCheckOutcome.NoSource;
        }

        // The BSN leaves the hub for the lookup: that is a processing of its own, audited before it happens.
        var read = audit.HubNote("LookUpPersonFacts", AuditAction.Execute).About(clientId);
        var bsn = await audit.ReadAsync(read, session => session.FindClient(clientId) is { EraseTime: null } c ? bsns.Unprotect(c.Id, c.ProtectedBsn) : null, cancellationToken).ConfigureAwait(false);
        if (bsn is null)
        {
            return PersonCheckOutcome.Unknown;
        }

        PersonRecord? person;
        try
        {
            person = await source.FindAsync(bsn, cancellationToken).ConfigureAwait(false);
        }
        catch (PersonSourceUnavailableException ex)
        {
            LogUnavailable(ex.Message);
            return PersonCheckOutcome.Unavailable;
        }

        if (person is null)
        {
            return PersonCheckOutcome.Unknown;
        }

        var note = audit.HubNote("CheckPersonFacts", AuditAction.Update).About(clientId);
        var (outcome, wake) = await audit.WriteAsync(note, session => Apply(session, clientId, person), cancellationToken).ConfigureAwait(false);
        notifier.Notify(wake);
        return outcome;
    }

    private (PersonCheckOutcome, IReadOnlyList<string>) Apply(IHubSession session, string clientId, PersonRecord person)
    {
        var now = time.GetUtcNow();
        var today = DutchTime.DateOf(now);
        var client = session.FindClient(clientId);
        if (client is null || client.EraseTime is not null)
        {
            return (PersonCheckOutcome.Unknown, []);
        }

        var wake = new List<string>();
        var conflict = false;
        var updated = false;

        if (person.BirthDate is { } born && born != client.BirthDate)
        {
            conflict = true;
        }

        if (person.MunicipalityCode is { } code && Municipality.IsValidCode(code) && code != client.MunicipalityAt(now))
        {
            var since = person.MunicipalitySince is { } s && s <= today ? s : today;
            var lastStatement = client.Residences.Count > 0 ? client.Residences.Max(r => r.RecordTime) : client.CreateTime;
            if (DutchTime.StartOf(since) > lastStatement)
            {
                // The register recorded a move after the hub last heard where the client lives: the move reaches the hub.
                var move = ClientMoves.Plan(client, session.GetRoles(client.Id), parties, code, since, ResidenceSource.PersonSource, SourceName, now, null);
                if (move is not null)
                {
                    ClientMoves.Record(session, move, AuditTrail.HubParty, null);
                    client = move.Client;
                    updated = true;
                    wake.AddRange(DeliveryDecisions.ReconsiderClient(session, router, parties, client, now).Wake);
                }
            }
            else
            {
                conflict = true;
            }
        }

        if (person.DeathDate is { } died && client.DeathDate is null)
        {
            client = client with { DeathDate = died };
            session.UpdateClient(client);
            session.AppendJourneyEvent(new JourneyEvent(0, client.Id, now, JourneyEventType.ClientFactsCorrected, AuditTrail.HubParty, client.Name, "DATE_OF_DEATH PERSON_SOURCE"));
            wake.AddRange(FactConflicts.Raise(session, dispatcher, parties, client, now, "The person source records a date of death for this client: check it and end what no longer applies."));
            updated = true;
        }

        if (RecordAuthority(session, client, person, today, now) is { } withAuthority)
        {
            client = withAuthority;
            updated = true;
        }

        // The same disagreement raises one task, however often the check runs; a new one (the source changed) raises another.
        var key = conflict ? FormattableString.Invariant($"{person.BirthDate:yyyy-MM-dd}|{person.MunicipalityCode}|{person.MunicipalitySince:yyyy-MM-dd}") : null;
        if (key != client.SourceConflict)
        {
            client = client with { SourceConflict = key };
            session.UpdateClient(client);
            if (conflict)
            {
                wake.AddRange(FactConflicts.Raise(session, dispatcher, parties, client, now, "The person source disagrees with the birth date or municipality a party sent: check them against the source."));
            }
        }

        return (conflict ? PersonCheckOutcome.Conflict : updated ? PersonCheckOutcome.Updated : PersonCheckOutcome.Agrees, wake.Distinct(StringComparer.Ordinal).ToList());
    }

    /// <summary>
    /// Authority over a minor from the source becomes the client's representation, from today, when no parental authority
    /// or guardianship holds today: what a party recorded is not second-guessed.
    /// </summary>
    /// <returns>The client with the recorded representations, or null when nothing was recorded.</returns>
    private ClientRecord? RecordAuthority(IHubSession session, ClientRecord client, PersonRecord person, DateOnly today, DateTimeOffset now)
    {
        if (person.Authority.Count == 0 || today >= client.EighteenthBirthday
            || client.Representations.Any(r => RepresentationRules.ForMinors(r.Kind) && RepresentationRules.IsCurrentOn(r, client, today)))
        {
            return null;
        }

        var added = new List<Representation>();
        foreach (var holder in person.Authority.Where(h => RepresentationRules.ForMinors(h.Kind)))
        {
            var id = Ids.New("rep", time);
            var sealedName = names.Protect(Representation.Place(client.Id, id), JsonSerializer.SerializeToUtf8Bytes(holder.DisplayName));
            added.Add(new Representation(id, holder.Kind, sealedName, today, null, SourceName, SourceName, now));
        }

        if (added.Count == 0)
        {
            return null;
        }

        client = client with { Representations = [.. client.Representations, .. added] };
        session.UpdateClient(client);
        foreach (var representation in added)
        {
            session.AppendJourneyEvent(new JourneyEvent(0, client.Id, now, JourneyEventType.RepresentativeRecorded, AuditTrail.HubParty, representation.Name, Explain.Code(representation.Kind) + " PERSON_SOURCE"));
        }

        return client;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The person source could not answer ({Reason}); the next check tries again")]
    private partial void LogUnavailable(string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Person facts checked for {Checked} clients: {Updated} updated, {Conflicts} conflicts, {Unavailable} not answered")]
    private partial void LogSync(int @checked, int updated, int conflicts, int unavailable);
}

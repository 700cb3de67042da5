using System.Text.Json;
using Ketenhub.Hub.Audit;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Journeys;
using Ketenhub.Hub.Parties;
using Ketenhub.Hub.Routing;
using Ketenhub.Hub.Storage;

namespace Ketenhub.Hub.Clients;

/// <summary>A representative as submitted.</summary>
public sealed record RepresentativeDraft(string? ClientName, RepresentationKind Kind, string? DisplayName, DateOnly? From, DateOnly? Until);

/// <summary>A representation with the representative's name opened, as a party that may read it sees it.</summary>
public sealed record RepresentativeView(string ClientId, Representation Representation, string DisplayName, bool Current);

/// <summary>
/// Records the client's legal representatives (docs/security.md, "Representatives"): a parent with parental authority or
/// a guardian for a minor; a mentor, curator or administrator for an adult. Recorded by a party with a relationship with
/// the client, with a period; a representative's consent counts only while its representation holds
/// (<see cref="RepresentationRules"/>). Ending a representation re-decides at once what waits for, or was allowed by,
/// the consents that rest on it.
/// </summary>
public sealed class ClientRepresentatives(
    PartyDirectory parties,
    FreeTextProtector protector,
    Router router,
    DeliveryNotifier notifier,
    AuditTrail audit,
    DateLimits dates,
    TimeProvider time)
{
    /// <summary>The longest name the hub records.</summary>
    public const int DisplayNameMax = 200;

    public async Task<RepresentativeView> RecordAsync(Party caller, RepresentativeDraft draft, RequestKey key, CancellationToken cancellationToken)
    {
        var v = new Validator();
        TextRules.CheckEnum(v, draft.Kind, "representative.kind");
        TextRules.Check(v, draft.DisplayName, "representative.display_name", DisplayNameMax, required: true);
        if (draft.From is null)
        {
            v.Add(ErrorReasons.FieldRequired, "representative.start_date", "representative.start_date is required.");
        }

        if (draft.Until is { } until && draft.From is { } from && until <= from)
        {
            v.Add(ErrorReasons.InvalidDate, "representative.end_date", "representative.end_date must lie after representative.start_date.", ("otherField", "representative.start_date"));
        }

        v.ThrowIfAny();
        var note = audit.Note(caller, "CreateRepresentative", AuditAction.Create, key);
        return await audit.CommandAsync(
            note,
            key,
            (session, now) =>
            {
                var client = ClientContexts.RequireClient(session, draft.ClientName, "representative.client");
                note.About(client.Id);
                CareRelationships.Require(session, client, caller, now, note);
                CheckPeriod(client, draft.Kind, draft.From!.Value, DutchTime.DateOf(now));
                var id = Ids.New("rep", time);
                var representation = new Representation(id, draft.Kind, Seal(client.Id, id, draft.DisplayName!), draft.From.Value, draft.Until, caller.Id, "party", now);
                session.UpdateClient(client with { Representations = [.. client.Representations, representation] });
                note.Resource(representation.Name);
                session.AppendJourneyEvent(new JourneyEvent(0, client.Id, now, JourneyEventType.RepresentativeRecorded, caller.Id, representation.Name, Explain.Code(draft.Kind)));
                return new RepresentativeView(client.Id, representation, draft.DisplayName!, RepresentationRules.IsCurrentOn(representation, client, DutchTime.DateOf(now)));
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Ends a representation from <paramref name="until"/> (the first day it no longer holds; today when not given). The
    /// consents that rest on it stop counting then, and open deliveries are decided again at once.
    /// </summary>
    public async Task<RepresentativeView> EndAsync(Party caller, string? clientName, string? name, DateOnly? until, RequestKey key, CancellationToken cancellationToken)
    {
        var id = Ids.Require(name, "representatives", "name");
        var note = audit.Note(caller, "EndRepresentative", AuditAction.Update, key).Resource("representatives/" + id);
        var result = await audit.CommandAsync(
            note,
            key,
            (session, now) =>
            {
                var client = ClientContexts.RequireClient(session, clientName, "client");
                note.About(client.Id);
                CareRelationships.Require(session, client, caller, now, note);
                var representation = client.Representations.FirstOrDefault(r => r.Id == id)
                    ?? throw HubException.NotFound(ErrorReasons.RepresentativeNotFound, "The representative");
                var end = until ?? DutchTime.DateOf(now);
                if (end < representation.From)
                {
                    throw HubException.Invalid(ErrorReasons.InvalidDate, "end_date", "end_date lies before the representation began.");
                }

                var v = new Validator();
                ClientDates.Check(v, client, end, "end_date", DutchTime.DateOf(now), dates);
                v.ThrowIfAny();
                var ended = representation with { Until = representation.Until is { } earlier && earlier < end ? earlier : end };
                var updated = client with { Representations = [.. client.Representations.Select(r => r.Id == id ? ended : r)] };
                session.UpdateClient(updated);
                session.AppendJourneyEvent(new JourneyEvent(0, client.Id, now, JourneyEventType.RepresentativeEnded, caller.Id, ended.Name, Explain.Code(ended.Kind)));
                var (_, _, wake) = DeliveryDecisions.ReconsiderClient(session, router, parties, updated, now);
                var view = new RepresentativeView(client.Id, ended, Open(client.Id, ended), RepresentationRules.IsCurrentOn(ended, updated, DutchTime.DateOf(now)));
                return (View: view, Wake: wake);
            },
            cancellationToken).ConfigureAwait(false);
        notifier.Notify(result.Wake);
        return result.View;
    }

    /// <summary>The client's representatives, current and past, for a party with a relationship with the client.</summary>
    public Task<IReadOnlyList<RepresentativeView>> ListAsync(Party caller, string? clientName, CancellationToken cancellationToken)
    {
        var note = audit.Note(caller, "ListRepresentatives", AuditAction.Read);
        return audit.ReadAsync<IReadOnlyList<RepresentativeView>>(
            note,
            session =>
            {
                var now = time.GetUtcNow();
                var client = ClientContexts.RequireClient(session, clientName, "client");
                note.About(client.Id);
                CareRelationships.Require(session, client, caller, now, note);
                var today = DutchTime.DateOf(now);
                return [.. client.Representations.OrderBy(r => r.From).Select(r => new RepresentativeView(client.Id, r, Open(client.Id, r), RepresentationRules.IsCurrentOn(r, client, today)))];
            },
            cancellationToken);
    }

    /// <summary>The representative's name from its sealed form.</summary>
    public string Open(string clientId, Representation representation)
    {
        ArgumentNullException.ThrowIfNull(representation);
        var json = protector.Unprotect(Representation.Place(clientId, representation.Id), System.Text.Encoding.UTF8.GetBytes(representation.ProtectedName));
        return JsonSerializer.Deserialize<string>(json.Span) ?? string.Empty;
    }

    private string Seal(string clientId, string representationId, string displayName) =>
        protector.Protect(Representation.Place(clientId, representationId), JsonSerializer.SerializeToUtf8Bytes(displayName));

    /// <summary>
    /// A minor's representation (parental authority, guardianship) begins before the 18th birthday; an adult's (mentor,
    /// curator, administrator) on it or later. Dates as any date of the client: not before birth, not past the horizon.
    /// </summary>
    private void CheckPeriod(ClientRecord client, RepresentationKind kind, DateOnly from, DateOnly today)
    {
        var v = new Validator();
        // The start as any date of the client (not before birth, not past the horizon); an end may lie further ahead
        // (an appointment for five years), and lies after the start (checked with the request).
        ClientDates.Check(v, client, from, "representative.start_date", today, dates);

        if (!v.HasErrors && RepresentationRules.ForMinors(kind) && from >= client.EighteenthBirthday)
        {
            v.Add(ErrorReasons.InvalidDate, "representative.start_date", $"A {Explain.Code(kind)} is for a minor: it must begin before the client's 18th birthday.", ("representativeKind", Explain.Code(kind)), ("adultAge", "18"));
        }
        else if (!v.HasErrors && !RepresentationRules.ForMinors(kind) && from < client.EighteenthBirthday)
        {
            v.Add(ErrorReasons.InvalidDate, "representative.start_date", $"A {Explain.Code(kind)} is for an adult: it begins on the client's 18th birthday or later.", ("representativeKind", Explain.Code(kind)), ("adultAge", "18"));
        }

        v.ThrowIfAny();
    }
}

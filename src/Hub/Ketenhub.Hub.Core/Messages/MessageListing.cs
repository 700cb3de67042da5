using Ketenhub.Hub.Audit;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Parties;
using Ketenhub.Hub.Storage;

namespace Ketenhub.Hub.Messages;

/// <summary>
/// What to list: the messages of one client only (or all), those <paramref name="Matches"/> accepts, oldest or newest
/// first, at most <paramref name="PageSize"/>, after <paramref name="After"/> (the position a previous page ended at).
/// </summary>
public sealed record MessageListRequest<T>(string? ClientId, Func<T, bool> Matches, bool Descending, int PageSize, MessagePosition? After);

/// <summary>A page of messages and the position the next page starts after (null at the end).</summary>
public sealed record MessagePage<T>(IReadOnlyList<T> Items, MessagePosition? Next);

/// <summary>
/// Lists the referrals, transitions and signals a caller may read, exactly those <see cref="MessageReader"/> would return
/// to it one by one: the ones it sent, requested or performs, and the ones it received the content of (not a thin
/// notice, not a withheld delivery). Listing is a read of each listed client's data: one audit event per client on the
/// page, committed before the page is returned.
/// </summary>
/// <remarks>
/// A call looks at no more than <see cref="MaxExamined"/> candidates, so a filter that few messages match cannot make one
/// call read the whole store; a page may then hold fewer items than asked for, or none, while a next position is still
/// given (as AIP-158 allows).
/// </remarks>
public sealed class MessageListing(IHubStore store, AuditTrail audit)
{
    /// <summary>The most candidates one call examines.</summary>
    public const int MaxExamined = 2000;

    private const int Batch = 200;

    public Task<MessagePage<ReferralRecord>> ListReferralsAsync(Party caller, MessageListRequest<ReferralRecord> request, CancellationToken cancellationToken) =>
        ListAsync(caller, request, MessageType.Referral, "ListReferrals", static (s, id) => s.FindReferral(id), r => r.ClientId, r => r.Name,
            r => MessageParties.IsPartyTo(r, caller.Id), cancellationToken);

    public Task<MessagePage<TransitionRecord>> ListTransitionsAsync(Party caller, MessageListRequest<TransitionRecord> request, CancellationToken cancellationToken) =>
        ListAsync(caller, request, MessageType.Transition, "ListTransitions", static (s, id) => s.FindTransition(id), t => t.ClientId, t => t.Name,
            t => MessageParties.IsPartyTo(t, caller.Id), cancellationToken);

    public Task<MessagePage<SignalRecord>> ListSignalsAsync(Party caller, MessageListRequest<SignalRecord> request, CancellationToken cancellationToken) =>
        ListAsync(caller, request, MessageType.Signal, "ListSignals", static (s, id) => s.FindSignal(id), s => s.ClientId, s => s.Name,
            s => MessageParties.IsPartyTo(s, caller.Id), cancellationToken);

    private async Task<MessagePage<T>> ListAsync<T>(
        Party caller,
        MessageListRequest<T> request,
        MessageType type,
        string eventType,
        Func<IHubSession, string, T?> find,
        Func<T, string> clientOf,
        Func<T, string> nameOf,
        Func<T, bool> isParty,
        CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentOutOfRangeException.ThrowIfLessThan(request.PageSize, 1);
        var page = await store.ReadAsync(
            session =>
            {
                var items = new List<T>();
                var position = request.After;
                var examined = 0;
                while (true)
                {
                    var candidates = session.ListPartyMessages(new PartyMessageQuery(caller.Id, type, request.ClientId, position, request.Descending, Batch));
                    foreach (var candidate in candidates)
                    {
                        position = candidate;
                        examined++;
                        if (find(session, candidate.MessageId) is { } message
                            && (isParty(message) || MessageReader.ReceivedContent(session, caller, candidate.MessageId))
                            && request.Matches(message))
                        {
                            items.Add(message);
                            if (items.Count == request.PageSize)
                            {
                                return new MessagePage<T>(items, position);
                            }
                        }

                        if (examined == MaxExamined)
                        {
                            return new MessagePage<T>(items, position);
                        }
                    }

                    if (candidates.Count < Batch)
                    {
                        return new MessagePage<T>(items, null);
                    }
                }
            },
            cancellationToken).ConfigureAwait(false);

        // A full page that ends the listing still gives a position; the next call then returns an empty last page.
        var call = audit.Note(caller, eventType, AuditAction.Read);
        var notes = page.Items.GroupBy(clientOf, StringComparer.Ordinal)
            .Select(g => g.Aggregate(
                call.Another().About(g.Key).Check(AuditCheckKind.Authorisation, AuditChecks.MessageParty),
                (note, message) => note.Resource(nameOf(message))))
            .ToList();
        await audit.RecordAsync(notes, cancellationToken).ConfigureAwait(false);
        return page;
    }
}

/// <summary>Who takes part in a message: its requester and performers, or its sender. Recipients are found by their deliveries.</summary>
internal static class MessageParties
{
    public static bool IsPartyTo(ReferralRecord referral, string partyId) =>
        referral.Requester == partyId || referral.Performers.Any(p => p.PartyId == partyId);

    public static bool IsPartyTo(TransitionRecord transition, string partyId) => transition.Sender == partyId;

    public static bool IsPartyTo(SignalRecord signal, string partyId) => signal.Sender == partyId;
}

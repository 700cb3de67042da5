using Ketenhub.Hub.Common;
using Ketenhub.Hub.Messages;
using Ketenhub.Hub.Storage;

namespace Ketenhub.Hub.Retention;

/// <summary>
/// When the record of a message may go (docs/privacy.md, "What is kept and for how long"): once its content is erased,
/// every delivery of it has ended longer ago than <see cref="RetentionOptions.MessageRecords"/> (the store's listing,
/// <see cref="IHubSession.ListMessageRecordsEnded"/>), and nothing still rests on it:
/// <list type="bullet">
/// <item>a referral is kept while it is open: a performer that has not declined or ended it (the municipality's duty to
/// decide on it, and the client's plan, still run);</item>
/// <item>a transition is kept while it is in effect (its effective date not yet a term ago) and while a referral it
/// names is still kept;</item>
/// <item>nothing is removed about a client under a legal hold (<see cref="RetentionOptions.LegalHolds"/>).</item>
/// </list>
/// </summary>
public static class MessageRecords
{
    /// <summary>Whether a referral is open: a performer has not declined or ended it.</summary>
    public static bool IsOpen(ReferralRecord referral)
    {
        ArgumentNullException.ThrowIfNull(referral);
        return referral.Performers.Any(p => p.Status is PerformerStatus.Requested or PerformerStatus.Accepted or PerformerStatus.Started);
    }

    /// <summary>Whether the message <paramref name="key"/>, listed as ended by <paramref name="cut"/>, may be removed now.</summary>
    public static bool MayRemove(IHubSession session, MessageKey key, DateTimeOffset cut)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(key);
        return key.Type switch
        {
            MessageType.Referral => session.FindReferral(key.Id) is { } referral && !IsOpen(referral),
            MessageType.Transition => session.FindTransition(key.Id) is { } transition
                && transition.EffectiveDate <= DutchTime.DateOf(cut)
                && transition.ReferralIds.All(id => session.FindReferral(id) is null),
            MessageType.Signal => session.FindSignal(key.Id) is not null,
            _ => false,
        };
    }
}

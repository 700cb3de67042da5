using Ketenhub.Hub.Audit;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Parties;

namespace Ketenhub.Hub.Clients;

/// <summary>
/// The client asks, themselves, for a correction: a <see cref="TaskKind.CorrectionRequested"/> task with the topic for
/// whoever answers for the client (<see cref="FactConflicts.Recipients"/>). The request carries no free text, so
/// nothing about the client is written down but the topic; the coach talks it through with the client. One open task
/// per recipient and topic is enough.
/// </summary>
public sealed class CorrectionRequests(AuditTrail audit, Dispatcher dispatcher, PartyDirectory parties, DeliveryNotifier notifier)
{
    /// <summary>Gives the task; returns the parties that got it (none when nobody answers for the client).</summary>
    public async Task<IReadOnlyList<string>> RequestAsync(Citizen citizen, CorrectionTopic topic, RequestKey key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(citizen);
        if (topic == CorrectionTopic.Unspecified || !Enum.IsDefined(topic))
        {
            throw HubException.Invalid(ErrorReasons.FieldRequired, "topic", "topic must say what the correction is about.");
        }

        var note = audit.CitizenNote(citizen, "RequestCorrection", AuditAction.Create, key);
        var (asked, wake) = await audit.CommandAsync(
            note,
            key,
            (session, now) =>
            {
                var client = session.FindClient(citizen.ClientId) ?? throw HubException.NotFound(ErrorReasons.ClientNotFound, "The client");
                return FactConflicts.GiveTask(session, dispatcher, parties, client, now, TaskKind.CorrectionRequested, topic, "The client asked for a correction: talk it through with them.");
            },
            cancellationToken).ConfigureAwait(false);
        notifier.Notify(wake);
        return asked;
    }
}

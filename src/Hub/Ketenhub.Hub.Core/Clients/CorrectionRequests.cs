using Ketenhub.Hub.Audit;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Journeys;
using Ketenhub.Hub.Messages;
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
                var context = ClientContexts.Load(session, client, now);
                var open = session.GetOpenDeliveriesForClient(client.Id)
                    .Where(d => d.PayloadKind == PayloadKind.Task && d.PayloadJson is not null
                        && System.Text.Json.JsonSerializer.Deserialize<CoachTaskPayload>(d.PayloadJson, Idempotency.Json) is { Kind: TaskKind.CorrectionRequested } t && t.Topic == topic)
                    .Select(d => d.Recipient)
                    .ToHashSet(StringComparer.Ordinal);
                var recipients = FactConflicts.Recipients(context, parties, now);
                var woken = new List<string>();
                foreach (var recipient in recipients.Where(r => !open.Contains(r)))
                {
                    var coach = context.Coach?.Coach is { } c && c.PartyId == recipient ? c : null;
                    var task = new CoachTaskPayload(TaskKind.CorrectionRequested, coach, [client.Name], null) { Topic = topic };
                    var decision = CoachChanges.HubTask(recipient, "The client asked for a correction: talk it through with them.");
                    var record = dispatcher.Direct(session, recipient, client.Id, AuditTrail.HubParty, PayloadKind.Task, null, task, decision, now);
                    if (record.Status == DeliveryStatus.Pending)
                    {
                        woken.Add(recipient);
                    }
                }

                return (recipients, (IReadOnlyList<string>)woken);
            },
            cancellationToken).ConfigureAwait(false);
        notifier.Notify(wake);
        return asked;
    }
}

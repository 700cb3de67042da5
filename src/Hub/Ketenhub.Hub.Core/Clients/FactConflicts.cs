using System.Text.Json;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Journeys;
using Ketenhub.Hub.Messages;
using Ketenhub.Hub.Parties;
using Ketenhub.Hub.Routing;
using Ketenhub.Hub.Storage;

namespace Ketenhub.Hub.Clients;

/// <summary>
/// A party registered a known BSN with other facts than the hub holds. The parties that answer for the client get a
/// task to check the facts against the source (<see cref="TaskKind.CheckClientFacts"/>): the coach's organisation, or
/// without a coach every party with a current role, or without one the social service of the client's municipality.
/// The task names the client only, never the facts that were sent. One open task per recipient is enough: repeated
/// attempts do not pile up tasks.
/// </summary>
public static class FactConflicts
{
    /// <summary>Gives the task to whoever answers for the client; returns the parties to wake.</summary>
    /// <param name="session">The write.</param>
    /// <param name="dispatcher">Makes the task deliveries.</param>
    /// <param name="parties">The configured parties.</param>
    /// <param name="client">The client.</param>
    /// <param name="now">The write's time.</param>
    /// <param name="why">The task's explanation: what to check. No personal data.</param>
    public static IReadOnlyList<string> Raise(IHubSession session, Dispatcher dispatcher, PartyDirectory parties, ClientRecord client, DateTimeOffset now, string why = "A registration sent other facts than the hub holds: check the birth date and municipality against the source.") =>
        GiveTask(session, dispatcher, parties, client, now, TaskKind.CheckClientFacts, null, why).Wake;

    /// <summary>
    /// Gives a task of <paramref name="kind"/> (with <paramref name="topic"/>, for a correction) to whoever answers for the
    /// client (<see cref="Recipients"/>), except to a party that has such a task open already; returns everyone who answers
    /// for the client and the parties to wake.
    /// </summary>
    public static (IReadOnlyList<string> Recipients, IReadOnlyList<string> Wake) GiveTask(
        IHubSession session, Dispatcher dispatcher, PartyDirectory parties, ClientRecord client, DateTimeOffset now, TaskKind kind, CorrectionTopic? topic, string why)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(dispatcher);
        ArgumentNullException.ThrowIfNull(parties);
        ArgumentNullException.ThrowIfNull(client);
        var context = ClientContexts.Load(session, client, now);
        var recipients = Recipients(context, parties, now);
        var open = session.GetOpenDeliveriesForClient(client.Id)
            .Where(d => d.PayloadKind == PayloadKind.Task && IsTask(d.PayloadJson, kind, topic))
            .Select(d => d.Recipient)
            .ToHashSet(StringComparer.Ordinal);
        var wake = new List<string>();
        foreach (var recipient in recipients.Where(r => !open.Contains(r)))
        {
            var coach = context.Coach?.Coach is { } c && c.PartyId == recipient ? c : null;
            var task = new CoachTaskPayload(kind, coach, [client.Name], null) { Topic = topic };
            var decision = CoachChanges.HubTask(recipient, why);
            var record = dispatcher.Direct(session, recipient, client.Id, Audit.AuditTrail.HubParty, PayloadKind.Task, null, task, decision, now);
            if (record.Status == DeliveryStatus.Pending)
            {
                wake.Add(recipient);
            }
        }

        return (recipients, wake);
    }

    /// <summary>Who answers for the client: the coach's organisation, else every party with a current role, else the social service of the client's municipality.</summary>
    public static IReadOnlyList<string> Recipients(ClientContext context, PartyDirectory parties, DateTimeOffset now)
    {
        if (context.Coach is { } coach)
        {
            return [coach.Coach.PartyId];
        }

        var withRole = context.Roles.Where(r => r.IsCurrentAt(now)).Select(r => r.PartyId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (withRole.Count > 0)
        {
            return withRole;
        }

        return parties.SocialServiceFor(context.Client.MunicipalityAt(now)) is { } socialService ? [socialService.Id] : [];
    }

    private static bool IsTask(string? payloadJson, TaskKind kind, CorrectionTopic? topic)
    {
        if (payloadJson is null)
        {
            return false;
        }

        try
        {
            return JsonSerializer.Deserialize<CoachTaskPayload>(payloadJson, Idempotency.Json) is { } task && task.Kind == kind && task.Topic == topic;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}

using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Messages;
using Ketenhub.Hub.Routing;
using Ketenhub.Hub.Storage;

namespace Ketenhub.Hub.Journeys;

/// <summary>
/// Coach continuity (docs/architecture.md, rule 7): a coach changes only explicitly, and the previous coach gets a
/// handover task.
/// </summary>
public static class CoachChanges
{
    /// <summary>Makes <paramref name="coach"/> the client's coach from now on. Returns the parties to wake.</summary>
    public static IReadOnlyList<string> Change(IHubSession session, Dispatcher dispatcher, TimeProvider time, ClientRecord client, CoachAssignment? current, CoachInfo coach, string actor, DateTimeOffset now)
    {
        var wake = new List<string>();
        if (current is not null)
        {
            session.UpdateCoachAssignment(current with { Until = now });
            var task = new CoachTaskPayload(TaskKind.Handover, current.Coach, ["clients/" + client.Id], coach);
            var decision = HubTask(current.Coach.PartyId, "The previous coach hands the client over to the new coach.");
            var record = dispatcher.Direct(session, current.Coach.PartyId, client.Id, actor, PayloadKind.Task, null, task, decision, now);
            wake.Add(record.Recipient);
        }

        session.InsertCoachAssignment(new CoachAssignment(Ids.New("cch", time), client.Id, coach, now, null));
        session.AppendJourneyEvent(new JourneyEvent(0, client.Id, now, JourneyEventType.CoachAssigned, actor, "parties/" + coach.PartyId, current is null ? "FIRST_COACH" : "COACH_CHANGED"));
        return wake;
    }

    /// <summary>A decision for a task the hub itself gives a coach: it carries no client content beyond the client's hub id.</summary>
    public static Decision HubTask(string recipient, string why) =>
        new(recipient, RecipientOutcome.Content, [RoutingRuleSet.CoachContinuityRuleId], Purpose.Coaching, [], null, null, DecisionReasons.HubTask, why);
}

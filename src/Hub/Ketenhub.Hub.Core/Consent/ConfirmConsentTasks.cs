using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Journeys;
using Ketenhub.Hub.Messages;
using Ketenhub.Hub.Routing;
using Ketenhub.Hub.Storage;

namespace Ketenhub.Hub.Consent;

/// <summary>
/// The coach's <see cref="TaskKind.ConfirmConsents"/> task: a parent's consent awaits an adult client's
/// confirmation, and the coach goes through it with the client (DESIGN rule 3). The hub asks once per consent:
/// <list type="bullet">
/// <item>when the client turns 18 while the hub knows them (the scheduled work, for every unconfirmed parent's consent);</item>
/// <item>when a parent's consent is recorded for a client who is already an adult and has a coach (that consent only);</item>
/// <item>when a client who is already an adult gets a first coach while parent's consents wait (those consents).</item>
/// </list>
/// Until the coming of age is handled (<see cref="ClientRecord.ComingOfAgeHandled"/>) only the scheduled work asks,
/// so a consent is never put to the coach twice.
/// </summary>
public static class ConfirmConsentTasks
{
    /// <summary>The client's parent's consents that wait for the client's own confirmation.</summary>
    public static List<ConsentRecord> Unconfirmed(ConsentEvaluator evaluator, ClientContext context, DateTimeOffset now) =>
        [.. context.Consents.Where(c => c.Grantor == GrantorRole.Parent && c.ConfirmTime is null
            && evaluator.StateOf(c, context.Client, now) is ConsentState.Active or ConsentState.AwaitingConfirmation)];

    /// <summary>Whether the hub has passed the client's coming of age, so that a new case is asked about at once.</summary>
    public static bool AfterComingOfAge(ClientRecord client, DateTimeOffset now) =>
        client.ComingOfAgeHandled && client.AgeOn(DutchTime.DateOf(now)) >= 18;

    /// <summary>Gives the client's current coach the task for <paramref name="consents"/>; returns the party to wake, or none.</summary>
    public static IReadOnlyList<string> Ask(IHubSession session, Dispatcher dispatcher, ClientContext context, IReadOnlyList<ConsentRecord> consents, string why, DateTimeOffset now)
    {
        if (consents.Count == 0 || context.Coach is not { } coach)
        {
            return [];
        }

        var task = new CoachTaskPayload(TaskKind.ConfirmConsents, coach.Coach, [.. consents.Select(c => c.Name)], null);
        var decision = CoachChanges.HubTask(coach.Coach.PartyId, why);
        var record = dispatcher.Direct(session, coach.Coach.PartyId, context.Client.Id, "ketenhub", PayloadKind.Task, null, task, decision, now);
        return [record.Recipient];
    }
}

using System.Text.Json;
using Ketenhub.Hub.Audit;
using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Consent;
using Ketenhub.Hub.Journeys;
using Ketenhub.Hub.Messages;
using Ketenhub.Hub.Parties;
using Ketenhub.Hub.Routing;
using Ketenhub.Hub.Storage;
using Microsoft.Extensions.Logging;

namespace Ketenhub.Hub.Delivery;

/// <summary>What one run of the scheduled work did.</summary>
public sealed record ScheduledWorkResult(int Escalated, int Expired, int CameOfAge);

/// <summary>
/// Work driven by the clock (<see cref="TimeProvider"/>): escalating unacknowledged signals, expiring
/// deliveries that waited for consent too long, and the coming of age at 18 (docs/architecture.md, rule 3).
/// </summary>
public sealed partial class ScheduledWork(
    IHubStore store,
    PartyDirectory parties,
    Router router,
    ConsentEvaluator consent,
    Dispatcher dispatcher,
    DeliveryNotifier notifier,
    AuditTrail audit,
    TimeProvider time,
    ILogger<ScheduledWork> logger,
    IScheduleLease? lease = null) : IDisposable
{
    /// <summary>The name of this work's lease (<see cref="IScheduleLease"/>).</summary>
    public const string LeaseName = "scheduled-work";

    private const int BatchSize = 100;
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Releases the gate; the container disposes the work after the hosted service that runs it has stopped.</summary>
    public void Dispose() => _gate.Dispose();

    public async Task<ScheduledWorkResult> RunOnceAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        IAsyncDisposable? held = null;
        try
        {
            // Several instances on one store: one runs it; the others find the lease taken and skip this tick.
            if (lease is not null && (held = await lease.TryAcquireAsync(LeaseName, cancellationToken).ConfigureAwait(false)) is null)
            {
                return new ScheduledWorkResult(0, 0, 0);
            }

            var escalated = await LoopAsync(EscalateBatch, cancellationToken).ConfigureAwait(false);
            HubMetrics.Escalated(escalated);
            var expired = await LoopAsync(ExpireBatch, cancellationToken).ConfigureAwait(false);
            var cameOfAge = await LoopAsync(ComingOfAgeBatch, cancellationToken).ConfigureAwait(false);
            if (escalated + expired + cameOfAge > 0)
            {
                LogRun(escalated, expired, cameOfAge);
            }

            return new ScheduledWorkResult(escalated, expired, cameOfAge);
        }
        finally
        {
            if (held is not null)
            {
                await held.DisposeAsync().ConfigureAwait(false);
            }

            _gate.Release();
        }
    }

    private async Task<int> LoopAsync(Func<IHubSession, List<AuditNote>, (int Count, List<string> Wake)> batch, CancellationToken cancellationToken)
    {
        var total = 0;
        while (true)
        {
            // The notes the batch appended; their Logboek records are written once the batch committed.
            var appended = new List<AuditNote>();
            var (count, wake) = await store.WriteAsync(session => batch(session, appended), cancellationToken).ConfigureAwait(false);
            audit.Processed(appended);
            notifier.NotifyReleased(wake.Distinct());
            total += count;
            if (count < BatchSize)
            {
                return total;
            }
        }
    }

    private (int, List<string>) EscalateBatch(IHubSession session, List<AuditNote> appended)
    {
        var now = time.GetUtcNow();
        var wake = new List<string>();
        var due = session.GetDueEscalations(now, BatchSize);
        foreach (var delivery in due)
        {
            session.UpdateDelivery(delivery with { Escalated = true, UpdateTime = now });
            var client = session.FindClient(delivery.ClientId)!;
            var context = ClientContexts.Load(session, client, now);
            var targetId = delivery.EscalationTarget == "coach" ? context.Coach?.Coach.PartyId : delivery.EscalationTarget;
            if (parties.Find(targetId) is not { } target || target.Id == delivery.Recipient)
            {
                continue;
            }

            var signal = delivery.MessageId is not null && delivery.PayloadKind is PayloadKind.Signal or PayloadKind.ThinNotice ? session.FindSignal(delivery.MessageId) : null;
            var categories = signal is not null ? MessageCategories.ForSignal(signal.Domain) : delivery.Decision.Categories;
            var requirement = new ConsentRequirement(target, Purpose.SignalFollowUp, categories);
            var evaluation = consent.Evaluate(context.Consents, client, requirement, now);
            var ruleIds = delivery.Decision.RuleIds;
            DeliveryRecord record;
            if (evaluation.Verdict == ConsentVerdict.Covered && delivery.MessageId is not null && delivery.PayloadKind != PayloadKind.ThinNotice)
            {
                var decision = new Decision(target.Id, RecipientOutcome.Content, ruleIds, Purpose.SignalFollowUp, categories, evaluation.Consent!.Id, null, DecisionReasons.ConsentActive,
                    $"Escalated because {delivery.Recipient} did not acknowledge in time; consent {evaluation.Consent.Name} covers {target.Name}.");
                record = dispatcher.Direct(session, target.Id, client.Id, delivery.Sender, delivery.PayloadKind, delivery.MessageId, null, decision, now, delivery.Id);
            }
            else
            {
                var thin = new ThinNoticePayload(signal is null ? MessageType.Unspecified : MessageType.Signal, delivery.Sender, signal?.Domain ?? LifeDomain.Unspecified, signal?.Severity ?? SignalSeverity.Unspecified);
                var decision = new Decision(target.Id, RecipientOutcome.ThinNotice, ruleIds, Purpose.SignalFollowUp, [], null, null, DecisionReasons.ThinNoticeRule,
                    $"Escalated because {delivery.Recipient} did not acknowledge in time; no consent covers the content for {target.Name}, so it gets a content-free notice.");
                record = dispatcher.Direct(session, target.Id, client.Id, delivery.Sender, PayloadKind.ThinNotice, delivery.MessageId, thin, decision, now, delivery.Id);
            }

            wake.Add(record.Recipient);
            session.AppendJourneyEvent(new JourneyEvent(0, client.Id, now, JourneyEventType.SignalEscalated, target.Id, signal?.Name, "UNACKNOWLEDGED_BY " + delivery.Recipient));
            var escalation = audit.HubNote("EscalateSignal", AuditAction.Create).About(client.Id).Resource(delivery.Name).Resource(record.Name).Decided(record.Decision);
            audit.Append(session, escalation, AuditOutcome.Success, null);
            appended.Add(escalation);
        }

        return (due.Count, wake);
    }

    private (int, List<string>) ExpireBatch(IHubSession session, List<AuditNote> appended)
    {
        var now = time.GetUtcNow();
        var expired = session.GetExpiredAwaiting(now, BatchSize);
        foreach (var delivery in expired)
        {
            session.UpdateDelivery(delivery with { Status = DeliveryStatus.Expired, StatusReason = DecisionReasons.ConsentExpired, UpdateTime = now });
            var expiry = audit.HubNote("ExpireDelivery", AuditAction.Update).About(delivery.ClientId).Resource(delivery.Name);
            audit.Append(session, expiry, AuditOutcome.Success, null);
            appended.Add(expiry);
        }

        return (expired.Count, []);
    }

    private (int, List<string>) ComingOfAgeBatch(IHubSession session, List<AuditNote> appended)
    {
        var now = time.GetUtcNow();
        var wake = new List<string>();
        var clients = session.ListClientsComingOfAge(DutchTime.DateOf(now), BatchSize);
        foreach (var client in clients)
        {
            session.UpdateClient(client with { ComingOfAgeHandled = true });
            var birthday = DutchTime.StartOf(client.EighteenthBirthday);
            session.AppendJourneyEvent(new JourneyEvent(0, client.Id, birthday, JourneyEventType.CameOfAge, "ketenhub", client.Name, "AGE_18"));
            var context = ClientContexts.Load(session, client, now);
            wake.AddRange(ConfirmConsentTasks.Ask(session, dispatcher, context, ConfirmConsentTasks.Unconfirmed(consent, context, now), "The client turned 18: the coach goes through the parent's consents with the client.", now));
            wake.AddRange(DeliveryDecisions.ReconsiderClient(session, router, parties, client, now).Wake);
            var comingOfAge = audit.HubNote("ComingOfAge", AuditAction.Update).About(client.Id);
            audit.Append(session, comingOfAge, AuditOutcome.Success, null);
            appended.Add(comingOfAge);
        }

        return (clients.Count, wake);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Scheduled work: {Escalated} escalated, {Expired} expired, {CameOfAge} came of age")]
    private partial void LogRun(int escalated, int expired, int cameOfAge);
}

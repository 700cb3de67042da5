using System.Text.Json;
using Ketenhub.Hub.Audit;
using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Consent;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Messages;
using Ketenhub.Hub.Parties;
using Ketenhub.Hub.Routing;
using Ketenhub.Hub.Storage;

namespace Ketenhub.Hub.Journeys;

/// <summary>A signal sent to the coach's organisation that nobody there has acknowledged yet.</summary>
public sealed record OpenSignal(string SignalId, SignalSeverity Severity, LifeDomain Domain, DateTimeOffset CreateTime, DateTimeOffset? AcknowledgeDeadline);

/// <summary>A task for the coach's organisation whose delivery is not acknowledged yet.</summary>
public sealed record OpenTask(string DeliveryId, TaskKind Kind, DateTimeOffset CreateTime);

/// <summary>One client of a coach's caseload and what needs attention.</summary>
public sealed record CaseloadEntry(
    ClientSummary Client,
    string? SchoolId,
    CoachAssignment Assignment,
    IReadOnlyList<OpenSignal> OpenSignals,
    IReadOnlyList<OpenTask> OpenTasks,
    IReadOnlyList<ConsentRecord> EndingConsents,
    DateOnly? NextRuleBirthday,
    int NextRuleAge);

/// <summary>
/// A coach's caseload: the clients whose current coach is the caller (a person's identity: the coach whose id is the
/// person's, at the person's party), or whose current coach works for the caller (an organisation's own identity),
/// each with what needs attention now: unacknowledged signals with their deadline, open tasks, consents that end
/// within <see cref="EndingWithin"/>, and the next birthday at which other rules apply.
/// <para>
/// Each listed client is a read of that client's data by the caller, and each gets its own audit event; the call
/// itself is one more event without a client.
/// </para>
/// </summary>
public sealed class Caseloads(AuditTrail audit, RoutingRuleSet rules, TimeProvider time)
{
    /// <summary>How far ahead a consent's end counts as "about to end".</summary>
    public static readonly TimeSpan EndingWithin = TimeSpan.FromDays(30);

    private const int ComingOfAge = 18;

    /// <summary>The caseload's entries from <paramref name="offset"/>, at most <paramref name="limit"/>, and whether more follow.</summary>
    public Task<(IReadOnlyList<CaseloadEntry> Entries, bool More)> ListAsync(Actor caller, int offset, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var note = audit.Note(caller.Party, "ListCaseloadEntries", AuditAction.Read).For(AuditChecks.Code(Purpose.Coaching));
        return audit.ReadAsync(
            note,
            session =>
            {
                var now = time.GetUtcNow();
                var assignments = session.ListCurrentCoachAssignments(caller.Party.Id, caller.UserId, string.Empty, checked(offset + limit + 1));
                var page = assignments.Skip(offset).Take(limit).ToList();
                var entries = new List<CaseloadEntry>(page.Count);
                foreach (var assignment in page)
                {
                    if (assignment.From > now || session.FindClient(assignment.ClientId) is not { } client)
                    {
                        continue;
                    }

                    note.Then(note.Another().About(client.Id));
                    entries.Add(Entry(session, client, assignment, caller.Party.Id, now));
                }

                return ((IReadOnlyList<CaseloadEntry>)entries, assignments.Count > offset + limit);
            },
            cancellationToken);
    }

    private CaseloadEntry Entry(IHubSession session, ClientRecord client, CoachAssignment assignment, string partyId, DateTimeOffset now)
    {
        var signals = new List<OpenSignal>();
        foreach (var signal in session.GetSignalsForClient(client.Id))
        {
            var waiting = session.GetDeliveriesForMessage(signal.Id)
                .Where(d => d.Recipient == partyId && d.PayloadKind == PayloadKind.Signal && d.SignalAckTime is null
                    && d.Status is DeliveryStatus.Pending or DeliveryStatus.Acknowledged)
                .ToList();
            if (waiting.Count > 0)
            {
                var deadline = waiting.Where(d => d.AckDeadline is not null).Select(d => d.AckDeadline).Min();
                signals.Add(new OpenSignal(signal.Id, signal.Severity, signal.Domain, signal.CreateTime, deadline));
            }
        }

        var tasks = session.GetOpenDeliveriesForClient(client.Id)
            .Where(d => d.Recipient == partyId && d.PayloadKind == PayloadKind.Task && d.Status == DeliveryStatus.Pending)
            .Select(d => new OpenTask(d.Id, TaskKindOf(d.PayloadJson), d.CreateTime))
            .OrderBy(t => t.CreateTime)
            .ThenBy(t => t.DeliveryId, StringComparer.Ordinal)
            .ToList();

        var ending = session.GetConsents(client.Id)
            .Where(c => c.WithdrawTime is null && c.Start <= now && c.End is { } end && end > now && end <= now + EndingWithin)
            .OrderBy(c => c.End)
            .ThenBy(c => c.Id, StringComparer.Ordinal)
            .ToList();

        var (birthday, age) = NextRuleBirthday(client.BirthDate, DutchTime.DateOf(now));
        return new CaseloadEntry(
            ClientSummary.From(client, now),
            ClientContexts.CurrentSchool(session, client.Id, now),
            assignment,
            [.. signals.OrderBy(s => s.AcknowledgeDeadline ?? DateTimeOffset.MaxValue).ThenBy(s => s.CreateTime).ThenBy(s => s.SignalId, StringComparer.Ordinal)],
            tasks,
            ending,
            birthday,
            age);
    }

    /// <summary>
    /// The next birthday after <paramref name="today"/> at which other rules apply: the 18th, or an age at which a routing
    /// rule starts (its minimum age) or stops (one past its maximum age) applying.
    /// </summary>
    public (DateOnly? Birthday, int Age) NextRuleBirthday(DateOnly birthDate, DateOnly today)
    {
        var current = DutchTime.AgeOn(birthDate, today);
        var boundaries = rules.Rules
            .SelectMany(r => new[] { r.Match.MinAge, r.Match.MaxAge + 1 })
            .Where(a => a is not null)
            .Select(a => a!.Value)
            .Append(ComingOfAge)
            .Where(a => a > current)
            .ToList();
        if (boundaries.Count == 0)
        {
            return (null, 0);
        }

        var age = boundaries.Min();
        return (BirthdayAt(birthDate, age), age);
    }

    // A birthday on 29 February falls on 28 February in other years, as DutchTime.AgeOn counts it.
    private static DateOnly BirthdayAt(DateOnly birthDate, int age) => birthDate.AddYears(age);

    private static TaskKind TaskKindOf(string? payloadJson) =>
        payloadJson is null ? TaskKind.Unspecified : JsonSerializer.Deserialize<CoachTaskPayload>(payloadJson, Idempotency.Json)?.Kind ?? TaskKind.Unspecified;
}

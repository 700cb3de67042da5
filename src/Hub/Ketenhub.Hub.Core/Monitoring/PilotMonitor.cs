using System.Globalization;
using Ketenhub.Hub.Audit;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Messages;
using Ketenhub.Hub.Parties;
using Ketenhub.Hub.Storage;
using Microsoft.Extensions.Options;

namespace Ketenhub.Hub.Monitoring;

/// <summary>
/// The pilot report for the <c>monitor</c> role (docs/monitor.md): aggregates over the hub's own records, with the
/// small-cell rule. Every request is audited (event <c>GetPilotReport</c>, action E, about no client), a refusal too.
/// </summary>
public sealed class PilotMonitor(AuditTrail audit, TimeProvider time, IOptions<MonitorOptions> options, IOptions<CostAssumptions> costs)
{
    /// <summary>The audit event of a report request.</summary>
    public const string EventType = "GetPilotReport";

    private const int Page = 500;

    public async Task<PilotReport> GetReportAsync(Actor actor, DateOnly? from, DateOnly? to, string? municipalityCode, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var v = new Validator();
        if (from is null)
        {
            v.Add(ErrorReasons.FieldRequired, "start_date", "start_date is required.");
        }

        if (to is null)
        {
            v.Add(ErrorReasons.FieldRequired, "end_date", "end_date is required.");
        }
        else if (from is { } f && to <= f)
        {
            v.Add(ErrorReasons.InvalidDate, "end_date", "end_date must be after start_date.");
        }

        if (from is { Year: < 1900 or > 2200 })
        {
            v.Add(ErrorReasons.InvalidDate, "start_date", "start_date is out of range.");
        }

        if (to is { Year: < 1900 or > 2200 })
        {
            v.Add(ErrorReasons.InvalidDate, "end_date", "end_date is out of range.");
        }

        var municipality = string.IsNullOrEmpty(municipalityCode) ? null : municipalityCode;
        if (municipality is not null && !Municipality.IsValidCode(municipality))
        {
            v.Add(ErrorReasons.InvalidMunicipalityCode, "municipality_code", "municipality_code must be a four-digit CBS municipality code.");
        }

        v.ThrowIfAny();
        var period = new PilotPeriod(from!.Value, to!.Value, municipality);
        var minimum = options.Value.MinimumCellSize;
        // The request's period and municipality are in the trail (codes and dates only), so that a privacy officer can
        // see which reports were asked and spot reports that could be subtracted from each other.
        var note = audit.NoteFor(actor, EventType, AuditAction.Execute).Resource(ResourceOf(period));
        return await audit.ReadAsync(
            note,
            session =>
            {
                // Inside the audited read, so that a refusal is recorded as one.
                if (!actor.HasRole(ActorRoles.Monitor))
                {
                    throw HubException.Denied(ErrorReasons.MonitorRoleRequired, "The pilot report is open only to the monitor role.");
                }

                note.Check(AuditCheckKind.Authorisation, "ROLE:" + ActorRoles.Monitor);
                var histories = Load(session, period).ToList();
                return PilotFigures.Compute(histories, period, minimum, time.GetUtcNow()) with
                {
                    Costs = PilotCosts.Compute(histories, period, costs.Value, minimum),
                };
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>How the audit trail names a report: <c>pilot-report/{from}/{to}</c>, with <c>/{municipality}</c> when asked for one.</summary>
    public static string ResourceOf(PilotPeriod period)
    {
        ArgumentNullException.ThrowIfNull(period);
        var name = string.Create(CultureInfo.InvariantCulture, $"pilot-report/{period.From:yyyy-MM-dd}/{period.To:yyyy-MM-dd}");
        return period.MunicipalityCode is null ? name : name + "/" + period.MunicipalityCode;
    }

    /// <summary>The histories of the clients the period counts, read page by page on the one snapshot.</summary>
    private static List<ClientHistory> Load(IHubSession session, PilotPeriod period)
    {
        var histories = new List<ClientHistory>();
        var after = string.Empty;
        while (true)
        {
            var clients = session.ListClients(after, Page);
            foreach (var client in clients.Where(c => PilotFigures.Counts(c, period)))
            {
                histories.Add(new ClientHistory(
                    client,
                    session.GetCoachAssignments(client.Id),
                    session.GetSignalsForClient(client.Id),
                    session.GetReferralsForClient(client.Id),
                    Transitions(session, client.Id),
                    Deliveries(session, client.Id)));
            }

            if (clients.Count < Page)
            {
                return histories;
            }

            after = clients[^1].Id;
        }
    }

    // From the store, not from the journey: journey events expire (Hub:Retention:JourneyEvents), the transitions stay.
    private static List<TransitionRecord> Transitions(IHubSession session, string clientId) => [.. session.GetTransitionsForClient(clientId)];

    private static List<Delivery.DeliveryRecord> Deliveries(IHubSession session, string clientId)
    {
        var deliveries = new List<Delivery.DeliveryRecord>();
        long after = 0;
        while (true)
        {
            var page = session.ListDeliveries(new DeliveryQuery(ClientId: clientId, AfterSequence: after, Limit: Page));
            deliveries.AddRange(page);
            if (page.Count < Page)
            {
                return deliveries;
            }

            after = page[^1].Sequence;
        }
    }
}

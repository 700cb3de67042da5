using Ketenhub.Client.Transport;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Client;

/// <summary>The pilot monitor: aggregate figures only, for a caller with the <c>monitor</c> role.</summary>
public sealed class KetenhubMonitor
{
    private readonly HubCalls _calls;
    private readonly MonitorService.MonitorServiceClient _monitor;

    internal KetenhubMonitor(HubCalls calls)
    {
        _calls = calls;
        _monitor = new MonitorService.MonitorServiceClient(calls.Invoker);
    }

    /// <summary>The pilot report over a period, per level, for all municipalities or one.</summary>
    /// <param name="from">The first day of the period.</param>
    /// <param name="to">The day after the period's last day (exclusive), as the contract's <c>end_date</c>.</param>
    /// <param name="municipalityCode">A CBS municipality code, or null for all.</param>
    /// <param name="call">Per-call deadline; null for the default.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The report; small counts come suppressed.</returns>
    /// <exception cref="KetenhubException">Not the monitor role (<c>MONITOR_ROLE_REQUIRED</c>), a bad period, or the hub could not be reached.</exception>
    public async Task<PilotReport> GetPilotReportAsync(DateOnly from, DateOnly to, string? municipalityCode = null, KetenhubCallOptions? call = null, CancellationToken cancellationToken = default)
    {
        var request = new GetPilotReportRequest { StartDate = from.ToContractDate(), EndDate = to.ToContractDate(), MunicipalityCode = municipalityCode ?? string.Empty };
        var response = await _calls.UnaryAsync(o => _monitor.GetPilotReportAsync(request, o), call, cancellationToken).ConfigureAwait(false);
        return response.Report;
    }
}

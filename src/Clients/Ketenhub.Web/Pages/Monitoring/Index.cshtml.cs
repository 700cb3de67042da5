using Ketenhub.Client;
using Ketenhub.Contracts.V1;
using Ketenhub.Web.Monitoring;
using Ketenhub.Web.Text;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Ketenhub.Web.Pages.Monitoring;

/// <summary>
/// The pilot monitor's page: the hub's pilot report over a period (aggregates only, small counts hidden by the hub), as
/// charts drawn on the server and as tables. Only for a person with the <c>monitor</c> role; the hub checks it again.
/// </summary>
public sealed class IndexModel(KetenhubClient hub, TimeProvider time, TimeZoneInfo zone) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public DateOnly? Van { get; set; }

    [BindProperty(SupportsGet = true)]
    public DateOnly? Tot { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Gemeente { get; set; }

    public PilotReport Report { get; private set; } = new();

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(time.GetUtcNow(), zone).DateTime);
        Tot ??= today;
        Van ??= Tot.Value.AddYears(-1).AddDays(1);
        if (Gemeente is { Length: > 0 } code && (code.Length != 4 || !code.All(char.IsAsciiDigit)))
        {
            ModelState.AddModelError(nameof(Gemeente), "Een gemeentecode heeft vier cijfers.");
            return Page();
        }

        Report = await hub.Monitor.GetPilotReportAsync(Van.Value, Tot.Value, Gemeente, cancellationToken: cancellationToken).ConfigureAwait(false);
        return Page();
    }

    public PilotLevelFigures? All => Report.Levels.FirstOrDefault(l => l.Level == PilotLevel.All);

    public IReadOnlyList<Bar> SignalsByDomain(PilotLevelFigures level)
    {
        ArgumentNullException.ThrowIfNull(level);
        return [.. level.EarlyPresence.ByLifeDomain.Select(d => CountBar(Dutch.Domain(d.LifeDomain), d.Signals))];
    }

    public IReadOnlyList<Bar> SignalsBySeverity(PilotLevelFigures level)
    {
        ArgumentNullException.ThrowIfNull(level);
        return [.. level.EarlyPresence.BySeverity.Select(s => CountBar(Dutch.Severity(s.Severity), s.Signals))];
    }

    public IReadOnlyList<Bar> CoachKept(PilotLevelFigures level)
    {
        ArgumentNullException.ThrowIfNull(level);
        return [.. level.Transitions.ByKind.Select(k => new Bar(Dutch.TransitionKind(k.Kind), k.CoachKeptShare is { Suppressed: false } s ? s.Value * 100 : null, Dutch.Share(k.CoachKeptShare)))];
    }

    public IReadOnlyList<Bar> Coverage(PilotLevelFigures level)
    {
        ArgumentNullException.ThrowIfNull(level);
        var c = level.ConsentCoverage;
        return
        [
            CountBar("met inhoud", c.Content),
            CountBar("alleen een seintje", c.ThinNotice),
            CountBar("wacht op toestemming", c.AwaitingConsent),
            CountBar("niet gestuurd", c.WithheldOrBlocked),
        ];
    }

    public string Count(PilotCount? count) => Dutch.Count(count, Report.MinimumCellSize);

    private Bar CountBar(string label, PilotCount? count) =>
        new(label, count is { Suppressed: false } c ? c.Value : null, Count(count));
}

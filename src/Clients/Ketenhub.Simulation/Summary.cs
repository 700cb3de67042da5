using System.Globalization;
using System.Text;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Simulation;

/// <summary>What the simulation prints: the pilot it played, the calls it made and the hub's refusals, and a few key figures.</summary>
public static class Summary
{
    public static string Of(SimulationOptions options, SimulationResult result)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(result);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Simulated pilot {options.From:yyyy-MM-dd} to {options.To:yyyy-MM-dd} (exclusive), seed {options.Seed}, scale {options.Scale}: {result.Clients} clients.\n\nCalls made through the API:\n");
        foreach (var (what, count) in result.Actions)
        {
            text.Append(CultureInfo.InvariantCulture, $"  {what,-28} {count,6}\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"Signals that reached the coach as a notice only (no consent for their content; nothing to acknowledge): {result.NoticesToCoach}.\n");
        text.Append(result.Refusals.Count == 0 ? "Refused by the hub: none.\n" : "Refused by the hub (by reason):\n");
        foreach (var (what, count) in result.Refusals)
        {
            text.Append(CultureInfo.InvariantCulture, $"  {what,-50} {count,6}\n");
        }

        var all = result.Report.Levels.FirstOrDefault(l => l.Level == PilotLevel.All);
        if (all is not null)
        {
            text.Append("\nKey figures of the report (all clients):\n")
                .Append(CultureInfo.InvariantCulture, $"  first coaches {Count(all.CoachFlow.FirstCoaches)}, signals {Count(all.EarlyPresence.Signals)}, acknowledged {Count(all.EarlyPresence.Acknowledged)}, escalated {Count(all.EarlyPresence.Escalated)}\n")
                .Append(CultureInfo.InvariantCulture, $"  scale-ups requested {Count(all.ScaleUp.Requested)}, started {Count(all.ScaleUp.Started)}; transitions {Count(all.Transitions.Transitions)}, same coach {(all.Transitions.CoachKeptShare.Suppressed ? "hidden" : all.Transitions.CoachKeptShare.Value.ToString("P0", CultureInfo.InvariantCulture))}\n");
        }

        return text.ToString();

        static string Count(PilotCount count) => count.Suppressed ? "hidden" : count.Value.ToString(CultureInfo.InvariantCulture);
    }
}

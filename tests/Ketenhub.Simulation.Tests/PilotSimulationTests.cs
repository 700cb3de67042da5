using Google.Protobuf;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Simulation.Tests;

/// <summary>
/// The pilot simulation at a reduced size (a third of the caseloads, nine months, so that some young people turn 18):
/// played through the API with no refusals, a report with figures, and the same report from the same seed.
/// </summary>
public sealed class PilotSimulationTests : IClassFixture<PilotSimulationTests.Runs>
{
    private readonly Runs _runs;

    public PilotSimulationTests(Runs runs) => _runs = runs;

    [Fact]
    public void ThePilot_IsPlayedThroughTheApi_WithoutRefusals()
    {
        var result = _runs.First;
        Assert.Empty(result.Refusals);
        Assert.InRange(result.Clients, 10, 40);
        foreach (var call in new[] { "register client", "assign coach", "grant consent", "raise signal", "acknowledge signal", "scale up", "accept referral", "start care", "school leaver 18" })
        {
            Assert.True(result.Actions.GetValueOrDefault(call) > 0, $"The simulation made no '{call}' call.");
        }
    }

    [Fact]
    public void TheReport_HasFigures_OverTheWholePeriod()
    {
        var report = _runs.First.Report;
        Assert.Equal(new Google.Type.Date { Year = 2024, Month = 9, Day = 1 }, report.StartDate);
        Assert.Equal(new Google.Type.Date { Year = 2025, Month = 6, Day = 1 }, report.EndDate);
        var all = Assert.Single(report.Levels, l => l.Level == PilotLevel.All);

        // Every client got a first coach in the period; nine months are nine monthly intervals of signals.
        Assert.False(all.CoachFlow.FirstCoaches.Suppressed);
        Assert.Equal(_runs.First.Clients, all.CoachFlow.FirstCoaches.Value);
        Assert.Equal(9, all.EarlyPresence.SignalsOverTime.Count);
        Assert.Contains(all.EarlyPresence.SignalsOverTime, i => !i.Signals.Suppressed && i.Signals.Value >= 5);
        Assert.Contains(all.EarlyPresence.TimeToAcknowledgementDistribution, r => !r.Count.Suppressed && r.Count.Value >= 5);
        Assert.False(all.Transitions.Transitions.Suppressed);
        Assert.True(all.Transitions.Transitions.Value >= 5);
    }

    [Fact]
    public void TheSameSeed_GivesTheSameReport_AndAnotherSeedAnother()
    {
        Assert.Equal(JsonFormatter.Default.Format(_runs.First.Report), JsonFormatter.Default.Format(_runs.Again.Report));
        Assert.Equal(_runs.First.Actions, _runs.Again.Actions);
        Assert.Equal(_runs.First.NoticesToCoach, _runs.Again.NoticesToCoach);
        Assert.NotEqual(JsonFormatter.Default.Format(_runs.First.Report), JsonFormatter.Default.Format(_runs.OtherSeed.Report));
    }

    /// <summary>Three runs, each into a fresh hub in a folder of its own: seed 7 twice and seed 8.</summary>
    public sealed class Runs : IAsyncLifetime
    {
        private readonly string _root = Path.Combine(Path.GetTempPath(), "ketenhub-tests", "pilot-" + Guid.NewGuid().ToString("N"));

        public SimulationResult First { get; private set; } = null!;

        public SimulationResult Again { get; private set; } = null!;

        public SimulationResult OtherSeed { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            First = await RunAsync(7, "first");
            Again = await RunAsync(7, "again");
            OtherSeed = await RunAsync(8, "other");
        }

        public Task DisposeAsync()
        {
            try
            {
                Directory.Delete(_root, recursive: true);
            }
            catch (IOException)
            {
            }

            return Task.CompletedTask;
        }

        private async Task<SimulationResult> RunAsync(int seed, string folder)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            var options = new SimulationOptions { Seed = seed, Scale = 0.35, Months = 9, DataDirectory = Path.Combine(_root, folder) };
            var (result, hub) = await PilotSimulation.RunAsync(options, timeout.Token);
            await hub.DisposeAsync();
            return result;
        }
    }
}

using Ketenhub.Testing.InProcess;

namespace Ketenhub.HubTests.Integration;

/// <summary>
/// The tests' drain reads what is pending by the hub's word (a caught-up heartbeat), not by a quiet window alone: a
/// stream that starts slowly on a loaded machine must not read as "nothing pending".
/// </summary>
public sealed class DrainTests : IDisposable
{
    private readonly HubFactory _hub = new();

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task Drain_WithNoQuietWindow_StillReturnsEverythingPending()
    {
        var (sdd, coach, client) = await Kit.CoachedForSignalsAsync(_hub);
        var sent = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            sent.Add(await Kit.RaiseForCoachAsync(sdd, client.Name, $"Signal {i}"));
        }

        // No time at all for stragglers: only the caught-up heartbeat can make the drain wait for the backlog.
        var drained = await coach.DrainAsync(quiet: TimeSpan.Zero, acknowledge: true);
        Assert.Equal(sent, drained.Select(d => d.Name));
        Assert.Empty(await coach.DrainAsync(quiet: TimeSpan.Zero));
    }

    [Fact]
    public async Task Drain_OfMoreThanTheDefaultFlowControlWindow_ReturnsAll()
    {
        var (sdd, coach, client) = await Kit.CoachedForSignalsAsync(_hub);
        for (var i = 0; i < 120; i++)
        {
            await Kit.RaiseForCoachAsync(sdd, client.Name, $"Signal {i}");
        }

        Assert.Equal(120, (await coach.DrainAsync(quiet: TimeSpan.Zero)).Count);
    }
}

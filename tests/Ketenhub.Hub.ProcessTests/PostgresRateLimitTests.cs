using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.Testing;
using Ketenhub.Testing.Postgres;
using Xunit.Abstractions;
using static Ketenhub.Testing.HubProcessClient;

namespace Ketenhub.ProcessTests;

/// <summary>
/// A party's rate limit holds across two hub instances on one PostgreSQL database: calls spread over both get about the
/// limit once, not once per instance (docs/operations.md, "Running with PostgreSQL": at most one sharing interval's
/// permits and one burst more per other instance).
/// </summary>
public sealed class PostgresRateLimitTests(ITestOutputHelper output)
{
    private const double Rate = 5;
    private const int Burst = 10;
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(8);
    private static readonly TimeSpan ShareInterval = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task CallsSpreadOverTwoInstances_GetThePartysLimitOnce_WithinTheDocumentedTolerance()
    {
        var database = await PostgresCluster.Shared.CreateDatabaseAsync();
        var settings = new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "Postgres",
            ["Storage:ConnectionString"] = database,
            ["Hub:Limits:Parties:sdd:PermitsPerSecond"] = Rate.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Hub:Limits:Parties:sdd:Burst"] = Burst.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Hub:Limits:ShareInterval"] = ShareInterval.ToString("c"),
        };
        using var a = new HubProcess(settings: settings);
        using var b = new HubProcess(settings: settings);
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var ct = bound.Token;
        await Task.WhenAll(a.StartAsync(ct), b.StartAsync(ct));
        var callers = new[] { a.As("sdd"), b.As("sdd") };

        // About 40 calls a second, alternating between the instances, for the window: eight times the party's rate.
        var granted = 0;
        var refused = 0;
        var started = DateTimeOffset.UtcNow;
        for (var i = 0; DateTimeOffset.UtcNow - started < Window; i++)
        {
            try
            {
                await callers[i % 2].Clients.GetClientAsync(new GetClientRequest { Name = "clients/cl_00000000000000000000000000000000" }, deadline: Deadline(), cancellationToken: ct);
                granted++;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
            {
                granted++;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted)
            {
                refused++;
            }

            await Task.Delay(25, ct);
        }

        var seconds = (DateTimeOffset.UtcNow - started).TotalSeconds;
        var once = Burst + (Rate * seconds);
        var tolerance = Burst + (Rate * ShareInterval.TotalSeconds);
        output.WriteLine($"granted {granted}, refused {refused} in {seconds:F1} s; one instance's allowance {once:F0}, tolerance {tolerance:F0}");
        Assert.True(refused > 0, "nothing was refused: the load did not reach the limit");
        Assert.True(granted <= once + tolerance + 2, $"granted {granted} calls, more than the limit once ({once:F0}) and the tolerance ({tolerance:F0}): each instance applied the limit on its own");
        Assert.True(granted >= Rate * seconds * 0.8, $"granted only {granted} calls: the shared limit is stricter than the party's rate ({Rate * seconds:F0} in the window)");
    }
}

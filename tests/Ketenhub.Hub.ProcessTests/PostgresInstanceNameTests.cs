using Ketenhub.Contracts.V1;
using Ketenhub.Testing;
using Ketenhub.Testing.Postgres;
using Xunit.Abstractions;

namespace Ketenhub.ProcessTests;

/// <summary>
/// A stable instance name (<c>Hub:InstanceId</c>, docs/operations.md "Running with PostgreSQL"): an instance killed while
/// its stream held deliveries, restarted under the same name, takes them back at once instead of waiting for the leases
/// of its earlier run to end; another instance still passes over them; and a second instance started under a name in
/// use refuses to start.
/// </summary>
public sealed class PostgresInstanceNameTests(ITestOutputHelper output)
{
    private const string Coach = TwoInstances.Coach;

    [Fact]
    public async Task ARestartedInstance_TakesBackItsOwnLeasesAtOnce_OthersStillPassOver_AndANameInUseIsRefused()
    {
        var database = await PostgresCluster.Shared.CreateDatabaseAsync();
        var shared = new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "Postgres",
            ["Storage:ConnectionString"] = database,
        };
        var a = new HubProcess(settings: new Dictionary<string, string?>(shared) { ["Hub:InstanceId"] = "hub-a" });
        var b = new HubProcess(settings: new Dictionary<string, string?>(shared) { ["Hub:InstanceId"] = "hub-b" });
        var twin = new HubProcess(settings: new Dictionary<string, string?>(shared) { ["Hub:InstanceId"] = "hub-a" });
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(180));
        var ct = bound.Token;
        try
        {
            await Task.WhenAll(a.StartAsync(ct), b.StartAsync(ct));
            var client = await TwoInstances.CoachedClientAsync(a, ct);

            // A second instance under A's name refuses to start, and says why.
            twin.Start();
            Assert.NotEqual(0, await twin.WaitForExitAsync(TimeSpan.FromSeconds(60), ct));
            Assert.Contains("Hub:InstanceId hub-a is in use by another running hub instance", twin.Output, StringComparison.Ordinal);

            // A's stream takes three deliveries with an ack deadline of an hour, and A is killed before answering.
            var expected = await TwoInstances.SubmitSignalsAsync(b, b, client, 3, ct);
            using (var onA = Stream(a, ct))
            {
                var held = await onA.CollectUntilQuietAsync(TimeSpan.FromSeconds(2), ct, atLeast: 3);
                Assert.Equal(expected.Order(StringComparer.Ordinal), held.Select(d => d.Name).Order(StringComparer.Ordinal));
                Assert.Equal(HubProcess.SigKillExitCode, a.Kill());
            }

            // B passes over them: they are still leased to A's earlier run.
            using (var onB = Stream(b, ct))
            {
                Assert.Empty(await onB.CollectUntilQuietAsync(TimeSpan.FromSeconds(3), ct));
            }

            // A, restarted under its name, gets them again at once (the leases have an hour to run), as redeliveries.
            await a.StartAsync(ct);
            using var again = Stream(a, ct);
            using var patience = CancellationTokenSource.CreateLinkedTokenSource(ct);
            patience.CancelAfter(TimeSpan.FromSeconds(60));
            var redelivered = await again.CollectUntilQuietAsync(TimeSpan.FromSeconds(2), patience.Token, atLeast: 3);
            Assert.Equal(expected.Order(StringComparer.Ordinal), redelivered.Select(d => d.Name).Order(StringComparer.Ordinal));
            Assert.All(redelivered, d => Assert.Equal(2, d.AttemptCount));
        }
        catch (Exception)
        {
            output.WriteLine("--- hub A ---");
            output.WriteLine(a.Output);
            output.WriteLine("--- hub B ---");
            output.WriteLine(b.Output);
            output.WriteLine("--- the twin ---");
            output.WriteLine(twin.Output);
            throw;
        }
        finally
        {
            twin.Dispose();
            a.Dispose();
            b.Dispose();
        }
    }

    private static DeliveryTail Stream(HubProcess hub, CancellationToken ct) =>
        new(hub.As(Coach).Deliveries.StreamDeliveries(
            new StreamDeliveriesRequest { MaxOutstanding = 1000, AckDeadline = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromHours(1)) },
            cancellationToken: ct));
}

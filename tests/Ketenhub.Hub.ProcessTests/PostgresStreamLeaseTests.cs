using Ketenhub.Contracts.V1;
using Ketenhub.Testing;
using Ketenhub.Testing.Postgres;
using Xunit.Abstractions;
using static Ketenhub.Testing.HubProcessClient;

namespace Ketenhub.ProcessTests;

/// <summary>
/// Two shared delivery streams of one party, one on each of two hub instances on one PostgreSQL database: every delivery
/// reaches exactly one of them while it is unanswered (its lease is written into the delivery, and the other instance's
/// stream passes over it), none is lost, and once one stream goes away the other gets what it held when the lease ends.
/// </summary>
public sealed class PostgresStreamLeaseTests(ITestOutputHelper output)
{
    private const string Coach = TwoInstances.Coach;
    private const int Signals = 24;

    [Fact]
    public async Task TwoSharedStreamsOnTwoInstances_NeverHoldTheSameDelivery_AndNothingIsLost()
    {
        var database = await PostgresCluster.Shared.CreateDatabaseAsync();
        var settings = new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "Postgres",
            ["Storage:ConnectionString"] = database,
        };
        var a = new HubProcess(settings: settings);
        var b = new HubProcess(settings: settings);
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        var ct = bound.Token;
        try
        {
            await Task.WhenAll(a.StartAsync(ct), b.StartAsync(ct));
            var client = await TwoInstances.CoachedClientAsync(a, ct);

            // An ack deadline of 15 s: longer than the collection below, short enough to see a lease end.
            using var stopA = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var streamOnA = Stream(a, stopA.Token);
            using var streamOnB = Stream(b, ct);
            Assert.Empty(await streamOnA.CollectUntilQuietAsync(TimeSpan.FromSeconds(1), ct));
            Assert.Empty(await streamOnB.CollectUntilQuietAsync(TimeSpan.FromSeconds(1), ct));

            // Signals submitted through both instances, each giving the coach's party one delivery.
            var expected = await TwoInstances.SubmitSignalsAsync(a, b, client, Signals, ct);

            var onA = (await streamOnA.CollectUntilQuietAsync(TimeSpan.FromSeconds(3), ct)).Select(d => d.Name).ToList();
            var onB = (await streamOnB.CollectUntilQuietAsync(TimeSpan.FromSeconds(3), ct)).Select(d => d.Name).ToList();
            output.WriteLine($"stream on A got {onA.Count}, on B {onB.Count}");

            // Unanswered within their ack deadline (60 s): each delivery went to one stream, once.
            Assert.Empty(onA.Intersect(onB, StringComparer.Ordinal));
            Assert.Equal(onA.Count, onA.Distinct(StringComparer.Ordinal).Count());
            Assert.Equal(onB.Count, onB.Distinct(StringComparer.Ordinal).Count());
            Assert.Equal(expected.Order(StringComparer.Ordinal), onA.Concat(onB).Order(StringComparer.Ordinal));

            // The stream on A goes away without answering: what it held reaches the stream on B once the leases end (the
            // ack deadline and the margin), not before.
            await stopA.CancelAsync();
            streamOnA.Dispose();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var later = new HashSet<string>(StringComparer.Ordinal);
            while (!onA.All(later.Contains) && clock.Elapsed < TimeSpan.FromSeconds(60))
            {
                foreach (var delivery in await streamOnB.CollectUntilQuietAsync(TimeSpan.FromSeconds(1), ct))
                {
                    later.Add(delivery.Name);
                }
            }

            output.WriteLine($"after A's stream closed, B got A's {onA.Count(later.Contains)} of {onA.Count} within {clock.Elapsed.TotalSeconds:F0} s");
            Assert.All(onA, name => Assert.Contains(name, later));
        }
        catch (Exception)
        {
            output.WriteLine("--- hub A ---");
            output.WriteLine(a.Output);
            output.WriteLine("--- hub B ---");
            output.WriteLine(b.Output);
            throw;
        }
        finally
        {
            a.Dispose();
            b.Dispose();
            await PostgresCluster.Shared.DropDatabaseAsync(database);
        }
    }

    private static DeliveryTail Stream(HubProcess hub, CancellationToken ct) =>
        new(hub.As(Coach).Deliveries.StreamDeliveries(
            new StreamDeliveriesRequest { MaxOutstanding = 1000, AckDeadline = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromSeconds(15)) },
            cancellationToken: ct));
}

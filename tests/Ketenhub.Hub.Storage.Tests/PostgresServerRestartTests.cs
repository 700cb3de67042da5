using Ketenhub.Hub.Common;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Storage.Postgres;
using Ketenhub.Testing.Postgres;
using Microsoft.Extensions.Logging.Abstractions;
using static Ketenhub.Hub.Storage.Tests.TestData;

namespace Ketenhub.Hub.Storage.Tests;

/// <summary>
/// The PostgreSQL server goes away and comes back (an immediate shutdown, as a crash, then a start) under a running
/// store and wake-up relay, on a server of this class's own: what was committed is there, a call that meets the dead
/// connection fails as STORAGE_UNAVAILABLE and nothing else, later calls work on fresh connections, and the relay
/// listens again and wakes every stream of its instance.
/// </summary>
public sealed class PostgresServerRestartTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(60);
    private readonly PostgresCluster _cluster = PostgresCluster.Start();

    public void Dispose() => _cluster.Dispose();

    [Fact]
    public async Task AfterTheServerRestarts_TheStoreAndTheRelayCarryOn()
    {
        var database = await _cluster.CreateDatabaseAsync();
        await using var store = new PostgresHubStore(new PostgresStoreOptions { ConnectionString = database });
        await using var relay = new PostgresDeliveryWakeupRelay(database, TimeProvider.System, NullLogger<PostgresDeliveryWakeupRelay>.Instance);
        var notifier = new DeliveryNotifier(relay);
        relay.Start();
        await relay.Listening.WaitAsync(Within);
        var before = await store.WriteAsync(s => s.InsertDelivery(NewDelivery("cli_a")));
        Assert.NotNull(await store.ReadAsync(s => s.FindDelivery(before.Id)));
        var waiting = notifier.WaitAsync("provider-1", CancellationToken.None);

        _cluster.Restart();

        // The first write and read may meet the dead connections; they fail as the store's unavailability, not otherwise.
        var after = await RetryAsync(() => store.WriteAsync(s => s.InsertDelivery(NewDelivery("cli_a"))));
        var listed = await RetryAsync(() => store.ReadAsync(s => s.ListDeliveries(new DeliveryQuery())));
        Assert.Equal([before.Id, after.Id], listed.Select(d => d.Id));
        Assert.True(after.Sequence > before.Sequence);

        // The relay noticed, reconnected and woke the instance's streams to look again.
        await waiting.WaitAsync(Within);
        Assert.Equal(1, notifier.ReleaseVersion("provider-1"));
    }

    private async Task<T> RetryAsync<T>(Func<Task<T>> call)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (HubException error) when (error.Reason == ErrorReasons.StorageUnavailable && attempt < 3)
            {
                output.WriteLine($"attempt {attempt}: unavailable");
            }
        }
    }
}

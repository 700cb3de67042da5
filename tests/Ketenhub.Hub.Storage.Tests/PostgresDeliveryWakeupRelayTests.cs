using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Storage.Postgres;
using Ketenhub.Testing.Postgres;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ketenhub.Hub.Storage.Tests;

/// <summary>
/// Delivery wake-ups between instances on one database (LISTEN/NOTIFY): what one instance's notifier is told reaches
/// the other instance's waiting streams, released deliveries make them look back, and an instance's own wake-ups
/// come back to it only once (in-process).
/// </summary>
public sealed class PostgresDeliveryWakeupRelayTests : IAsyncLifetime
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(20);
    private readonly List<PostgresDeliveryWakeupRelay> _relays = [];
    private string _database = "";

    public async Task InitializeAsync() => _database = await PostgresCluster.Shared.CreateDatabaseAsync();

    public async Task DisposeAsync()
    {
        foreach (var relay in _relays)
        {
            await relay.DisposeAsync();
        }

        await PostgresCluster.Shared.DropDatabaseAsync(_database);
    }

    private async Task<DeliveryNotifier> InstanceAsync()
    {
        var relay = new PostgresDeliveryWakeupRelay(_database, TimeProvider.System, NullLogger<PostgresDeliveryWakeupRelay>.Instance);
        _relays.Add(relay);
        var notifier = new DeliveryNotifier(relay);
        relay.Start();
        await relay.Listening.WaitAsync(Within);
        return notifier;
    }

    [Fact]
    public async Task ANotificationOnOneInstance_WakesTheWaitingStreamsOfTheOther()
    {
        var a = await InstanceAsync();
        var b = await InstanceAsync();
        var waitingOnB = b.WaitAsync("waakvlam-zorg", CancellationToken.None);
        var otherPartyOnB = b.WaitAsync("sdd", CancellationToken.None);

        a.Notify(["waakvlam-zorg"]);

        await waitingOnB.WaitAsync(Within);
        Assert.False(otherPartyOnB.IsCompleted);
        Assert.Equal(0, b.ReleaseVersion("waakvlam-zorg"));
    }

    [Fact]
    public async Task AReleaseOnOneInstance_MakesTheOthersStreamsLookBack()
    {
        var a = await InstanceAsync();
        var b = await InstanceAsync();
        var waitingOnB = b.WaitAsync("waakvlam-zorg", CancellationToken.None);

        a.NotifyReleased(["waakvlam-zorg"]);

        await waitingOnB.WaitAsync(Within);
        Assert.Equal(1, b.ReleaseVersion("waakvlam-zorg"));
        Assert.Equal(1, a.ReleaseVersion("waakvlam-zorg"));
    }

    [Fact]
    public void AnInstance_IgnoresItsOwnNotifications_AndWhatIsNoWakeup()
    {
        var relay = new PostgresDeliveryWakeupRelay(_database, TimeProvider.System, NullLogger<PostgresDeliveryWakeupRelay>.Instance);
        _relays.Add(relay);
        var notifier = new DeliveryNotifier(relay);

        relay.Receive(relay.Instance + "|r|waakvlam-zorg");
        relay.Receive("other|x|waakvlam-zorg");
        relay.Receive("garbage");
        Assert.Equal(0, notifier.ReleaseVersion("waakvlam-zorg"));

        relay.Receive("other|r|waakvlam-zorg sdd");
        Assert.Equal(1, notifier.ReleaseVersion("waakvlam-zorg"));
        Assert.Equal(1, notifier.ReleaseVersion("sdd"));
    }

    [Fact]
    public void Payloads_CarryOnlyPartyIds_AndStaySmall()
    {
        var relay = new PostgresDeliveryWakeupRelay(_database, TimeProvider.System, NullLogger<PostgresDeliveryWakeupRelay>.Instance);
        _relays.Add(relay);
        var parties = Enumerable.Range(0, 2000).Select(i => $"party-{i:D4}").ToList();

        var payloads = relay.Payloads(parties, released: false).ToList();

        Assert.True(payloads.Count > 1);
        Assert.All(payloads, p => Assert.True(System.Text.Encoding.UTF8.GetByteCount(p) < 8000));
        Assert.All(payloads, p => Assert.StartsWith(relay.Instance + "|n|", p, StringComparison.Ordinal));
        Assert.Equal(parties, payloads.SelectMany(p => p.Split('|')[2].Split(' ')));
    }
    [Fact]
    public async Task PermitsPublishedOnOneInstance_ReachTheOthersReceiver_NotItsOwn()
    {
        await InstanceAsync();
        await InstanceAsync();
        var (a, b) = (_relays[^2], _relays[^1]);
        var onA = new System.Collections.Concurrent.ConcurrentQueue<IReadOnlyDictionary<string, int>>();
        var onB = new TaskCompletionSource<IReadOnlyDictionary<string, int>>(TaskCreationOptions.RunContinuationsAsynchronously);
        a.AttachUsage(onA.Enqueue);
        b.AttachUsage(p => onB.TrySetResult(p));

        a.PublishUsage(new Dictionary<string, int> { ["sdd"] = 7, ["waakvlam-zorg"] = 2 });

        var received = await onB.Task.WaitAsync(Within);
        Assert.Equal(new Dictionary<string, int> { ["sdd"] = 7, ["waakvlam-zorg"] = 2 }, received);
        Assert.Empty(onA);
    }

    [Fact]
    public void UsagePayloads_CarryOnlyPartyIdsAndCounts_StaySmall_AndBadPairsAreIgnored()
    {
        var relay = new PostgresDeliveryWakeupRelay(_database, TimeProvider.System, NullLogger<PostgresDeliveryWakeupRelay>.Instance);
        _relays.Add(relay);
        var permits = Enumerable.Range(0, 2000).ToDictionary(i => $"party-{i:D4}", i => i + 1);

        var payloads = relay.UsagePayloads(permits).ToList();

        Assert.True(payloads.Count > 1);
        Assert.All(payloads, p => Assert.True(System.Text.Encoding.UTF8.GetByteCount(p) < 8000));
        Assert.All(payloads, p => Assert.StartsWith(relay.Instance + "|u|", p, StringComparison.Ordinal));
        var seen = new Dictionary<string, int>();
        relay.AttachUsage(p =>
        {
            foreach (var (party, count) in p)
            {
                seen[party] = seen.GetValueOrDefault(party) + count;
            }
        });
        foreach (var payload in payloads)
        {
            relay.Receive("other" + payload[relay.Instance.Length..]);
        }

        Assert.Equal(permits, seen);
        seen.Clear();
        relay.Receive("other|u|sdd:-3 sdd:x :4 waakvlam-zorg:2");
        relay.Receive(relay.Instance + "|u|sdd:5");
        Assert.Equal(new Dictionary<string, int> { ["waakvlam-zorg"] = 2 }, seen);
    }
}

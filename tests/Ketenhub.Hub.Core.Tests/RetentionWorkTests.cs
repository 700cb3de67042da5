using Ketenhub.Hub.Common;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Messages;
using Ketenhub.Hub.Retention;
using Ketenhub.Hub.Storage;
using Ketenhub.Testing.InMemory;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Ketenhub.Hub.Core.Tests;

/// <summary>
/// The retention work on a shared store runs on one instance at a time: it asks the schedule lease <c>retention</c>
/// first, does nothing while another instance holds it, and gives it back when done.
/// </summary>
public sealed class RetentionWorkTests
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task WhileAnotherInstanceHoldsTheLease_NothingIsRemoved_ThenTheHolderOfTheLeaseRemovesIt()
    {
        var clock = new FakeTimeProvider(T0) { AutoAdvanceAmount = TimeSpan.Zero };
        await using var store = new InMemoryHubStore();
        var signal = new SignalRecord("sig_1", "cli_1", "sdd", SignalKind.PaymentArrears, LifeDomain.Finances, SignalSeverity.Concern, "Text about the client", T0);
        await store.WriteAsync(s => { s.InsertSignal(signal); return 0; });
        clock.Advance(TimeSpan.FromDays(31));

        var lease = new Lease { Free = false };
        using var work = new RetentionWork(store, Options.Create(new RetentionOptions()), clock, NullLogger<RetentionWork>.Instance, lease);
        Assert.Equal(0, (await work.RunOnceAsync(CancellationToken.None)).Total);
        Assert.Equal("Text about the client", (await store.ReadAsync(s => s.FindSignal("sig_1")))!.Description);

        lease.Free = true;
        Assert.Equal(1, (await work.RunOnceAsync(CancellationToken.None)).MessageContents);
        Assert.Equal(string.Empty, (await store.ReadAsync(s => s.FindSignal("sig_1")))!.Description);
        Assert.Equal([RetentionWork.LeaseName, RetentionWork.LeaseName], lease.Asked);
        Assert.Equal(1, lease.Released);
    }

    private sealed class Lease : IScheduleLease
    {
        public bool Free { get; set; }

        public List<string> Asked { get; } = [];

        public int Released { get; private set; }

        public Task<IAsyncDisposable?> TryAcquireAsync(string work, CancellationToken cancellationToken)
        {
            Asked.Add(work);
            return Task.FromResult<IAsyncDisposable?>(Free ? new Held(this) : null);
        }

        private sealed class Held(Lease lease) : IAsyncDisposable
        {
            public ValueTask DisposeAsync()
            {
                lease.Released++;
                return ValueTask.CompletedTask;
            }
        }
    }
}

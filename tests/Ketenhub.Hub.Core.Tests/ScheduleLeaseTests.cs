using Ketenhub.Hub.Delivery;
using Microsoft.Extensions.DependencyInjection;

namespace Ketenhub.Hub.Core.Tests;

/// <summary>Scheduled work runs only on the instance that holds its lease, and gives the lease back when done.</summary>
public sealed class ScheduleLeaseTests
{
    [Fact]
    public async Task WithoutTheLease_NothingRuns_AndWithIt_TheWorkRunsAndTheLeaseIsGivenBack()
    {
        var lease = new FakeLease();
        await using var core = CoreServices.Create(configure: services => services.AddSingleton<IScheduleLease>(lease));

        // A client who turns 18 tomorrow: the coming of age is due once the clock has passed the birthday.
        await core.RegisterClientAsync(birthDate: DateOnly.FromDateTime(CoreServices.Start.UtcDateTime).AddYears(-18).AddDays(1));
        core.Clock.Advance(TimeSpan.FromDays(2));
        var work = core.Get<ScheduledWork>();

        lease.Grant = false;
        Assert.Equal(new ScheduledWorkResult(0, 0, 0), await work.RunOnceAsync(CancellationToken.None));
        Assert.Equal((1, 0), (lease.Asked, lease.Returned));

        lease.Grant = true;
        Assert.Equal(1, (await work.RunOnceAsync(CancellationToken.None)).CameOfAge);
        Assert.Equal((2, 1), (lease.Asked, lease.Returned));
        Assert.Equal(ScheduledWork.LeaseName, lease.LastWork);
    }

    private sealed class FakeLease : IScheduleLease
    {
        public bool Grant { get; set; }

        public int Asked { get; private set; }

        public int Returned { get; private set; }

        public string? LastWork { get; private set; }

        public Task<IAsyncDisposable?> TryAcquireAsync(string work, CancellationToken cancellationToken)
        {
            Asked++;
            LastWork = work;
            return Task.FromResult<IAsyncDisposable?>(Grant ? new Held(this) : null);
        }

        private sealed class Held(FakeLease owner) : IAsyncDisposable
        {
            public ValueTask DisposeAsync()
            {
                owner.Returned++;
                return ValueTask.CompletedTask;
            }
        }
    }
}

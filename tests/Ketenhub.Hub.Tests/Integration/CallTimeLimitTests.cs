using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.Hub.Storage;
using Ketenhub.HubTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using static Ketenhub.HubTests.Infrastructure.PartyClient;

namespace Ketenhub.HubTests.Integration;

/// <summary>
/// The hub's own limit on how long a unary call may run (<c>Hub:Limits:MaxCallDuration</c>), whatever deadline the
/// caller set: a call held up in the store ends with CALL_TIMED_OUT when the hub's clock passes the limit, and the
/// hub keeps serving.
/// </summary>
public sealed class CallTimeLimitTests
{
    [Fact]
    public async Task ACallHeldUpInTheStore_EndsWithCallTimedOut_AtTheHubsLimit_AndTheHubKeepsServing()
    {
        var gate = new GatedStore.Gate();
        using var hub = new HubFactory()
            .With("Hub:Limits:MaxCallDuration", "00:00:05")
            .WithServices(services =>
            {
                var original = services.Last(d => d.ServiceType == typeof(IHubStore));
                services.RemoveAll<IHubStore>();
                services.AddSingleton<IHubStore>(sp => new GatedStore((IHubStore)original.ImplementationFactory!(sp), gate));
            });
        var school = hub.As("hans-petrischool");
        var client = await school.RegisterAsync(Kit.NewBsn(), Date(2009, 1, 1), "0505", "parties/hans-petrischool");

        // The caller sets no deadline; the read is held up in the store.
        gate.Close();
        var call = school.Clients.GetClientAsync(new GetClientRequest { Name = client.Name }).ResponseAsync;
        await gate.Reached.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(call.IsCompleted);

        // Before the limit nothing happens; past it the call ends with the coded timeout.
        hub.Clock.Advance(TimeSpan.FromSeconds(4));
        await Task.Delay(100);
        Assert.False(call.IsCompleted);
        hub.Clock.Advance(TimeSpan.FromSeconds(2));
        var error = await Errors.Of(() => call);
        Assert.Equal((StatusCode.DeadlineExceeded, "CALL_TIMED_OUT"), (error.Code, error.Reason));

        gate.Open();
        var again = await school.Clients.GetClientAsync(new GetClientRequest { Name = client.Name });
        Assert.Equal(client.Name, again.Client.Name);
    }

    /// <summary>A store whose reads wait at a gate while it is closed (and honour the call's cancellation meanwhile).</summary>
    private sealed class GatedStore(IHubStore inner, GatedStore.Gate gate) : IHubStore
    {
        public Task<T> WriteAsync<T>(Func<IHubSession, T> work, CancellationToken cancellationToken = default) => inner.WriteAsync(work, cancellationToken);

        public Task<DocumentResealing> ResealDocumentsAsync(CancellationToken cancellationToken = default) => inner.ResealDocumentsAsync(cancellationToken);

        public async Task<T> ReadAsync<T>(Func<IHubSession, T> work, CancellationToken cancellationToken = default)
        {
            await gate.PassAsync(cancellationToken);
            return await inner.ReadAsync(work, cancellationToken);
        }

        public sealed class Gate
        {
            private volatile TaskCompletionSource _open = Opened();
            private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);

            public Task Reached => _reached.Task;

            public void Close() => _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

            public void Open() => _open.TrySetResult();

            public Task PassAsync(CancellationToken cancellationToken)
            {
                var open = _open;
                if (!open.Task.IsCompleted)
                {
                    _reached.TrySetResult();
                }

                return open.Task.WaitAsync(cancellationToken);
            }

            private static TaskCompletionSource Opened()
            {
                var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                done.SetResult();
                return done;
            }
        }
    }
}

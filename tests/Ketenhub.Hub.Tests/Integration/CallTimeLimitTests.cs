using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.Hub.Audit;
using Ketenhub.Hub.Storage;
using Ketenhub.HubTests.Inbound;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Integration;

/// <summary>
/// The hub's own limit on how long a unary call may run (<c>Hub:Limits:MaxCallDuration</c>), whatever deadline the
/// caller set: a call held up in the store ends with CALL_TIMED_OUT when the hub's clock passes the limit, and the
/// hub keeps serving. The HTTP inbound endpoints share the limit (the same call pipeline).
/// </summary>
public sealed class CallTimeLimitTests
{
    [Fact]
    public async Task ACallHeldUpInTheStore_EndsWithCallTimedOut_AtTheHubsLimit_AndTheHubKeepsServing()
    {
        var gate = new GatedStore.Gate();
        using var hub = new HubFactory();
        hub.With("Hub:Limits:MaxCallDuration", "00:00:05")
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

    [Fact]
    public async Task AnInboundRequestHeldUpInTheStore_EndsWithCallTimedOut_InThePartnersFormat_AndTheHubKeepsServing()
    {
        var gate = new GatedStore.Gate();
        using var hub = InboundKit.Hub();
        hub.With("Hub:Limits:MaxCallDuration", "00:00:05")
            .WithServices(services =>
            {
                var original = services.Last(d => d.ServiceType == typeof(IHubStore));
                services.RemoveAll<IHubStore>();
                // Only the partner's calls wait: the hub's own scheduled work must not reach the gate first.
                services.AddSingleton<IHubStore>(sp => new GatedStore((IHubStore)original.ImplementationFactory!(sp), gate, writesToo: true, only: () => CallOrigin.Current?.Actor?.Party.Id == "begeleiding-plus"));
            });
        var partner = hub.Http("begeleiding-plus");
        const string task = """{"resourceType":"Task","status":"accepted","intent":"order","focus":{"reference":"ServiceRequest?identifier=http://localhost/id/referrals|ref_doesnotexist"}}""";

        // The partner's Task update waits in the store; past the hub's limit it ends with the coded timeout, as FHIR.
        gate.Close();
        var call = partner.SendAsync(HttpMethod.Put, "/fhir/r4/Task/t-1", task, "application/fhir+json");
        await gate.Reached.WaitAsync(TimeSpan.FromSeconds(30));
        hub.Clock.Advance(TimeSpan.FromSeconds(4));
        await Task.Delay(100);
        Assert.False(call.IsCompleted);
        hub.Clock.Advance(TimeSpan.FromSeconds(2));
        var answer = await call.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal((504, "CALL_TIMED_OUT"), (answer.Status, InboundKit.OutcomeOf(answer.Body).Reason));

        gate.Open();
        var again = await partner.SendAsync(HttpMethod.Put, "/fhir/r4/Task/t-1", task, "application/fhir+json");
        Assert.Equal((404, "REFERRAL_NOT_FOUND"), (again.Status, InboundKit.OutcomeOf(again.Body).Reason));
    }

    /// <summary>A store whose reads (and, if asked, writes) wait at a gate while it is closed (and honour the call's cancellation meanwhile).</summary>
    private sealed class GatedStore(IHubStore inner, GatedStore.Gate gate, bool writesToo = false, Func<bool>? only = null) : IHubStore
    {
        public async Task<T> WriteAsync<T>(Func<IHubSession, T> work, CancellationToken cancellationToken = default)
        {
            if (writesToo && (only is null || only()))
            {
                await gate.PassAsync(cancellationToken);
            }

            return await inner.WriteAsync(work, cancellationToken);
        }

        public Task<DocumentResealing> ResealDocumentsAsync(CancellationToken cancellationToken = default) => inner.ResealDocumentsAsync(cancellationToken);

        public async Task<T> ReadAsync<T>(Func<IHubSession, T> work, CancellationToken cancellationToken = default)
        {
            if (only is null || only())
            {
                await gate.PassAsync(cancellationToken);
            }

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

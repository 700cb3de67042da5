using Grpc.Core;
using Ketenhub.Client;
using Ketenhub.Client.Transport;
using Microsoft.Extensions.Time.Testing;

namespace Ketenhub.ClientTests;

/// <summary>
/// A call whose deadline passes can end with CANCELLED instead of DEADLINE_EXCEEDED, depending on whether the
/// channel's deadline timer or the aborted call's own ending is seen first. The SDK reports both the same way,
/// and a CANCELLED that is not about the deadline stays what it is.
/// </summary>
public sealed class DeadlineRaceTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 5, 9, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task ACancelledEnding_AfterTheDeadline_IsKetenhubDeadlineExceededException()
    {
        var calls = Calls(TimeSpan.FromSeconds(2));

        var error = await Assert.ThrowsAsync<KetenhubDeadlineExceededException>(() =>
            calls.UnaryAsync(_ => EndsCancelledAfter(TimeSpan.FromSeconds(2)), null, CancellationToken.None));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.True(error.IsTransient);
        Assert.Null(error.Reason);
    }

    [Fact]
    public async Task ACancelledEnding_BeforeTheDeadline_StaysCancelled()
    {
        var calls = Calls(TimeSpan.FromSeconds(2));

        var error = await Assert.ThrowsAsync<KetenhubException>(() =>
            calls.UnaryAsync(_ => EndsCancelledAfter(TimeSpan.FromSeconds(1)), null, CancellationToken.None));

        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
        Assert.False(error.IsTransient);
    }

    [Fact]
    public async Task ACallTheCallerCancelled_StaysCancelled_EvenPastTheDeadline()
    {
        var calls = Calls(TimeSpan.FromSeconds(2));
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();

        var error = await Assert.ThrowsAsync<KetenhubException>(() =>
            calls.UnaryAsync(_ => EndsCancelledAfter(TimeSpan.FromSeconds(3)), null, cancel.Token));

        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
    }

    [Fact]
    public async Task TheCallsOwnTimeout_SetsTheDeadlineTheCheckUses()
    {
        var calls = Calls(TimeSpan.FromSeconds(30));
        DateTime? deadline = null;

        await Assert.ThrowsAsync<KetenhubDeadlineExceededException>(() => calls.UnaryAsync(
            options =>
            {
                deadline = options.Deadline;
                return EndsCancelledAfter(TimeSpan.FromMilliseconds(500));
            },
            new KetenhubCallOptions { Timeout = TimeSpan.FromMilliseconds(500) },
            CancellationToken.None));

        Assert.Equal(_clock.GetUtcNow().UtcDateTime, deadline);
    }

    private HubCalls Calls(TimeSpan defaultDeadline) =>
        new(new NoCalls(), new KetenhubClientOptions { Address = new Uri("https://hub.invalid"), DefaultDeadline = defaultDeadline }, _clock);

    /// <summary>A call that ends CANCELLED once the clock has moved on by <paramref name="after"/>.</summary>
    private AsyncUnaryCall<string> EndsCancelledAfter(TimeSpan after)
    {
        _clock.Advance(after);
        var status = new Status(StatusCode.Cancelled, "The call was cancelled.");
        return new AsyncUnaryCall<string>(
            Task.FromException<string>(new RpcException(status)),
            Task.FromResult(new Metadata()),
            () => status,
            () => [],
            () => { });
    }

    /// <summary>The invoker is not used: each test makes its call by hand.</summary>
    private sealed class NoCalls : CallInvoker
    {
        public override TResponse BlockingUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) => throw new NotSupportedException();

        public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) => throw new NotSupportedException();

        public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) => throw new NotSupportedException();

        public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options) => throw new NotSupportedException();

        public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options) => throw new NotSupportedException();
    }
}

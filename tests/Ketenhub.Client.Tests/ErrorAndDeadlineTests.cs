using Grpc.Core;
using Ketenhub.Client;
using Ketenhub.ClientTests.Infrastructure;
using Ketenhub.Contracts.V1;

namespace Ketenhub.ClientTests;

/// <summary>Deadlines on every call, and the hub's coded errors as typed exceptions.</summary>
public sealed class ErrorAndDeadlineTests : IDisposable
{
    private readonly SdkHub _hub = new();

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task ACallPastItsDeadline_IsKetenhubDeadlineExceededException()
    {
        var client = _hub.As("sdd");
        _hub.Faults.Hang("ListParties");

        var error = await Assert.ThrowsAsync<KetenhubDeadlineExceededException>(() =>
            client.Parties.ListAsync(call: new KetenhubCallOptions { Timeout = TimeSpan.FromMilliseconds(300) }));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.True(error.IsTransient);
    }

    [Fact]
    public async Task TheDefaultDeadline_AppliesWhenTheCallSetsNone()
    {
        var client = _hub.As("sdd", o => o.DefaultDeadline = TimeSpan.FromSeconds(2));

        // A call that is not held answers within the deadline, once the hub has warmed up (the first call after
        // start-up can take more than a second on a busy machine).
        await _hub.As("sdd").Parties.ListAsync();
        var parties = await client.Parties.ListAsync();
        Assert.Contains(parties, p => p.Name == "parties/sdd");

        _hub.Faults.Hang("GetParty");
        var started = TimeProvider.System.GetTimestamp();
        await Assert.ThrowsAsync<KetenhubDeadlineExceededException>(() => client.Parties.GetAsync("parties/sdd"));
        Assert.InRange(TimeProvider.System.GetElapsedTime(started), TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Cancellation_IsOperationCanceledException()
    {
        var client = _hub.As("sdd");
        _hub.Faults.Hang("ListParties");
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.Parties.ListAsync(cancellationToken: cancel.Token));
    }

    [Fact]
    public async Task ANotFound_CarriesTheHubsReason()
    {
        var client = _hub.As("sdd");

        var error = await Assert.ThrowsAsync<KetenhubException>(() => client.Referrals.GetAsync("referrals/missing"));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Equal("REFERRAL_NOT_FOUND", error.Reason);
        Assert.False(error.IsTransient);
        Assert.Contains("REFERRAL_NOT_FOUND", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvalidInput_CarriesTheReasonAndTheFieldViolations_WithoutTheValue()
    {
        var client = _hub.As("waakvlam-zorg");

        var error = await Assert.ThrowsAsync<KetenhubException>(() => client.Clients.RegisterAsync("123456789", new DateOnly(2001, 3, 4), "0505"));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("INVALID_BSN", error.Reason);
        var violation = Assert.Single(error.FieldViolations);
        Assert.Equal("bsn", violation.Field);
        Assert.DoesNotContain("123456789", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnknownCaller_IsUnauthenticatedWithCallerUnknown()
    {
        var client = _hub.As("no-such-party");

        var error = await Assert.ThrowsAsync<KetenhubException>(() => client.Clients.GetAsync("clients/x"));

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Equal("CALLER_UNKNOWN", error.Reason);
    }

    [Fact]
    public async Task ReusingARequestIdForADifferentBody_IsRequestIdReused()
    {
        var (sdd, _, client) = await _hub.CoachedClientAsync();
        var call = new KetenhubCallOptions { RequestId = "same-id" };
        await sdd.Signals.SubmitAsync(SdkHub.Arrears(client, "First."), call);

        var error = await Assert.ThrowsAsync<KetenhubException>(() => sdd.Signals.SubmitAsync(SdkHub.Arrears(client, "Second."), call));

        Assert.Equal("REQUEST_ID_REUSED", error.Reason);
    }
}

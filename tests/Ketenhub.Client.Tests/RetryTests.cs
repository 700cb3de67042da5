using Grpc.Core;
using Ketenhub.Client;
using Ketenhub.ClientTests.Infrastructure;
using Ketenhub.Contracts.V1;

namespace Ketenhub.ClientTests;

/// <summary>
/// Retries through the channel's retry policy are safe: the hub commits a write, its answer is lost
/// (UNAVAILABLE after commit), the SDK retries with the same request id and gets the first answer; exactly one
/// message exists.
/// </summary>
public sealed class RetryTests : IDisposable
{
    private readonly SdkHub _hub = new();

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task ASignalWhoseAnswerIsLostAfterCommit_IsRetriedWithTheSameRequestId_AndExistsOnce()
    {
        var coached = await _hub.CoachedClientAsync();
        var (sdd, coach, client) = coached;
        _hub.Faults.FailAfterCommit("CreateSignal");

        var response = await sdd.Signals.SubmitAsync(SdkHub.Arrears(client));

        var attempts = _hub.Faults.Attempts.Where(a => a.Method == "CreateSignal").ToList();
        Assert.Equal(2, attempts.Count);
        Assert.False(string.IsNullOrEmpty(attempts[0].RequestId));
        Assert.Equal(attempts[0].RequestId, attempts[1].RequestId);

        var raised = await JourneyAsync(coach, coached.ClientAtCoach, JourneyEventType.SignalRaised);
        Assert.Single(raised);
        Assert.Equal(response.Signal.Name, raised[0].Resource);
        var delivered = await ToListAsync(coach.Deliveries.ListAsync(client: coached.ClientAtCoach));
        Assert.Single(delivered, d => d.Sender == "parties/sdd");
    }

    [Fact]
    public async Task AReferralLifecycleStepWhoseAnswerIsLost_IsAppliedOnce()
    {
        var coached = await _hub.CoachedClientAsync();
        var (coach, client) = (coached.Coach, coached.ClientAtCoach);
        var provider = _hub.As("begeleiding-plus");
        var created = await coach.Referrals.SubmitAsync(new Referral
        {
            Client = client,
            Service = ServiceKind.IndividualGuidance,
            Reason = "Needs help with the household administration.",
            LifeDomains = { LifeDomain.Finances },
            Performers = { new ReferralPerformer { Party = "parties/begeleiding-plus" } },
        });
        _hub.Faults.FailAfterCommit("AcceptReferral", times: 2);

        var accepted = await provider.Referrals.AcceptAsync(created.Referral.Name);

        Assert.Equal(PerformerStatus.Accepted, Assert.Single(accepted.Performers).Status);
        Assert.Single(_hub.Faults.Attempts.Where(a => a.Method == "AcceptReferral").Select(a => a.RequestId).Distinct());
        Assert.Equal(3, _hub.Faults.Attempts.Count(a => a.Method == "AcceptReferral"));
        Assert.Single(await JourneyAsync(coach, client, JourneyEventType.ReferralAccepted));
    }

    [Fact]
    public async Task WithRetriesOff_TheLostAnswerSurfacesAsUnavailable_AndRepeatingWithTheSameRequestIdGivesTheFirstAnswer()
    {
        var coached = await _hub.CoachedClientAsync();
        var (coach, client) = (coached.Coach, coached.Client);
        var sdd = _hub.As("sdd", o => o.Retry.MaxAttempts = 1);
        _hub.Faults.FailAfterCommit("CreateSignal");
        var call = new KetenhubCallOptions { RequestId = "import-row-17" };

        var error = await Assert.ThrowsAsync<KetenhubException>(() => sdd.Signals.SubmitAsync(SdkHub.Arrears(client), call));
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.True(error.IsTransient);
        Assert.Null(error.Reason);

        // The write was committed although the caller never heard: the same request id returns it.
        var repeat = await sdd.Signals.SubmitAsync(SdkHub.Arrears(client), call);
        var raised = Assert.Single(await JourneyAsync(coach, coached.ClientAtCoach, JourneyEventType.SignalRaised));
        Assert.Equal(repeat.Signal.Name, raised.Resource);
        Assert.All(_hub.Faults.Attempts.Where(a => a.Method == "CreateSignal"), a => Assert.Equal("import-row-17", a.RequestId));
    }

    [Fact]
    public async Task EachLogicalCall_GetsItsOwnRequestId()
    {
        var coached = await _hub.CoachedClientAsync();
        var (sdd, coach, client) = coached;

        await sdd.Signals.SubmitAsync(SdkHub.Arrears(client));
        await sdd.Signals.SubmitAsync(SdkHub.Arrears(client));

        var ids = _hub.Faults.Attempts.Where(a => a.Method == "CreateSignal").Select(a => a.RequestId).ToList();
        Assert.Equal(2, ids.Distinct().Count());
        Assert.Equal(2, (await JourneyAsync(coach, coached.ClientAtCoach, JourneyEventType.SignalRaised)).Count);
    }

    [Fact]
    public async Task AnErrorTheHubChose_IsNotRetried()
    {
        var sdd = _hub.As("sdd");

        var error = await Assert.ThrowsAsync<KetenhubException>(() => sdd.Signals.SubmitAsync(SdkHub.Arrears("clients/nobody")));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Equal("CLIENT_NOT_FOUND", error.Reason);
        Assert.Single(_hub.Faults.Attempts, a => a.Method == "CreateSignal");
    }

    private static async Task<List<JourneyEvent>> JourneyAsync(KetenhubClient reader, string client, JourneyEventType type) =>
        (await ToListAsync(reader.Clients.GetJourneyAsync(client))).Where(e => e.Type == type).ToList();

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }
}

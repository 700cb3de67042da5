using Ketenhub.Client;
using Ketenhub.ClientTests.Infrastructure;
using Ketenhub.Contracts.V1;

namespace Ketenhub.ClientTests;

/// <summary>
/// The SDK's lists of signals, referrals and transitions, page after page, with filters in each party's own names for
/// its clients (the hub turns them back, as it does for every other field).
/// </summary>
public sealed class MessageListTests : IDisposable
{
    private readonly SdkHub _hub = new();

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task EachPartyFiltersByItsOwnNameForTheClient_AndPagesThroughEverything()
    {
        var (sdd, coach, atSdd, atCoach) = await _hub.CoachedClientAsync();
        Assert.NotEqual(atSdd, atCoach);
        var signals = new List<Signal>();
        for (var i = 0; i < 5; i++)
        {
            signals.Add((await sdd.Signals.SubmitAsync(SdkHub.Arrears(atSdd))).Signal);
        }

        // Listed by create time, then by name.
        var raised = signals.OrderBy(s => s.CreateTime.ToDateTimeOffset()).ThenBy(s => s.Name, StringComparer.Ordinal).Select(s => s.Name).ToList();

        var bySdd = await ToListAsync(sdd.Signals.ListAsync($"client = \"{atSdd}\"", pageSize: 2));
        Assert.Equal(raised, bySdd.Select(s => s.Name));
        Assert.All(bySdd, s => Assert.Equal(atSdd, s.Client));

        var byCoach = await ToListAsync(coach.Signals.ListAsync($"client = \"{atCoach}\" AND severity >= SIGNAL_SEVERITY_CONCERN", "create_time desc", pageSize: 3));
        Assert.Equal(Enumerable.Reverse(raised), byCoach.Select(s => s.Name));
        Assert.All(byCoach, s => Assert.Equal(atCoach, s.Client));

        // Another party's name for the client is not the coach's: it finds nothing.
        Assert.Empty(await ToListAsync(coach.Signals.ListAsync($"client = \"{atSdd}\"")));

        var referral = await sdd.Referrals.SubmitAsync(new Referral { Client = atSdd, Service = ServiceKind.DebtCounselling, Reason = "Debts.", Performers = { new ReferralPerformer { Party = "parties/begeleiding-plus" } } });
        var performer = _hub.As("begeleiding-plus");
        var open = await ToListAsync(performer.Referrals.ListAsync("performers.party = \"parties/begeleiding-plus\" AND performers.status = PERFORMER_STATUS_REQUESTED"));
        Assert.Equal([referral.Referral.Name], open.Select(r => r.Name));
        Assert.Empty(await ToListAsync(coach.Transitions.ListAsync()));

        var refused = await Assert.ThrowsAsync<KetenhubException>(() => ToListAsync(sdd.Signals.ListAsync("client ~ \"x\"")));
        Assert.Equal("INVALID_FILTER", refused.Reason);
    }

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

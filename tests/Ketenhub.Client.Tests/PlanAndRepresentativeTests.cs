using Ketenhub.Client;
using Ketenhub.ClientTests.Infrastructure;
using Ketenhub.Contracts.V1;

namespace Ketenhub.ClientTests;

/// <summary>The SDK's calls for a client's plan and legal representatives, against the in-process hub.</summary>
public sealed class PlanAndRepresentativeTests : IDisposable
{
    private readonly SdkHub _hub = new();

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task TheCoachReadsThePlan_AndTheSocialServiceRecordsListsAndEndsAMentorship()
    {
        var coached = await _hub.CoachedClientAsync();
        var (sdd, coach, client) = coached;
        var atCoach = coached.ClientAtCoach;

        // The coach's organisation may read the plan under its consent for coaching; it covers no support plan yet.
        var refused = await Assert.ThrowsAsync<KetenhubException>(() => coach.Referrals.GetPlanAsync(atCoach));
        Assert.Equal("CONSENT_REQUIRED", refused.Reason);
        await coach.Consents.GrantAsync(new Consent { Client = atCoach, GrantorRole = GrantorRole.Client, RecipientParty = "parties/waakvlam-zorg", Purposes = { Purpose.Coaching }, DataCategories = { DataCategory.SupportPlan } });
        var referral = await sdd.Referrals.SubmitAsync(new Referral { Client = client, Service = ServiceKind.DebtCounselling, Reason = "Debts.", Performers = { new ReferralPerformer { Party = "parties/begeleiding-plus" } } });
        var plan = await coach.Referrals.GetPlanAsync(atCoach);
        Assert.Equal(atCoach, plan.Client);
        Assert.Equal(string.Empty, Assert.Single(plan.Referrals, r => r.Service == ServiceKind.DebtCounselling).Reason);

        var mentor = await sdd.Clients.RecordRepresentativeAsync(new Representative
        {
            Client = client,
            Kind = RepresentationKind.Mentorship,
            DisplayName = "Mw. Smits",
            StartDate = new Google.Type.Date { Year = 2024, Month = 1, Day = 1 },
        });
        Assert.StartsWith("representatives/", mentor.Name, StringComparison.Ordinal);
        Assert.True(Assert.Single(await sdd.Clients.ListRepresentativesAsync(client)).Current);

        var ended = await sdd.Clients.EndRepresentativeAsync(client, mentor.Name);
        Assert.False(ended.Current);
        Assert.NotNull(referral.Referral);
    }
}

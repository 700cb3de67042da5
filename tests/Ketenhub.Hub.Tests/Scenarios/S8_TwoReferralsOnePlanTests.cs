using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.HubTests.Integration;
using Ketenhub.Testing.InProcess;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Scenarios;

/// <summary>
/// S8 — Two referrals for one client, one plan (docs/scenarios.md). The school refers Daan (19, Zwijndrecht) for
/// individuele begeleiding at Begeleiding Plus; a week later the wijkteam refers him for the same service. The hub
/// flags the second, links the two for the provider, shows both to the coach in one plan, and a decline "already in
/// care" closes the duplicate and tells the school.
/// </summary>
public sealed class S8_TwoReferralsOnePlanTests : IDisposable
{
    private readonly HubFactory _hub = new(new DateTimeOffset(2026, 4, 6, 9, 0, 0, TimeSpan.Zero));

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task SecondReferralForTheSameService_IsFlagged_Linked_InTheCoachsPlan_AndClosedAsAlreadyInCare()
    {
        var school = _hub.As("hans-petrischool");
        var wijkteam = _hub.As("wijkteam-zwijndrecht");
        var provider = _hub.As("begeleiding-plus");
        var waakvlam = _hub.As("waakvlam-zorg");
        var stranger = _hub.As("dagbesteding-de-brug");

        var client = await school.RegisterAsync(Kit.NewBsn(), Date(2007, 2, 11), "0642", "parties/hans-petrischool");
        await waakvlam.AssignCoachAsync(client.Name, "ahmed", "Ahmed", by: "hans-petrischool");
        await school.GrantAsync(client.Name, GrantorRole.Client, "waakvlam-zorg", [Purpose.Coaching], [DataCategory.SupportPlan, DataCategory.ContactDetails]);
        await school.GrantAsync(client.Name, GrantorRole.Client, "wijkteam-zwijndrecht", [Purpose.Coaching, Purpose.CareDelivery], [DataCategory.SupportPlan, DataCategory.ContactDetails, DataCategory.Health]);

        // The school refers Daan; Begeleiding Plus accepts.
        var first = await school.Referrals.CreateReferralAsync(new CreateReferralRequest { RequestId = NewRequestId(), Referral = Kit.CareReferral(client.Name, "begeleiding-plus") });
        Assert.Empty(first.Findings);
        Assert.Empty(first.Referral.OpenReferrals);
        await provider.Referrals.AcceptReferralAsync(new AcceptReferralRequest { RequestId = NewRequestId(), Name = first.Referral.Name });
        await provider.DrainAsync(acknowledge: true);

        // A week later the wijkteam prepares the same referral. Explain flags it; with consent for coaching and care
        // only, the wijkteam may not know the first referral, nor read Daan's plan.
        _hub.Clock.Advance(TimeSpan.FromDays(7));
        var second = Kit.CareReferral(client.Name, "begeleiding-plus");
        var explained = await wijkteam.Explain.ExplainMessageAsync(new ExplainMessageRequest { Referral = second });
        var unnamed = Assert.Single(explained.Findings);
        Assert.Equal(("OPEN_REFERRAL_EXISTS", string.Empty), (unnamed.Reason, unnamed.Resource));
        Assert.DoesNotContain(first.Referral.Name, unnamed.Explanation, StringComparison.Ordinal);
        await Errors.Expect(StatusCode.PermissionDenied, "CONSENT_REQUIRED", () => wijkteam.Referrals.GetClientPlanAsync(new GetClientPlanRequest { Client = client.Name }).ResponseAsync);

        // With Daan's consent for coordination, the wijkteam is told which referral is open.
        await school.GrantAsync(client.Name, GrantorRole.Client, "wijkteam-zwijndrecht", [Purpose.Coordination], [DataCategory.SupportPlan]);
        explained = await wijkteam.Explain.ExplainMessageAsync(new ExplainMessageRequest { Referral = second });
        Assert.Equal(first.Referral.Name, Assert.Single(explained.Findings).Resource);

        // It sends it anyway: created, flagged, and linked for the provider that holds both.
        var created = await wijkteam.Referrals.CreateReferralAsync(new CreateReferralRequest { RequestId = NewRequestId(), Referral = second });
        var finding = Assert.Single(created.Findings);
        Assert.Equal(("OPEN_REFERRAL_EXISTS", first.Referral.Name), (finding.Reason, finding.Resource));
        var received = Assert.Single(await provider.DrainAsync(), d => d.Referral?.Name == created.Referral.Name);
        Assert.Equal([first.Referral.Name], received.Referral.OpenReferrals);
        Assert.Equal([first.Referral.Name], (await provider.Referrals.GetReferralAsync(new GetReferralRequest { Name = created.Referral.Name })).Referral.OpenReferrals);

        // The wijkteam itself is no party to the first referral: its own view of the second does not name it.
        Assert.Empty((await wijkteam.Referrals.GetReferralAsync(new GetReferralRequest { Name = created.Referral.Name })).Referral.OpenReferrals);

        // The audit trail records the flag with the submit.
        var auditor = _hub.As("sdd", "fg-officer-1", ["privacy-officer"]);
        var events = (await auditor.Audit.ListAuditEventsAsync(new ListAuditEventsRequest { PageSize = 1000 })).AuditEvents;
        var submit = Assert.Single(events, e => e.EventType == "CreateReferral" && e.Resources.Contains(created.Referral.Name));
        Assert.Contains(submit.Checks, c => c.Reference == "OPEN_REFERRAL_EXISTS");

        // The coach — Daan's regisseur — sees both open referrals across organisations in one plan, without free text.
        var plan = (await waakvlam.Referrals.GetClientPlanAsync(new GetClientPlanRequest { Client = client.Name })).Plan;
        Assert.Equal(client.Name, plan.Client);
        Assert.Equal("ahmed", plan.Coach.CoachId);
        Assert.Equal([first.Referral.Name, created.Referral.Name], plan.Referrals.Select(r => r.Name));
        Assert.Equal(["parties/hans-petrischool", "parties/wijkteam-zwijndrecht"], plan.Referrals.Select(r => r.Requester));
        Assert.Equal(PerformerStatus.Accepted, plan.Referrals[0].Performers[0].Status);
        Assert.All(plan.Referrals, r => Assert.Equal((string.Empty, string.Empty), (r.Reason, r.Strengths)));
        Assert.Equal(2, (await wijkteam.Referrals.GetClientPlanAsync(new GetClientPlanRequest { Client = client.Name })).Plan.Referrals.Count);

        // A party without a relationship reads nothing, and its own referral learns nothing of the others.
        await Errors.Expect(StatusCode.PermissionDenied, "NO_ROLE_FOR_CLIENT", () => stranger.Referrals.GetClientPlanAsync(new GetClientPlanRequest { Client = client.Name }).ResponseAsync);
        var strangers = await stranger.Referrals.CreateReferralAsync(new CreateReferralRequest { RequestId = NewRequestId(), Referral = Kit.CareReferral(client.Name, "begeleiding-plus") });
        Assert.Empty(strangers.Findings);

        // Begeleiding Plus declines the wijkteam's referral: Daan is already in care (WJ759 06, stapeling).
        await school.DrainAsync(acknowledge: true);
        await provider.Referrals.DeclineReferralAsync(new DeclineReferralRequest { RequestId = NewRequestId(), Name = created.Referral.Name, ReasonCode = "06" });
        var toWijkteam = Assert.Single(await wijkteam.DrainAsync(acknowledge: true), d => d.ReferralUpdate?.Referral == created.Referral.Name);
        Assert.Equal((PerformerStatus.Declined, "06"), (toWijkteam.ReferralUpdate.Status, toWijkteam.ReferralUpdate.ReasonCode));
        var toSchool = Assert.Single(await school.DrainAsync(acknowledge: true));
        Assert.Equal(Delivery.PayloadOneofCase.ThinNotice, toSchool.PayloadCase);
        Assert.Equal(("parties/begeleiding-plus", "DUPLICATE_REFERRAL_DECLINED"), (toSchool.ThinNotice.ContactParty, toSchool.Decision.Reason));

        // The duplicate is closed: the plan holds the school's referral (and the stranger's, still requested).
        plan = (await waakvlam.Referrals.GetClientPlanAsync(new GetClientPlanRequest { Client = client.Name })).Plan;
        Assert.DoesNotContain(plan.Referrals, r => r.Name == created.Referral.Name);
        Assert.Contains(plan.Referrals, r => r.Name == first.Referral.Name);
    }

    [Fact]
    public async Task AnOtherServiceOrAClosedReferral_IsNoDuplicate()
    {
        var school = _hub.As("hans-petrischool");
        var provider = _hub.As("begeleiding-plus");
        var client = await school.RegisterAsync(Kit.NewBsn(), Date(2007, 5, 3), "0642", "parties/hans-petrischool");
        var first = await school.Referrals.CreateReferralAsync(new CreateReferralRequest { RequestId = NewRequestId(), Referral = Kit.CareReferral(client.Name, "begeleiding-plus") });

        var other = await school.Referrals.CreateReferralAsync(new CreateReferralRequest { RequestId = NewRequestId(), Referral = Kit.CareReferral(client.Name, "dagbesteding-de-brug", ServiceKind.DayActivities) });
        Assert.Empty(other.Findings);

        await provider.Referrals.DeclineReferralAsync(new DeclineReferralRequest { RequestId = NewRequestId(), Name = first.Referral.Name, ReasonCode = "03" });
        var again = await school.Referrals.CreateReferralAsync(new CreateReferralRequest { RequestId = NewRequestId(), Referral = Kit.CareReferral(client.Name, "begeleiding-plus") });
        Assert.Empty(again.Findings);
        Assert.Empty(again.Referral.OpenReferrals);
    }
}

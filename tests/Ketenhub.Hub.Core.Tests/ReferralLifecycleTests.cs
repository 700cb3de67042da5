using Ketenhub.Hub.Common;
using Ketenhub.Hub.Messages;

namespace Ketenhub.Hub.Core.Tests;

public class ReferralLifecycleTests
{
    private static readonly Dictionary<(PerformerStatus, ReferralStep), PerformerStatus> Allowed = new()
    {
        [(PerformerStatus.Requested, ReferralStep.Accept)] = PerformerStatus.Accepted,
        [(PerformerStatus.Requested, ReferralStep.Decline)] = PerformerStatus.Declined,
        [(PerformerStatus.Accepted, ReferralStep.Start)] = PerformerStatus.Started,
        [(PerformerStatus.Started, ReferralStep.End)] = PerformerStatus.Ended,
    };

    public static TheoryData<PerformerStatus, ReferralStep> AllowedSteps()
    {
        var data = new TheoryData<PerformerStatus, ReferralStep>();
        foreach (var (status, step) in Allowed.Keys)
        {
            data.Add(status, step);
        }

        return data;
    }

    public static TheoryData<PerformerStatus, ReferralStep> ForbiddenSteps()
    {
        var data = new TheoryData<PerformerStatus, ReferralStep>();
        foreach (var status in Enum.GetValues<PerformerStatus>())
        {
            foreach (var step in Enum.GetValues<ReferralStep>())
            {
                if (!Allowed.ContainsKey((status, step)))
                {
                    data.Add(status, step);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllowedSteps))]
    public void AllowedStep_GivesNextStatus(PerformerStatus current, ReferralStep step) =>
        Assert.Equal(Allowed[(current, step)], ReferralLifecycle.Next(current, step));

    [Theory]
    [MemberData(nameof(ForbiddenSteps))]
    public void ForbiddenStep_GivesNull(PerformerStatus current, ReferralStep step) =>
        Assert.Null(ReferralLifecycle.Next(current, step));

    [Fact]
    public void StepTable_CoversEveryStatusAndStep()
    {
        // 6 statuses (with Unspecified) x 4 steps: 4 allowed, 20 forbidden. Guards the theories above
        // against an enum growing a member nobody looked at.
        Assert.Equal(6, Enum.GetValues<PerformerStatus>().Length);
        Assert.Equal(4, Enum.GetValues<ReferralStep>().Length);
        Assert.Equal(20, ForbiddenSteps().Count);
    }

    [Fact]
    public void FullHappyPath_EndsEnded()
    {
        PerformerStatus? status = PerformerStatus.Requested;
        foreach (var step in new[] { ReferralStep.Accept, ReferralStep.Start, ReferralStep.End })
        {
            status = ReferralLifecycle.Next(status!.Value, step);
        }

        Assert.Equal(PerformerStatus.Ended, status);
    }

    private static readonly DateTimeOffset Earlier = TestData.Now.AddDays(-3);

    private static ReferralRecord Referral(params PerformerState[] performers) =>
        new("ref_1", "cli_1", "school-a", ServiceKind.IndividualGuidance, "reason", [LifeDomain.Work], ReferralUrgency.Routine, "strengths", performers, null, Earlier, null);

    [Fact]
    public void Take_MovesOnlyTheCallersPerformer()
    {
        var other = new PerformerState("sd-zwijndrecht", PerformerStatus.Requested, null, Earlier);
        var mine = new PerformerState("provider-a", PerformerStatus.Requested, null, Earlier);
        var referral = Referral(other, mine);

        var change = ReferralLifecycle.Take(referral, "provider-a", ReferralStep.Accept, null, null, TestData.Now);

        Assert.Same(mine, change.Before);
        Assert.Equal(mine with { Status = PerformerStatus.Accepted, UpdateTime = TestData.Now }, change.After);
        Assert.Equal([other, change.After], change.Referral.Performers);
        Assert.Equal(referral with { Performers = change.Referral.Performers }, change.Referral);
        Assert.Equal([other, mine], referral.Performers);
    }

    [Fact]
    public void Take_StartWithoutDate_StartsOnTheDutchDateOfNow()
    {
        // 23:30 UTC on 14 January is already 15 January in Amsterdam.
        var now = new DateTimeOffset(2025, 1, 14, 23, 30, 0, TimeSpan.Zero);
        var referral = Referral(new PerformerState("provider-a", PerformerStatus.Accepted, null, Earlier));

        var change = ReferralLifecycle.Take(referral, "provider-a", ReferralStep.Start, null, null, now);

        Assert.Equal(PerformerStatus.Started, change.After.Status);
        Assert.Equal(new DateOnly(2025, 1, 15), change.After.StartDate);
        Assert.Null(change.After.EndDate);
    }

    [Fact]
    public void Take_EndWithDateAndReason_KeepsTheStartAndSetsTheEnd()
    {
        var started = new DateOnly(2024, 11, 1);
        var referral = Referral(new PerformerState("provider-a", PerformerStatus.Started, null, Earlier, started));

        var change = ReferralLifecycle.Take(referral, "provider-a", ReferralStep.End, "02", new DateOnly(2025, 1, 10), TestData.Now);

        Assert.Equal(new PerformerState("provider-a", PerformerStatus.Ended, "02", TestData.Now, started, new DateOnly(2025, 1, 10)), change.After);
    }

    [Fact]
    public void Take_WithoutReason_KeepsTheReasonItHad()
    {
        var referral = Referral(new PerformerState("provider-a", PerformerStatus.Accepted, "07", Earlier));

        var change = ReferralLifecycle.Take(referral, "provider-a", ReferralStep.Start, null, new DateOnly(2025, 1, 13), TestData.Now);

        Assert.Equal("07", change.After.ReasonCode);
        Assert.Equal(new DateOnly(2025, 1, 13), change.After.StartDate);
    }

    [Fact]
    public void Take_ByAPartyThatIsNoPerformer_IsDenied()
    {
        var referral = Referral(new PerformerState("provider-a", PerformerStatus.Requested, null, Earlier));

        var error = Assert.Throws<HubException>(() => ReferralLifecycle.Take(referral, "provider-b", ReferralStep.Accept, null, null, TestData.Now));

        Assert.Equal(ErrorReasons.NotAPerformer, error.Reason);
    }

    [Theory]
    [MemberData(nameof(ForbiddenSteps))]
    public void Take_AStepTheStatusDoesNotAllow_IsRefused(PerformerStatus current, ReferralStep step)
    {
        var referral = Referral(new PerformerState("provider-a", current, null, Earlier));

        var error = Assert.Throws<HubException>(() => ReferralLifecycle.Take(referral, "provider-a", step, "01", null, TestData.Now));

        Assert.Equal(ErrorReasons.IllegalReferralStep, error.Reason);
    }

    [Theory]
    [InlineData(ReferralStep.Accept, JourneyEventType.ReferralAccepted)]
    [InlineData(ReferralStep.Decline, JourneyEventType.ReferralDeclined)]
    [InlineData(ReferralStep.Start, JourneyEventType.ReferralStarted)]
    [InlineData(ReferralStep.End, JourneyEventType.ReferralEnded)]
    public void EachStep_IsRecordedAsItsJourneyEvent(ReferralStep step, JourneyEventType expected) =>
        Assert.Equal(expected, ReferralLifecycle.JourneyEventOf(step));
}

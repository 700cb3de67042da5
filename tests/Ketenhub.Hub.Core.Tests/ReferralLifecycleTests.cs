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
}

using Ketenhub.Cli.Tests.Infrastructure;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Cli.Tests;

/// <summary>The commands for the chain when life moves: a relocation, representatives and the client's plan, against a stand-in for the hub.</summary>
public sealed class ChainCommandTests
{
    private readonly FakeHub _hub = new();

    [Fact]
    public async Task Relocation_SendsTheNewMunicipality_AndADecisionWithoutRecipientReadsNobody()
    {
        _hub.On<CreateTransitionRequest, CreateTransitionResponse>(_ => new()
        {
            Transition = new Transition { Name = "transitions/trn_1" },
            Decisions = { new RecipientDecision { Outcome = RecipientOutcome.Blocked, Reason = "NO_SOCIAL_SERVICE", Explanation = "No social service is configured for municipality 0363." } },
        });

        var result = await Run("transition", "send", "--as", "waakvlam-zorg", "--client", "cli_0001", "--kind", "relocation", "--new-municipality", "0363", "--effective", "2026-04-01");

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Equal("0363", Assert.Single(_hub.Requests<CreateTransitionRequest>()).Transition.NewMunicipalityCode);
        result.LineWith("(nobody)", "BLOCKED", "NO_SOCIAL_SERVICE");
    }

    [Fact]
    public async Task RepresentativeAdd_SendsKindNameAndPeriod_AndPrintsTheName()
    {
        _hub.On<CreateRepresentativeRequest, CreateRepresentativeResponse>(r => new() { Representative = new Representative { Name = "representatives/rep_1", Kind = r.Representative.Kind, StartDate = r.Representative.StartDate } });

        var result = await Run("representative", "add", "--as", "sdd", "--client", "cli_0001", "--kind", "mentorship", "--name", "Mw. De Vries", "--start", "2025-09-01", "--end", "2030-09-01");

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Equal("representatives/rep_1", result.Output.Trim());
        var sent = Assert.Single(_hub.Requests<CreateRepresentativeRequest>()).Representative;
        Assert.Equal(("clients/cli_0001", RepresentationKind.Mentorship, "Mw. De Vries"), (sent.Client, sent.Kind, sent.DisplayName));
        Assert.Equal((2025, 9, 1, 2030), (sent.StartDate.Year, sent.StartDate.Month, sent.StartDate.Day, sent.EndDate.Year));
    }

    [Fact]
    public async Task Plan_PrintsEachOpenReferralWithItsPerformersAndLinks()
    {
        _hub.On<GetClientPlanRequest, GetClientPlanResponse>(_ => new()
        {
            Plan = new ClientPlan
            {
                Client = "clients/cli_0001",
                Coach = new Coach { DisplayName = "Ahmed", Party = "parties/waakvlam-zorg" },
                Referrals =
                {
                    new Referral { Name = "referrals/ref_1", Service = ServiceKind.IndividualGuidance, Requester = "parties/hans-petrischool", Performers = { new ReferralPerformer { Party = "parties/begeleiding-plus", Status = PerformerStatus.Accepted } } },
                    new Referral { Name = "referrals/ref_2", Service = ServiceKind.IndividualGuidance, Requester = "parties/wijkteam-zwijndrecht", Performers = { new ReferralPerformer { Party = "parties/begeleiding-plus", Status = PerformerStatus.Requested } }, OpenReferrals = { "referrals/ref_1" } },
                },
            },
        });

        var result = await Run("plan", "--as", "waakvlam-zorg", "--client", "cli_0001");

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Contains("Coach: Ahmed (waakvlam-zorg)", result.Output, StringComparison.Ordinal);
        result.LineWith("referrals/ref_1", "INDIVIDUAL_GUIDANCE", "hans-petrischool", "begeleiding-plus ACCEPTED");
        result.LineWith("referrals/ref_2", "wijkteam-zwijndrecht", "REQUESTED", "open next to referrals/ref_1");
        Assert.Equal("clients/cli_0001", Assert.Single(_hub.Requests<GetClientPlanRequest>()).Client);
    }

    private Task<CliResult> Run(params string[] args) => Tool.RunAsync(new Dictionary<string, string>(), _hub.Connect, args);
}

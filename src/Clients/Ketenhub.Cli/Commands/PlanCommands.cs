using System.CommandLine;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Cli.Commands;

/// <summary><c>plan</c>: the client's open referrals across organisations.</summary>
public static class PlanCommands
{
    public static Command Create(CliContext context)
    {
        var client = ClientCommands.ClientOption();
        var plan = new Command("plan", "Shows the client's plan: every open referral across organisations and where each performer stands (no free text). For the coach's organisation, or a party with a role under the client's consent for coordination.")
        {
            client,
        };
        context.SetAction(plan, async (call, parse, cancellationToken) =>
        {
            var response = await new ReferralService.ReferralServiceClient(call.Invoker).GetClientPlanAsync(
                new GetClientPlanRequest { Client = Names.Client(parse.GetValue(client)) },
                call.Unary(cancellationToken));
            if (call.Json)
            {
                call.WriteJson(response);
                return ExitCodes.Ok;
            }

            var coach = response.Plan.Coach;
            call.Host.Output.WriteLine(coach is null ? "No coach." : $"Coach: {coach.DisplayName} ({Names.ShortParty(coach.Party)})");
            if (response.Plan.Referrals.Count == 0)
            {
                call.Host.Output.WriteLine("No open referrals.");
            }

            foreach (var referral in response.Plan.Referrals)
            {
                var performers = string.Join(", ", referral.Performers.Select(p => $"{Names.ShortParty(p.Party)} {EnumNames<PerformerStatus>.Format(p.Status)}"));
                var linked = referral.OpenReferrals.Count == 0 ? string.Empty : $"  (open next to {string.Join(", ", referral.OpenReferrals)})";
                call.Host.Output.WriteLine($"{referral.Name}  {EnumNames<ServiceKind>.Format(referral.Service)}  requested by {Names.ShortParty(referral.Requester)} on {Render.Date(referral.CreateTime)}: {performers}{linked}");
            }

            return ExitCodes.Ok;
        });
        return plan;
    }
}

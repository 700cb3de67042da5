using System.CommandLine;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Cli.Commands;

/// <summary><c>client register</c>, <c>client report</c>, <c>coach assign</c> and <c>journey</c>.</summary>
public static class ClientCommands
{
    public static Command Client(CliContext context)
    {
        var bsn = CliOptions.Text("--bsn", "The client's burgerservicenummer (nine digits). Sent to the hub only; never printed.", required: true);
        var birthDate = CliOptions.Date("--birth-date", "The client's date of birth.", required: true);
        var municipality = CliOptions.Text("--municipality", "CBS code of the client's municipality, for example 0642 (Zwijndrecht).", required: true, helpName: "code");
        var school = CliOptions.Text("--school", "The school of record, a party id such as hans-petrischool.", helpName: "party");
        var register = new Command("register", "Registers a client by BSN and prints the client's name (clients/…). A known BSN gives the existing client.")
        {
            bsn, birthDate, municipality, school,
        };
        context.SetAction(register, async (call, parse, cancellationToken) =>
        {
            var request = new RegisterClientRequest
            {
                RequestId = call.NextRequestId(),
                Bsn = parse.GetValue(bsn)!.Trim(),
                BirthDate = Render.ToDate(parse.GetValue(birthDate)!.Value),
                MunicipalityCode = parse.GetValue(municipality)!.Trim(),
                School = Names.Party(parse.GetValue(school)),
            };
            var response = await new ClientService.ClientServiceClient(call.Invoker).RegisterClientAsync(request, call.Unary(cancellationToken));
            if (call.Json)
            {
                call.WriteJson(response);
                return ExitCodes.Ok;
            }

            call.Host.Output.WriteLine(response.Client.Name);
            if (response.AlreadyRegistered)
            {
                call.Note("Already registered: this is the existing client.");
            }

            return ExitCodes.Ok;
        });

        var reportClient = ClientOption();
        var report = new Command("report", "Prints the client's access report in plain Dutch: which organisations received what, when and why, and which consents hold. For the coach to go through with the client.")
        {
            reportClient,
        };
        context.SetAction(report, async (call, parse, cancellationToken) =>
        {
            var response = await new ClientService.ClientServiceClient(call.Invoker).GetClientAccessReportAsync(
                new GetClientAccessReportRequest { Client = Names.Client(parse.GetValue(reportClient)) },
                call.Unary(cancellationToken));
            if (call.Json)
            {
                call.WriteJson(response);
            }
            else
            {
                call.Host.Output.Write(response.Report.Text);
            }

            return ExitCodes.Ok;
        });

        return new Command("client", "Clients of the chain.") { register, report };
    }

    public static Command Coach(CliContext context)
    {
        var client = ClientOption();
        var coachId = CliOptions.Text("--coach-id", "The coach's id within the calling party (employee number or user name).", required: true, helpName: "id");
        var name = CliOptions.Text("--name", "The coach's name.", required: true);
        var phone = CliOptions.Text("--phone", "The coach's work phone number.");
        var email = CliOptions.Text("--email", "The coach's work e-mail address.");
        var coachParty = CliOptions.Text("--coach-party", "The care provider that employs the coach (default: the calling party). A school, social service or wijkteam names a provider's coach as the client's first coach.", helpName: "party");
        var assign = new Command("assign", "Assigns a coach to the client, or changes the coach explicitly. The coach works for --coach-party (default: the calling party, --as).")
        {
            client, coachId, name, phone, email, coachParty,
        };
        context.SetAction(assign, async (call, parse, cancellationToken) =>
        {
            var request = new AssignCoachRequest
            {
                RequestId = call.NextRequestId(),
                Client = Names.Client(parse.GetValue(client)),
                Coach = new Contracts.V1.Coach
                {
                    Party = Names.Party(parse.GetValue(coachParty)?.Trim() is { Length: > 0 } employer ? employer : call.Party),
                    CoachId = parse.GetValue(coachId)!.Trim(),
                    DisplayName = parse.GetValue(name)!.Trim(),
                    Phone = parse.GetValue(phone)?.Trim() ?? string.Empty,
                    Email = parse.GetValue(email)?.Trim() ?? string.Empty,
                },
            };
            var response = await new ClientService.ClientServiceClient(call.Invoker).AssignCoachAsync(request, call.Unary(cancellationToken));
            if (call.Json)
            {
                call.WriteJson(response);
                return ExitCodes.Ok;
            }

            var team = response.CareTeam;
            var coach = team.Coach;
            call.Host.Output.WriteLine($"Coach {coach?.DisplayName} ({Names.ShortParty(coach?.Party)}, {coach?.CoachId}) is the coach of {team.Client}.");
            call.Host.Output.WriteLine($"Care team: {string.Join(", ", team.Parties.Select(Names.ShortParty))}");
            if (response.HandoverTaskCreated)
            {
                call.Host.Output.WriteLine("The previous coach got a handover task.");
            }

            return ExitCodes.Ok;
        });

        return new Command("coach", "The client's coach.") { assign };
    }

    public static Command Journey(CliContext context)
    {
        var client = ClientOption();
        var journey = new Command("journey", "Lists the client's journey across organisations, oldest first. Needs a current role and a consent for coaching.")
        {
            client,
        };
        context.SetAction(journey, async (call, parse, cancellationToken) =>
        {
            var service = new ClientService.ClientServiceClient(call.Invoker);
            var all = new ListJourneyEventsResponse();
            var token = string.Empty;
            do
            {
                var page = await service.ListJourneyEventsAsync(
                    new ListJourneyEventsRequest { Client = Names.Client(parse.GetValue(client)), PageSize = 1000, PageToken = token },
                    call.Unary(cancellationToken));
                all.Events.Add(page.Events);
                token = page.NextPageToken;
            }
            while (token.Length > 0);

            if (call.Json)
            {
                call.WriteJson(all);
            }
            else
            {
                Render.Journey(call.Console, all.Events);
            }

            return ExitCodes.Ok;
        });
        return journey;
    }

    /// <summary>The required <c>--client</c> option: a client name (<c>clients/…</c>) or its bare id.</summary>
    public static Option<string> ClientOption(bool required = true) =>
        CliOptions.Text("--client", "The client: the name register printed (clients/…) or its id.", required, helpName: "client");
}

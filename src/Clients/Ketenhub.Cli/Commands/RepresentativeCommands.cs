using System.CommandLine;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Cli.Commands;

/// <summary><c>representative add</c>, <c>representative end</c> and <c>representative list</c>: a client's legal representatives.</summary>
public static class RepresentativeCommands
{
    public static Command Create(CliContext context)
    {
        var addClient = ClientCommands.ClientOption();
        var kind = CliOptions.Enum<RepresentationKind>("--kind", "The kind of representation: parental_authority or guardianship for a minor; mentorship, curatorship or administration for an adult.", required: true);
        var name = CliOptions.Text("--name", "The representative's name, as the client knows them.", required: true);
        var start = CliOptions.Date("--start", "The first day the representation holds.", required: true);
        var end = CliOptions.Date("--end", "The first day it no longer holds (default: no end).");
        var add = new Command("add", "Records a legal representative of the client. A parent's, guardian's, mentor's, curator's or administrator's consent counts only while its representation holds.")
        {
            addClient, kind, name, start, end,
        };
        context.SetAction(add, async (call, parse, cancellationToken) =>
        {
            var representative = new Representative
            {
                Client = Names.Client(parse.GetValue(addClient)),
                Kind = parse.GetValue(kind)!.Value,
                DisplayName = parse.GetValue(name)!.Trim(),
                StartDate = Render.ToDate(parse.GetValue(start)!.Value),
            };
            if (parse.GetValue(end) is { } until)
            {
                representative.EndDate = Render.ToDate(until);
            }

            var response = await new ClientService.ClientServiceClient(call.Invoker).CreateRepresentativeAsync(
                new CreateRepresentativeRequest { RequestId = call.NextRequestId(), Representative = representative },
                call.Unary(cancellationToken));
            if (call.Json)
            {
                call.WriteJson(response);
                return ExitCodes.Ok;
            }

            call.Host.Output.WriteLine(response.Representative.Name);
            call.Note($"{EnumNames<RepresentationKind>.Format(response.Representative.Kind)} from {Render.Date(response.Representative.StartDate)}" + (response.Representative.Current ? "; holds today." : "; does not hold today."));
            return ExitCodes.Ok;
        });

        var endClient = ClientCommands.ClientOption();
        var which = CliOptions.Text("--representative", "The representation to end: the name add printed (representatives/…).", required: true, helpName: "representative");
        var endDate = CliOptions.Date("--end", "The first day it no longer holds (default: today).");
        var finish = new Command("end", "Ends a representation. The consents that rest on it stop counting from then on.")
        {
            endClient, which, endDate,
        };
        context.SetAction(finish, async (call, parse, cancellationToken) =>
        {
            var request = new EndRepresentativeRequest
            {
                RequestId = call.NextRequestId(),
                Client = Names.Client(parse.GetValue(endClient)),
                Name = parse.GetValue(which)!.Trim(),
            };
            if (parse.GetValue(endDate) is { } until)
            {
                request.EndDate = Render.ToDate(until);
            }

            var response = await new ClientService.ClientServiceClient(call.Invoker).EndRepresentativeAsync(request, call.Unary(cancellationToken));
            if (call.Json)
            {
                call.WriteJson(response);
                return ExitCodes.Ok;
            }

            call.Host.Output.WriteLine($"{response.Representative.Name} ends on {Render.Date(response.Representative.EndDate)}.");
            return ExitCodes.Ok;
        });

        var listClient = ClientCommands.ClientOption();
        var list = new Command("list", "Lists the client's legal representatives, current and past.")
        {
            listClient,
        };
        context.SetAction(list, async (call, parse, cancellationToken) =>
        {
            var response = await new ClientService.ClientServiceClient(call.Invoker).ListRepresentativesAsync(
                new ListRepresentativesRequest { Client = Names.Client(parse.GetValue(listClient)) },
                call.Unary(cancellationToken));
            if (call.Json)
            {
                call.WriteJson(response);
                return ExitCodes.Ok;
            }

            if (response.Representatives.Count == 0)
            {
                call.Host.Output.WriteLine("No representatives recorded.");
            }

            foreach (var r in response.Representatives)
            {
                var until = r.EndDate is null ? string.Empty : " until " + Render.Date(r.EndDate);
                call.Host.Output.WriteLine($"{r.Name}  {EnumNames<RepresentationKind>.Format(r.Kind)}  {r.DisplayName}  from {Render.Date(r.StartDate)}{until}{(r.Current ? "  (holds today)" : string.Empty)}");
            }

            return ExitCodes.Ok;
        });

        return new Command("representative", "A client's legal representatives (parental authority, guardianship, mentorship, curatorship, administration).") { add, finish, list };
    }
}

using System.CommandLine;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Cli.Commands;

/// <summary><c>consent grant</c>, <c>consent list</c> and <c>consent withdraw</c>.</summary>
public static class ConsentCommands
{
    public static Command Create(CliContext context) => new("consent", "Consents the client or a representative gave.")
    {
        Grant(context),
        List(context),
        Withdraw(context),
    };

    private static Command Grant(CliContext context)
    {
        var client = ClientCommands.ClientOption();
        var grantor = CliOptions.Enum<GrantorRole>("--grantor", "Who gave the consent.", required: true);
        var to = CliOptions.Text("--to", "The recipient party's id, for example sdd.", required: true, helpName: "party");
        var purposes = CliOptions.Enums<Purpose>("--purpose", "The purposes the consent covers.", required: true);
        var categories = CliOptions.Enums<DataCategory>("--category", "The data categories the consent covers.", required: true);
        var start = CliOptions.Date("--start", "First day the consent counts (Dutch time); default now. A parent's consent needs a day before the client turned 18.");
        var end = CliOptions.Date("--end", "Day the consent stops counting (Dutch time); default no end.");
        var grant = new Command("grant", "Records a consent and prints its name (consents/…). Deliveries that waited for it are released.")
        {
            client, grantor, to, purposes, categories, start, end,
        };
        context.SetAction(grant, async (call, parse, cancellationToken) =>
        {
            var request = new GrantConsentRequest { RequestId = call.NextRequestId(), Consent = BuildConsent(parse, client, grantor, to, purposes, categories, start, end) };
            var response = await new ConsentService.ConsentServiceClient(call.Invoker).GrantConsentAsync(request, call.Unary(cancellationToken));
            if (call.Json)
            {
                call.WriteJson(response);
                return ExitCodes.Ok;
            }

            call.Host.Output.WriteLine(response.Consent.Name);
            call.Note($"State {EnumNames<ConsentState>.Format(response.Consent.State)}; {response.ReleasedDeliveries} waiting deliveries released.");
            return ExitCodes.Ok;
        });
        return grant;
    }

    /// <summary>The consent the grant options describe.</summary>
    public static Consent BuildConsent(
        ParseResult parse,
        Option<string> client,
        Option<GrantorRole?> grantor,
        Option<string> to,
        Option<Purpose[]> purposes,
        Option<DataCategory[]> categories,
        Option<DateOnly?> start,
        Option<DateOnly?> end)
    {
        var consent = new Consent
        {
            Client = Names.Client(parse.GetValue(client)),
            GrantorRole = parse.GetValue(grantor) ?? GrantorRole.Unspecified,
            RecipientParty = Names.Party(parse.GetValue(to)),
        };
        consent.Purposes.Add(parse.GetValue(purposes) ?? []);
        consent.DataCategories.Add(parse.GetValue(categories) ?? []);
        if (parse.GetValue(start) is { } from)
        {
            consent.StartTime = Render.StartOfDutchDay(from);
        }

        if (parse.GetValue(end) is { } until)
        {
            consent.EndTime = Render.StartOfDutchDay(until);
        }

        return consent;
    }

    private static Command List(CliContext context)
    {
        var client = ClientCommands.ClientOption();
        var list = new Command("list", "Lists the client's consents with their state now.") { client };
        context.SetAction(list, async (call, parse, cancellationToken) =>
        {
            var response = await new ConsentService.ConsentServiceClient(call.Invoker).ListConsentsAsync(
                new ListConsentsRequest { Client = Names.Client(parse.GetValue(client)) },
                call.Unary(cancellationToken));
            if (call.Json)
            {
                call.WriteJson(response);
            }
            else
            {
                Render.Consents(call.Host.Output, response.Consents);
            }

            return ExitCodes.Ok;
        });
        return list;
    }

    private static Command Withdraw(CliContext context)
    {
        var name = CliOptions.Text("--name", "The consent: the name grant printed (consents/…) or its id.", required: true, helpName: "consent");
        var withdraw = new Command("withdraw", "Withdraws a consent at once; undelivered content it allowed is withheld.") { name };
        context.SetAction(withdraw, async (call, parse, cancellationToken) =>
        {
            var response = await new ConsentService.ConsentServiceClient(call.Invoker).WithdrawConsentAsync(
                new WithdrawConsentRequest { RequestId = call.NextRequestId(), Name = Names.Consent(parse.GetValue(name)) },
                call.Unary(cancellationToken));
            if (call.Json)
            {
                call.WriteJson(response);
                return ExitCodes.Ok;
            }

            call.Host.Output.WriteLine($"{response.Consent.Name} withdrawn ({EnumNames<ConsentState>.Format(response.Consent.State)}); {response.WithheldDeliveries} undelivered deliveries withheld.");
            return ExitCodes.Ok;
        });
        return withdraw;
    }
}

using System.CommandLine;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Cli.Commands;

/// <summary><c>transition send</c>, <c>signal send</c> and <c>explain transition|signal</c>.</summary>
public static class MessageCommands
{
    public static Command Transition(CliContext context)
    {
        var options = new TransitionOptions();
        var send = new Command("send", "Announces a transition (with an optional referral) and prints what each recipient gets, and why.");
        options.AddTo(send);
        context.SetAction(send, async (call, parse, cancellationToken) =>
        {
            var request = new CreateTransitionRequest { Transition = options.Build(parse), RequestId = call.NextRequestId() };
            var response = await new TransitionService.TransitionServiceClient(call.Invoker).CreateTransitionAsync(request, call.Unary(cancellationToken));
            if (call.Json)
            {
                call.WriteJson(response);
                return ExitCodes.Ok;
            }

            var coach = response.Transition.Coach;
            call.Host.Output.WriteLine($"Transition {response.Transition.Name} announced." + (coach is null ? " The client has no coach." : $" Coach after the transition: {coach.DisplayName} ({Names.ShortParty(coach.Party)})."));
            Render.Decisions(call.Console, response.Decisions);
            foreach (var referral in response.ReferralDecisions)
            {
                call.Host.Output.WriteLine($"Referral {referral.Referral}:");
                Render.Decisions(call.Console, referral.Decisions);
            }

            return ExitCodes.Ok;
        });
        return new Command("transition", "Transitions: the client moves between organisations.") { send };
    }

    public static Command Signal(CliContext context)
    {
        var options = new SignalOptions();
        var send = new Command("send", "Raises a signal and prints what each recipient gets, and why.");
        options.AddTo(send);
        context.SetAction(send, async (call, parse, cancellationToken) =>
        {
            var request = new CreateSignalRequest { Signal = options.Build(parse), RequestId = call.NextRequestId() };
            var response = await new SignalService.SignalServiceClient(call.Invoker).CreateSignalAsync(request, call.Unary(cancellationToken));
            if (call.Json)
            {
                call.WriteJson(response);
                return ExitCodes.Ok;
            }

            call.Host.Output.WriteLine($"Signal {response.Signal.Name} raised.");
            Render.Decisions(call.Console, response.Decisions);
            return ExitCodes.Ok;
        });
        return new Command("signal", "Signals: early warnings about a client.") { send };
    }

    public static Command Explain(CliContext context)
    {
        var transitionOptions = new TransitionOptions();
        var transitionProspective = new ProspectiveOptions();
        var transition = new Command("transition", "Shows which rules match a draft transition (and each referral it carries) and what each recipient would get, and why. Sends nothing. For a client the hub does not know yet, give --birth-date and --municipality instead of --client.");
        transitionOptions.AddTo(transition);
        transitionProspective.AddTo(transition);
        context.SetAction(transition, async (call, parse, cancellationToken) =>
        {
            var draft = transitionOptions.Build(parse, clientRequired: false);
            var prospective = transitionProspective.Build(parse, draft.Client);
            await ExplainAsync(call, new ExplainMessageRequest { Transition = draft, ProspectiveClient = prospective }, "Transition", cancellationToken);

            // The hub explains a transition without the referrals it carries; explain each referral on its own.
            foreach (var referral in draft.Referrals)
            {
                var alone = referral.Clone();
                alone.Client = draft.Client;
                var title = $"Referral for {EnumNames<ServiceKind>.Format(referral.Service)} to {string.Join(", ", referral.Performers.Select(p => Names.ShortParty(p.Party)))}";
                await ExplainAsync(call, new ExplainMessageRequest { Referral = alone, ProspectiveClient = prospective }, title, cancellationToken);
            }

            return ExitCodes.Ok;
        });

        var signalOptions = new SignalOptions(clientRequired: false);
        var signalProspective = new ProspectiveOptions();
        var signal = new Command("signal", "Shows which rules match a draft signal and what each recipient would get, and why. Sends nothing. For a client the hub does not know yet, give --birth-date and --municipality instead of --client.");
        signalOptions.AddTo(signal);
        signalProspective.AddTo(signal);
        context.SetAction(signal, async (call, parse, cancellationToken) =>
        {
            var draft = signalOptions.Build(parse);
            var prospective = signalProspective.Build(parse, draft.Client);
            await ExplainAsync(call, new ExplainMessageRequest { Signal = draft, ProspectiveClient = prospective }, "Signal", cancellationToken);
            return ExitCodes.Ok;
        });

        return new Command("explain", "Asks the hub what it would do with a message, without sending it.") { transition, signal };
    }

    /// <summary>Explains one draft. With --json every explanation is its own JSON document, the transition's first.</summary>
    private static async Task ExplainAsync(Invocation call, ExplainMessageRequest request, string title, CancellationToken cancellationToken)
    {
        var response = await new ExplainService.ExplainServiceClient(call.Invoker).ExplainMessageAsync(request, call.Unary(cancellationToken));
        if (call.Json)
        {
            call.WriteJson(response);
            return;
        }

        if (request.DraftCase == ExplainMessageRequest.DraftOneofCase.Referral)
        {
            call.Host.Output.WriteLine();
        }

        call.Host.Output.WriteLine($"{title}: matched rules");
        Render.MatchedRules(call.Console, response.MatchedRules);
        call.Host.Output.WriteLine($"{title}: decisions");
        Render.Decisions(call.Console, response.Decisions);
    }
}

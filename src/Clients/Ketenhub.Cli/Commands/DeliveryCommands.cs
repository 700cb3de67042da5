using System.CommandLine;
using System.Globalization;
using Grpc.Core;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Cli.Commands;

/// <summary><c>deliveries tail</c>: the calling party's delivery stream.</summary>
public static class DeliveryCommands
{
    public static Command Create(CliContext context)
    {
        var after = new Option<long>("--after")
        {
            Description = "Sent as after_sequence, a hint only: the hub sends every unacknowledged delivery whatever it holds.",
            HelpName = "sequence",
        };
        var ack = new Option<bool>("--ack") { Description = "Acknowledge each delivery once printed." };
        var count = CliOptions.Number("--count", "Stop after this many deliveries.", minimum: 1);
        var timeout = CliOptions.Number("--timeout", "Stop when no delivery arrived for this many seconds. Without it (and without --count) the tail runs until Ctrl+C.", minimum: 1, helpName: "seconds");
        var tail = new Command("tail", "Prints the calling party's deliveries as they arrive: first the unacknowledged ones, then new ones.")
        {
            after, ack, count, timeout,
        };
        context.SetAction(tail, (call, parse, cancellationToken) =>
            TailAsync(call, parse.GetValue(after), parse.GetValue(ack), parse.GetValue(count), parse.GetValue(timeout), cancellationToken));
        return new Command("deliveries", "The calling party's deliveries.") { tail, SetAside(context) };
    }

    /// <summary><c>deliveries set-aside list</c> and <c>replay</c>: deliveries set aside after repeated failed attempts.</summary>
    private static Command SetAside(CliContext context)
    {
        var recipient = CliOptions.Text("--recipient", "Whose set-aside deliveries to list, a party id; defaults to the caller's own. Another party's need the admin role.", helpName: "party");
        var client = ClientCommands.ClientOption(required: false);
        var list = new Command("list", "Lists the deliveries set aside after repeated failed attempts, oldest first.") { recipient, client };
        context.SetAction(list, async (call, parse, cancellationToken) =>
        {
            var service = new DeliveryService.DeliveryServiceClient(call.Invoker);
            var all = new ListDeliveriesResponse();
            var token = string.Empty;
            do
            {
                var page = await service.ListDeliveriesAsync(
                    new ListDeliveriesRequest
                    {
                        Status = DeliveryStatus.SetAside,
                        Recipient = Names.Party(parse.GetValue(recipient)),
                        Client = Names.Client(parse.GetValue(client)),
                        PageSize = 1000,
                        PageToken = token,
                    },
                    call.Unary(cancellationToken));
                all.Deliveries.Add(page.Deliveries);
                token = page.NextPageToken;
            }
            while (token.Length > 0);

            if (call.Json)
            {
                call.WriteJson(all);
                return ExitCodes.Ok;
            }

            if (all.Deliveries.Count == 0)
            {
                call.Host.Output.WriteLine("No set-aside deliveries.");
                return ExitCodes.Ok;
            }

            call.Host.Output.WriteLine(SetAsideRow("DELIVERY", "SEQ", "RECIPIENT", "CLIENT", "SENDER", "ATTEMPTS", "CREATED"));
            foreach (var d in all.Deliveries)
            {
                call.Host.Output.WriteLine(SetAsideRow(d.Name, d.Sequence.ToString(CultureInfo.InvariantCulture), Names.ShortParty(d.Recipient), d.Client, Names.ShortParty(d.Sender), d.AttemptCount.ToString(CultureInfo.InvariantCulture), Render.Time(d.CreateTime)));
            }

            call.Note($"{all.Deliveries.Count} set-aside deliveries.");
            return ExitCodes.Ok;
        });

        var name = new Argument<string>("delivery") { Description = "The set-aside delivery: deliveries/… or its id." };
        var replay = new Command("replay", "Puts a set-aside delivery back in its recipient's queue (the recipient itself, or an admin).") { name };
        context.SetAction(replay, async (call, parse, cancellationToken) =>
        {
            var delivery = Names.Resource("deliveries", parse.GetValue(name));
            var response = await new DeliveryService.DeliveryServiceClient(call.Invoker).ReplayDeliveryAsync(
                new ReplayDeliveryRequest { RequestId = call.NextRequestId(), Name = delivery },
                call.Unary(cancellationToken));
            if (call.Json)
            {
                call.WriteJson(response);
            }
            else
            {
                call.Host.Output.WriteLine($"{delivery} {EnumNames<DeliveryStatus>.Format(response.Status)}");
            }

            return ExitCodes.Ok;
        });

        return new Command("set-aside", "Deliveries set aside after repeated failed attempts: list them, replay one.") { list, replay };
    }

    private static string SetAsideRow(string name, string sequence, string recipient, string client, string sender, string attempts, string created) =>
        $"{name,-47} {sequence,6} {recipient,-22} {client,-44} {sender,-22} {attempts,8} {created}".TrimEnd();

    private static async Task<int> TailAsync(Invocation call, long after, bool acknowledge, int? count, int? idleSeconds, CancellationToken cancellationToken)
    {
        var service = new DeliveryService.DeliveryServiceClient(call.Invoker);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var stream = service.StreamDeliveries(new StreamDeliveriesRequest { AfterSequence = after }, cancellationToken: stop.Token);
        var received = 0;
        var idle = false;
        if (!call.Json)
        {
            call.Host.Output.WriteLine(Row("DELIVERY", "SEQ", "KIND", "CLIENT", "OUTCOME", "DETAIL"));
        }

        while (count is null || received < count)
        {
            var next = stream.ResponseStream.MoveNext(CancellationToken.None);
            if (idleSeconds is { } seconds)
            {
                var finished = await Task.WhenAny(next, Task.Delay(TimeSpan.FromSeconds(seconds), cancellationToken)).ConfigureAwait(false);
                if (finished != next)
                {
                    // The pending read ends with the call below; observe it so its cancellation is not reported as unobserved.
                    _ = next.ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                    idle = !cancellationToken.IsCancellationRequested;
                    break;
                }
            }

            bool more;
            try
            {
                more = await next.ConfigureAwait(false);
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
            {
                break;
            }

            if (!more)
            {
                break;
            }

            var response = stream.ResponseStream.Current;
            var delivery = response.Delivery;
            received++;
            var acknowledged = string.Empty;
            if (acknowledge)
            {
                var ackResponse = await service.AcknowledgeDeliveryAsync(
                    new AcknowledgeDeliveryRequest { RequestId = call.NextRequestId(), Name = delivery.Name },
                    call.Unary(cancellationToken));
                acknowledged = EnumNames<DeliveryStatus>.Format(ackResponse.Status);
            }

            if (call.Json)
            {
                call.WriteJsonLine(response);
            }
            else
            {
                call.Host.Output.WriteLine(Row(
                    delivery.Name,
                    delivery.Sequence.ToString(CultureInfo.InvariantCulture),
                    Kind(delivery),
                    delivery.Client,
                    EnumNames<RecipientOutcome>.Format(delivery.Decision?.Outcome ?? RecipientOutcome.Unspecified),
                    Detail(delivery) + (acknowledged.Length > 0 ? $" [{acknowledged}]" : string.Empty)));
            }

            await call.Host.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        await stop.CancelAsync().ConfigureAwait(false);
        var why = count is not null && received >= count ? "count reached"
            : idle ? $"idle for {idleSeconds} s"
            : cancellationToken.IsCancellationRequested ? "cancelled"
            : "stream ended";
        call.Note($"{received} deliveries{(acknowledge ? " received and acknowledged" : " received")} ({why}).");
        return ExitCodes.Ok;
    }

    /// <summary>What the delivery carries, as output shows it.</summary>
    public static string Kind(Delivery delivery) => delivery.PayloadCase switch
    {
        Delivery.PayloadOneofCase.Transition => "TRANSITION",
        Delivery.PayloadOneofCase.Referral => "REFERRAL",
        Delivery.PayloadOneofCase.Signal => "SIGNAL",
        Delivery.PayloadOneofCase.ThinNotice => "THIN_NOTICE",
        Delivery.PayloadOneofCase.Task => "TASK",
        Delivery.PayloadOneofCase.ReferralUpdate => "REFERRAL_UPDATE",
        _ => "NONE",
    };

    /// <summary>A short, coded summary of the payload; free text (summaries, reasons, descriptions) is left out.</summary>
    public static string Detail(Delivery delivery) => delivery.PayloadCase switch
    {
        Delivery.PayloadOneofCase.Transition => $"{delivery.Transition.Name} {EnumNames<TransitionKind>.Format(delivery.Transition.Kind)} effective {Render.Date(delivery.Transition.EffectiveDate)}{CoachOf(delivery)}",
        Delivery.PayloadOneofCase.Referral => $"{delivery.Referral.Name} {EnumNames<ServiceKind>.Format(delivery.Referral.Service)}{CoachOf(delivery)}",
        Delivery.PayloadOneofCase.Signal => $"{delivery.Signal.Name} {EnumNames<SignalKind>.Format(delivery.Signal.Kind)} {EnumNames<LifeDomain>.Format(delivery.Signal.LifeDomain)} {EnumNames<SignalSeverity>.Format(delivery.Signal.Severity)}",
        Delivery.PayloadOneofCase.ThinNotice => $"contact {Names.ShortParty(delivery.ThinNotice.ContactParty)} about {EnumNames<LifeDomain>.Format(delivery.ThinNotice.LifeDomain)}",
        Delivery.PayloadOneofCase.Task => $"{EnumNames<TaskKind>.Format(delivery.Task.Kind)} {string.Join(" ", delivery.Task.Resources)}",
        Delivery.PayloadOneofCase.ReferralUpdate => $"{delivery.ReferralUpdate.Referral} {EnumNames<PerformerStatus>.Format(delivery.ReferralUpdate.Status)} by {Names.ShortParty(delivery.ReferralUpdate.Performer)}",
        _ => string.Empty,
    };

    private static string CoachOf(Delivery delivery) =>
        delivery.Coach is { } coach ? $", coach {coach.DisplayName} ({Names.ShortParty(coach.Party)})" : string.Empty;

    private static string Row(string name, string sequence, string kind, string client, string outcome, string detail) =>
        $"{name,-47} {sequence,4} {kind,-15} {client,-44} {outcome,-16} {detail}".TrimEnd();
}

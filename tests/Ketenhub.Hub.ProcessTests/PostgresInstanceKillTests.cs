using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.Testing;
using Ketenhub.Testing.Postgres;
using static Ketenhub.Testing.HubProcessClient;

namespace Ketenhub.ProcessTests;

/// <summary>
/// Two hub processes on one PostgreSQL database under load, one of them killed with SIGKILL mid-load and started again:
/// every submit either instance acknowledged reaches the coach's stream on the other; a submit whose answer was lost
/// with the killed instance, sent again with the same request id to the surviving one, has one effect and one answer;
/// and a signal that reaches the stream more than once comes back under the same delivery id (a redelivery, never a
/// second delivery).
/// </summary>
public sealed class PostgresInstanceKillTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int SubmitsPerInstance = 40;

    [Fact]
    public async Task KillingOneOfTwoInstancesMidLoad_LosesNothingAcknowledged_AndDeliversNothingTwice()
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var ct = bound.Token;
        var database = await PostgresCluster.Shared.CreateDatabaseAsync(ct);
        var settings = new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "Postgres",
            ["Storage:ConnectionString"] = database,
        };
        using var a = new HubProcess(settings: settings);
        using var b = new HubProcess(settings: settings);
        await Task.WhenAll(a.StartAsync(ct), b.StartAsync(ct));

        // A client of Dordrecht with coach Lisa at Waakvlam Zorg, who may receive the content of money signals.
        var bsn = Bsns.Next();
        var atSdd = (await b.As("sdd").RegisterAsync(bsn, Date(1994, 11, 2), "0505", ct)).Name;
        await b.As("sdd").AssignCoachAsync(atSdd, "lisa", "Lisa", ct, coachParty: "waakvlam-zorg");
        var coachOnB = b.As("waakvlam-zorg");
        var atCoach = (await coachOnB.RegisterAsync(bsn, Date(1994, 11, 2), "0505", ct)).Name;
        await coachOnB.GrantAsync(atCoach, GrantorRole.Client, "waakvlam-zorg", Purpose.SignalFollowUp, DataCategory.Finances, ct);

        // The coach reads and acknowledges on B throughout; every delivery seen is kept with its signal.
        var seen = new List<(string Signal, string Delivery)>();
        using var tail = coachOnB.Tail(ct);
        using var stopReading = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var reader = Task.Run(
            async () =>
            {
                while (!stopReading.IsCancellationRequested)
                {
                    List<Delivery> batch;
                    try
                    {
                        batch = await tail.CollectUntilQuietAsync(TimeSpan.FromMilliseconds(300), stopReading.Token);
                    }
                    catch (OperationCanceledException) when (stopReading.IsCancellationRequested)
                    {
                        return;
                    }

                    foreach (var delivery in batch)
                    {
                        lock (seen)
                        {
                            seen.Add((delivery.Signal?.Name ?? string.Empty, delivery.Name));
                        }

                        await coachOnB.AcknowledgeAsync(delivery, ct);
                    }
                }
            },
            ct);

        // Four senders on each instance. A is killed once a third of its submits were answered, with calls in flight
        // (their answers are lost whether or not they were committed), and started again a second later.
        var acknowledged = new List<string>();
        var lost = new List<CreateSignalRequest>();
        var answeredByA = 0;
        var killed = new TaskCompletionSource();
        var killTime = DateTimeOffset.MaxValue;
        async Task SendAsync(HubProcess hub, bool onA)
        {
            for (var i = 0; i < SubmitsPerInstance / 4; i++)
            {
                var request = Arrears();
                try
                {
                    var answer = await hub.As("sdd").Signals.CreateSignalAsync(request, deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: ct);
                    lock (acknowledged)
                    {
                        acknowledged.Add(answer.Signal.Name);
                    }

                    if (onA && Interlocked.Increment(ref answeredByA) == SubmitsPerInstance / 3)
                    {
                        killed.TrySetResult();
                    }
                }
                catch (RpcException e) when (onA && e.StatusCode is StatusCode.Unavailable or StatusCode.Internal or StatusCode.Cancelled or StatusCode.DeadlineExceeded)
                {
                    // The answer was lost with the instance (or it was down): whether the submit took effect is unknown.
                    lock (lost)
                    {
                        lost.Add(request);
                    }

                    await Task.Delay(100, ct);
                }
            }
        }

        // The kill lands on a burst of calls to A over a connection already open, as the first of them is answered, so that
        // some are committed and their answers lost.
        const int Burst = 20;
        var sddOnA = a.As("sdd");
        await sddOnA.Parties.GetPartyAsync(new GetPartyRequest { Name = "parties/sdd" }, deadline: Deadline(), cancellationToken: ct);
        async Task KillAndRestartAAsync()
        {
            await killed.Task.WaitAsync(ct);
            var calls = Enumerable.Range(0, Burst).Select(_ => Arrears()).Select(r => (Request: r, Answer: sddOnA.Signals.CreateSignalAsync(r, deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: ct).ResponseAsync)).ToList();
            // The moment the first answer arrives, the others committed with it in the same group are on their way.
            await Task.WhenAny(calls.Select(c => c.Answer));
            killTime = DateTimeOffset.UtcNow;
            Assert.Equal(HubProcess.SigKillExitCode, a.Kill());
            foreach (var (request, answer) in calls)
            {
                try
                {
                    var signal = (await answer).Signal.Name;
                    lock (acknowledged)
                    {
                        acknowledged.Add(signal);
                    }
                }
                catch (RpcException)
                {
                    lock (lost)
                    {
                        lost.Add(request);
                    }
                }
            }

            await Task.Delay(TimeSpan.FromSeconds(1), ct);
            await a.StartAsync(ct);
        }

        CreateSignalRequest Arrears() => new()
        {
            RequestId = NewRequestId(),
            Signal = new Signal { Client = atSdd, Kind = SignalKind.PaymentArrears, LifeDomain = LifeDomain.Finances, Severity = SignalSeverity.Concern, Description = "Arrears." },
        };

        await Task.WhenAll([
            .. Enumerable.Range(0, 4).Select(_ => SendAsync(a, onA: true)),
            .. Enumerable.Range(0, 4).Select(_ => SendAsync(b, onA: false)),
            KillAndRestartAAsync()]);
        Assert.NotEmpty(lost);

        // Each lost submit sent again, with its own request id, to B: one effect (the first one's, when it was committed
        // before the kill), and the same answer when sent twice.
        var committedBeforeTheKill = 0;
        foreach (var request in lost)
        {
            var first = await b.As("sdd").Signals.CreateSignalAsync(request, deadline: Deadline(), cancellationToken: ct);
            var again = await b.As("sdd").Signals.CreateSignalAsync(request, deadline: Deadline(), cancellationToken: ct);
            Assert.Equal(first.Signal.Name, again.Signal.Name);
            committedBeforeTheKill += first.Signal.CreateTime.ToDateTimeOffset() < killTime ? 1 : 0;
            acknowledged.Add(first.Signal.Name);
        }

        // One effect per request id: the hub holds exactly the signals that were acknowledged.
        var held = new List<string>();
        var token = string.Empty;
        do
        {
            var page = await b.As("sdd").Signals.ListSignalsAsync(new ListSignalsRequest { Filter = $"client = \"{atSdd}\"", PageToken = token }, deadline: Deadline(), cancellationToken: ct);
            held.AddRange(page.Signals.Select(x => x.Name));
            token = page.NextPageToken;
        }
        while (token.Length > 0);
        Assert.Equal(acknowledged.Order(StringComparer.Ordinal), held.Order(StringComparer.Ordinal));

        output.WriteLine($"{lost.Count} answers lost with instance A; {committedBeforeTheKill} of them had been committed before the kill.");
        Assert.Equal(2 * SubmitsPerInstance + Burst, acknowledged.Count);
        Assert.Equal(acknowledged.Count, acknowledged.Distinct(StringComparer.Ordinal).Count());

        // Everything acknowledged reaches the stream; nothing else does; a signal seen twice has one delivery id.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            lock (seen)
            {
                if (acknowledged.All(s => seen.Exists(d => d.Signal == s)))
                {
                    break;
                }
            }

            await Task.Delay(200, ct);
        }

        await stopReading.CancelAsync();
        await reader;
        List<(string Signal, string Delivery)> delivered;
        lock (seen)
        {
            delivered = [.. seen];
        }

        Assert.Equal(acknowledged.Order(StringComparer.Ordinal), delivered.Select(d => d.Signal).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
        Assert.All(delivered.GroupBy(d => d.Signal), g => Assert.Single(g.Select(d => d.Delivery).Distinct(StringComparer.Ordinal)));
    }
}

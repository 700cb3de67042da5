using System.Collections.Concurrent;
using System.Diagnostics;
using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.Testing;
using Xunit.Abstractions;
using static Ketenhub.Testing.HubProcessClient;

namespace Ketenhub.ProcessTests;

/// <summary>
/// The hub killed with SIGKILL in the middle of a load of submits, then restarted on the same data folder:
/// an OK reply means durably committed, so nothing that was acknowledged to a sender may be lost; a delivery
/// the recipient received but did not acknowledge comes again under the same name with a higher attempt
/// count; an acknowledged delivery does not come again; and a submit retried with its request id after the
/// restart is not created twice.
/// </summary>
public sealed class KillTests(ITestOutputHelper output)
{
    private const int ConcurrentCallers = 16;
    private const string Coach = "waakvlam-zorg";
    private const string Sender = "sdd";

    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    // The kill waits until the load has run this long and produced this much, so it lands mid-load.
    private static readonly TimeSpan MinimumLoad = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan MaximumLoadBeforeKill = TimeSpan.FromSeconds(25);
    private const int MinimumAcknowledgedBeforeKill = 200;
    private const int MinimumFirstPassEach = 5;

    [Fact]
    public async Task HardKillDuringLoad_LosesNoAcknowledgedSubmit()
    {
        // Sixteen callers submitting as fast as the hub answers, and the coach acknowledging as fast: far over the
        // default rate limit, which is not what this test is about.
        using var hub = new HubProcess(settings: new Dictionary<string, string?>
        {
            [$"Hub:Limits:Parties:{Sender}:PermitsPerSecond"] = "1000000",
            [$"Hub:Limits:Parties:{Sender}:Burst"] = "1000000",
            [$"Hub:Limits:Parties:{Coach}:PermitsPerSecond"] = "1000000",
            [$"Hub:Limits:Parties:{Coach}:Burst"] = "1000000",
        });
        using var bound = new CancellationTokenSource(Bound);
        var clock = Stopwatch.StartNew();
        try
        {
            await RunAsync(hub, clock, bound.Token).WaitAsync(Bound + TimeSpan.FromSeconds(5));
        }
        catch (Exception)
        {
            output.WriteLine("--- hub output ---");
            output.WriteLine(hub.Output);
            throw;
        }

        output.WriteLine($"total {clock.ElapsedMilliseconds} ms");
        Assert.True(clock.Elapsed < Bound, $"The test took {clock.Elapsed}, more than its bound of {Bound}.");
    }

    private async Task RunAsync(HubProcess hub, Stopwatch clock, CancellationToken ct)
    {
        // --- 1. Start; a client with a coach at waakvlam-zorg and the client's consent for signal follow-up.
        await hub.StartAsync(ct);
        var startup = clock.Elapsed;
        var coach = hub.As(Coach);
        var sdd = hub.As(Sender);
        // Each party has its own name for the client: both learn theirs by registering the BSN with the same facts.
        var client = await coach.RegisterAsync("123456782", Date(1994, 11, 2), "0505", ct);
        var atSdd = await sdd.RegisterAsync("123456782", Date(1994, 11, 2), "0505", ct);
        // The social service of the client's municipality names the first coach (a provider cannot name it itself).
        await sdd.AssignCoachAsync(atSdd.Name, "lisa", "Lisa", ct, coachParty: Coach);
        await coach.GrantAsync(client.Name, GrantorRole.Client, Coach, Purpose.SignalFollowUp, DataCategory.Finances, ct);

        var acknowledged = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        var probe = await SubmitAsync(sdd, NewSignalRequest(atSdd.Name), ct);
        var toCoach = Assert.Single(probe.Decisions, d => d.Recipient == "parties/" + Coach);
        Assert.Equal(RecipientOutcome.Content, toCoach.Outcome);
        acknowledged[probe.Signal.Name] = true;

        // --- 2. The load: concurrent callers, each submitting signals in a loop. They keep going through the kill
        //        (so calls are always in flight when the hub dies) and stop at their first failure after it.
        var killing = 0;
        var inFlight = 0;
        var failedInFlight = 0;
        var killedAt = long.MaxValue; // Stopwatch timestamp at which Kill() returned: the hub was dead
        var lastOkBeforeKill = 0L;
        var unexpected = new ConcurrentQueue<string>();
        var toRetry = new ConcurrentQueue<CreateSignalRequest>();
        var loadClock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, ConcurrentCallers).Select(_ => Task.Run(
            async () =>
            {
                while (true)
                {
                    var request = NewSignalRequest(atSdd.Name);
                    var startedAt = Stopwatch.GetTimestamp();
                    Interlocked.Increment(ref inFlight);
                    try
                    {
                        var response = await SubmitAsync(sdd, request, ct);
                        acknowledged[response.Signal.Name] = true;
                        if (Volatile.Read(ref killing) == 0)
                        {
                            Interlocked.Exchange(ref lastOkBeforeKill, Stopwatch.GetTimestamp());
                        }
                    }
                    catch (RpcException) when (Volatile.Read(ref killing) != 0)
                    {
                        // Never acknowledged, so the hub owes nothing for it; the caller retries it after the restart.
                        // Started before the hub was dead: it was in flight when the kill hit.
                        if (startedAt < Interlocked.Read(ref killedAt))
                        {
                            Interlocked.Increment(ref failedInFlight);
                        }

                        toRetry.Enqueue(request);
                        return;
                    }
                    catch (RpcException ex)
                    {
                        unexpected.Enqueue("CreateSignal before the kill: " + ex.Status);
                        return;
                    }
                    finally
                    {
                        Interlocked.Decrement(ref inFlight);
                    }
                }
            },
            ct)).ToArray();

        // --- 3. The coach's first pass, during the load: receives, acknowledges every other delivery and leaves
        //        the rest unacknowledged.
        var firstPass = new ConcurrentDictionary<string, Delivery>(StringComparer.Ordinal);
        var firstPassDuplicates = new ConcurrentQueue<string>();
        var ackedBeforeKill = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        var ackOutcomeUnknown = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        var leftUnacknowledged = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        var consumer = Task.Run(
            async () =>
            {
                using var call = coach.Deliveries.StreamDeliveries(new StreamDeliveriesRequest { AfterSequence = 0 }, cancellationToken: ct);
                var received = 0;
                try
                {
                    await foreach (var item in call.ResponseStream.ReadAllAsync(ct))
                    {
                        var delivery = item.Delivery;
                        if (!firstPass.TryAdd(delivery.Name, delivery))
                        {
                            firstPassDuplicates.Enqueue(delivery.Name);
                        }

                        if (received++ % 2 == 0)
                        {
                            leftUnacknowledged[delivery.Name] = true;
                            continue;
                        }

                        try
                        {
                            await coach.AcknowledgeAsync(delivery, ct);
                            ackedBeforeKill[delivery.Name] = true;
                        }
                        catch (RpcException) when (Volatile.Read(ref killing) != 0)
                        {
                            ackOutcomeUnknown[delivery.Name] = true;
                        }
                    }

                    unexpected.Enqueue("The first delivery stream ended before the kill.");
                }
                catch (RpcException) when (Volatile.Read(ref killing) != 0)
                {
                    // The hub died under the stream.
                }
                catch (RpcException ex)
                {
                    unexpected.Enqueue("StreamDeliveries before the kill: " + ex.Status);
                }
            },
            ct);

        // --- 4. Wait until the load is well under way, then SIGKILL the hub while calls are in flight.
        while (loadClock.Elapsed < MinimumLoad
            || acknowledged.Count < MinimumAcknowledgedBeforeKill
            || leftUnacknowledged.Count < MinimumFirstPassEach
            || ackedBeforeKill.Count < MinimumFirstPassEach)
        {
            Assert.True(unexpected.IsEmpty, string.Join("; ", unexpected));
            Assert.True(
                loadClock.Elapsed < MaximumLoadBeforeKill,
                $"The load did not get going: {acknowledged.Count} acknowledged submits, first pass {leftUnacknowledged.Count} left / {ackedBeforeKill.Count} acknowledged after {loadClock.Elapsed}.");
            Assert.DoesNotContain(workers, w => w.IsCompleted);
            await Task.Delay(20, ct);
        }

        await Task.Delay(Random.Shared.Next(0, 250), ct); // vary where in the load the kill lands
        var inFlightAtKill = Volatile.Read(ref inFlight);
        var acknowledgedBeforeKill = acknowledged.Count;
        Volatile.Write(ref killing, 1);
        var killIssuedAt = Stopwatch.GetTimestamp();
        var killWallClock = DateTimeOffset.UtcNow;
        var killAt = loadClock.Elapsed;
        var exitCode = hub.Kill();
        Interlocked.Exchange(ref killedAt, Stopwatch.GetTimestamp());

        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(20), ct);
        await consumer.WaitAsync(TimeSpan.FromSeconds(20), ct);
        var acknowledgedTotal = acknowledged.Count;
        var sinceLastOk = Stopwatch.GetElapsedTime(Interlocked.Read(ref lastOkBeforeKill), killIssuedAt);

        // SIGKILL semantics: killed by signal 9, and the host's graceful shutdown never ran.
        Assert.Equal(HubProcess.SigKillExitCode, exitCode);
        Assert.DoesNotContain(HubProcess.GracefulShutdownLine, hub.OutputOfRun(1), StringComparison.Ordinal);
        Assert.True(unexpected.IsEmpty, string.Join("; ", unexpected));
        Assert.Empty(firstPassDuplicates);

        // The kill landed mid-load: submits were being acknowledged right up to it, calls were in flight when it
        // was issued, and calls sent before the hub was dead failed.
        Assert.True(acknowledgedBeforeKill >= MinimumAcknowledgedBeforeKill, $"Only {acknowledgedBeforeKill} submits were acknowledged before the kill.");
        Assert.True(sinceLastOk < TimeSpan.FromSeconds(2), $"The last submit before the kill was acknowledged {sinceLastOk} before it.");
        Assert.True(inFlightAtKill > 0, "No call was in flight when the hub was killed.");
        Assert.True(failedInFlight > 0, "No call sent before the hub died failed: the kill did not land mid-load.");

        // --- 5. Restart on the same data folder and port; the coach drains everything pending and acknowledges it.
        var restartClock = Stopwatch.StartNew();
        await hub.StartAsync(ct);
        var restart = restartClock.Elapsed;
        var coachAfter = hub.As(Coach);

        // The callers retry their failed submits with the same request id, as a client does after UNAVAILABLE: a
        // submit that was committed before the kill is answered from the idempotency record, not created twice.
        var sddAfter = hub.As(Sender);
        var replayed = 0;
        foreach (var request in toRetry)
        {
            var response = await SubmitAsync(sddAfter, request, ct);
            acknowledged[response.Signal.Name] = true;
            if (response.Signal.CreateTime.ToDateTimeOffset() < killWallClock)
            {
                replayed++;
            }
        }

        // What the restarted hub says is pending; the stream must bring at least that many (so a slow machine does
        // not end the collection early), and then nothing more for a while.
        var pendingAfterRestart = 0;
        var pageToken = string.Empty;
        do
        {
            var page = await coachAfter.Deliveries.ListDeliveriesAsync(
                new ListDeliveriesRequest { Status = DeliveryStatus.Pending, PageSize = 1000, PageToken = pageToken },
                deadline: Deadline(),
                cancellationToken: ct);
            pendingAfterRestart += page.Deliveries.Count;
            pageToken = page.NextPageToken;
        }
        while (pageToken.Length > 0);

        // The stream holds at most 1000 unacknowledged (max_outstanding), so the coach acknowledges each window it gets.
        var secondPass = new List<Delivery>();
        var drainClock = Stopwatch.StartNew();
        using (var tail = coachAfter.Tail(ct))
        {
            while (true)
            {
                var window = await tail.CollectUntilQuietAsync(TimeSpan.FromSeconds(1.5), ct, atLeast: Math.Min(1000, Math.Max(0, pendingAfterRestart - secondPass.Count)));
                secondPass.AddRange(window);
                await Parallel.ForEachAsync(
                    window,
                    new ParallelOptions { MaxDegreeOfParallelism = ConcurrentCallers, CancellationToken = ct },
                    async (delivery, token) => await coachAfter.AcknowledgeAsync(delivery, token));
                if (window.Count == 0 || secondPass.Count >= pendingAfterRestart)
                {
                    break;
                }
            }
        }

        var drain = drainClock.Elapsed;
        var stillPending = await coachAfter.Deliveries.ListDeliveriesAsync(
            new ListDeliveriesRequest { Status = DeliveryStatus.Pending, PageSize = 10 },
            deadline: Deadline(),
            cancellationToken: ct);

        output.WriteLine(
            $"startup {startup.TotalMilliseconds:F0} ms; load {killAt.TotalMilliseconds:F0} ms before the kill; " +
            $"{acknowledgedBeforeKill} submits acknowledged before the kill ({acknowledgedTotal} in all), {inFlightAtKill} in flight at the kill, {failedInFlight} failed by it, last OK {sinceLastOk.TotalMilliseconds:F0} ms before it; {toRetry.Count} retried after the restart ({replayed} had been committed); " +
            $"first pass {firstPass.Count} received ({ackedBeforeKill.Count} acknowledged, {leftUnacknowledged.Count} left, {ackOutcomeUnknown.Count} unknown); " +
            $"restart {restart.TotalMilliseconds:F0} ms; {pendingAfterRestart} pending after it; second pass {secondPass.Count} in {drain.TotalMilliseconds:F0} ms");

        // --- 6. What the hub owed survived the kill.
        Assert.Empty(stillPending.Deliveries);
        Assert.Equal(pendingAfterRestart, secondPass.Count);
        Assert.All(firstPass.Values.Concat(secondPass), d => Assert.Equal(Delivery.PayloadOneofCase.Signal, d.PayloadCase));
        Assert.Equal(secondPass.Count, secondPass.Select(d => d.Name).Distinct(StringComparer.Ordinal).Count());

        // Duplicates only as redeliveries: a signal always travels under one delivery name.
        var deliveryNamesBySignal = firstPass.Values.Concat(secondPass)
            .GroupBy(d => d.Signal.Name, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(d => d.Name).Distinct(StringComparer.Ordinal).ToList(), StringComparer.Ordinal);
        var splitSignals = deliveryNamesBySignal.Where(kv => kv.Value.Count > 1).Select(kv => $"{kv.Key}: {string.Join(", ", kv.Value)}").ToList();
        Assert.True(splitSignals.Count == 0, "Signals delivered under more than one delivery name: " + string.Join("; ", splitSignals.Take(10)));

        // None lost: every acknowledged submit reached the coach, either in the first pass (acknowledged there)
        // or in the second.
        var secondByName = secondPass.ToDictionary(d => d.Name, StringComparer.Ordinal);
        var settledBeforeKill = firstPass.Values
            .Where(d => ackedBeforeKill.ContainsKey(d.Name) || ackOutcomeUnknown.ContainsKey(d.Name))
            .Select(d => d.Signal.Name)
            .ToHashSet(StringComparer.Ordinal);
        var secondSignals = secondPass.Select(d => d.Signal.Name).ToHashSet(StringComparer.Ordinal);
        var lost = acknowledged.Keys.Where(s => !secondSignals.Contains(s) && !settledBeforeKill.Contains(s)).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} of {acknowledged.Count} acknowledged signals were lost, e.g. {string.Join(", ", lost.Take(10))}.");

        // Nothing was created twice: every signal the coach got is one a caller holds an OK reply for (the retried
        // submits included).
        var orphans = deliveryNamesBySignal.Keys.Where(sig => !acknowledged.ContainsKey(sig)).ToList();
        Assert.True(orphans.Count == 0, $"{orphans.Count} delivered signals were never acknowledged to a caller, e.g. {string.Join(", ", orphans.Take(10))}.");

        // An acknowledgement that returned OK was durable: that delivery is not sent again.
        var resent = ackedBeforeKill.Keys.Where(secondByName.ContainsKey).ToList();
        Assert.True(resent.Count == 0, $"{resent.Count} deliveries acknowledged before the kill came again, e.g. {string.Join(", ", resent.Take(10))}.");

        // Received but not acknowledged: redelivered under the same name with a higher attempt count.
        foreach (var name in leftUnacknowledged.Keys)
        {
            var before = firstPass[name];
            Assert.True(secondByName.TryGetValue(name, out var after), $"Delivery {name} (signal {before.Signal.Name}) was received but not acknowledged, and not redelivered.");
            Assert.Equal(before.Signal.Name, after!.Signal.Name);
            Assert.True(before.AttemptCount >= 1, $"{name}: first attempt count {before.AttemptCount}.");
            Assert.True(after.AttemptCount > before.AttemptCount, $"{name}: attempt count {before.AttemptCount} before the kill, {after.AttemptCount} after.");
        }
    }

    private static CreateSignalRequest NewSignalRequest(string client) => new()
    {
        RequestId = NewRequestId(),
        Signal = new Signal
        {
            Client = client,
            Kind = SignalKind.PaymentArrears,
            LifeDomain = LifeDomain.Finances,
            Severity = SignalSeverity.Concern,
            Description = "Arrears on health insurance.",
        },
    };

    private static async Task<CreateSignalResponse> SubmitAsync(HubProcessClient sender, CreateSignalRequest request, CancellationToken ct) =>
        await sender.Signals.CreateSignalAsync(request, deadline: Deadline(), cancellationToken: ct);
}

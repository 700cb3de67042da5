using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.Testing;
using Ketenhub.Testing.Postgres;
using static Ketenhub.Testing.HubProcessClient;

namespace Ketenhub.ProcessTests;

/// <summary>
/// PostgreSQL itself goes away mid-load and comes back (an immediate shutdown, as a crash, then a start) under a running
/// hub process, on a server of this test's own: while it is gone the hub answers UNAVAILABLE and nothing else; it
/// recovers without a restart of its own; and every submit it acknowledged reaches the recipient's stream.
/// </summary>
public sealed class PostgresRestartUnderLoadTests
{
    private const int Submits = 90;

    [Fact]
    public async Task ThePostgresServerRestartingMidLoad_LosesNothingAcknowledged_AndTheHubRecoversOnItsOwn()
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var ct = bound.Token;
        using var cluster = PostgresCluster.Start();
        var database = await cluster.CreateDatabaseAsync(ct);
        using var hub = new HubProcess(settings: new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "Postgres",
            ["Storage:ConnectionString"] = database,
        });
        await hub.StartAsync(ct);

        // A client of Sliedrecht with coach Ahmed at Waakvlam Zorg, who may receive the content of money signals.
        var sdd = hub.As("sdd");
        var waakvlam = hub.As("waakvlam-zorg");
        var bsn = Bsns.Next();
        var atSdd = (await sdd.RegisterAsync(bsn, Date(1999, 4, 4), "0610", ct)).Name;
        await sdd.AssignCoachAsync(atSdd, "ahmed", "Ahmed", ct, coachParty: "waakvlam-zorg");
        var atWaakvlam = (await waakvlam.RegisterAsync(bsn, Date(1999, 4, 4), "0610", ct)).Name;
        await waakvlam.GrantAsync(atWaakvlam, GrantorRole.Client, "waakvlam-zorg", Purpose.SignalFollowUp, DataCategory.Finances, ct);

        var acknowledged = new List<string>();
        var refused = new List<StatusCode>();
        for (var i = 0; i < Submits; i++)
        {
            if (i == Submits / 3)
            {
                cluster.Stop();
            }
            else if (i == 2 * Submits / 3)
            {
                cluster.StartAgain();
            }

            try
            {
                var sent = await sdd.Signals.CreateSignalAsync(
                    new CreateSignalRequest
                    {
                        RequestId = NewRequestId(),
                        Signal = new Signal { Client = atSdd, Kind = SignalKind.PaymentArrears, LifeDomain = LifeDomain.Finances, Severity = SignalSeverity.Concern, Description = "Arrears." },
                    },
                    deadline: DateTime.UtcNow.AddSeconds(10),
                    cancellationToken: ct);
                acknowledged.Add(sent.Signal.Name);
            }
            catch (RpcException e)
            {
                refused.Add(e.StatusCode);
            }
        }

        // The outage was seen, answered only with UNAVAILABLE, and the hub took submits again after it.
        Assert.NotEmpty(refused);
        Assert.All(refused, code => Assert.Equal(StatusCode.Unavailable, code));
        Assert.True(acknowledged.Count >= Submits / 3, $"Only {acknowledged.Count} submits were acknowledged.");
        var afterRestart = await sdd.Signals.CreateSignalAsync(
            new CreateSignalRequest
            {
                RequestId = NewRequestId(),
                Signal = new Signal { Client = atSdd, Kind = SignalKind.PaymentArrears, LifeDomain = LifeDomain.Finances, Severity = SignalSeverity.Concern, Description = "Arrears." },
            },
            deadline: Deadline(),
            cancellationToken: ct);
        acknowledged.Add(afterRestart.Signal.Name);

        // Every acknowledged submit reaches the coach's stream.
        using var tail = waakvlam.Tail(ct);
        var delivered = new HashSet<string>(StringComparer.Ordinal);
        while (!acknowledged.All(delivered.Contains))
        {
            foreach (var delivery in await tail.CollectUntilQuietAsync(TimeSpan.FromSeconds(2), ct, atLeast: 1))
            {
                if (delivery.Signal is { } signal)
                {
                    delivered.Add(signal.Name);
                }

                await waakvlam.AcknowledgeAsync(delivery, ct);
            }
        }

        Assert.Superset(acknowledged.ToHashSet(StringComparer.Ordinal), delivered);
    }
}

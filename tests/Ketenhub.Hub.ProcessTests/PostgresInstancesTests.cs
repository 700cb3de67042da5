using System.Diagnostics;
using Ketenhub.Contracts.V1;
using Ketenhub.Testing;
using Ketenhub.Testing.Postgres;
using Xunit.Abstractions;
using static Ketenhub.Testing.HubProcessClient;

namespace Ketenhub.ProcessTests;

/// <summary>
/// Two hub processes on one PostgreSQL database (<c>Storage:Provider = Postgres</c>), on the test process's throwaway
/// cluster: both start at once (one migrates, the other waits for it), a signal submitted through A reaches the coach's
/// delivery stream open on B, woken by B's LISTEN, and what B acknowledged A no longer lists as pending.
/// </summary>
public sealed class PostgresInstancesTests(ITestOutputHelper output)
{
    private const string Coach = "waakvlam-zorg";
    private const string Sender = "sdd";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);

    // Far less than any other way a waiting stream could find the delivery: it has no timer of its own.
    private static readonly TimeSpan WakeWithin = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task ASignalSubmittedThroughInstanceA_ReachesTheCoachsStreamOnInstanceB()
    {
        var database = await PostgresCluster.Shared.CreateDatabaseAsync();
        var settings = new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "Postgres",
            ["Storage:ConnectionString"] = database,
        };
        using var a = new HubProcess(settings: settings);
        using var b = new HubProcess(settings: settings);
        using var bound = new CancellationTokenSource(Bound);
        var ct = bound.Token;
        try
        {
            await Task.WhenAll(a.StartAsync(ct), b.StartAsync(ct));
            var sddOnA = a.As(Sender);
            var coachOnB = b.As(Coach);

            // The client is registered through B by the coach and through A by the social service; A names the coach,
            // B records the client's consent: each instance sees what the other wrote.
            var client = await coachOnB.RegisterAsync("123456782", Date(1994, 11, 2), "0505", ct);
            var atSdd = await sddOnA.RegisterAsync("123456782", Date(1994, 11, 2), "0505", ct);
            await sddOnA.AssignCoachAsync(atSdd.Name, "lisa", "Lisa", ct, coachParty: Coach);
            await coachOnB.GrantAsync(client.Name, GrantorRole.Client, Coach, Purpose.SignalFollowUp, DataCategory.Finances, ct);

            using var tail = coachOnB.Tail(ct);

            // The stream has read what is there (nothing yet) and waits; only a wake-up brings it more.
            Assert.Empty(await tail.CollectUntilQuietAsync(TimeSpan.FromSeconds(2), ct));
            var clock = Stopwatch.StartNew();
            var submitted = await sddOnA.Signals.CreateSignalAsync(
                new CreateSignalRequest
                {
                    RequestId = NewRequestId(),
                    Signal = new Signal
                    {
                        Client = atSdd.Name,
                        Kind = SignalKind.PaymentArrears,
                        LifeDomain = LifeDomain.Finances,
                        Severity = SignalSeverity.Concern,
                        Description = "Arrears on health insurance.",
                    },
                },
                deadline: Deadline(),
                cancellationToken: ct);
            Assert.Equal(RecipientOutcome.Content, Assert.Single(submitted.Decisions, d => d.Recipient == "parties/" + Coach).Outcome);

            using var wake = CancellationTokenSource.CreateLinkedTokenSource(ct);
            wake.CancelAfter(WakeWithin);
            var received = await tail.CollectUntilQuietAsync(TimeSpan.FromMilliseconds(500), wake.Token, atLeast: 1);
            output.WriteLine($"delivered on B {clock.ElapsedMilliseconds} ms after the submit on A");

            var delivery = Assert.Single(received);
            Assert.Equal(Delivery.PayloadOneofCase.Signal, delivery.PayloadCase);
            Assert.Equal("Arrears on health insurance.", delivery.Signal.Description);
            Assert.Equal(client.Name, delivery.Signal.Client);

            await coachOnB.AcknowledgeAsync(delivery, ct);
            var pendingOnA = await a.As(Coach).Deliveries.ListDeliveriesAsync(
                new ListDeliveriesRequest { Status = DeliveryStatus.Pending, PageSize = 10 }, deadline: Deadline(), cancellationToken: ct);
            Assert.Empty(pendingOnA.Deliveries);
        }
        catch (Exception)
        {
            output.WriteLine("--- hub A ---");
            output.WriteLine(a.Output);
            output.WriteLine("--- hub B ---");
            output.WriteLine(b.Output);
            throw;
        }
        finally
        {
            a.Dispose();
            b.Dispose();
            await PostgresCluster.Shared.DropDatabaseAsync(database);
        }
    }

    [Theory]
    [InlineData(null, "Storage:ConnectionString is required when Storage:Provider is 'Postgres'")]
    [InlineData("Host=127.0.0.1;Password=not-for-logs;No Such Key=1", "Storage:ConnectionString: The PostgreSQL store's connection string cannot be read")]
    public async Task AMissingOrUnreadableConnectionString_StopsTheHub_WithoutQuotingIt(string? connectionString, string named)
    {
        using var hub = new HubProcess(settings: new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "Postgres",
            ["Storage:ConnectionString"] = connectionString,
        });
        hub.Start();

        var exitCode = await hub.WaitForExitAsync(TimeSpan.FromSeconds(45));

        output.WriteLine(hub.Output);
        Assert.NotEqual(0, exitCode);
        Assert.Contains(named, hub.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("not-for-logs", hub.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Now listening on", hub.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnknownProvider_StopsTheHub_NamingTheChoices()
    {
        using var hub = new HubProcess(settings: new Dictionary<string, string?> { ["Storage:Provider"] = "Oracle" });
        hub.Start();

        var exitCode = await hub.WaitForExitAsync(TimeSpan.FromSeconds(45));

        output.WriteLine(hub.Output);
        Assert.NotEqual(0, exitCode);
        Assert.Contains("Storage:Provider must be 'Sqlite' or 'Postgres'", hub.Output, StringComparison.Ordinal);
    }
}

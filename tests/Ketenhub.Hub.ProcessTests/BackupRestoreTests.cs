using System.Text.RegularExpressions;
using Ketenhub.Contracts.V1;
using Ketenhub.Testing;
using Xunit.Abstractions;
using static Ketenhub.Testing.HubProcessClient;

namespace Ketenhub.ProcessTests;

/// <summary>
/// <c>backup --to</c> while the hub serves and takes submits, then a restore into a new data folder: a hub started on
/// it passes <c>audit verify</c> against the head the backup printed, and delivers what was not acknowledged before
/// the backup.
/// </summary>
public sealed partial class BackupRestoreTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task AnOnlineBackup_RestoresIntoAHubThatVerifiesAndDeliversWhatWasPending()
    {
        using var bound = new CancellationTokenSource(Timeout);
        var ct = bound.Token;
        using var hub = new HubProcess();
        using var backup = new HubProcess();
        using var restored = new HubProcess();
        var file = Path.Combine(restored.ConfigDirectory, "backup", "ketenhub-backup.db");
        try
        {
            await hub.StartAsync(ct);
            var coach = hub.As("waakvlam-zorg");
            var sdd = hub.As("sdd");
            var client = await coach.RegisterAsync("123456782", Date(1994, 11, 2), "0505", ct);
            var atSdd = await sdd.RegisterAsync("123456782", Date(1994, 11, 2), "0505", ct);
            await sdd.AssignCoachAsync(atSdd.Name, "lisa", "Lisa", ct, coachParty: "waakvlam-zorg");
            await coach.GrantAsync(client.Name, GrantorRole.Client, "waakvlam-zorg", Purpose.SignalFollowUp, DataCategory.Finances, ct);
            var pending = new List<string>();
            for (var i = 0; i < 5; i++)
            {
                var signal = await sdd.Signals.CreateSignalAsync(Signal(atSdd.Name), deadline: Deadline(), cancellationToken: ct);
                pending.Add(Assert.Single(signal.Decisions, d => d.Recipient == "parties/waakvlam-zorg").Delivery);
            }

            // Submits keep coming while the backup runs: the backup neither stops them nor waits for them.
            using var stopLoad = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var submittedDuringBackup = 0;
            var load = Task.Run(async () =>
            {
                while (!stopLoad.IsCancellationRequested)
                {
                    await sdd.Signals.CreateSignalAsync(Signal(atSdd.Name), deadline: Deadline(), cancellationToken: ct);
                    Interlocked.Increment(ref submittedDuringBackup);
                }
            }, ct);

            backup.SetVariable("Storage__DataDirectory", hub.DataDirectory);
            backup.Start("backup", "--to", file);
            Assert.Equal(0, await backup.WaitForExitAsync(Timeout, ct));
            stopLoad.Cancel();
            await load;
            Assert.True(submittedDuringBackup > 0, "submits went on during the backup");
            var printed = backup.OutputOfRun(1);
            var head = HeadLine().Match(printed);
            Assert.True(head.Success, printed);

            // A second backup to the same file is refused: a backup never overwrites one.
            backup.Start("backup", "--to", file);
            Assert.Equal(1, await backup.WaitForExitAsync(Timeout, ct));

            // Restore: the file as ketenhub.db in an empty data folder. The trail verifies against the printed head.
            File.Copy(file, Path.Combine(restored.DataDirectory, "ketenhub.db"));
            restored.Start("audit", "verify", "--expect-head", head.Groups["head"].Value);
            Assert.Equal(0, await restored.WaitForExitAsync(Timeout, ct));

            // The restored hub delivers what the coach had not acknowledged before the backup.
            await restored.StartAsync(ct);
            using var tail = restored.As("waakvlam-zorg").Tail(ct);
            var received = await tail.CollectUntilQuietAsync(TimeSpan.FromSeconds(2), ct, atLeast: pending.Count);
            Assert.All(pending, name => Assert.Contains(received, d => d.Name == name));
        }
        catch (Exception)
        {
            output.WriteLine("--- hub ---\n" + hub.Output + "\n--- backup ---\n" + backup.Output + "\n--- restored ---\n" + restored.Output);
            throw;
        }
    }

    [Fact]
    public async Task Help_ListsTheCommands_AndStartsNothing()
    {
        using var hub = new HubProcess();
        hub.Start("--help");
        Assert.Equal(0, await hub.WaitForExitAsync(Timeout));
        var printed = hub.OutputOfRun(1);
        foreach (var command in new[] { "audit verify", "backup --to FILE", "reencrypt-bsn", "erase --client NAME", "--help" })
        {
            Assert.Contains(command, printed, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("Ketenhub ready", printed, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(hub.DataDirectory, "ketenhub.db")), "help opened no database");
    }

    private static CreateSignalRequest Signal(string client) => new()
    {
        RequestId = NewRequestId(),
        Signal = new Signal { Client = client, Kind = SignalKind.PaymentArrears, LifeDomain = LifeDomain.Finances, Severity = SignalSeverity.Concern, Description = "Arrears on rent." },
    };

    [GeneratedRegex(@"Audit head of the backup: (?<head>\d+:[0-9a-f]{64})")]
    private static partial Regex HeadLine();
}

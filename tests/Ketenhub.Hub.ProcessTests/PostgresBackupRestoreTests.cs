using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Ketenhub.Contracts.V1;
using Ketenhub.Testing;
using Ketenhub.Testing.Postgres;
using Npgsql;
using Xunit.Abstractions;
using static Ketenhub.Testing.HubProcessClient;

namespace Ketenhub.ProcessTests;

/// <summary>
/// The PostgreSQL backup of docs/operations.md ("Backups", "PostgreSQL"), run as written on a server of this test's own:
/// the audit head recorded with <c>audit verify</c>, the guide's <c>pg_dump</c> block while the hub serves and takes
/// submits, its <c>createdb</c> + <c>pg_restore</c> block into a new database, <c>audit verify --expect-head</c> on the
/// restore (passes with the recorded head, fails with a wrong one), and a hub on the restored database that delivers
/// exactly what was not acknowledged when the dump was taken.
/// </summary>
public sealed partial class PostgresBackupRestoreTests(ITestOutputHelper output) : IDisposable
{
    private const int Signals = 6;
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "ketenhub-pg-backup-" + Guid.NewGuid().ToString("N")[..12]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    [Fact]
    public async Task ADumpTakenWhileTheHubServes_RestoresIntoADatabaseThatVerifies_AndDeliversWhatWasPendingAtTheDump()
    {
        using var bound = new CancellationTokenSource(Timeout);
        var ct = bound.Token;
        var guide = await File.ReadAllTextAsync(Path.Combine(HubProcess.RepositoryRoot()!, "docs", "operations.md"), ct);
        Directory.CreateDirectory(_folder);
        using var cluster = PostgresCluster.Start();
        var live = await cluster.CreateDatabaseAsync(ct);
        var restoredName = "t_" + Guid.NewGuid().ToString("N");
        var restoredDatabase = cluster.ConnectionString(restoredName);
        using var hub = new HubProcess(settings: Postgres(live));
        using var verifyLive = new HubProcess(settings: Postgres(live));
        using var verifyRestored = new HubProcess(settings: Postgres(restoredDatabase));
        using var restored = new HubProcess(settings: Postgres(restoredDatabase));
        var log = new StringBuilder();
        try
        {
            await hub.StartAsync(ct);
            var sdd = hub.As("sdd");
            var waakvlam = hub.As("waakvlam-zorg");
            var bsn = Bsns.Next();
            var atSdd = (await sdd.RegisterAsync(bsn, Date(1994, 11, 2), "0505", ct)).Name;
            await sdd.AssignCoachAsync(atSdd, "lisa", "Lisa", ct, coachParty: "waakvlam-zorg");
            var atWaakvlam = (await waakvlam.RegisterAsync(bsn, Date(1994, 11, 2), "0505", ct)).Name;
            await waakvlam.GrantAsync(atWaakvlam, GrantorRole.Client, "waakvlam-zorg", Purpose.SignalFollowUp, DataCategory.Finances, ct);
            var signals = new List<string>();
            for (var i = 0; i < Signals; i++)
            {
                signals.Add(await SubmitAsync(sdd, atSdd, ct));
            }

            // The coach receives everything and acknowledges all but the last three signals' deliveries.
            using var tail = waakvlam.Tail(ct);
            var seen = new Dictionary<string, Delivery>(StringComparer.Ordinal);
            while (!signals.All(seen.ContainsKey))
            {
                foreach (var delivery in await tail.CollectUntilQuietAsync(TimeSpan.FromSeconds(1), ct, atLeast: 1))
                {
                    seen.TryAdd(delivery.Name, delivery);
                }
            }

            var pending = signals.Skip(Signals - 3).ToHashSet(StringComparer.Ordinal);
            var acknowledged = seen.Keys.Where(name => !pending.Contains(name)).ToHashSet(StringComparer.Ordinal);
            foreach (var name in acknowledged)
            {
                await waakvlam.AcknowledgeAsync(seen[name], ct);
            }

            // 1. The head, recorded before the dump.
            verifyLive.Start("audit", "verify");
            Assert.Equal(0, await verifyLive.WaitForExitAsync(Timeout, ct));
            var head = HeadLine().Match(verifyLive.OutputOfRun(1));
            Assert.True(head.Success, verifyLive.OutputOfRun(1));

            // 2. The guide's dump, while submits go on.
            using var stopLoad = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var submittedDuringDump = new ConcurrentBag<string>();
            var load = Task.Run(async () =>
            {
                while (!stopLoad.IsCancellationRequested)
                {
                    submittedDuringDump.Add(await SubmitAsync(sdd, atSdd, ct));
                }
            }, ct);
            var file = Path.Combine(_folder, "ketenhub.dump");
            var environment = new Dictionary<string, string>(cluster.ClientEnvironment(), StringComparer.Ordinal)
            {
                ["DB"] = new NpgsqlConnectionStringBuilder(live).Database!,
                ["BACKUP"] = file,
                ["RESTORED"] = restoredName,
            };
            await Task.Delay(TimeSpan.FromMilliseconds(300), ct);
            var beforeDump = submittedDuringDump.Count;
            await RunAsync(Block(guide, "dump"), environment, log, ct);
            var whileDumping = submittedDuringDump.Count - beforeDump;
            stopLoad.Cancel();
            await load;
            Assert.True(whileDumping > 0, "submits went on while pg_dump ran");
            Assert.True(new FileInfo(file).Length > 0, "the dump was written");

            // Acknowledged after the dump: not in it, so the restore delivers it again.
            var acknowledgedAfterDump = pending.First();
            await waakvlam.AcknowledgeAsync(seen[acknowledgedAfterDump], ct);

            // 3. The guide's restore into a new database.
            await RunAsync(Block(guide, "restore"), environment, log, ct);

            // 4. audit verify on the restore: the recorded head passes, a wrong one does not.
            verifyRestored.Start("audit", "verify", "--expect-head", head.Groups["head"].Value);
            Assert.Equal(0, await verifyRestored.WaitForExitAsync(Timeout, ct));
            Assert.Contains($"The head recorded earlier, event {head.Groups["sequence"].Value}, is still in the trail.", verifyRestored.OutputOfRun(1), StringComparison.Ordinal);
            var hash = head.Groups["hash"].Value;
            var wrongHead = head.Groups["sequence"].Value + ":" + (hash[0] == '0' ? '1' : '0') + hash[1..];
            verifyRestored.Start("audit", "verify", "--expect-head", wrongHead);
            Assert.Equal(2, await verifyRestored.WaitForExitAsync(Timeout, ct));
            Assert.Contains("has another hash now", verifyRestored.OutputOfRun(2), StringComparison.Ordinal);

            // What the dump holds of the signals submitted during it: those are pending at the dump as well.
            var inDump = await DeliveriesInAsync(restoredDatabase, submittedDuringDump, ct);

            // 5. The old hub stops; a hub on the restored database delivers exactly what was pending at the dump.
            hub.Kill();
            await restored.StartAsync(ct);
            var coach = restored.As("waakvlam-zorg");
            using var restoredTail = coach.Tail(ct);
            var expected = pending.Concat(inDump).ToHashSet(StringComparer.Ordinal);
            var received = (await restoredTail.CollectUntilQuietAsync(TimeSpan.FromSeconds(3), ct, atLeast: expected.Count))
                .Select(d => d.Name).ToHashSet(StringComparer.Ordinal);
            Assert.Contains(acknowledgedAfterDump, received);
            Assert.Empty(received.Intersect(acknowledged));
            Assert.Equal(expected.Order(StringComparer.Ordinal), received.Order(StringComparer.Ordinal));
            output.WriteLine($"Head {head.Groups["sequence"].Value}; {submittedDuringDump.Count} submits around the dump ({whileDumping} while pg_dump ran), {inDump.Count} of them in it; {received.Count} delivered after the restore.");
        }
        catch (Exception)
        {
            output.WriteLine("--- hub ---\n" + hub.Output + "\n--- verify (live) ---\n" + verifyLive.Output + "\n--- verify (restored) ---\n"
                + verifyRestored.Output + "\n--- restored ---\n" + restored.Output + "\n--- guide's commands ---\n" + log);
            throw;
        }
    }

    [Fact]
    public async Task TheBackupCommand_OnPostgres_WritesNothing_AndNamesTheGuidesSection()
    {
        using var backup = new HubProcess(settings: Postgres("Host=127.0.0.1;Port=1;Database=ketenhub;Username=ketenhub"));
        var file = Path.Combine(backup.ConfigDirectory, "backup.db");
        backup.Start("backup", "--to", file);
        Assert.Equal(1, await backup.WaitForExitAsync(Timeout));
        var printed = backup.OutputOfRun(1);
        Assert.Contains("pg_dump", printed, StringComparison.Ordinal);
        Assert.Contains("docs/operations.md", printed, StringComparison.Ordinal);
        Assert.Contains("\"Backups\", \"PostgreSQL\"", printed, StringComparison.Ordinal);
        Assert.False(File.Exists(file), "nothing was written");
        var guide = await File.ReadAllTextAsync(Path.Combine(HubProcess.RepositoryRoot()!, "docs", "operations.md"));
        Assert.Matches(@"(?m)^## Backups$(?:.|\n)*^### PostgreSQL", guide);
    }

    private static Dictionary<string, string?> Postgres(string connectionString) => new()
    {
        ["Storage:Provider"] = "Postgres",
        ["Storage:ConnectionString"] = connectionString,
    };

    /// <summary>Submits a money signal for the client and returns the name of its delivery to Waakvlam Zorg.</summary>
    private static async Task<string> SubmitAsync(HubProcessClient sdd, string client, CancellationToken ct)
    {
        var sent = await sdd.Signals.CreateSignalAsync(
            new CreateSignalRequest
            {
                RequestId = NewRequestId(),
                Signal = new Signal { Client = client, Kind = SignalKind.PaymentArrears, LifeDomain = LifeDomain.Finances, Severity = SignalSeverity.Concern, Description = "Arrears on rent." },
            },
            deadline: Deadline(),
            cancellationToken: ct);
        return Assert.Single(sent.Decisions, d => d.Recipient == "parties/waakvlam-zorg").Delivery;
    }

    /// <summary>Which of <paramref name="names"/> are deliveries in the database.</summary>
    private static async Task<List<string>> DeliveriesInAsync(string connectionString, IEnumerable<string> names, CancellationToken ct)
    {
        var ids = names.Select(name => name["deliveries/".Length..]).ToArray();
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand("SELECT id FROM deliveries WHERE id = ANY($1);", connection);
        command.Parameters.AddWithValue(ids);
        var found = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            found.Add("deliveries/" + reader.GetString(0));
        }

        return found;
    }

    /// <summary>The bash block after the marker <c>&lt;!-- postgres-backup:{name} --&gt;</c> in docs/operations.md.</summary>
    private static string Block(string guide, string name)
    {
        var match = Regex.Match(guide, $@"<!-- postgres-backup:{name} -->\s*```bash\n(?<body>.*?)\n```", RegexOptions.Singleline);
        Assert.True(match.Success, $"docs/operations.md has no postgres-backup:{name} block.");
        return match.Groups["body"].Value;
    }

    /// <summary>Runs a block of the guide with bash (stopping at the first failing command) and the given environment.</summary>
    private static async Task RunAsync(string script, IReadOnlyDictionary<string, string> environment, StringBuilder log, CancellationToken ct)
    {
        var start = new ProcessStartInfo("bash", ["-euo", "pipefail", "-c", script])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        try
        {
            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        log.AppendLine("$ " + script.Replace("\n", "\n$ ", StringComparison.Ordinal)).AppendLine(await stdout).AppendLine(await stderr).Append("exit ").Append(process.ExitCode).AppendLine();
        Assert.True(process.ExitCode == 0, $"The guide's block failed (exit {process.ExitCode}):\n{script}\n{await stdout}{await stderr}");
    }

    [GeneratedRegex(@"Audit head: (?<head>(?<sequence>\d+):(?<hash>[0-9a-f]{64}))")]
    private static partial Regex HeadLine();
}

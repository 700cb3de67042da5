using System.Diagnostics;
using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;
using Ketenhub.Cli.Import;
using Ketenhub.Cli.Tests.Infrastructure;
using Ketenhub.Contracts;
using Ketenhub.Contracts.V1;
using Xunit.Abstractions;

namespace Ketenhub.Cli.Tests.Import;

/// <summary>
/// <c>ketenhub import</c> against the real hub process: a few rows end to end, the dry run, and an export
/// of 5,000 rows with bad ones, interrupted by killing the tool's process and resumed, then run again.
/// Counted at the hub: the social service's deliveries (one per transition, waiting for consent).
/// </summary>
public sealed class ImportEndToEndTests(ImportHubProcess hub, ITestOutputHelper log) : IClassFixture<ImportHubProcess>, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("ketenhub-import-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task AFewRows_BecomeOneSchoolLeaverTransitionEach_ToTheSocialService_WithAnErrorReportWithoutPersonalData()
    {
        var file = Path.Combine(_folder, "export.csv");
        await File.WriteAllTextAsync(file,
            "\uFEFFbsn;achternaam;geboortedatum;gemeentecode;brin;verwachte_uitstroomdatum\r\n" +
            $"{ExportFiles.Bsn(11, 1)};\"Visser; J.\";14-03-2008;0642;18XP;01-07-2026\r\n" +
            $"{ExportFiles.Bsn(11, 2)};\"de \"\"Boer\"\"\";2008-05-02;505;18XP;2026-07-01\r\n" +
            "123456789;Bakker;2008-05-02;0505;18XP;2026-07-01\r\n");

        var result = await Run("import", file, "--as", "hans-petrischool");

        Assert.True(result.ExitCode == ExitCodes.RowsFailed, result.ToString());
        Assert.Contains("2 rows imported, 0 already imported, 1 rows failed", result.Output);
        var errors = await File.ReadAllLinesAsync(file + ".errors.csv");
        Assert.Equal(["row,line,column,reason,detail", "3,4,bsn,INVALID_BSN,\"bsn is not nine digits that pass the elfproef.\""], errors);
        Assert.DoesNotContain("123456789", result.Output + result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Bakker", result.Output + result.Error, StringComparison.Ordinal);

        // The JSON of a second run: both good rows already imported, with the same client and transition names the hub gave.
        var again = await Run("import", file, "--as", "hans-petrischool", "--json");
        Assert.Equal(ExitCodes.RowsFailed, again.ExitCode);
        var json = JsonDocument.Parse(again.Output).RootElement;
        Assert.Equal(3, json.GetProperty("summary").GetProperty("rows").GetInt32());
        Assert.Equal(2, json.GetProperty("summary").GetProperty("alreadyImported").GetInt32());
        var rows = json.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(["already_imported", "already_imported", "failed"], rows.Select(r => r.GetProperty("status").GetString()));

        // At the hub: each transition is SCHOOL_LEAVER_18 from the school to SDD, effective on the leave date.
        using var channel = GrpcChannel.ForAddress(hub.Url);
        var transitions = new TransitionService.TransitionServiceClient(channel);
        foreach (var row in rows.Take(2))
        {
            var transition = (await transitions.GetTransitionAsync(new GetTransitionRequest { Name = row.GetProperty("transition").GetString() }, As("hans-petrischool"))).Transition;
            Assert.Equal((TransitionKind.SchoolLeaver18, "parties/hans-petrischool", "parties/sdd", 2026, 7, 1), (transition.Kind, transition.FromParty, transition.ToParty, transition.EffectiveDate.Year, transition.EffectiveDate.Month, transition.EffectiveDate.Day));
            Assert.Equal(row.GetProperty("client").GetString(), transition.Client);
        }

        // SDD has its own name for the student (every party has: docs/security.md); it learns it by registering the BSN.
        Assert.Equal(1, await SddDeliveriesFor(await SddNameAsync(ExportFiles.Bsn(11, 1), "2008-03-14", "0642")));
    }

    [Fact]
    public async Task TheDocumentedSample_Imports()
    {
        var repo = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(repo, "Hub.sln")))
        {
            repo = Path.GetDirectoryName(repo.TrimEnd(Path.DirectorySeparatorChar))!;
        }

        var file = Path.Combine(_folder, "school-export.csv");
        File.Copy(Path.Combine(repo, "samples", "school-export.csv"), file);

        var dry = await Run("import", file, "--as", "hans-petrischool", "--dry-run");
        Assert.True(dry.ExitCode == ExitCodes.Ok, dry.ToString());
        Assert.Contains("Dry run: 4 rows would be imported, 0 rows have errors", dry.Output);
        var result = await Run("import", file, "--as", "hans-petrischool");
        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
        Assert.Contains("4 rows imported, 0 already imported, 0 rows failed", result.Output);
        Assert.Equal(["row,line,column,reason,detail"], await File.ReadAllLinesAsync(file + ".errors.csv"));
    }

    [Fact]
    public async Task DryRun_ExplainsEachRow_NewStudentsIncluded_AndSendsNothing()
    {
        var file = ExportFiles.Write(Path.Combine(_folder, "dry.csv"), series: 12, rows: 20, withBadRows: true);
        var before = await SddDeliveryCount();
        var since = DateTimeOffset.UtcNow;

        var result = await Run("import", file, "--as", "hans-petrischool", "--dry-run");

        // Every student is new to the hub, and still each row names its recipients: the social service of the
        // student's municipality, waiting for the student's consent.
        Assert.True(result.ExitCode == ExitCodes.RowsFailed, result.ToString());
        Assert.Contains("Dry run: 19 rows would be imported, 1 rows have errors", result.Output);
        Assert.EndsWith("would announce SCHOOL_LEAVER_18 for a new client; sdd AWAITING_CONSENT", result.LineWith("row 1: ").TrimEnd());
        Assert.Equal(["row,line,column,reason,detail", "17,18,bsn,INVALID_BSN,\"bsn is not nine digits that pass the elfproef.\""], await File.ReadAllLinesAsync(file + ".errors.csv"));
        Assert.False(File.Exists(Path.Combine(_folder, "dry.csv.progress")));

        var newStudents = await Run("import", file, "--as", "hans-petrischool", "--dry-run", "--json");
        var planned = JsonDocument.Parse(newStudents.Output).RootElement.GetProperty("rows").EnumerateArray().Where(r => r.GetProperty("status").GetString() == "would_import").ToList();
        Assert.Equal(19, planned.Count);
        Assert.All(planned, r => Assert.Equal(["sdd AWAITING_CONSENT"], r.GetProperty("decisions").EnumerateArray().Select(d => d.GetString())));
        Assert.All(planned, r => Assert.Equal(SchoolImport.NewClientDetail, r.GetProperty("detail").GetString()));
        Assert.All(planned, r => Assert.False(r.TryGetProperty("client", out _)));

        // Nothing written at the hub: no delivery, no registration, no transition; only explain calls, read about no client.
        Assert.Equal(before, await SddDeliveryCount());
        var audited = await AuditEventsSince(since);
        Assert.DoesNotContain(audited, e => e.EventType is "RegisterClient" or "CreateTransition");
        var explains = audited.Where(e => e.EventType == "ExplainMessage").ToList();
        Assert.Equal(38, explains.Count);
        Assert.All(explains, e => Assert.Equal((AuditAction.Read, string.Empty, AuditOutcome.Success), (e.Action, e.ClientPseudonym, e.Outcome)));

        // The import itself then registers every student and gives SDD the transitions the dry run explained.
        since = DateTimeOffset.UtcNow;
        var imported = await Run("import", file, "--as", "hans-petrischool", "--json");
        Assert.Equal(ExitCodes.RowsFailed, imported.ExitCode);
        Assert.Equal(before + 19, await SddDeliveryCount());
        Assert.Equal(19, (await AuditEventsSince(since)).Count(e => e.EventType == "RegisterClient" && e.Action == AuditAction.Create));
        var importedRows = JsonDocument.Parse(imported.Output).RootElement.GetProperty("rows").EnumerateArray().Where(r => r.GetProperty("status").GetString() == "imported").ToList();
        Assert.Equal(
            planned.Select(r => (r.GetProperty("row").GetInt32(), string.Join(", ", r.GetProperty("decisions").EnumerateArray().Select(d => d.GetString())))),
            importedRows.Select(r => (r.GetProperty("row").GetInt32(), string.Join(", ", r.GetProperty("decisions").EnumerateArray().Select(d => d.GetString())))));

        // Once imported, a dry run explains each row with its client: SDD waits for the student's consent.
        var explained = await Run("import", file, "--as", "hans-petrischool", "--dry-run", "--json");
        var rows = JsonDocument.Parse(explained.Output).RootElement.GetProperty("rows").EnumerateArray().Where(r => r.GetProperty("status").GetString() == "would_import").ToList();
        Assert.Equal(19, rows.Count);
        Assert.All(rows, r => Assert.Contains("sdd AWAITING_CONSENT", r.GetProperty("decisions").EnumerateArray().Select(d => d.GetString())));
        Assert.All(rows, r => Assert.StartsWith("clients/", r.GetProperty("client").GetString(), StringComparison.Ordinal));
        Assert.Equal(before + 19, await SddDeliveryCount());
    }

    [Fact]
    public async Task FiveThousandRows_KilledPartway_Resumed_ThenRunAgain_GiveExactlyOneTransitionPerGoodRow()
    {
        var file = ExportFiles.Write(Path.Combine(_folder, "leerlingen-2026.csv"), series: 21, rows: 5000);
        var good = 5000 - ExportFiles.BadRows.Count;
        var progress = Path.Combine(_folder, "leerlingen-2026.csv.progress");
        var sddBefore = await SddDeliveriesByClient();
        var clock = Stopwatch.StartNew();

        // 1. The tool as its own process, killed once it has confirmed some rows.
        using (var process = StartTool("import", file, "--as", "hans-petrischool", "--hub", hub.Url, "--json", "--parallel", "2", "--id-key-file", KeyFile))
        {
            while (ConfirmedRows(progress) < 300)
            {
                Assert.False(process.HasExited, $"The import ended before it could be interrupted: exit {(process.HasExited ? process.ExitCode : 0)}. {ToolErrors}");
                await Task.Delay(20);
            }

            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        var confirmedBeforeKill = ConfirmedRows(progress);
        log.WriteLine($"killed after {clock.Elapsed.TotalSeconds:F1} s with {confirmedBeforeKill} rows confirmed");
        Assert.InRange(confirmedBeforeKill, 300, good - 1);

        // 2. Resumed: the confirmed rows are skipped, the rest imported, the bad rows reported.
        var resumed = await Run("import", file, "--as", "hans-petrischool", "--json");
        log.WriteLine($"resumed and finished after {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(resumed.ExitCode == ExitCodes.RowsFailed, resumed.ToString()[..Math.Min(2000, resumed.ToString().Length)]);
        var summary = JsonDocument.Parse(resumed.Output).RootElement.GetProperty("summary");
        Assert.Equal(5000, summary.GetProperty("rows").GetInt32());
        Assert.Equal(ExportFiles.BadRows.Count, summary.GetProperty("failedRows").GetInt32());
        Assert.Equal(good, summary.GetProperty("imported").GetInt32() + summary.GetProperty("alreadyImported").GetInt32());
        Assert.True(summary.GetProperty("alreadyImported").GetInt32() >= confirmedBeforeKill);

        var errors = (await File.ReadAllLinesAsync(file + ".errors.csv")).Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(ExportFiles.BadRows.OrderBy(b => b.Key).Select(b => (b.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), b.Value.Column, b.Value.Reason)), errors.Select(e => (e[0], e[2], e[3])));

        // 3. At the hub: one transition per good row, so SDD has exactly one delivery for each good row's client.
        var clients = JsonDocument.Parse(resumed.Output).RootElement.GetProperty("rows").EnumerateArray()
            .Where(r => r.TryGetProperty("client", out _)).Select(r => r.GetProperty("client").GetString()!).ToList();
        Assert.Equal(good, clients.Distinct().Count());
        // SDD names the clients in its own way (every party has its own names): one delivery for each of as many
        // clients as there are good rows.
        var perClient = (await SddDeliveriesByClient()).Where(c => c.Value != sddBefore.GetValueOrDefault(c.Key)).ToDictionary(c => c.Key, c => c.Value - sddBefore.GetValueOrDefault(c.Key));
        Assert.Equal(good, perClient.Count);
        Assert.All(perClient, c => Assert.Equal(1, c.Value));
        var total = (await SddDeliveriesByClient()).Values.Sum();

        // 4. Run again: nothing new; and again without the progress file: the hub answers each row with its first answer.
        var again = await Run("import", file, "--as", "hans-petrischool", "--json");
        Assert.Equal(good, JsonDocument.Parse(again.Output).RootElement.GetProperty("summary").GetProperty("alreadyImported").GetInt32());
        var restarted = await Run("import", file, "--as", "hans-petrischool", "--json", "--restart", "--parallel", "8");
        log.WriteLine($"re-sent all rows after {clock.Elapsed.TotalSeconds:F1} s");
        var restartedRows = JsonDocument.Parse(restarted.Output).RootElement.GetProperty("rows").EnumerateArray()
            .Where(r => r.TryGetProperty("client", out _)).Select(r => r.GetProperty("client").GetString()!).ToList();
        Assert.Equal(clients.Order(), restartedRows.Order());
        Assert.Equal(total, (await SddDeliveriesByClient()).Values.Sum());
    }

    [Fact]
    public async Task SetAside_ListedByTheRecipientAndAnAdmin_ReplayedByAnAdmin()
    {
        // One imported student whose consent releases the transition to SDD; SDD fails it until it is set aside.
        var file = Path.Combine(_folder, "one.csv");
        await File.WriteAllTextAsync(file, $"bsn,birth_date,municipality_code,brin,expected_leave_date\n{ExportFiles.Bsn(13, 1)},2008-03-14,0642,18XP,2026-07-01\n");
        var imported = await Run("import", file, "--as", "hans-petrischool", "--json");
        Assert.True(imported.ExitCode == ExitCodes.Ok, imported.ToString());
        // SDD's own name for the student the school imported, learnt by registering the BSN with the same facts.
        var client = await SddNameAsync(ExportFiles.Bsn(13, 1), "2008-03-14", "0642");
        var consent = await Run("consent", "grant", "--as", "sdd", "--client", client, "--grantor", "client", "--to", "sdd", "--purpose", "transition", "--category", "support_plan", "contact_details");
        Assert.True(consent.ExitCode == ExitCodes.Ok, consent.ToString());

        using var channel = GrpcChannel.ForAddress(hub.Url);
        var deliveries = new DeliveryService.DeliveryServiceClient(channel);
        string name;
        var attempt = 0;
        while (true)
        {
            attempt++;
            using var stream = deliveries.StreamDeliveries(new StreamDeliveriesRequest(), As("sdd"));
            Delivery? delivery = null;
            while (await stream.ResponseStream.MoveNext(CancellationToken.None))
            {
                if (stream.ResponseStream.Current.Delivery.Client == client)
                {
                    delivery = stream.ResponseStream.Current.Delivery;
                    break;
                }
            }

            name = delivery!.Name;
            var rejected = await deliveries.RejectDeliveryAsync(new RejectDeliveryRequest { RequestId = $"reject-{name}-{attempt}", Name = name, ReasonCode = "PARSE_ERROR" }, As("sdd"));
            if (rejected.Status == DeliveryStatus.SetAside)
            {
                break;
            }

            Assert.True(attempt < 10, "The delivery was never set aside.");
        }

        var own = await Run("deliveries", "set-aside", "list", "--as", "sdd", "--client", client);
        Assert.True(own.ExitCode == ExitCodes.Ok, own.ToString());
        own.LineWith(name, "sdd", client, "hans-petrischool");

        var notAdmin = await Run("deliveries", "set-aside", "list", "--as", "hans-petrischool", "--recipient", "sdd");
        Assert.Equal(ExitCodes.Refused, notAdmin.ExitCode);
        Assert.Contains("ADMIN_ROLE_REQUIRED", notAdmin.Error);

        var token = (await Run("token", "--party", "wijkteam-zwijndrecht", "--role", "admin", "--key-file", hub.DevelopmentKeyFile)).Output.Trim();
        var listed = await Run("deliveries", "set-aside", "list", "--token", token, "--recipient", "sdd", "--json");
        Assert.True(listed.ExitCode == ExitCodes.Ok, listed.ToString());
        Assert.Contains(Google.Protobuf.JsonParser.Default.Parse<ListDeliveriesResponse>(listed.Output).Deliveries, d => d.Name == name && d.Status == DeliveryStatus.SetAside);

        var replayed = await Run("deliveries", "set-aside", "replay", name, "--token", token);
        Assert.True(replayed.ExitCode == ExitCodes.Ok, replayed.ToString());
        Assert.Equal($"{name} PENDING", replayed.Output.Trim());
        var none = await Run("deliveries", "set-aside", "list", "--as", "sdd", "--client", client);
        Assert.Contains("No set-aside deliveries.", none.Output);
        var again = await Run("deliveries", "set-aside", "replay", name, "--token", token);
        Assert.Equal(ExitCodes.Refused, again.ExitCode);
        Assert.Contains("DELIVERY_NOT_SET_ASIDE", again.Error);
    }

    [Fact]
    public async Task NoHub_Exit3_AndAMissingColumn_Exit1_BeforeAnythingIsSent()
    {
        var file = ExportFiles.Write(Path.Combine(_folder, "x.csv"), series: 14, rows: 3, withBadRows: false);
        var unreachable = await Tool.RunAsync("import", file, "--as", "hans-petrischool", "--hub", "http://127.0.0.1:1", "--id-key-file", KeyFile);
        Assert.True(unreachable.ExitCode == ExitCodes.Unreachable, unreachable.ToString());

        var noColumn = Path.Combine(_folder, "y.csv");
        await File.WriteAllTextAsync(noColumn, "bsn;birth_date;brin\n111222333;2008-03-14;18XP\n");
        var usage = await Run("import", noColumn, "--as", "hans-petrischool");
        Assert.True(usage.ExitCode == ExitCodes.Usage, usage.ToString());
        Assert.Contains("lacks the column(s) municipality_code, expected_leave_date (separator ';')", usage.Error);
        Assert.False(File.Exists(noColumn + ".progress"));
    }

    /// <summary>Runs the tool in-process; an import uses the test's own key file, not the one in the home folder.</summary>
    private async Task<CliResult> Run(params string[] args) =>
        await Tool.RunAsync(args[0] == "import" ? [.. args, "--hub", hub.Url, "--id-key-file", KeyFile] : [.. args, "--hub", hub.Url]);

    private string KeyFile => Path.Combine(_folder, "import-id.key");

    private static CallOptions As(string party) => new(new Metadata { { DevelopmentHeaders.Party, party } });

    /// <summary>The hub's audit events from <paramref name="since"/> on, read as a privacy officer (the export itself left out).</summary>
    private async Task<List<AuditEvent>> AuditEventsSince(DateTimeOffset since)
    {
        using var channel = GrpcChannel.ForAddress(hub.Url);
        var audit = new AuditService.AuditServiceClient(channel);
        var headers = new Metadata { { DevelopmentHeaders.Party, "sdd" }, { "ketenhub-roles", "privacy-officer" } };
        var request = new ListAuditEventsRequest { StartTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(since), PageSize = 1000 };
        var events = new List<AuditEvent>();
        do
        {
            var page = await audit.ListAuditEventsAsync(request, new CallOptions(headers));
            events.AddRange(page.AuditEvents);
            request.PageToken = page.NextPageToken;
        }
        while (request.PageToken.Length > 0);

        return [.. events.Where(e => e.EventType != "ExportAuditTrail")];
    }

    private static int ConfirmedRows(string progress)
    {
        if (!File.Exists(progress))
        {
            return 0;
        }

        using var stream = new FileStream(progress, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var count = 0;
        while (reader.ReadLine() is { } line)
        {
            if (line.EndsWith("\tok", StringComparison.Ordinal))
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>What tool processes started by <see cref="StartTool"/> wrote to standard error, for failure messages.</summary>
    private static readonly System.Text.StringBuilder ToolErrors = new();

    /// <summary>The tool's own process: the built ketenhub.dll next to the tests.</summary>
    private static Process StartTool(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(typeof(KetenhubCli).Assembly.Location);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null && e.Data.Contains("error", StringComparison.OrdinalIgnoreCase))
            {
                lock (ToolErrors)
                {
                    ToolErrors.AppendLine(e.Data);
                }
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (ToolErrors)
                {
                    ToolErrors.AppendLine(e.Data);
                }
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private async Task<Dictionary<string, int>> SddDeliveriesByClient()
    {
        using var channel = GrpcChannel.ForAddress(hub.Url);
        var service = new DeliveryService.DeliveryServiceClient(channel);
        var counts = new Dictionary<string, int>();
        var token = string.Empty;
        do
        {
            var page = await service.ListDeliveriesAsync(new ListDeliveriesRequest { Status = DeliveryStatus.AwaitingConsent, PageSize = 1000, PageToken = token }, As("sdd"));
            foreach (var d in page.Deliveries)
            {
                counts[d.Client] = counts.GetValueOrDefault(d.Client) + 1;
            }

            token = page.NextPageToken;
        }
        while (token.Length > 0);
        return counts;
    }

    private async Task<int> SddDeliveryCount() => (await SddDeliveriesByClient()).Values.Sum();

    /// <summary>SDD's own name for a client, as SDD learns it: by registering the BSN with the same facts.</summary>
    private async Task<string> SddNameAsync(string bsn, string birthDate, string municipality)
    {
        var registered = await Run("client", "register", "--as", "sdd", "--bsn", bsn, "--birth-date", birthDate, "--municipality", municipality);
        Assert.True(registered.ExitCode == ExitCodes.Ok, registered.ToString());
        return registered.Output.Trim();
    }

    private async Task<int> SddDeliveriesFor(string client) => (await SddDeliveriesByClient()).GetValueOrDefault(client);
}

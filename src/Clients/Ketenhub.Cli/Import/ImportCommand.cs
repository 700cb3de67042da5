using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Google.Rpc;
using Grpc.Core;
using Ketenhub.Contracts.V1;
using Spectre.Console;

namespace Ketenhub.Cli.Import;

/// <summary>
/// <c>import FILE.csv</c>: a school's export of students approaching 18 becomes one school-leaver transition
/// per row (the client registered with the school as school of record, then <c>SCHOOL_LEAVER_18</c> from the
/// school to the social service of the client's municipality, effective on the expected leave date).
/// </summary>
public static class ImportCommand
{
    public static Command Create(CliContext context)
    {
        var file = new Argument<FileInfo>("file") { Description = "The school administration export, CSV with a header line (see docs/clients.md: columns bsn, birth_date, municipality_code, brin, expected_leave_date)." };
        var school = CliOptions.Text("--school", "The importing school's party id; defaults to the calling party (--as).", helpName: "party");
        var errors = CliOptions.Text("--errors", "Where to write the per-row error report (CSV). Defaults to FILE.errors.csv; the progress file FILE.progress sits next to it.", helpName: "path");
        var batch = CliOptions.Text("--batch", "The batch name the request ids are derived from; defaults to the file's name without its folder. Keep it when re-running a corrected file.", helpName: "name");
        var dryRun = new Option<bool>("--dry-run") { Description = "Check every row and ask the hub to explain each transition; makes no write at the hub (it audits the explain calls as reads)." };
        var parallel = CliOptions.Number("--parallel", "How many rows to send at once (default 8).", minimum: 1);
        var keyFile = CliOptions.Text("--id-key-file", $"The key the rows' request ids are derived with (created when missing). Defaults to {ImportKey.DefaultFile}.", helpName: "path");
        var restart = new Option<bool>("--restart") { Description = "Ignore the progress file and send every row again (the hub still answers repeated rows with their first answer)." };
        var command = new Command("import", "Imports a school's 18-/18+ export: registers each student and announces a school-leaver transition to the social service. Resumable and safe to re-run.")
        {
            file, school, errors, batch, dryRun, parallel, restart, keyFile,
        };
        context.SetAction(command, (call, parse, cancellationToken) =>
        {
            var path = parse.GetValue(file)!.FullName;
            if (parse.GetValue(school) is { Length: > 0 } named && call.Party.Length > 0 && Names.ShortParty(Names.Party(named)) != call.Party)
            {
                throw new CliUsageException($"--school {named.Trim()} is not the calling party {call.Party}: a school imports its own export.");
            }

            var options = new ImportOptions(
                path,
                Names.ShortParty(Names.Party(parse.GetValue(school) is { Length: > 0 } s ? s : call.Party)),
                parse.GetValue(errors) is { Length: > 0 } e ? Path.GetFullPath(e) : path + ".errors.csv",
                parse.GetValue(batch) is { Length: > 0 } b ? b.Trim() : Path.GetFileName(path),
                parse.GetValue(dryRun),
                parse.GetValue(parallel) ?? 8,
                parse.GetValue(restart),
                parse.GetValue(keyFile) is { Length: > 0 } k ? Path.GetFullPath(k) : ImportKey.DefaultFile);
            return new SchoolImport(call, options).RunAsync(cancellationToken);
        });
        return command;
    }
}

/// <summary>The options of one import.</summary>
public sealed record ImportOptions(string File, string School, string ErrorFile, string Batch, bool DryRun, int Parallel, bool Restart, string KeyFile)
{
    /// <summary>The progress file: the error report's path with <c>.progress</c> instead of its extension.</summary>
    public string ProgressFile => Path.ChangeExtension(ErrorFile, null) is var stem && stem.EndsWith(".errors", StringComparison.Ordinal)
        ? stem[..^".errors".Length] + ".progress"
        : stem + ".progress";
}

/// <summary>What happened to one row.</summary>
public sealed record RowResult(int Row, int Line, string Status, string RequestId = "", string Client = "", string Transition = "", string Column = "", string Reason = "", string Detail = "", IReadOnlyList<string>? Decisions = null);

/// <summary>One run of <c>import</c>.</summary>
public sealed class SchoolImport(Invocation call, ImportOptions options)
{
    public const string Imported = "imported";
    public const string AlreadyImported = "already_imported";
    public const string Failed = "failed";
    public const string WouldImport = "would_import";
    public const string WouldFail = "would_fail";

    private readonly List<RowResult> _results = [];
    private readonly Lock _lock = new();

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        if (options.School.Length == 0)
        {
            throw new CliUsageException("Name the importing school with --school <party id> or --as <party id>.");
        }

        if (!File.Exists(options.File))
        {
            throw new CliUsageException($"The file '{options.File}' does not exist.");
        }

        // What the hub knows: the school's BRIN and which social service serves each municipality.
        var parties = (await new PartyService.PartyServiceClient(call.Invoker).ListPartiesAsync(new ListPartiesRequest(), call.Unary(cancellationToken))).Parties;
        var schoolName = Names.Party(options.School);
        var schoolParty = parties.FirstOrDefault(p => p.Name == schoolName && p.Kind == PartyKind.School)
            ?? throw new CliUsageException($"--school: the hub knows no school '{options.School}'.");
        var socialServices = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var service in parties.Where(p => p.Kind == PartyKind.SocialService))
        {
            foreach (var code in service.MunicipalityCodes)
            {
                socialServices.TryAdd(code, service.Name);
            }
        }

        var key = ImportKey.LoadOrCreate(options.KeyFile);
        var (rows, problems) = ReadRows(schoolParty, socialServices, key);
        foreach (var problem in problems)
        {
            _results.Add(new RowResult(problem.Row, problem.Line, options.DryRun ? WouldFail : Failed, Column: problem.Column, Reason: problem.Reason, Detail: problem.Detail));
        }

        using var checkpoint = ImportCheckpoint.Open(options.ProgressFile, options.School, options.Batch, writable: !options.DryRun);
        var done = options.Restart ? new Dictionary<string, (string Client, string Transition)>() : checkpoint.Done.ToDictionary();
        var todo = new List<ExportRow>();
        foreach (var row in rows)
        {
            if (!options.DryRun && done.TryGetValue(row.RequestIdBase, out var confirmed))
            {
                _results.Add(new RowResult(row.Row, row.Line, AlreadyImported, row.RequestIdBase, confirmed.Client, confirmed.Transition));
            }
            else
            {
                todo.Add(row);
            }
        }

        var unreachable = await SendAsync(todo, checkpoint, done, cancellationToken);
        var ordered = _results.OrderBy(r => r.Row).ThenBy(r => r.Column, StringComparer.Ordinal).ToList();
        WriteErrorReport(ordered);

        var rowCount = rows.Count + problems.Select(p => p.Row).Distinct().Count();
        var failedRows = ordered.Where(r => r.Status is Failed or WouldFail).Select(r => r.Row).Distinct().Count();
        var exit = unreachable is not null ? ExitCodes.Unreachable
            : cancellationToken.IsCancellationRequested ? ExitCodes.Refused
            : failedRows > 0 ? ExitCodes.RowsFailed
            : ExitCodes.Ok;
        if (call.Json)
        {
            WriteJson(ordered, rowCount, failedRows, unreachable, exit);
        }
        else
        {
            WriteSummary(ordered, failedRows, unreachable, rowCount);
        }

        return exit;
    }

    private (List<ExportRow> Rows, List<RowProblem> Problems) ReadRows(Party school, Dictionary<string, string> socialServices, byte[] key)
    {
        using var csv = OpenCsv();
        var header = csv.Next() ?? throw new CliUsageException($"The file '{options.File}' is empty; it needs a header line.");
        var columns = SchoolExport.MapHeader(header.Fields, out var missing)
            ?? throw new CliUsageException($"The header of '{options.File}' lacks the column(s) {string.Join(", ", missing)} (separator '{csv.Separator}'). See docs/clients.md, 'Importing a school export'.");
        var today = DateOnly.FromDateTime(TimeProvider.System.GetLocalNow().DateTime);
        var rows = new List<ExportRow>();
        var problems = new List<RowProblem>();
        var firstRowOfBsn = new Dictionary<string, int>(StringComparer.Ordinal);
        var number = 0;
        while (csv.Next() is { } record)
        {
            number++;
            var row = SchoolExport.Validate(record, number, columns, header.Fields.Count, today, problems);
            if (row is null)
            {
                continue;
            }

            if (!string.Equals(row.Brin, school.Brin, StringComparison.OrdinalIgnoreCase))
            {
                problems.Add(new RowProblem(number, record.Line, SchoolExport.BrinColumn, "BRIN_NOT_OF_SCHOOL", $"brin is not the BRIN of {Names.ShortParty(school.Name)}."));
                continue;
            }

            if (!socialServices.TryGetValue(row.MunicipalityCode, out var socialService))
            {
                problems.Add(new RowProblem(number, record.Line, SchoolExport.MunicipalityColumn, "NO_SOCIAL_SERVICE", "No social service connected to the hub serves municipality_code."));
                continue;
            }

            if (firstRowOfBsn.TryGetValue(row.Bsn, out var first))
            {
                problems.Add(new RowProblem(number, record.Line, SchoolExport.BsnColumn, "DUPLICATE_STUDENT", $"The same student is on row {first}."));
                continue;
            }

            firstRowOfBsn[row.Bsn] = number;
            rows.Add(row with { SocialService = socialService, RequestIdBase = SchoolExport.RequestIdBase(key, options.School, options.Batch, row) });
        }

        return (rows, problems);
    }

    private CsvRecords OpenCsv()
    {
        try
        {
            return CsvRecords.Open(options.File);
        }
        catch (IOException ex)
        {
            throw new CliUsageException($"The file '{options.File}' cannot be read: {ex.Message}");
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new CliUsageException($"The file '{options.File}' cannot be read: {ex.Message}");
        }
    }

    /// <summary>Sends the rows, a few at once. Returns the error when the hub became unreachable (the rest is left for a resumed run).</summary>
    private async Task<RpcException?> SendAsync(List<ExportRow> todo, ImportCheckpoint checkpoint, Dictionary<string, (string Client, string Transition)> done, CancellationToken cancellationToken)
    {
        RpcException? unreachable = null;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        async Task Work(Action advance)
        {
            try
            {
                await Parallel.ForEachAsync(todo, new ParallelOptions { MaxDegreeOfParallelism = options.Parallel, CancellationToken = stop.Token }, async (row, token) =>
                {
                    try
                    {
                        var result = options.DryRun ? await ExplainAsync(row, done, token) : await ImportAsync(row, checkpoint, token);
                        Add(result);
                    }
                    catch (RpcException ex) when (ErrorReport.IsUnreachable(ex))
                    {
                        unreachable ??= ex;
                        await stop.CancelAsync();
                        return;
                    }
                    catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && token.IsCancellationRequested)
                    {
                        return;
                    }
                    catch (RpcException ex)
                    {
                        Add(Refusal(row, ex));
                    }

                    advance();
                });
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
        }

        if (call.Json || todo.Count == 0)
        {
            await Work(() => { });
        }
        else
        {
            await call.Console.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .StartAsync(async progress =>
                {
                    var task = progress.AddTask(options.DryRun ? "Explaining rows" : "Importing rows", maxValue: todo.Count);
                    await Work(() => task.Increment(1));
                });
        }

        return unreachable;
    }

    private async Task<RowResult> ImportAsync(ExportRow row, ImportCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        var registration = new RegisterClientRequest
        {
            RequestId = row.RequestIdBase + "-c",
            Bsn = row.Bsn,
            BirthDate = Render.ToDate(row.BirthDate),
            MunicipalityCode = row.MunicipalityCode,
            School = Names.Party(options.School),
        };
        var registered = await RateLimit.WaitAndRetryAsync(
            () => new ClientService.ClientServiceClient(call.Invoker).RegisterClientAsync(registration, call.Unary(cancellationToken)).ResponseAsync,
            cancellationToken);
        var transition = new CreateTransitionRequest { RequestId = SchoolExport.TransitionRequestId(options.School, options.Batch, registered.Client.Name, row), Transition = Draft(row, registered.Client.Name) };
        var created = await RateLimit.WaitAndRetryAsync(
            () => new TransitionService.TransitionServiceClient(call.Invoker).CreateTransitionAsync(transition, call.Unary(cancellationToken)).ResponseAsync,
            cancellationToken);
        checkpoint.Confirm(row.RequestIdBase, registered.Client.Name, created.Transition.Name);
        return new RowResult(row.Row, row.Line, Imported, row.RequestIdBase, registered.Client.Name, created.Transition.Name, Decisions: Decisions(created.Decisions));
    }

    /// <summary>
    /// Explains a row's transition. A student this import has not confirmed yet is explained as the hub would
    /// see them once registered: a prospective client with the row's birth date and municipality and this
    /// school as school of record (no BSN is sent), so every row gets its recipients and decisions.
    /// </summary>
    private async Task<RowResult> ExplainAsync(ExportRow row, Dictionary<string, (string Client, string Transition)> done, CancellationToken cancellationToken)
    {
        var known = done.TryGetValue(row.RequestIdBase, out var confirmed) ? confirmed.Client : null;
        var request = new ExplainMessageRequest { Transition = Draft(row, known ?? string.Empty) };
        if (known is null)
        {
            request.ProspectiveClient = new ProspectiveClient
            {
                BirthDate = Render.ToDate(row.BirthDate),
                MunicipalityCode = row.MunicipalityCode,
                School = Names.Party(options.School),
            };
        }

        ExplainMessageResponse explained;
        try
        {
            explained = await RateLimit.WaitAndRetryAsync(
                () => new ExplainService.ExplainServiceClient(call.Invoker).ExplainMessageAsync(request, call.Unary(cancellationToken)).ResponseAsync,
                cancellationToken);
        }
        catch (RpcException ex) when (known is null && IsOlderHub(ex))
        {
            // A hub from before prospective clients ignores them and asks for the client: the draft passed its
            // other checks, and the recipients are decided once the student is registered.
            return new RowResult(row.Row, row.Line, WouldImport, row.RequestIdBase, Detail: OlderHubDetail);
        }

        return new RowResult(
            row.Row,
            row.Line,
            WouldImport,
            row.RequestIdBase,
            known ?? string.Empty,
            confirmed.Transition ?? string.Empty,
            Detail: known is null ? NewClientDetail : string.Empty,
            Decisions: Decisions(explained.Decisions));
    }

    /// <summary>The dry run's note on a new student's row when the hub cannot explain for a client it does not know.</summary>
    public const string OlderHubDetail = "New client: this hub cannot explain for a client it does not know yet; recipients are decided once the student is registered.";

    private static bool IsOlderHub(RpcException ex)
    {
        var status = ex.GetRpcStatus();
        return status?.GetDetail<ErrorInfo>()?.Reason == "FIELD_REQUIRED"
            && status.GetDetail<BadRequest>()?.FieldViolations is [{ Field: "transition.client" }];
    }

    /// <summary>The dry run's note on a row whose student is explained as a new client.</summary>
    public const string NewClientDetail = "New client: explained as registered with the row's birth date and municipality and this school, without consents or coach.";

    private Transition Draft(ExportRow row, string client) => new()
    {
        Client = client,
        Kind = TransitionKind.SchoolLeaver18,
        FromParty = Names.Party(options.School),
        ToParty = row.SocialService,
        EffectiveDate = Render.ToDate(row.ExpectedLeaveDate),
    };

    private static List<string> Decisions(IEnumerable<RecipientDecision> decisions) =>
        [.. decisions.Select(d => $"{Names.ShortParty(d.Recipient)} {EnumNames<RecipientOutcome>.Format(d.Outcome)}")];

    private RowResult Refusal(ExportRow row, RpcException ex)
    {
        var status = ex.GetRpcStatus();
        var reason = status?.GetDetail<ErrorInfo>()?.Reason ?? ex.StatusCode.ToString().ToUpperInvariant();
        var field = status?.GetDetail<BadRequest>()?.FieldViolations.FirstOrDefault()?.Field ?? string.Empty;
        var column = field switch
        {
            "bsn" => SchoolExport.BsnColumn,
            "birth_date" or "prospective_client.birth_date" => SchoolExport.BirthDateColumn,
            "municipality_code" or "prospective_client.municipality_code" => SchoolExport.MunicipalityColumn,
            "school" or "prospective_client.school" or "transition.from_party" => SchoolExport.BrinColumn,
            "transition.effective_date" => SchoolExport.LeaveDateColumn,
            _ => string.Empty,
        };
        return new RowResult(row.Row, row.Line, options.DryRun ? WouldFail : Failed, row.RequestIdBase, Column: column, Reason: reason, Detail: "The hub refused: " + (status?.Message ?? ex.Status.Detail));
    }

    private void Add(RowResult result)
    {
        lock (_lock)
        {
            _results.Add(result);
        }
    }

    /// <summary>The per-row error report: row, line, column, reason, detail. Never a value from the row.</summary>
    private void WriteErrorReport(List<RowResult> results)
    {
        var text = new StringBuilder("row,line,column,reason,detail\n");
        foreach (var r in results.Where(r => r.Status is Failed or WouldFail))
        {
            text.Append(CultureInfo.InvariantCulture, $"{r.Row},{r.Line},{r.Column},{r.Reason},\"{r.Detail.Replace("\"", "\"\"", StringComparison.Ordinal)}\"\n");
        }

        Directory.CreateDirectory(Path.GetDirectoryName(options.ErrorFile)!);
        File.WriteAllText(options.ErrorFile, text.ToString(), new UTF8Encoding(false));
    }

    private void WriteSummary(List<RowResult> results, int failedRows, RpcException? unreachable, int rowCountSeen)
    {
        int Count(string status) => results.Count(r => r.Status == status);
        var output = call.Host.Output;
        if (options.DryRun)
        {
            foreach (var r in results.Where(r => r.Status == WouldImport))
            {
                output.WriteLine($"row {r.Row}: would announce SCHOOL_LEAVER_18{(r.Client.Length > 0 ? " for " + r.Client : " for a new client")}; {(r.Decisions is { Count: > 0 } d ? string.Join(", ", d) : r.Detail.Length > 0 ? r.Detail : "no recipients")}");
            }

            output.WriteLine($"Dry run: {Count(WouldImport)} rows would be imported, {failedRows} rows have errors (see {options.ErrorFile}). Nothing was sent.");
        }
        else
        {
            output.WriteLine($"{Count(Imported)} rows imported, {Count(AlreadyImported)} already imported, {failedRows} rows failed (see {options.ErrorFile}).");
        }

        if (unreachable is not null)
        {
            ErrorReport.Write(unreachable, call.Host.Error, call.Hub, json: false);
            call.Note("The import stopped; run the same command again to resume it.");
        }
        else if (results.Select(r => r.Row).Distinct().Count() is var handled && handled < rowCountSeen)
        {
            call.Note($"Interrupted after {handled} of {rowCountSeen} rows; run the same command again to resume it.");
        }
    }

    private void WriteJson(List<RowResult> results, int rowCount, int failedRows, RpcException? unreachable, int exit)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteStartObject("summary");
            json.WriteString("file", options.File);
            json.WriteString("school", Names.Party(options.School));
            json.WriteString("batch", options.Batch);
            json.WriteBoolean("dryRun", options.DryRun);
            json.WriteNumber("rows", rowCount);
            json.WriteNumber("imported", results.Count(r => r.Status == Imported));
            json.WriteNumber("alreadyImported", results.Count(r => r.Status == AlreadyImported));
            json.WriteNumber("wouldImport", results.Count(r => r.Status == WouldImport));
            json.WriteNumber("failedRows", failedRows);
            json.WriteBoolean("complete", unreachable is null);
            json.WriteString("errorFile", options.ErrorFile);
            json.WriteNumber("exitCode", exit);
            json.WriteEndObject();
            json.WriteStartArray("rows");
            foreach (var r in results)
            {
                json.WriteStartObject();
                json.WriteNumber("row", r.Row);
                json.WriteNumber("line", r.Line);
                json.WriteString("status", r.Status);
                WriteIfAny(json, "requestId", r.RequestId);
                WriteIfAny(json, "client", r.Client);
                WriteIfAny(json, "transition", r.Transition);
                WriteIfAny(json, "column", r.Column);
                WriteIfAny(json, "reason", r.Reason);
                WriteIfAny(json, "detail", r.Detail);
                if (r.Decisions is { Count: > 0 })
                {
                    json.WriteStartArray("decisions");
                    foreach (var d in r.Decisions)
                    {
                        json.WriteStringValue(d);
                    }

                    json.WriteEndArray();
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        call.Host.Output.WriteLine(Encoding.UTF8.GetString(stream.ToArray()));
        if (unreachable is not null)
        {
            ErrorReport.Write(unreachable, call.Host.Error, call.Hub, json: true);
        }
    }

    private static void WriteIfAny(Utf8JsonWriter json, string name, string value)
    {
        if (value.Length > 0)
        {
            json.WriteString(name, value);
        }
    }
}

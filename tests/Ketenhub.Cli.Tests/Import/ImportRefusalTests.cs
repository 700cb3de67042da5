using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Ketenhub.Cli.Tests.Infrastructure;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Cli.Tests.Import;

/// <summary>
/// What <c>import</c> does when the hub refuses a row or stops answering partway, with a hub at the gRPC
/// level that fails on chosen calls (the end-to-end tests use the real hub, which refuses nothing the tool
/// has checked).
/// </summary>
public sealed class ImportRefusalTests : IDisposable
{
    private readonly FakeHub _hub = new();
    private readonly string _folder = Directory.CreateTempSubdirectory("ketenhub-import-refusal-").FullName;
    private int _registered;

    public ImportRefusalTests()
    {
        _hub.On<ListPartiesRequest, ListPartiesResponse>(_ => new()
        {
            Parties =
            {
                new Party { Name = "parties/hans-petrischool", Kind = PartyKind.School, Brin = "18XP" },
                new Party { Name = "parties/sdd", Kind = PartyKind.SocialService, MunicipalityCodes = { "0505", "0642", "0590", "0482" } },
            },
        });
        _hub.On<CreateTransitionRequest, CreateTransitionResponse>(request => new() { Transition = new Transition { Name = "transitions/" + request.RequestId } });
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task ARowTheHubRefuses_IsReportedWithTheHubsReasonAndTheColumn_AndTheOthersAreImported()
    {
        var file = ExportFiles.Write(Path.Combine(_folder, "e.csv"), series: 31, rows: 5, withBadRows: false);
        _hub.On<RegisterClientRequest, RegisterClientResponse>(request => Registered(request));
        var refused = 0;
        _hub.On<CreateTransitionRequest, CreateTransitionResponse>(request =>
            Interlocked.Increment(ref refused) == 3
                ? throw Refusal("INVALID_DATE", "transition.effective_date", "transition.effective_date is out of range.")
                : new() { Transition = new Transition { Name = "transitions/" + request.RequestId } });

        var result = await Run("import", file, "--as", "hans-petrischool", "--parallel", "1");

        Assert.True(result.ExitCode == ExitCodes.RowsFailed, result.ToString());
        Assert.Contains("4 rows imported, 0 already imported, 1 rows failed", result.Output);
        Assert.Equal(
            ["row,line,column,reason,detail", "3,4,expected_leave_date,INVALID_DATE,\"The hub refused: The request has 1 invalid field.\""],
            await File.ReadAllLinesAsync(file + ".errors.csv"));
        Assert.Equal(4, ProgressLines(file).Count);
    }

    [Fact]
    public async Task AHubThatStopsAnswering_Exit3_KeepsTheProgress_AndARunAgainSendsOnlyTheRestWithTheSameRequestIds()
    {
        var file = ExportFiles.Write(Path.Combine(_folder, "u.csv"), series: 32, rows: 10, withBadRows: false);
        _hub.On<RegisterClientRequest, RegisterClientResponse>(request =>
            Interlocked.Increment(ref _registered) > 6 ? throw new RpcException(new Grpc.Core.Status(StatusCode.Unavailable, "Error connecting to subchannel.")) : Registered(request));

        var stopped = await Run("import", file, "--as", "hans-petrischool", "--parallel", "1", "--json");

        Assert.True(stopped.ExitCode == ExitCodes.Unreachable, stopped.ToString());
        var summary = JsonDocument.Parse(stopped.Output).RootElement.GetProperty("summary");
        Assert.False(summary.GetProperty("complete").GetBoolean());
        Assert.Equal(6, summary.GetProperty("imported").GetInt32());
        Assert.Equal(6, ProgressLines(file).Count);
        var refusedIds = _hub.Calls.Select(c => c.Request).OfType<RegisterClientRequest>().Skip(6).Select(r => r.RequestId).ToList();

        // The hub is back.
        _registered = int.MinValue;
        var sentBefore = _hub.Calls.Count;
        var resumed = await Run("import", file, "--as", "hans-petrischool", "--parallel", "1", "--json");

        Assert.True(resumed.ExitCode == ExitCodes.Ok, resumed.ToString());
        summary = JsonDocument.Parse(resumed.Output).RootElement.GetProperty("summary");
        Assert.Equal((4, 6), (summary.GetProperty("imported").GetInt32(), summary.GetProperty("alreadyImported").GetInt32()));
        var registers = _hub.Calls.Skip(sentBefore).Select(c => c.Request).OfType<RegisterClientRequest>().Select(r => r.RequestId).ToList();
        Assert.Equal(4, registers.Count);
        Assert.Contains(refusedIds[0], registers);
        Assert.All(_hub.Calls.Skip(sentBefore).Select(c => c.Request).OfType<CreateTransitionRequest>(), t => Assert.Matches("^imp-[0-9a-f]{40}-t$", t.RequestId));
        Assert.Equal(10, ProgressLines(file).Count);
    }

    [Fact]
    public async Task ASchoolOtherThanTheCaller_IsAUsageError()
    {
        var file = ExportFiles.Write(Path.Combine(_folder, "s.csv"), series: 33, rows: 1, withBadRows: false);

        var result = await Run("import", file, "--as", "de-sprong", "--school", "hans-petrischool");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("--school", result.Error);
        Assert.Empty(_hub.Calls);
    }

    private static RegisterClientResponse Registered(RegisterClientRequest request) =>
        new() { Client = new Client { Name = "clients/c" + request.RequestId[4..20] } };

    [Fact]
    public async Task ADryRunAgainstAHubThatCannotExplainForNewClients_StillChecksEveryRow_AndSaysWhyNoRecipientsAreShown()
    {
        // A hub from before ExplainMessageRequest.prospective_client ignores it and asks for the transition's client.
        var file = ExportFiles.Write(Path.Combine(_folder, "old.csv"), series: 33, rows: 3, withBadRows: false);
        _hub.On<ExplainMessageRequest, ExplainMessageResponse>(request => request.Transition.Client.Length == 0
            ? throw Refusal("FIELD_REQUIRED", "transition.client", "transition.client is required.")
            : new ExplainMessageResponse());

        var result = await Run("import", file, "--as", "hans-petrischool", "--dry-run");

        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
        Assert.Contains("Dry run: 3 rows would be imported, 0 rows have errors", result.Output);
        Assert.EndsWith("for a new client; " + Ketenhub.Cli.Import.SchoolImport.OlderHubDetail, result.LineWith("row 2: ").TrimEnd());
        Assert.All(_hub.Requests<ExplainMessageRequest>(), r => Assert.Equal(("parties/hans-petrischool", 2008), (r.ProspectiveClient.School, r.ProspectiveClient.BirthDate.Year)));
        Assert.Equal(3, _hub.Requests<ExplainMessageRequest>().Count);
        Assert.Empty(_hub.Requests<RegisterClientRequest>());
    }

    private static RpcException Refusal(string reason, string field, string description) => new Google.Rpc.Status
    {
        Code = (int)Code.InvalidArgument,
        Message = "The request has 1 invalid field.",
        Details =
        {
            Any.Pack(new ErrorInfo { Reason = reason, Domain = "ketenhub.nl" }),
            Any.Pack(new BadRequest { FieldViolations = { new BadRequest.Types.FieldViolation { Field = field, Description = description } } }),
        },
    }.ToRpcException();

    private static List<string> ProgressLines(string file) => [.. File.ReadAllLines(Path.ChangeExtension(file, ".csv.progress")).Where(l => l.EndsWith("\tok", StringComparison.Ordinal))];

    private Task<CliResult> Run(params string[] args) => Tool.RunAsync(new Dictionary<string, string>(), _hub.Connect, [.. args, "--id-key-file", Path.Combine(_folder, "import-id.key")]);
}

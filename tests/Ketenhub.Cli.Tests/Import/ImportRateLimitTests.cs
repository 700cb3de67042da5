using System.Diagnostics;
using System.Text.Json;
using Grpc.Core;
using Ketenhub.Cli.Import;
using Ketenhub.Cli.Tests.Infrastructure;
using Ketenhub.Testing;
using Xunit.Abstractions;

namespace Ketenhub.Cli.Tests.Import;

/// <summary>
/// <c>ketenhub import</c> against a hub whose rate limit the export is far over: the tool waits as the hub's
/// <c>RetryInfo</c> says and sends the refused calls again, so every row is imported and none fails for the limit.
/// </summary>
public sealed class ImportRateLimitTests(ImportRateLimitTests.SlowHub hub, ITestOutputHelper log) : IClassFixture<ImportRateLimitTests.SlowHub>, IDisposable
{
    private const int Rows = 40;

    private readonly string _folder = Directory.CreateTempSubdirectory("ketenhub-import-rate-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task AnExportOverTheSchoolsRate_IsImportedWhole_AtTheRateTheHubAllows()
    {
        var file = ExportFiles.Write(Path.Combine(_folder, "export.csv"), series: 31, rows: Rows, withBadRows: false);
        var clock = Stopwatch.StartNew();

        var result = await Tool.RunAsync("import", file, "--as", "hans-petrischool", "--json", "--parallel", "8", "--hub", hub.Url, "--id-key-file", Path.Combine(_folder, "id.key"));

        log.WriteLine($"{Rows} rows in {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
        var summary = JsonDocument.Parse(result.Output).RootElement.GetProperty("summary");
        Assert.Equal((Rows, 0), (summary.GetProperty("imported").GetInt32(), summary.GetProperty("failedRows").GetInt32()));

        // Two calls a row at 40 a second after a burst of 10: it took the hub's time, not the tool's.
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(1), $"The import took {clock.Elapsed}: was it limited at all?");
    }

    [Fact]
    public void OnlyARateLimitedAnswerIsRetried()
    {
        var limited = new Google.Rpc.Status { Code = (int)StatusCode.ResourceExhausted, Message = "limited" };
        limited.Details.Add(Google.Protobuf.WellKnownTypes.Any.Pack(new Google.Rpc.ErrorInfo { Domain = "ketenhub.nl", Reason = "RATE_LIMITED" }));
        limited.Details.Add(Google.Protobuf.WellKnownTypes.Any.Pack(new Google.Rpc.RetryInfo { RetryDelay = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromMilliseconds(250)) }));
        var tooLarge = new Google.Rpc.Status { Code = (int)StatusCode.ResourceExhausted, Message = "too large" };
        tooLarge.Details.Add(Google.Protobuf.WellKnownTypes.Any.Pack(new Google.Rpc.ErrorInfo { Domain = "ketenhub.nl", Reason = "MESSAGE_TOO_LARGE" }));

        Assert.Equal(TimeSpan.FromMilliseconds(250), RateLimit.RetryDelay(limited.ToRpcException()));
        Assert.Null(RateLimit.RetryDelay(tooLarge.ToRpcException()));
        Assert.Null(RateLimit.RetryDelay(new RpcException(new Status(StatusCode.Unavailable, "down"))));
    }

    /// <summary>The hub with the school's rate set low (40 calls a second, a burst of 10).</summary>
    public sealed class SlowHub() : HubProcessFixture(new Dictionary<string, string?>
    {
        ["Hub:Limits:Parties:hans-petrischool:PermitsPerSecond"] = "40",
        ["Hub:Limits:Parties:hans-petrischool:Burst"] = "10",
    });
}

using Grpc.Core;
using Grpc.Reflection.V1Alpha;
using Ketenhub.Testing;
using Xunit.Abstractions;

namespace Ketenhub.ProcessTests;

/// <summary>
/// What is asked for is what runs, through real hub processes: the environment set in the shell wins over the launch
/// profile (through <c>dotnet run</c> too), the demo configuration runs only in Development, reflection is off in
/// Production unless switched on, every configuration problem is reported in one start without a stack trace, and
/// the database the hub creates is its user's only.
/// </summary>
public sealed class StartupTrustTests(ITestOutputHelper output)
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(90);

    /// <summary>The settings a production hub needs besides its configuration files: keys and a token issuer.</summary>
    private static Dictionary<string, string?> ProductionSettings(TestTokens tokens)
    {
        var settings = TestTokens.ProductionKeys();
        foreach (var (key, value) in tokens.HubSettings)
        {
            settings[key] = value;
        }

        return settings;
    }

    [Fact]
    public async Task DotnetRun_WithNoEnvironmentSet_StartsTheDemoHubInDevelopment()
    {
        using var hub = new HubProcess(environment: null) { ViaDotnetRun = true, StartupTimeout = TimeSpan.FromSeconds(90) };
        try
        {
            await hub.StartAsync();

            Assert.Contains("environment Development, gRPC reflection on", hub.Output, StringComparison.Ordinal);
            Assert.Contains("Hosting environment: Development", hub.Output, StringComparison.Ordinal);
        }
        finally
        {
            output.WriteLine(hub.Output);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ProductionAskedFor_WinsOverTheLaunchProfile_AndTheDemoConfigurationIsRefused(bool viaDotnetRun)
    {
        using var tokens = new TestTokens();
        var settings = ProductionSettings(tokens);
        settings["Hub:PartiesFile"] = "config/parties.json";
        settings["Hub:RoutingFile"] = "config/routing.json";
        using var hub = new HubProcess(environment: "Production", settings: settings) { ViaDotnetRun = viaDotnetRun };
        if (!viaDotnetRun)
        {
            // The launch profile's variable, as dotnet run would set it over the shell's environment.
            hub.SetVariable("KETENHUB_DEFAULT_ENVIRONMENT", "Development");
        }

        hub.Start();
        var exitCode = await hub.WaitForExitAsync(ExitTimeout);

        output.WriteLine(hub.Output);
        Assert.Equal(1, exitCode);
        Assert.Contains(Path.Combine("config", "parties.json") + " is demo configuration (\"demo\": true), which the hub uses only in Development (the environment is Production)", hub.LogText, StringComparison.Ordinal);
        Assert.Contains(Path.Combine("config", "routing.json") + " is demo configuration", hub.LogText, StringComparison.Ordinal);
        Assert.Contains("Set Hub:PartiesFile to a parties file of your own", hub.LogText, StringComparison.Ordinal);
        Assert.DoesNotContain("Now listening on", hub.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Production_WithItsOwnConfiguration_Serves_WithReflectionOff()
    {
        using var tokens = new TestTokens();
        using var hub = new HubProcess(environment: "Production", settings: ProductionSettings(tokens));
        try
        {
            await hub.StartAsync();

            Assert.Contains("environment Production, gRPC reflection off", hub.Output, StringComparison.Ordinal);
            // Not mapped at all: a known party is told the method does not exist; a caller without identity is refused
            // first, as for every method (closed by default).
            var error = await Assert.ThrowsAsync<RpcException>(() => ListServicesAsync(hub, tokens.For("sdd")));
            Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
            var anonymous = await Assert.ThrowsAsync<RpcException>(() => ListServicesAsync(hub));
            Assert.Equal(StatusCode.Unauthenticated, anonymous.StatusCode);
        }
        finally
        {
            output.WriteLine(hub.Output);
        }
    }

    [Fact]
    public async Task Production_WithReflectionSwitchedOn_AnswersReflection()
    {
        using var tokens = new TestTokens();
        var settings = ProductionSettings(tokens);
        settings["Hub:Reflection:Enabled"] = "true";
        using var hub = new HubProcess(environment: "Production", settings: settings);
        try
        {
            await hub.StartAsync();

            var services = await ListServicesAsync(hub);
            Assert.Contains("ketenhub.v1.SignalService", services);
            Assert.Contains("environment Production, gRPC reflection on", hub.Output, StringComparison.Ordinal);
        }
        finally
        {
            output.WriteLine(hub.Output);
        }
    }

    [Fact]
    public async Task AMalformedTimeSpanAndOtherBadSettings_AreReportedTogether_WithoutAStackTrace()
    {
        using var tokens = new TestTokens();
        var settings = ProductionSettings(tokens);
        settings["Hub:Limits:MaxCallDuration"] = "abc";
        settings["Hub:MaxDeliveryAttempts"] = "0";
        settings["Identity:DevelopmentHeader"] = "true";
        settings["Storage:DataDirectory"] = null;
        using var hub = new HubProcess(environment: "Production", settings: settings);
        hub.Start();

        var exitCode = await hub.WaitForExitAsync(ExitTimeout);

        output.WriteLine(hub.Output);
        Assert.Equal(1, exitCode);
        Assert.Contains("Ketenhub cannot start: Hub:Limits:MaxCallDuration must be a time span", hub.Output, StringComparison.Ordinal);
        Assert.Contains("MaxDeliveryAttempts", hub.Output, StringComparison.Ordinal);
        Assert.Contains("Identity:DevelopmentHeader is allowed only in Development", hub.Output, StringComparison.Ordinal);
        Assert.True(CountOf(hub.Output, "Ketenhub cannot start: ") >= 3, "one log entry per problem");

        // No exception text: not the binder's message (which carries the value), not a stack frame.
        Assert.DoesNotContain("abc", hub.Output.Replace(hub.DataDirectory, string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", hub.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", hub.Output, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"\n\[\d+ (out|err)\]\s+at ", hub.Output);
        Assert.False(File.Exists(Path.Combine(hub.DataDirectory, "ketenhub.db")), "a refused start writes nothing");
    }

    [Fact]
    public async Task Production_WithoutACheckpointKey_RefusesToStart_UnlessCheckpointsAreSwitchedOff()
    {
        using var tokens = new TestTokens();
        var settings = ProductionSettings(tokens);
        settings["Hub:Audit:Checkpoints:Interval"] = "00:01:00";
        using (var refused = new HubProcess(environment: "Production", settings: settings))
        {
            refused.Start();
            var exitCode = await refused.WaitForExitAsync(ExitTimeout);

            output.WriteLine(refused.Output);
            Assert.Equal(1, exitCode);
            Assert.Contains("Ketenhub cannot start: Hub:Audit:Checkpoints:SigningKeyFile is missing", refused.Output, StringComparison.Ordinal);
        }

        settings["Hub:Audit:Checkpoints:Enabled"] = "false";
        using var hub = new HubProcess(environment: "Production", settings: settings);
        try
        {
            await hub.StartAsync();
            Assert.Contains("Audit checkpoints are switched off", hub.Output, StringComparison.Ordinal);
        }
        finally
        {
            output.WriteLine(hub.Output);
        }
    }

    [Fact]
    public async Task TheDatabaseTheHubCreates_IsReadableByItsUserOnly()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using var hub = new HubProcess();
        var folder = Path.Combine(hub.DataDirectory, "created-by-the-hub");
        hub.Set("Storage:DataDirectory", folder);
        try
        {
            await hub.StartAsync();
            await hub.As("sdd").RegisterAsync("111222333", HubProcessClient.Date(2008, 3, 14), "0642", CancellationToken.None);

            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
            foreach (var name in new[] { "ketenhub.db", "ketenhub.db-wal", "ketenhub.db-shm" })
            {
                var path = Path.Combine(folder, name);
                Assert.True(File.Exists(path), name);
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            }
        }
        finally
        {
            output.WriteLine(hub.Output);
        }
    }

    private static async Task<List<string>> ListServicesAsync(HubProcess hub, Metadata? headers = null)
    {
        var reflection = new ServerReflection.ServerReflectionClient(hub.Channel());
        using var call = reflection.ServerReflectionInfo(headers, deadline: DateTime.UtcNow.AddSeconds(20));
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = string.Empty });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        return call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
    }

    private static int CountOf(string text, string part)
    {
        var count = 0;
        for (var at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}

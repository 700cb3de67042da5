using Ketenhub.Testing;
using Xunit.Abstractions;

namespace Ketenhub.ProcessTests;

/// <summary>Outside Development the hub fails closed: no real caller identity, or a development identity switched on, and it does not start.</summary>
public sealed class IdentityStartupTests(ITestOutputHelper output)
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(45);

    [Fact]
    public async Task Production_WithoutAnyIdentity_ExitsWithCode1_NamingTheSettings()
    {
        using var hub = new HubProcess(environment: "Production", settings: TestTokens.ProductionKeys());
        hub.Start();

        var exitCode = await hub.WaitForExitAsync(ExitTimeout);

        output.WriteLine(hub.Output);
        Assert.Equal(1, exitCode);
        Assert.Contains("No caller identity is configured", hub.Output, StringComparison.Ordinal);
        Assert.Contains("Identity:Entra:TenantId", hub.Output, StringComparison.Ordinal);
        Assert.Contains("Identity:Jwt:SigningKeyFile", hub.Output, StringComparison.Ordinal);
        Assert.Contains("Identity:Certificates:TrustedCaFiles", hub.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Now listening on", hub.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Identity:DevelopmentHeader")]
    [InlineData("Identity:DevelopmentIssuer:Enabled")]
    public async Task Production_WithADevelopmentIdentitySwitchedOn_ExitsWithCode1_NamingIt(string setting)
    {
        using var tokens = new TestTokens();
        var settings = TestTokens.ProductionKeys();
        foreach (var (key, value) in tokens.HubSettings)
        {
            settings[key] = value;
        }

        settings[setting] = "true";
        using var hub = new HubProcess(environment: "Production", settings: settings);
        hub.Start();

        var exitCode = await hub.WaitForExitAsync(ExitTimeout);

        output.WriteLine(hub.Output);
        Assert.Equal(1, exitCode);
        Assert.Contains(setting + " is allowed only in Development", hub.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Production_WithAPartialEntraSetting_ExitsWithCode1_NamingTheMissingOne()
    {
        var settings = TestTokens.ProductionKeys();
        settings["Identity:Entra:ClientId"] = "00000000-0000-0000-0000-000000000001";
        using var hub = new HubProcess(environment: "Production", settings: settings);
        hub.Start();

        var exitCode = await hub.WaitForExitAsync(ExitTimeout);

        output.WriteLine(hub.Output);
        Assert.Equal(1, exitCode);
        Assert.Contains("Identity:Entra:TenantId is missing", hub.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("No caller identity is configured", hub.Output, StringComparison.Ordinal);
    }
}

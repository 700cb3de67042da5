using Ketenhub.Testing;
using Xunit.Abstractions;

namespace Ketenhub.ProcessTests;

/// <summary>The call limits (<c>Hub:Limits</c>) are checked at start-up: a wrong one stops the hub, naming the setting.</summary>
public sealed class LimitStartupTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("Hub:Limits:MaxCallDuration", "00:00:00", "MaxCallDuration")]
    [InlineData("Hub:Limits:MaxCallDuration", "01:00:00", "MaxCallDuration")]
    [InlineData("Hub:Limits:Parties:nobody:PermitsPerSecond", "5", "Hub:Limits:Parties:nobody names no configured party")]
    [InlineData("Hub:Limits:Parties:sdd:Burst", "0", "Hub:Limits:Parties:sdd needs PermitsPerSecond")]
    [InlineData("Hub:Limits:UnknownCallers:PermitsPerSecond", "0", "Hub:Limits:UnknownCallers needs PermitsPerSecond")]
    [InlineData("Hub:Limits:RefusalLogInterval", "00:00:00", "RefusalLogInterval")]
    public async Task AWrongLimit_StopsTheHub_NamingIt(string setting, string value, string named)
    {
        using var hub = new HubProcess(settings: new Dictionary<string, string?> { [setting] = value });
        hub.Start();

        var exitCode = await hub.WaitForExitAsync(TimeSpan.FromSeconds(45));

        output.WriteLine(hub.Output);
        Assert.NotEqual(0, exitCode);
        Assert.Contains(named, hub.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Now listening on", hub.Output, StringComparison.Ordinal);
    }
}

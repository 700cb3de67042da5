using System.Security.Cryptography;
using Ketenhub.Testing;
using Xunit.Abstractions;
using static Ketenhub.Testing.HubProcessClient;

namespace Ketenhub.ProcessTests;

/// <summary>
/// <c>Ketenhub.Hub reencrypt-bsn</c> as an operator runs it: the hub's own executable, the same settings, a real
/// database written by a serving hub. After it, the old key can go; without the old key it stops with exit code 1.
/// </summary>
public sealed class BsnReencryptionCommandTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Reencryption_MovesEveryStoredBsnToTheActiveKey_SoTheOldKeyCanGo()
    {
        using var hub = new HubProcess(settings: Keys(active: "old", old: true, @new: false));
        await ServeAndRegisterAsync(hub, clients: 3);

        // The new key becomes active, the old one is still configured: every BSN is rewritten.
        hub.Set("Hub:BsnEncryption:ActiveKeyId", "new");
        hub.Set("Hub:BsnEncryption:Keys:new", NewKey);
        Assert.Equal(0, await RunCommandAsync(hub));
        Assert.Contains("Re-encrypted 3 of 3 stored BSNs under key 'new'", hub.OutputOfRun(hub.Runs), StringComparison.Ordinal);

        // With the old key gone, every BSN is still readable: nothing is left under it.
        hub.Set("Hub:BsnEncryption:Keys:old", null);
        Assert.Equal(0, await RunCommandAsync(hub));
        Assert.Contains("Re-encrypted 0 of 3 stored BSNs under key 'new'", hub.OutputOfRun(hub.Runs), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutTheOldKey_ReencryptionStops_WithExitCode1()
    {
        using var hub = new HubProcess(settings: Keys(active: "old", old: true, @new: false));
        await ServeAndRegisterAsync(hub, clients: 1);

        hub.Set("Hub:BsnEncryption:ActiveKeyId", "new");
        hub.Set("Hub:BsnEncryption:Keys:new", NewKey);
        hub.Set("Hub:BsnEncryption:Keys:old", null);
        Assert.Equal(1, await RunCommandAsync(hub));
        Assert.Contains("Re-encryption stopped (BSN_KEY_UNAVAILABLE)", hub.OutputOfRun(hub.Runs), StringComparison.Ordinal);
    }

    // Numbers that pass the elfproef (from the scenarios).
    private static readonly string[] ValidBsns = ["111222333", "123456782", "987654329"];

    private static readonly string OldKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private static readonly string NewKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private static Dictionary<string, string?> Keys(string active, bool old, bool @new) => new()
    {
        ["Hub:BsnEncryption:ActiveKeyId"] = active,
        ["Hub:BsnEncryption:Keys:old"] = old ? OldKey : null,
        ["Hub:BsnEncryption:Keys:new"] = @new ? NewKey : null,
    };

    private async Task ServeAndRegisterAsync(HubProcess hub, int clients)
    {
        using var start = new CancellationTokenSource(Timeout);
        await hub.StartAsync(start.Token);
        var waakvlam = hub.As("waakvlam-zorg");
        for (var i = 0; i < clients; i++)
        {
            await waakvlam.RegisterAsync(ValidBsns[i], Date(1990 + i, 1, 1), "0505", start.Token);
        }

        hub.Kill();
    }

    private async Task<int> RunCommandAsync(HubProcess hub)
    {
        hub.Start("reencrypt-bsn");
        var code = await hub.WaitForExitAsync(Timeout);
        output.WriteLine(hub.OutputOfRun(hub.Runs));
        return code;
    }
}

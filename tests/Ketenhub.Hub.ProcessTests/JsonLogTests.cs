using System.Text.Json;
using Ketenhub.Contracts.V1;
using Ketenhub.Testing;
using static Ketenhub.Testing.HubProcessClient;

namespace Ketenhub.ProcessTests;

/// <summary>
/// The hub's log format (docs/operations.md, "Logs"): outside Development one JSON object per line by default, with a UTC
/// timestamp, the level, and in the call's scopes the W3C trace id, the calling party and the method; no BSN. An operator
/// can ask for it in Development too; Development's default stays the plain console format.
/// </summary>
public sealed class JsonLogTests
{
    [Fact]
    public async Task InProduction_TheDefaultIsJson_ACallsLogLinesCarryTimestampLevelTraceIdPartyAndMethod()
    {
        using var tokens = new TestTokens();
        var settings = TestTokens.ProductionKeys();
        foreach (var (key, value) in tokens.HubSettings)
        {
            settings[key] = value;
        }

        settings["Logging:LogLevel:Grpc"] = "Debug";
        using var hub = new HubProcess(environment: "Production", settings: settings);
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await hub.StartAsync(bound.Token);
        var client = await hub.As("waakvlam-zorg", tokens).RegisterAsync("123456782", Date(1994, 11, 2), "0505", bound.Token);
        Assert.StartsWith("clients/", client.Name, StringComparison.Ordinal);
        await AssertJsonCallLineAsync(hub, bound.Token);
    }

    [Fact]
    public async Task InDevelopment_JsonWhenAskedFor_PlainByDefault()
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        using (var asked = new HubProcess(settings: new Dictionary<string, string?>
        {
            ["Logging:Console:FormatterName"] = "json",
            ["Logging:Console:FormatterOptions:IncludeScopes"] = "true",
            ["Logging:Console:FormatterOptions:UseUtcTimestamp"] = "true",
            ["Logging:Console:FormatterOptions:TimestampFormat"] = "yyyy-MM-ddTHH:mm:ss.fffZ",
            ["Logging:LogLevel:Grpc"] = "Debug",
        }))
        {
            await asked.StartAsync(bound.Token);
            await asked.As("waakvlam-zorg").RegisterAsync("123456782", Date(1994, 11, 2), "0505", bound.Token);
            await AssertJsonCallLineAsync(asked, bound.Token);
        }

        using var plain = new HubProcess();
        await plain.StartAsync(bound.Token);
        Assert.Contains("Ketenhub ready", plain.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(plain.Output.Split('\n'), line => line.TrimStart().StartsWith('{'));
    }

    private static async Task AssertJsonCallLineAsync(HubProcess hub, CancellationToken ct)
    {
        JsonElement? found = null;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (found is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200, ct);
            foreach (var line in hub.Output.Split('\n').Select(l => l.Trim()))
            {
                var json = line.IndexOf('{', StringComparison.Ordinal) is var start and >= 0 ? line[start..] : null;
                if (json is null || !json.Contains("RegisterClient", StringComparison.Ordinal))
                {
                    continue;
                }

                using var document = JsonDocument.Parse(json);
                var root = document.RootElement;
                if (root.TryGetProperty("Scopes", out var scopes) && scopes.EnumerateArray().Any(s => s.TryGetProperty("Party", out _)))
                {
                    found = root.Clone();
                    break;
                }
            }
        }

        Assert.True(found is not null, "no JSON log line of the call with the party in its scopes:\n" + hub.Output);
        var entry = found!.Value;
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$", entry.GetProperty("Timestamp").GetString());
        Assert.False(string.IsNullOrEmpty(entry.GetProperty("LogLevel").GetString()));
        var scopeValues = entry.GetProperty("Scopes").EnumerateArray().ToList();
        Assert.Contains(scopeValues, s => s.TryGetProperty("TraceId", out var trace) && trace.GetString()!.Length == 32);
        var call = scopeValues.Single(s => s.TryGetProperty("Party", out _));
        Assert.Equal(("waakvlam-zorg", "/ketenhub.v1.ClientService/RegisterClient"), (call.GetProperty("Party").GetString(), call.GetProperty("Method").GetString()));
        Assert.DoesNotContain("123456782", hub.Output, StringComparison.Ordinal);
    }
}

using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Ketenhub.Contracts.V1;
using Ketenhub.Testing;
using Ketenhub.Testing.Postgres;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using static Ketenhub.Testing.HubProcessClient;

namespace Ketenhub.ProcessTests;

/// <summary>
/// A webhook partner served by two hub instances on one PostgreSQL database: each party's push loop runs on one instance
/// at a time (a lease per party), so every delivery reaches the partner once, not once per instance.
/// </summary>
public sealed partial class PostgresPushLeaseTests(ITestOutputHelper output)
{
    private const string Coach = TwoInstances.Coach;
    private const int Signals = 20;

    [Fact]
    public async Task TwoInstances_PushEachDeliveryToTheWebhookPartnerOnce()
    {
        await using var partner = await Partner.StartAsync();
        var database = await PostgresCluster.Shared.CreateDatabaseAsync();
        var partiesFile = PartiesFile(partner.Endpoint);
        var settings = new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "Postgres",
            ["Storage:ConnectionString"] = database,
            ["Hub:PartiesFile"] = partiesFile,
            ["Hub:Push:PublicBaseUrl"] = "https://ketenhub.test/",
            ["Hub:Push:Parties:" + Coach + ":Secret"] = "push-lease-test-secret-of-enough-length",
            ["Hub:Push:PollInterval"] = "00:00:01",
        };
        var a = new HubProcess(settings: settings);
        var b = new HubProcess(settings: settings);
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        var ct = bound.Token;
        try
        {
            await Task.WhenAll(a.StartAsync(ct), b.StartAsync(ct));
            var client = await TwoInstances.CoachedClientAsync(a, ct);

            var expected = await TwoInstances.SubmitSignalsAsync(a, b, client, Signals, ct);

            // Every delivery arrives, then nothing more for a while (a second instance's push would come within it).
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (!expected.All(partner.Received.ContainsKey) && clock.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(200, ct);
            }

            await Task.Delay(TimeSpan.FromSeconds(3), ct);
            output.WriteLine($"partner got {partner.Received.Count} deliveries in {partner.Received.Values.Sum()} requests");
            Assert.All(expected, name => Assert.True(partner.Received.TryGetValue(name, out var times) && times == 1, $"{name} arrived {partner.Received.GetValueOrDefault(name)} times"));
        }
        catch (Exception)
        {
            output.WriteLine("--- hub A ---");
            output.WriteLine(a.Output);
            output.WriteLine("--- hub B ---");
            output.WriteLine(b.Output);
            throw;
        }
        finally
        {
            a.Dispose();
            b.Dispose();
            File.Delete(partiesFile);
            await PostgresCluster.Shared.DropDatabaseAsync(database);
        }
    }

    /// <summary>The demo parties with the coach's organisation on a webhook at <paramref name="endpoint"/>, without the demo mark.</summary>
    private static string PartiesFile(Uri endpoint)
    {
        var root = HubProcess.RepositoryRoot()!;
        var text = File.ReadAllText(Path.Combine(root, "src", "Hub", "Ketenhub.Hub", "config", "parties.json"));
        text = text.Replace("  \"demo\": true,\n", string.Empty, StringComparison.Ordinal);
        var pattern = CoachLine();
        Assert.Matches(pattern, text);
        text = pattern.Replace(text, "$1\"deliveryChannel\": \"WEBHOOK\", \"endpoint\": \"" + endpoint + "\"", 1);
        var path = Path.Combine(Path.GetTempPath(), $"ketenhub-push-lease-{Guid.NewGuid():N}-parties.json");
        File.WriteAllText(path, text);
        return path;
    }

    [GeneratedRegex("(\"id\": \"waakvlam-zorg\"[^\\n]*?)\"deliveryChannel\": \"STREAM\"")]
    private static partial Regex CoachLine();

    [GeneratedRegex("deliveries/dlv_[0-9a-f]{32}")]
    private static partial Regex DeliveryName();

    /// <summary>A webhook receiver on a loopback port that counts each delivery it is sent and answers 204.</summary>
    private sealed class Partner : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private Partner(WebApplication app, Uri endpoint)
        {
            _app = app;
            Endpoint = endpoint;
        }

        public Uri Endpoint { get; }

        public ConcurrentDictionary<string, int> Received { get; } = new(StringComparer.Ordinal);

        public static async Task<Partner> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Configuration.Sources.Clear();
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Kestrel:Endpoints:Http:Url"] = "http://127.0.0.1:0" });
            var app = builder.Build();
            Partner? partner = null;
            app.MapPost("/hook", async (HttpContext http) =>
            {
                using var reader = new StreamReader(http.Request.Body);
                var body = await reader.ReadToEndAsync();
                if (DeliveryName().Match(body) is { Success: true } match)
                {
                    partner!.Received.AddOrUpdate(match.Value, 1, (_, n) => n + 1);
                }

                return Results.NoContent();
            });
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
            partner = new Partner(app, new Uri(address.TrimEnd('/') + "/hook"));
            return partner;
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}

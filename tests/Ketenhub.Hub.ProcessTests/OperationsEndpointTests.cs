using System.Net;
using Ketenhub.Testing;
using Ketenhub.Testing.Postgres;

namespace Ketenhub.ProcessTests;

/// <summary>The operations endpoint of a real hub process: liveness and readiness over HTTP/1.1 on its own port, and nothing else there.</summary>
public sealed class OperationsEndpointTests
{
    [Fact]
    public async Task HealthAndReadiness_AnswerOnTheirOwnPortOnly_WithoutIdentity()
    {
        using var hub = new HubProcess();
        using var start = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await hub.StartAsync(start.Token);
        using var http = new HttpClient { DefaultRequestVersion = HttpVersion.Version11, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        var operations = new Uri($"http://127.0.0.1:{hub.OperationsPort}");

        using (var alive = await http.GetAsync(new Uri(operations, "/healthz")))
        {
            Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
            Assert.Equal("alive\n", await alive.Content.ReadAsStringAsync());
        }

        using (var ready = await http.GetAsync(new Uri(operations, "/readyz")))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            Assert.Equal("ready\n", await ready.Content.ReadAsStringAsync());
        }

        // Nothing else answers on the operations port, and the probes answer nowhere else.
        using (var fhir = await http.GetAsync(new Uri(operations, "/fhir/r4/metadata")))
        {
            Assert.Equal(HttpStatusCode.NotFound, fhir.StatusCode);
        }

        using (var onPartner = await http.GetAsync(new Uri($"http://127.0.0.1:{hub.PartnerPort}/healthz")))
        {
            Assert.Equal(HttpStatusCode.NotFound, onPartner.StatusCode);
        }
    }

    [Fact]
    public async Task Readiness_TurnsNotReady_WhileTheStoreDoesNotAnswer_AndBackWhenItDoes_WhileLivenessStaysUp()
    {
        // A PostgreSQL server of this test's own, so stopping it touches no other test.
        using var cluster = PostgresCluster.Start();
        var database = await cluster.CreateDatabaseAsync();
        using var hub = new HubProcess(settings: new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "Postgres",
            ["Storage:ConnectionString"] = database,
        });
        using var start = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await hub.StartAsync(start.Token);
        using var http = new HttpClient { DefaultRequestVersion = HttpVersion.Version11, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact, Timeout = TimeSpan.FromSeconds(30) };
        var operations = new Uri($"http://127.0.0.1:{hub.OperationsPort}");
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(operations, "/readyz"))).StatusCode);

        cluster.Stop();
        using (var notReady = await http.GetAsync(new Uri(operations, "/readyz")))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
            var body = await notReady.Content.ReadAsStringAsync();
            Assert.Contains("store", body, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(database, body, StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(operations, "/healthz"))).StatusCode);

        cluster.StartAgain();
        var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
        HttpStatusCode status;
        do
        {
            status = (await http.GetAsync(new Uri(operations, "/readyz"))).StatusCode;
            if (status != HttpStatusCode.OK)
            {
                await Task.Delay(250);
            }
        }
        while (status != HttpStatusCode.OK && DateTimeOffset.UtcNow < deadline);

        Assert.Equal(HttpStatusCode.OK, status);
    }
}

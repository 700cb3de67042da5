using System.Net;
using Ketenhub.Testing;

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
}

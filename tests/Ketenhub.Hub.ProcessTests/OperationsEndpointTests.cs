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
    public async Task Metrics_AreScrapedFromTheOperationsPortOnly_AndNameNoClient()
    {
        using var hub = new HubProcess(settings: new Dictionary<string, string?> { ["Hub:Telemetry:QueueSampleInterval"] = "00:00:01" });
        using var start = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var ct = start.Token;
        await hub.StartAsync(ct);

        // A client with coach Lisa and consent for money signals, a signal she receives and acknowledges, a refused call.
        var bsn = Bsns.Next();
        var sdd = hub.As("sdd");
        var coach = hub.As("waakvlam-zorg");
        var atSdd = (await sdd.RegisterAsync(bsn, HubProcessClient.Date(1994, 11, 2), "0505", ct)).Name;
        await sdd.AssignCoachAsync(atSdd, "lisa", "Lisa", ct, coachParty: "waakvlam-zorg");
        var atCoach = (await coach.RegisterAsync(bsn, HubProcessClient.Date(1994, 11, 2), "0505", ct)).Name;
        await coach.GrantAsync(atCoach, Contracts.V1.GrantorRole.Client, "waakvlam-zorg", Contracts.V1.Purpose.SignalFollowUp, Contracts.V1.DataCategory.Finances, ct);
        const string Description = "Two months of arrears on rent at the Merwedestraat.";
        await sdd.Signals.CreateSignalAsync(
            new Contracts.V1.CreateSignalRequest
            {
                RequestId = HubProcessClient.NewRequestId(),
                Signal = new Contracts.V1.Signal { Client = atSdd, Kind = Contracts.V1.SignalKind.PaymentArrears, LifeDomain = Contracts.V1.LifeDomain.Finances, Severity = Contracts.V1.SignalSeverity.Concern, Description = Description },
            },
            deadline: HubProcessClient.Deadline(),
            cancellationToken: ct);
        using var http = new HttpClient { DefaultRequestVersion = HttpVersion.Version11, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        var metrics = new Uri($"http://127.0.0.1:{hub.OperationsPort}/metrics");

        // The coach's queue holds the signal until she acknowledges it, and is empty after (sampled every second).
        await UntilAsync(http, metrics, "ketenhub_queue_depth\\{[^}]*party=\"waakvlam-zorg\"[^}]*\\} [1-9]", ct);
        Assert.Matches("ketenhub_queue_oldest_age_seconds\\{[^}]*party=\"waakvlam-zorg\"", await http.GetStringAsync(metrics, ct));
        using (var tail = coach.Tail(ct))
        {
            foreach (var delivery in await tail.CollectUntilQuietAsync(TimeSpan.FromSeconds(1), ct, atLeast: 1))
            {
                await coach.AcknowledgeAsync(delivery, ct);
            }
        }

        await UntilAsync(http, metrics, "ketenhub_queue_depth\\{[^}]*party=\"waakvlam-zorg\"[^}]*\\} 0", ct);
        await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => sdd.Signals.GetSignalAsync(new Contracts.V1.GetSignalRequest { Name = "not-a-name" }, deadline: HubProcessClient.Deadline(), cancellationToken: ct).ResponseAsync);

        string text;
        using (var scraped = await http.GetAsync(metrics, ct))
        {
            Assert.Equal(HttpStatusCode.OK, scraped.StatusCode);
            text = await scraped.Content.ReadAsStringAsync(ct);
        }

        Assert.Matches("ketenhub_rpc_server_calls(_total)?\\{[^}]*rpc_method=\"ketenhub.v1.SignalService/CreateSignal\"[^}]*\\} 1", text);
        Assert.Matches("ketenhub_rpc_server_calls(_total)?\\{[^}]*rpc_grpc_status=\"INVALID_ARGUMENT\"", text);
        Assert.Matches("ketenhub_rpc_server_duration_seconds_bucket\\{", text);
        Assert.Matches("ketenhub_consent_decisions(_total)?\\{[^}]*outcome=\"content\"", text);
        Assert.Matches("ketenhub_deliveries_acknowledged(_total)?\\{[^}]*channel=\"stream\"[^}]*\\} 1", text);
        Assert.Matches("ketenhub_delivery_ack_latency_seconds_count\\{[^}]*channel=\"stream\"", text);
        Assert.Matches("ketenhub_store_commit_duration_seconds_count\\{[^}]*store=\"sqlite\"", text);
        Assert.Matches("ketenhub_store_commit_batch_size", text);

        // Nothing in it names the client, the coach or the signal's text: not the BSN, no party's name for the client.
        foreach (var secret in new[] { bsn, atSdd["clients/".Length..], atCoach["clients/".Length..], "Lisa", "lisa", "Merwedestraat", "cli_" })
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }

        // Scraped on the operations port only.
        using (var onPartner = await http.GetAsync(new Uri($"http://127.0.0.1:{hub.PartnerPort}/metrics"), ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, onPartner.StatusCode);
        }
    }

    /// <summary>Scrapes until the text matches <paramref name="pattern"/> (the gauges are sampled every second); fails after 15 s.</summary>
    private static async Task UntilAsync(HttpClient http, Uri metrics, string pattern, CancellationToken cancellationToken)
    {
        var text = string.Empty;
        for (var i = 0; i < 60; i++)
        {
            text = await http.GetStringAsync(metrics, cancellationToken);
            if (System.Text.RegularExpressions.Regex.IsMatch(text, pattern))
            {
                return;
            }

            await Task.Delay(250, cancellationToken);
        }

        Assert.Matches(pattern, text);
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

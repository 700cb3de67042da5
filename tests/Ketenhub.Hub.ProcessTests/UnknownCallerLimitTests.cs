using Google.Rpc;
using Grpc.Core;
using Grpc.Health.V1;
using Ketenhub.Contracts;
using Ketenhub.Contracts.V1;
using Ketenhub.Testing;
using Xunit.Abstractions;

namespace Ketenhub.ProcessTests;

/// <summary>
/// On the real server (Kestrel, real sockets, the default limits): calls that prove no known party are limited per
/// connection. A flood on one connection runs out of its allowance and is answered RATE_LIMITED, while another
/// connection, a known party on the flooded connection and the health check are served as before.
/// </summary>
public sealed class UnknownCallerLimitTests(ITestOutputHelper output)
{
    [Fact]
    public async Task AnUnknownCallersFlood_IsLimitedOnItsOwnConnection_AndNobodyElseNotices()
    {
        using var hub = new HubProcess();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await hub.StartAsync(timeout.Token);
            var flooded = hub.Channel();
            var stranger = new Metadata { { DevelopmentHeaders.Party, "no-such-party" } };

            // 200 calls as fast as one connection takes them, naming a party the hub does not know.
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var reasons = new List<string>();
            for (var i = 0; i < 200; i++)
            {
                reasons.Add(await ReasonOf(new PartyService.PartyServiceClient(flooded).ListPartiesAsync(new ListPartiesRequest(), stranger, cancellationToken: timeout.Token).ResponseAsync));
            }

            var unknown = reasons.Count(r => r == "CALLER_UNKNOWN");
            output.WriteLine($"{clock.ElapsedMilliseconds} ms: {unknown} CALLER_UNKNOWN, {reasons.Count(r => r == "RATE_LIMITED")} RATE_LIMITED");

            // The allowance (a burst of 20, 2 a second after it), then RATE_LIMITED for the rest.
            Assert.InRange(unknown, 20, 20 + (int)Math.Ceiling(2 * clock.Elapsed.TotalSeconds) + 1);
            Assert.Equal(200 - unknown, reasons.Count(r => r == "RATE_LIMITED"));
            Assert.Equal("RATE_LIMITED", reasons[^1]);

            // Another connection has an allowance of its own.
            Assert.Equal("CALLER_UNKNOWN", await ReasonOf(new PartyService.PartyServiceClient(hub.Channel()).ListPartiesAsync(new ListPartiesRequest(), stranger, cancellationToken: timeout.Token).ResponseAsync));

            // A known party is served, on the flooded connection too, and so is the health check.
            var sdd = new Metadata { { DevelopmentHeaders.Party, "sdd" } };
            Assert.Equal("OK", await ReasonOf(new PartyService.PartyServiceClient(flooded).ListPartiesAsync(new ListPartiesRequest(), sdd, cancellationToken: timeout.Token).ResponseAsync));
            Assert.Equal("OK", await ReasonOf(hub.As("waakvlam-zorg").Parties.ListPartiesAsync(new ListPartiesRequest(), cancellationToken: timeout.Token).ResponseAsync));
            var health = await new Health.HealthClient(flooded).CheckAsync(new HealthCheckRequest(), cancellationToken: timeout.Token);
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
        }
        catch (Exception)
        {
            output.WriteLine(hub.Output);
            throw;
        }
    }

    // "OK", or the reason of the coded error; a RATE_LIMITED must say when to retry.
    private static async Task<string> ReasonOf(Task call)
    {
        try
        {
            await call;
            return "OK";
        }
        catch (RpcException ex)
        {
            var status = ex.GetRpcStatus();
            var reason = status?.GetDetail<ErrorInfo>()?.Reason ?? ex.StatusCode.ToString();
            if (reason == "RATE_LIMITED")
            {
                Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
                Assert.NotNull(status!.GetDetail<RetryInfo>());
            }

            return reason;
        }
    }
}

using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Time.Testing;

namespace Ketenhub.Adapters.Fhir.Tests;

/// <summary>One delivery attempt against a real HTTP server on loopback.</summary>
public sealed class DeliverTests
{
    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    private static async Task<(AdapterDeliveryResult Result, string? ReceivedType, byte[] Received)> DeliverTo(Action<HttpListenerResponse> answer)
    {
        var prefix = $"http://127.0.0.1:{FreePort()}/fhir/";
        using var listener = new HttpListener();
        listener.Prefixes.Add(prefix);
        listener.Start();
        var server = Task.Run(async () =>
        {
            var context = await listener.GetContextAsync();
            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            var type = context.Request.ContentType;
            answer(context.Response);
            context.Response.Close();
            return (type, body.ToArray());
        });

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero));
        var adapter = new FhirAdapter(http, time);
        var (_, delivery, context) = Samples.Get("referral");
        var payload = adapter.TranslateOutbound(delivery, context);

        var result = await adapter.DeliverAsync(new OutboundDelivery(delivery.Name, delivery.Recipient, new Uri(prefix), payload, 1), CancellationToken.None);
        var (receivedType, received) = await server.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(payload.Body.ToArray(), received);
        return (result, receivedType, received);
    }

    [Fact]
    public async Task A_2xx_answer_is_delivered_and_the_partner_got_the_bundle()
    {
        var (result, type, _) = await DeliverTo(r => r.StatusCode = 200);

        Assert.IsType<AdapterDeliveryResult.Delivered>(result);
        Assert.Equal("application/fhir+json", type);
    }

    [Fact]
    public async Task Too_many_requests_is_retried_after_the_partners_wait()
    {
        var (result, _, _) = await DeliverTo(r =>
        {
            r.StatusCode = 429;
            r.Headers.Add("Retry-After", "7");
        });

        Assert.Equal(TimeSpan.FromSeconds(7), Assert.IsType<AdapterDeliveryResult.RetryLater>(result).After);
    }

    [Fact]
    public async Task A_server_error_is_retried_and_a_client_error_is_rejected()
    {
        var (failed, _, _) = await DeliverTo(r => r.StatusCode = 500);
        Assert.Null(Assert.IsType<AdapterDeliveryResult.RetryLater>(failed).After);

        var (refused, _, _) = await DeliverTo(r => r.StatusCode = 422);
        Assert.Equal("HTTP_422", Assert.IsType<AdapterDeliveryResult.Rejected>(refused).ReasonCode);
    }

    [Fact]
    public async Task A_refusal_with_an_OperationOutcome_names_its_issue_code_but_never_its_text()
    {
        var (refused, _, _) = await DeliverTo(r =>
        {
            r.StatusCode = 400;
            r.ContentType = "application/fhir+json";
            var body = """{"resourceType":"OperationOutcome","issue":[{"severity":"warning","code":"informational"},{"severity":"error","code":"not-supported","details":{"text":"Patient 999999990 unknown"}}]}"""u8.ToArray();
            r.OutputStream.Write(body);
        });
        Assert.Equal("HTTP_400:not-supported", Assert.IsType<AdapterDeliveryResult.Rejected>(refused).ReasonCode);

        // Not an OperationOutcome, or a code of another shape: the status alone.
        var (plain, _, _) = await DeliverTo(r =>
        {
            r.StatusCode = 409;
            r.OutputStream.Write("conflict: 999999990"u8.ToArray());
        });
        Assert.Equal("HTTP_409", Assert.IsType<AdapterDeliveryResult.Rejected>(plain).ReasonCode);
        var (odd, _, _) = await DeliverTo(r =>
        {
            r.StatusCode = 400;
            r.OutputStream.Write("""{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"Patient 999999990"}]}"""u8.ToArray());
        });
        Assert.Equal("HTTP_400", Assert.IsType<AdapterDeliveryResult.Rejected>(odd).ReasonCode);
    }

    [Fact]
    public async Task An_endpoint_that_is_down_is_retried()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var adapter = new FhirAdapter(http, TimeProvider.System);
        var payload = new AdapterPayload("application/fhir+json", "{}"u8.ToArray());

        var result = await adapter.DeliverAsync(new OutboundDelivery("deliveries/d-1", "parties/x", new Uri($"http://127.0.0.1:{FreePort()}/fhir"), payload, 1), CancellationToken.None);

        Assert.IsType<AdapterDeliveryResult.RetryLater>(result);
    }
}

using System.Net;
using Microsoft.Extensions.Time.Testing;

namespace Ketenhub.Adapters.Webhooks.Tests;

/// <summary>Signed delivery attempts against a real HTTP server on loopback (plain HTTP: see docs/adapters.md).</summary>
public sealed class DeliverTests
{
    [Fact]
    public async Task A_signed_event_is_accepted_by_the_sample_receiver_and_a_redelivery_is_discarded()
    {
        var (adapter, time, http) = Samples.Adapter();
        using var _h = http;
        var receiver = new SampleReceiver([Samples.Secret], time);
        await using var server = LoopbackServer.For(receiver);
        var outbound = Samples.Outbound(adapter, server.Endpoint);

        var first = await adapter.DeliverAsync(outbound, CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(40));
        var retry = await adapter.DeliverAsync(outbound with { AttemptCount = 2 }, CancellationToken.None);

        Assert.IsType<AdapterDeliveryResult.Delivered>(first);
        Assert.IsType<AdapterDeliveryResult.Delivered>(retry);
        Assert.Equal("deliveries/d-3", Assert.Single(receiver.Events).Id);
        var requests = server.Requests.ToArray();
        Assert.Equal(2, requests.Length);
        Assert.Equal(outbound.Payload.Body.ToArray(), requests[0].Body);
        Assert.StartsWith("application/cloudevents+json", requests[0].ContentType, StringComparison.Ordinal);
        Assert.Matches("^t=1795428000,v1=[0-9a-f]{64}$", requests[0].Signature);
        Assert.NotEqual(requests[0].Signature, requests[1].Signature);

        // Same delivery, same bytes: the attempt number is a header outside the signed body.
        Assert.Equal(requests[0].Body, requests[1].Body);
        Assert.Equal(["1", "2"], server.Attempts);
    }

    [Fact]
    public async Task A_tampered_body_a_wrong_secret_and_a_stale_timestamp_are_refused()
    {
        var (adapter, time, http) = Samples.Adapter();
        using var _h = http;
        var capture = new SampleReceiver([Samples.Secret], time);
        await using var server = LoopbackServer.For(capture);
        Assert.IsType<AdapterDeliveryResult.Delivered>(await adapter.DeliverAsync(Samples.Outbound(adapter, server.Endpoint), CancellationToken.None));
        var (signature, contentType, body) = Assert.Single(server.Requests);

        var tampered = body.ToArray();
        tampered[Array.IndexOf(tampered, (byte)'k')] = (byte)'K';
        Assert.Equal(Verdict.BadSignature, new SampleReceiver([Samples.Secret], time).Receive(signature, contentType, tampered));
        Assert.Equal(Verdict.BadSignature, new SampleReceiver([Samples.OtherSecret], time).Receive(signature, contentType, body));
        Assert.Equal(Verdict.BadSignature, new SampleReceiver([Samples.Secret], time).Receive(null, contentType, body));

        var later = new FakeTimeProvider(Samples.Now + TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        Assert.Equal(Verdict.Stale, new SampleReceiver([Samples.Secret], later).Receive(signature, contentType, body));
        var justInTime = new FakeTimeProvider(Samples.Now + TimeSpan.FromMinutes(5));
        Assert.Equal(Verdict.Accepted, new SampleReceiver([Samples.Secret], justInTime).Receive(signature, contentType, body));

        // A copy replayed within the window is discarded on its CloudEvent id.
        Assert.Equal(Verdict.Duplicate, capture.Receive(signature, contentType, body));
    }

    [Fact]
    public async Task A_receiver_with_another_secret_answers_401_and_the_delivery_is_rejected()
    {
        var (adapter, time, http) = Samples.Adapter();
        using var _h = http;
        var receiver = new SampleReceiver([Samples.OtherSecret], time);
        await using var server = LoopbackServer.For(receiver);

        var result = await adapter.DeliverAsync(Samples.Outbound(adapter, server.Endpoint), CancellationToken.None);

        Assert.Equal("HTTP_401", Assert.IsType<AdapterDeliveryResult.Rejected>(result).ReasonCode);
        Assert.Empty(receiver.Events);
    }

    [Fact]
    public async Task During_rotation_both_secrets_sign_and_a_receiver_with_either_accepts()
    {
        var (adapter, time, http) = Samples.Adapter(Samples.Secret, Samples.NextSecret);
        using var _h = http;
        var old = new SampleReceiver([Samples.Secret], time);
        var next = new SampleReceiver([Samples.NextSecret], time);
        await using var oldServer = LoopbackServer.For(old);
        await using var nextServer = LoopbackServer.For(next);

        Assert.IsType<AdapterDeliveryResult.Delivered>(await adapter.DeliverAsync(Samples.Outbound(adapter, oldServer.Endpoint), CancellationToken.None));
        Assert.IsType<AdapterDeliveryResult.Delivered>(await adapter.DeliverAsync(Samples.Outbound(adapter, nextServer.Endpoint), CancellationToken.None));

        Assert.Single(old.Events);
        Assert.Single(next.Events);
        Assert.Matches("^t=\\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$", Assert.Single(oldServer.Requests).Signature);
    }

    private static async Task<AdapterDeliveryResult> AnswerWith(Action<HttpListenerResponse> answer)
    {
        var (adapter, _, http) = Samples.Adapter();
        using var _h = http;
        await using var server = new LoopbackServer((_, _, response) =>
        {
            answer(response);
            return Task.CompletedTask;
        });

        var result = await adapter.DeliverAsync(Samples.Outbound(adapter, server.Endpoint), CancellationToken.None);
        Assert.Single(server.Requests);
        return result;
    }

    [Fact]
    public async Task Too_many_requests_is_retried_after_the_receivers_wait_in_seconds_or_as_a_date()
    {
        var seconds = await AnswerWith(r =>
        {
            r.StatusCode = 429;
            r.Headers.Add("Retry-After", "7");
        });
        Assert.Equal(TimeSpan.FromSeconds(7), Assert.IsType<AdapterDeliveryResult.RetryLater>(seconds).After);

        var date = await AnswerWith(r =>
        {
            r.StatusCode = 503;
            r.Headers.Add("Retry-After", (Samples.Now + TimeSpan.FromMinutes(2)).ToString("R", System.Globalization.CultureInfo.InvariantCulture));
        });
        Assert.Equal(TimeSpan.FromMinutes(2), Assert.IsType<AdapterDeliveryResult.RetryLater>(date).After);
    }

    [Fact]
    public async Task Server_errors_and_timeouts_are_retried_and_other_client_errors_rejected()
    {
        Assert.Null(Assert.IsType<AdapterDeliveryResult.RetryLater>(await AnswerWith(r => r.StatusCode = 500)).After);
        Assert.IsType<AdapterDeliveryResult.RetryLater>(await AnswerWith(r => r.StatusCode = 408));
        Assert.Equal("HTTP_400", Assert.IsType<AdapterDeliveryResult.Rejected>(await AnswerWith(r => r.StatusCode = 400)).ReasonCode);
        Assert.Equal("HTTP_410", Assert.IsType<AdapterDeliveryResult.Rejected>(await AnswerWith(r => r.StatusCode = 410)).ReasonCode);
    }

    [Fact]
    public async Task A_refused_connection_is_retried()
    {
        var (adapter, _, http) = Samples.Adapter();
        using var _h = http;

        var result = await adapter.DeliverAsync(Samples.Outbound(adapter, new Uri($"http://127.0.0.1:{LoopbackServer.FreePort()}/hooks/")), CancellationToken.None);

        Assert.IsType<AdapterDeliveryResult.RetryLater>(result);
    }

    [Fact]
    public async Task A_receiver_that_does_not_answer_in_time_is_retried()
    {
        var (adapter, _, _) = Samples.Adapter();
        using var http = new HttpClient { Timeout = TimeSpan.FromMilliseconds(300) };
        var slowAdapter = new WebhookAdapter(http, TimeProvider.System, Samples.Secrets(Samples.Secret));
        using var release = new SemaphoreSlim(0);
        await using var server = new LoopbackServer(async (_, _, r) =>
        {
            await release.WaitAsync(TimeSpan.FromSeconds(10));
            try
            {
                r.StatusCode = 200;
            }
            catch (ObjectDisposedException)
            {
                // The client gave up first (that is the point of the test), so the listener may already have closed the response.
            }
        });

        var result = await slowAdapter.DeliverAsync(Samples.Outbound(adapter, server.Endpoint), CancellationToken.None);
        release.Release();

        Assert.IsType<AdapterDeliveryResult.RetryLater>(result);
    }

    [Fact]
    public async Task A_party_without_a_secret_is_rejected_without_sending()
    {
        var (adapter, _, http) = Samples.Adapter();
        using var _h = http;
        await using var server = new LoopbackServer((_, _, r) => Task.CompletedTask);
        var outbound = Samples.Outbound(adapter, server.Endpoint) with { Recipient = "parties/unknown" };

        var result = await adapter.DeliverAsync(outbound, CancellationToken.None);

        Assert.Equal("WEBHOOK_SECRET_MISSING", Assert.IsType<AdapterDeliveryResult.Rejected>(result).ReasonCode);
        Assert.Empty(server.Requests);
    }
}

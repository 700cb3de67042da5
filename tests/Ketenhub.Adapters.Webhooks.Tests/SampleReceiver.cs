using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using CloudNative.CloudEvents;
using CloudNative.CloudEvents.SystemTextJson;

namespace Ketenhub.Adapters.Webhooks.Tests;

/// <summary>What the sample receiver made of one request.</summary>
internal enum Verdict
{
    Accepted,
    Duplicate,
    Malformed,
    BadSignature,
    Stale,
}

/// <summary>
/// A sample webhook receiver, written the way a partner would write one from docs/adapters.md and independent of the
/// adapter's own signing code: it checks the <c>Ketenhub-Signature</c> in constant time against each of its secrets,
/// refuses a timestamp outside the replay window, parses the CloudEvent with the CloudEvents SDK and discards a
/// second event with the same id.
/// </summary>
internal sealed class SampleReceiver(IReadOnlyList<string> secrets, TimeProvider time, TimeSpan? tolerance = null)
{
    private readonly TimeSpan window = tolerance ?? TimeSpan.FromMinutes(5);
    private readonly ConcurrentDictionary<string, DateTimeOffset> seen = new(StringComparer.Ordinal);

    public ConcurrentQueue<CloudEvent> Events { get; } = new();

    public Verdict Receive(string? signatureHeader, string? contentType, byte[] body)
    {
        if (string.IsNullOrEmpty(signatureHeader))
        {
            return Verdict.BadSignature;
        }

        string? t = null;
        var signatures = new List<byte[]>();
        foreach (var part in signatureHeader.Split(','))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                return Verdict.Malformed;
            }

            var (key, value) = (part[..eq].Trim(), part[(eq + 1)..].Trim());
            if (key == "t")
            {
                t = value;
            }
            else if (key == "v1" && value.Length == 64)
            {
                try
                {
                    signatures.Add(Convert.FromHexString(value));
                }
                catch (FormatException)
                {
                    return Verdict.Malformed;
                }
            }
        }

        if (t is null || !long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || signatures.Count == 0)
        {
            return Verdict.Malformed;
        }

        var signed = Encoding.ASCII.GetBytes(t + ".").Concat(body).ToArray();
        var valid = false;
        foreach (var secret in secrets)
        {
            var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed);
            foreach (var signature in signatures)
            {
                // Constant time: no early exit on the first differing byte.
                valid |= CryptographicOperations.FixedTimeEquals(expected, signature);
            }
        }

        if (!valid)
        {
            return Verdict.BadSignature;
        }

        var now = time.GetUtcNow();
        if ((now - DateTimeOffset.FromUnixTimeSeconds(seconds)).Duration() > window)
        {
            return Verdict.Stale;
        }

        CloudEvent cloudEvent;
        try
        {
            cloudEvent = new JsonEventFormatter().DecodeStructuredModeMessage(body, new System.Net.Mime.ContentType(contentType ?? "application/cloudevents+json"), null);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or System.Text.Json.JsonException)
        {
            return Verdict.Malformed;
        }

        // Ids older than the replay window can be forgotten: a copy that old fails the timestamp check.
        foreach (var (id, when) in seen)
        {
            if (now - when > window + window)
            {
                seen.TryRemove(id, out _);
            }
        }

        if (!seen.TryAdd(cloudEvent.Id!, now))
        {
            return Verdict.Duplicate;
        }

        Events.Enqueue(cloudEvent);
        return Verdict.Accepted;
    }

    /// <summary>HTTP status per verdict: a duplicate is acknowledged so the sender stops retrying.</summary>
    public static int StatusOf(Verdict verdict) => verdict switch
    {
        Verdict.Accepted => 204,
        Verdict.Duplicate => 200,
        Verdict.Malformed => 400,
        _ => 401,
    };
}

/// <summary>An HTTP server on a free loopback port that answers every POST with a function of the request.</summary>
internal sealed class LoopbackServer : IAsyncDisposable
{
    private readonly HttpListener listener = new();
    private readonly Task loop;

    public LoopbackServer(Func<HttpListenerRequest, byte[], HttpListenerResponse, Task> answer)
    {
        Endpoint = new Uri($"http://127.0.0.1:{FreePort()}/hooks/");
        listener.Prefixes.Add(Endpoint.ToString());
        listener.Start();
        loop = Task.Run(async () =>
        {
            while (listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }

                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                var bytes = body.ToArray();
                Requests.Enqueue((context.Request.Headers[WebhookSignature.HeaderName], context.Request.ContentType, bytes));
                Attempts.Enqueue(context.Request.Headers[WebhookAdapter.AttemptHeader]);
                await answer(context.Request, bytes, context.Response);
                context.Response.Close();
            }
        });
    }

    public Uri Endpoint { get; }

    public ConcurrentQueue<(string? Signature, string? ContentType, byte[] Body)> Requests { get; } = new();

    /// <summary>The attempt header of each request, in order.</summary>
    public ConcurrentQueue<string?> Attempts { get; } = new();

    public static SampleReceiverServer For(SampleReceiver receiver) => new(receiver);

    public static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        listener.Stop();
        listener.Close();
        await loop.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
    }
}

/// <summary>The sample receiver behind a loopback HTTP server.</summary>
internal sealed class SampleReceiverServer(SampleReceiver receiver) : IAsyncDisposable
{
    private readonly LoopbackServer server = new((request, body, response) =>
    {
        response.StatusCode = SampleReceiver.StatusOf(receiver.Receive(request.Headers[WebhookSignature.HeaderName], request.ContentType, body));
        return Task.CompletedTask;
    });

    public Uri Endpoint => server.Endpoint;

    public ConcurrentQueue<(string? Signature, string? ContentType, byte[] Body)> Requests => server.Requests;

    public ConcurrentQueue<string?> Attempts => server.Attempts;

    public ValueTask DisposeAsync() => server.DisposeAsync();
}

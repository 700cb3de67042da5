using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Ketenhub.HubTests.Push;

/// <summary>What the partner does with the next request, before it looks at the body.</summary>
internal enum Fault
{
    /// <summary>No fault: the request is handled normally.</summary>
    None,

    /// <summary>Answers 500.</summary>
    ServerError,

    /// <summary>Answers 429 with a <c>Retry-After</c> of <see cref="WebhookPartner.RetryAfterSeconds"/>.</summary>
    TooManyRequests,

    /// <summary>Never answers: waits until the hub gives up on the request.</summary>
    Hang,

    /// <summary>Drops the connection without an answer.</summary>
    Drop,

    /// <summary>Stores the event, then drops the connection, so the hub never hears that it arrived.</summary>
    StoreThenDrop,

    /// <summary>Answers 422: refuses the event for good.</summary>
    Unprocessable,
}

/// <summary>
/// A webhook partner as a partner would write one from docs/adapters.md, independent of the hub's signing code: a real
/// Kestrel server over HTTPS on loopback with a certificate generated for the test. It checks the
/// <c>Ketenhub-Signature</c> (HMAC-SHA256 over <c>t.body</c>, constant-time, 5-minute window on its clock), stores each
/// CloudEvent id once (a second copy is answered 200 and counted as a duplicate), and can be told to fail the next
/// requests in given ways.
/// </summary>
internal sealed class WebhookPartner : IAsyncDisposable
{
    private WebApplication _app = null!;
    private readonly byte[] _secret;
    private readonly TimeProvider _clock;
    private readonly ConcurrentQueue<Fault> _faults = new();

    private WebhookPartner(string secret, TimeProvider clock, X509Certificate2 certificate)
    {
        _secret = Encoding.UTF8.GetBytes(secret);
        _clock = clock;
        Certificate = certificate;
    }

    /// <summary>The certificate the partner serves (self-signed, for 127.0.0.1).</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The partner's webhook URL.</summary>
    public Uri Endpoint { get; private set; } = null!;

    /// <summary>Events stored, by CloudEvent id, in arrival order.</summary>
    public ConcurrentDictionary<string, JsonElement> Stored { get; } = new(StringComparer.Ordinal);

    /// <summary>The ids in the order they were first stored.</summary>
    public ConcurrentQueue<string> Order { get; } = new();

    /// <summary>Second and later copies of a stored id, by id.</summary>
    public ConcurrentDictionary<string, int> Duplicates { get; } = new(StringComparer.Ordinal);

    /// <summary>Every request that reached the partner, with the time on the shared clock.</summary>
    public ConcurrentQueue<DateTimeOffset> Requests { get; } = new();

    /// <summary>Every request as it arrived, faults included: its exact body, its attempt header and whether its signature checked out.</summary>
    public ConcurrentQueue<(byte[] Body, string Attempt, bool Signed)> Received { get; } = new();

    /// <summary>The W3C <c>traceparent</c> header of every request, in order (empty when there was none).</summary>
    public ConcurrentQueue<string> TraceParents { get; } = new();

    /// <summary>Requests refused for a bad or missing signature.</summary>
    public int BadSignatures => _badSignatures;

    /// <summary>The <c>Retry-After</c> sent with <see cref="Fault.TooManyRequests"/>, in seconds.</summary>
    public int RetryAfterSeconds { get; set; } = 30;

    private int _badSignatures;

    /// <summary>Queues faults for the next requests, in order.</summary>
    public void FailNext(params Fault[] faults)
    {
        foreach (var fault in faults)
        {
            _faults.Enqueue(fault);
        }
    }

    /// <summary>Faults queued and not yet used.</summary>
    public int PendingFaults => _faults.Count;

    /// <summary>Starts a partner on a free loopback port.</summary>
    public static async Task<WebhookPartner> StartAsync(string secret, TimeProvider clock)
    {
        var certificate = CreateCertificate();
        var partner = new WebhookPartner(secret, clock, certificate);
        (partner._app, partner.Endpoint) = await PushKit.StartPartnerAsync("/hook", partner.HandleAsync, certificate);
        return partner;
    }

    /// <summary>Writes the partner's certificate (public part) as PEM, for the hub to trust.</summary>
    public string WriteTrustFile()
    {
        var path = Path.Combine(Path.GetTempPath(), "ketenhub-tests", Guid.NewGuid().ToString("N") + "-partner.pem");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, Certificate.ExportCertificatePem());
        return path;
    }

    private async Task HandleAsync(HttpContext http)
    {
        Requests.Enqueue(_clock.GetUtcNow());
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer, http.RequestAborted);
        var body = buffer.ToArray();
        Received.Enqueue((body, http.Request.Headers["Ketenhub-Attempt"].ToString(), Verify(http.Request.Headers["Ketenhub-Signature"].ToString(), body)));
        TraceParents.Enqueue(http.Request.Headers["traceparent"].ToString());
        var fault = _faults.TryDequeue(out var next) ? next : Fault.None;
        switch (fault)
        {
            case Fault.ServerError:
                http.Response.StatusCode = 500;
                return;
            case Fault.TooManyRequests:
                http.Response.StatusCode = 429;
                http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                return;
            case Fault.Hang:
                try
                {
                    await Task.Delay(Timeout.Infinite, http.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                }

                return;
            case Fault.Drop:
                http.Abort();
                return;
            case Fault.Unprocessable:
                http.Response.StatusCode = 422;
                return;
        }

        if (!Verify(http.Request.Headers["Ketenhub-Signature"].ToString(), body))
        {
            Interlocked.Increment(ref _badSignatures);
            http.Response.StatusCode = 401;
            return;
        }

        using var document = JsonDocument.Parse(body);
        var id = document.RootElement.GetProperty("id").GetString()!;
        if (Stored.TryAdd(id, document.RootElement.Clone()))
        {
            Order.Enqueue(id);
        }
        else
        {
            Duplicates.AddOrUpdate(id, 1, (_, n) => n + 1);
        }

        if (fault == Fault.StoreThenDrop)
        {
            http.Abort();
            return;
        }

        http.Response.StatusCode = 204;
    }

    private bool Verify(string header, byte[] body)
    {
        string? t = null;
        var signatures = new List<byte[]>();
        foreach (var part in header.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                return false;
            }

            var (key, value) = (part[..eq], part[(eq + 1)..]);
            if (key == "t")
            {
                t = value;
            }
            else if (key == "v1" && value.Length == 64 && value.All(Uri.IsHexDigit))
            {
                signatures.Add(Convert.FromHexString(value));
            }
        }

        if (t is null || signatures.Count == 0 || !long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return false;
        }

        if (Math.Abs(_clock.GetUtcNow().ToUnixTimeSeconds() - seconds) > 300)
        {
            return false;
        }

        var signed = Encoding.ASCII.GetBytes(t + ".").Concat(body).ToArray();
        var expected = HMACSHA256.HashData(_secret, signed);
        return signatures.Any(s => CryptographicOperations.FixedTimeEquals(expected, s));
    }

    private static X509Certificate2 CreateCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=webhook-partner-{Guid.NewGuid():N}.test", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var now = DateTimeOffset.UtcNow;
        using var created = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Certificate.Dispose();
    }
}

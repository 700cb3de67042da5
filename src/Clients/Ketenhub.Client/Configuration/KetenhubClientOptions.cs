using System.Security.Cryptography.X509Certificates;

namespace Ketenhub.Client;

/// <summary>
/// How the SDK reaches the hub and who it calls as. Bind it from configuration (section
/// <see cref="DefaultSection"/>) or set it in code; it is validated when the host starts.
/// </summary>
public sealed class KetenhubClientOptions
{
    /// <summary>The configuration section <c>AddKetenhubClient(IConfiguration)</c> reads: <c>Ketenhub</c>.</summary>
    public const string DefaultSection = "Ketenhub";

    /// <summary>The hub's address, for example <c>https://hub.example.nl</c>. Required.</summary>
    public Uri? Address { get; set; }

    /// <summary>
    /// Development only: the party to call as, sent in the <c>ketenhub-party</c> header (for example
    /// <c>vso-hanspetri</c>). A hub outside its Development environment ignores or refuses it; use a client
    /// certificate or a token in production.
    /// </summary>
    public string? DevelopmentParty { get; set; }

    /// <summary>A client certificate with its private key to present in the TLS handshake (mutual TLS).</summary>
    public X509Certificate2? ClientCertificate { get; set; }

    /// <summary>
    /// A file to load the client certificate from: a PKCS#12 file (<c>.pfx</c>/<c>.p12</c>, with
    /// <see cref="ClientCertificatePassword"/> if it has one) or a PEM certificate (with
    /// <see cref="ClientCertificateKeyPath"/>). Ignored when <see cref="ClientCertificate"/> is set.
    /// </summary>
    public string? ClientCertificatePath { get; set; }

    /// <summary>The PEM private key file of a PEM <see cref="ClientCertificatePath"/>.</summary>
    public string? ClientCertificateKeyPath { get; set; }

    /// <summary>The password of a PKCS#12 <see cref="ClientCertificatePath"/>, or of an encrypted PEM key.</summary>
    public string? ClientCertificatePassword { get; set; }

    /// <summary>
    /// Roots to trust for the hub's server certificate instead of the machine's store (for example a
    /// PKIoverheid private root, or a test CA). Empty: the machine's trust store decides.
    /// </summary>
    public X509Certificate2Collection TrustedRootCertificates { get; } = [];

    /// <summary>A PEM or DER file with one root certificate to add to <see cref="TrustedRootCertificates"/>.</summary>
    public string? TrustedRootCertificatePath { get; set; }

    /// <summary>
    /// Supplies bearer tokens (for example from Entra ID or the hub's development issuer). When not set, an
    /// <see cref="IKetenhubTokenProvider"/> registered in the service collection is used, if any. Tokens are
    /// only sent over TLS, or over plain HTTP to a loopback address.
    /// </summary>
    public IKetenhubTokenProvider? TokenProvider { get; set; }

    /// <summary>
    /// How long a call may take, retries included, unless the call sets its own
    /// (<see cref="KetenhubCallOptions.Timeout"/>). <value>The default value is 30 seconds.</value>
    /// </summary>
    public TimeSpan DefaultDeadline { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries of failed attempts, applied by the gRPC channel.</summary>
    public KetenhubRetryOptions Retry { get; set; } = new();

    /// <summary>
    /// How long an idle connection waits before it pings the hub, so a dead connection (and a delivery stream
    /// on it) is noticed. <value>The default value is 30 seconds.</value>
    /// </summary>
    public TimeSpan KeepAlivePingDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long to wait for a keep-alive ping's answer before the connection is closed. <value>The default value is 20 seconds.</value></summary>
    public TimeSpan KeepAlivePingTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Advanced: creates the HTTP handler calls go through, for example an in-memory test server's handler in
    /// your own integration tests. Null (the default): a handler built from these options (TLS, client
    /// certificate, trusted roots, keep-alive pings). A handler from here gets none of those settings.
    /// </summary>
    public Func<HttpMessageHandler>? HttpHandlerFactory { get; set; }

    /// <summary>The largest message the SDK accepts from the hub, in bytes. <value>The default value is 16 MiB.</value></summary>
    public int MaxReceiveMessageSize { get; set; } = 16 * 1024 * 1024;
}

using System.CommandLine;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Ketenhub.Cli;

/// <summary>
/// The TLS side of a call to the hub, from <c>--client-cert</c>, <c>--client-key</c> and <c>--ca-file</c>: the client
/// certificate presented for mutual TLS, and the roots the hub's server certificate must chain to. Null when none is given
/// (the machine's trust store, no client certificate).
/// </summary>
internal sealed class TlsSettings
{
    private TlsSettings(X509Certificate2? clientCertificate, X509Certificate2Collection? roots)
    {
        ClientCertificate = clientCertificate;
        Roots = roots;
    }

    public X509Certificate2? ClientCertificate { get; }

    public X509Certificate2Collection? Roots { get; }

    public static TlsSettings? From(ParseResult parse, GlobalOptions globals, Uri hub)
    {
        var certificate = parse.GetValue(globals.ClientCertificate);
        var key = parse.GetValue(globals.ClientKey);
        var ca = parse.GetValue(globals.CaFile);
        if (certificate is null && key is null && ca is null)
        {
            return null;
        }

        if (hub.Scheme != Uri.UriSchemeHttps)
        {
            throw new CliUsageException("--client-cert, --client-key and --ca-file need an https:// --hub (they apply to a TLS handshake).");
        }

        if (key is not null && certificate is null)
        {
            throw new CliUsageException("--client-key needs --client-cert.");
        }

        return new TlsSettings(certificate is null ? null : LoadClientCertificate(certificate, key), ca is null ? null : LoadRoots(ca));
    }

    public SocketsHttpHandler CreateHandler()
    {
        var handler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true };
        if (ClientCertificate is not null)
        {
            handler.SslOptions.ClientCertificates = [ClientCertificate];
        }

        if (Roots is { } roots)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) => ChainsTo(roots, certificate, errors);
        }

        return handler;
    }

    /// <summary>The server certificate names the host (no other error than an unknown root) and chains to one of the roots.</summary>
    private static bool ChainsTo(X509Certificate2Collection roots, X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var server = new X509Certificate2(certificate);
        return chain.Build(server);
    }

    private static X509Certificate2 LoadClientCertificate(FileInfo certificate, FileInfo? key)
    {
        if (!certificate.Exists || key is { Exists: false })
        {
            throw new CliUsageException($"--client-cert/--client-key: {(certificate.Exists ? key!.FullName : certificate.FullName)} does not exist.");
        }

        try
        {
            if (key is not null)
            {
                return X509Certificate2.CreateFromPemFile(certificate.FullName, key.FullName);
            }

            return X509CertificateLoader.LoadPkcs12FromFile(certificate.FullName, password: null);
        }
        catch (CryptographicException)
        {
            throw new CliUsageException("--client-cert: not a PEM certificate with its --client-key, nor a PKCS#12 file without a password.");
        }
    }

    private static X509Certificate2Collection LoadRoots(FileInfo ca)
    {
        if (!ca.Exists)
        {
            throw new CliUsageException($"--ca-file: {ca.FullName} does not exist.");
        }

        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(ca.FullName);
        }
        catch (CryptographicException)
        {
            throw new CliUsageException("--ca-file: not a PEM file with certificates.");
        }

        return roots.Count > 0 ? roots : throw new CliUsageException("--ca-file: the file holds no certificate.");
    }
}

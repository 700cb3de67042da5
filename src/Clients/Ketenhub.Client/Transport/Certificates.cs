using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Ketenhub.Client.Transport;

/// <summary>Loads the client certificate and trusted roots the options name.</summary>
internal static class Certificates
{
    public static X509Certificate2? LoadClientCertificate(KetenhubClientOptions options)
    {
        if (options.ClientCertificate is not null)
        {
            return options.ClientCertificate;
        }

        var path = options.ClientCertificatePath;
        if (string.IsNullOrEmpty(path))
        {
            return null;
        }

        if (!string.IsNullOrEmpty(options.ClientCertificateKeyPath))
        {
            var pem = string.IsNullOrEmpty(options.ClientCertificatePassword)
                ? X509Certificate2.CreateFromPemFile(path, options.ClientCertificateKeyPath)
                : X509Certificate2.CreateFromEncryptedPemFile(path, options.ClientCertificatePassword, options.ClientCertificateKeyPath);

            // An ephemeral PEM key cannot be used by SslStream on every platform; a PKCS#12 round trip fixes that.
            using (pem)
            {
                return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            }
        }

        return X509CertificateLoader.LoadPkcs12FromFile(path, options.ClientCertificatePassword);
    }

    public static X509Certificate2Collection LoadTrustedRoots(KetenhubClientOptions options)
    {
        var roots = new X509Certificate2Collection(options.TrustedRootCertificates);
        if (!string.IsNullOrEmpty(options.TrustedRootCertificatePath))
        {
            var text = File.ReadAllText(options.TrustedRootCertificatePath);
            roots.Add(text.Contains("-----BEGIN", StringComparison.Ordinal)
                ? X509Certificate2.CreateFromPem(text)
                : X509CertificateLoader.LoadCertificateFromFile(options.TrustedRootCertificatePath));
        }

        return roots;
    }

    /// <summary>Whether the server's certificate chains to one of the given roots (and is otherwise valid for the host).</summary>
    public static bool ChainsTo(X509Certificate? remote, SslPolicyErrors errors, X509Certificate2Collection roots)
    {
        if (remote is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return false;
        }

        using var certificate = new X509Certificate2(remote);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }
}

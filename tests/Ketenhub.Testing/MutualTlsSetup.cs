using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Ketenhub.Testing;

/// <summary>
/// What a test of mutual TLS against a hub process needs, generated in the test: a certificate authority the hub
/// trusts and one it does not; client certificates for sdd (its OIN in the subject's serialNumber, as PKIoverheid
/// issues them), for waakvlam-zorg (mapped by thumbprint) and for nobody (trusted, mapped to no party); and the hub's
/// settings (Production keys) for a Partner endpoint on a free port with a server certificate from the authority.
/// </summary>
public sealed class MutualTlsSetup : IDisposable
{
    /// <summary>The OIN in sdd's certificate, which the hub maps to sdd.</summary>
    public const string SddOin = "00000001823288444000";

    private const string ServerPassword = "server-password";
    private readonly X509Certificate2 _server;

    /// <param name="folder">Where the authority's PEM file and the server's PKCS#12 file are written.</param>
    /// <param name="authorityName">The trusted authority's subject.</param>
    /// <param name="providerRoles">Roles the hub gives waakvlam-zorg's certificate.</param>
    public MutualTlsSetup(string folder, string authorityName, params string[] providerRoles)
    {
        Authority = TestCertificates.Authority(authorityName);
        OtherAuthority = TestCertificates.Authority("CN=Untrusted CA, O=Elsewhere");
        _server = TestCertificates.Issue(Authority, "CN=localhost", serverAuth: true);
        Sdd = TestCertificates.Issue(Authority, $"CN=Sociale Dienst Drechtsteden, O=Sociale Dienst Drechtsteden, SERIALNUMBER={SddOin}", serverAuth: false);
        Provider = TestCertificates.Issue(Authority, "CN=waakvlam-zorg.example, O=Waakvlam Zorg", serverAuth: false);
        Unmapped = TestCertificates.Issue(Authority, "CN=unknown.example, O=Unknown", serverAuth: false);

        AuthorityFile = Path.Combine(folder, "ca.pem");
        File.WriteAllText(AuthorityFile, Authority.ExportCertificatePem());
        var serverFile = Path.Combine(folder, "server.pfx");
        File.WriteAllBytes(serverFile, _server.Export(X509ContentType.Pfx, ServerPassword));

        Port = HubProcess.FreeLoopbackPort();
        Settings = TestTokens.ProductionKeys();
        Settings["Kestrel:Endpoints:Partner:Url"] = $"https://127.0.0.1:{Port}";
        Settings["Kestrel:Endpoints:Partner:Certificate:Path"] = serverFile;
        Settings["Kestrel:Endpoints:Partner:Certificate:Password"] = ServerPassword;
        Settings["Identity:Certificates:TrustedCaFiles:0"] = AuthorityFile;
        Settings["Identity:Certificates:RevocationMode"] = "NoCheck";
        Settings["Identity:Certificates:Parties:0:Party"] = "sdd";
        Settings["Identity:Certificates:Parties:0:Oin"] = SddOin;
        Settings["Identity:Certificates:Parties:1:Party"] = "waakvlam-zorg";
        Settings["Identity:Certificates:Parties:1:Thumbprint"] = Provider.GetCertHashString(HashAlgorithmName.SHA256);
        for (var i = 0; i < providerRoles.Length; i++)
        {
            Settings[$"Identity:Certificates:Parties:1:Roles:{i}"] = providerRoles[i];
        }
    }

    /// <summary>The authority the hub trusts (and that signed the hub's server certificate).</summary>
    public X509Certificate2 Authority { get; }

    /// <summary>An authority the hub does not trust.</summary>
    public X509Certificate2 OtherAuthority { get; }

    /// <summary>sdd's client certificate, mapped by the OIN in its subject.</summary>
    public X509Certificate2 Sdd { get; }

    /// <summary>waakvlam-zorg's client certificate, mapped by its thumbprint.</summary>
    public X509Certificate2 Provider { get; }

    /// <summary>A client certificate from the trusted authority that no party is mapped to.</summary>
    public X509Certificate2 Unmapped { get; }

    /// <summary>The trusted authority as a PEM file.</summary>
    public string AuthorityFile { get; }

    /// <summary>The Partner endpoint's port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>The Partner endpoint's address.</summary>
    public Uri Address => new($"https://127.0.0.1:{Port}");

    /// <summary>The hub's settings: Production keys and the Partner endpoint with client certificates.</summary>
    public Dictionary<string, string?> Settings { get; }

    public void Dispose()
    {
        Authority.Dispose();
        OtherAuthority.Dispose();
        _server.Dispose();
        Sdd.Dispose();
        Provider.Dispose();
        Unmapped.Dispose();
    }
}

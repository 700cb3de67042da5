using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Google.Rpc;
using Grpc.Core;
using Grpc.Net.Client;
using Ketenhub.Contracts;
using Ketenhub.Contracts.V1;
using Ketenhub.Testing;
using Xunit.Abstractions;

namespace Ketenhub.ProcessTests;

/// <summary>
/// Mutual TLS on the Partner endpoint of the hub as a real process in Production, over real TLS sockets, with a
/// certificate authority, a server certificate and client certificates generated in the test: a certificate with
/// the party's OIN in its subject's serialNumber (as PKIoverheid issues them) is that party; one mapped by thumbprint
/// is that party with its configured roles; a certificate from an untrusted authority, or none, gets no connection;
/// a trusted but unmapped one is CALLER_UNKNOWN.
/// </summary>
public sealed class MutualTlsTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "ketenhub-mtls-" + Guid.NewGuid().ToString("N"))).FullName;
    private readonly List<IDisposable> _disposables = [];

    public void Dispose()
    {
        foreach (var disposable in _disposables)
        {
            disposable.Dispose();
        }

        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task PartnerEndpoint_MapsTrustedCertificates_RefusesOthersInTheHandshake()
    {
        using var tls = new MutualTlsSetup(_folder, "CN=Ketenhub Test CA, O=Ketenhub Test", "admin");
        using var untrusted = TestCertificates.Issue(tls.OtherAuthority, $"CN=Impostor, O=Impostor, SERIALNUMBER={MutualTlsSetup.SddOin}", serverAuth: false);
        var (ca, port, settings) = (tls.Authority, tls.Port, tls.Settings);

        using var hub = new HubProcess(environment: "Production", settings: settings);
        using (var start = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            await hub.StartAsync(start.Token);
        }

        try
        {
            // The OIN in the subject's serialNumber makes this certificate the social service.
            var asSdd = Channel(port, tls.Sdd, ca);
            var clients = new ClientService.ClientServiceClient(asSdd);
            var registered = await clients.RegisterClientAsync(new RegisterClientRequest
            {
                RequestId = Guid.NewGuid().ToString("N"),
                Bsn = "111222333",
                BirthDate = new Google.Type.Date { Year = 1990, Month = 1, Day = 1 },
                MunicipalityCode = "0505",
            }, deadline: Deadline());
            var signal = await new SignalService.SignalServiceClient(asSdd).CreateSignalAsync(new CreateSignalRequest
            {
                RequestId = Guid.NewGuid().ToString("N"),
                Signal = new Signal { Client = registered.Client.Name, Kind = SignalKind.PaymentArrears, LifeDomain = LifeDomain.Finances, Severity = SignalSeverity.Concern, Description = "Arrears." },
            }, deadline: Deadline());
            Assert.Equal("parties/sdd", signal.Signal.Sender);

            // Without the admin role sdd may not list another party's deliveries; the provider's certificate grants it.
            var denied = await Assert.ThrowsAsync<RpcException>(() => new DeliveryService.DeliveryServiceClient(asSdd)
                .ListDeliveriesAsync(new ListDeliveriesRequest { Recipient = "parties/waakvlam-zorg" }, deadline: Deadline()).ResponseAsync);
            Assert.Equal("ADMIN_ROLE_REQUIRED", Reason(denied));
            var asProvider = Channel(port, tls.Provider, ca);
            await new DeliveryService.DeliveryServiceClient(asProvider).ListDeliveriesAsync(new ListDeliveriesRequest { Recipient = "parties/sdd" }, deadline: Deadline());

            // Trusted but mapped to no party: a connection, but no caller.
            var unknown = await Assert.ThrowsAsync<RpcException>(() => Parties(Channel(port, tls.Unmapped, ca)));
            Assert.Equal((StatusCode.Unauthenticated, "CALLER_UNKNOWN"), (unknown.StatusCode, Reason(unknown)));

            // From an untrusted authority (even carrying sdd's OIN), or no certificate at all: no connection.
            // (With TLS 1.3 the server's refusal can arrive after the client's handshake completed, as a failed read
            // that the gRPC client reports as INTERNAL rather than UNAVAILABLE; either way no call reaches the hub.)
            var impostor = await Assert.ThrowsAsync<RpcException>(() => Parties(Channel(port, untrusted, ca)));
            Assert.Contains(impostor.StatusCode, HandshakeRefused);
            var anonymous = await Assert.ThrowsAsync<RpcException>(() => Parties(Channel(port, null, ca)));
            Assert.Contains(anonymous.StatusCode, HandshakeRefused);
            Assert.Contains($"TLS handshake with client certificate {untrusted.Thumbprint} (", hub.Output, StringComparison.Ordinal);
            Assert.Contains("refused: CERTIFICATE_NOT_TRUSTED", hub.Output, StringComparison.Ordinal);

            // The plain endpoint has no certificate, and outside Development no header: nobody is known there.
            var plain = await Assert.ThrowsAsync<RpcException>(() => new PartyService.PartyServiceClient(hub.Channel())
                .ListPartiesAsync(new ListPartiesRequest(), new Metadata { { DevelopmentHeaders.Party, "sdd" } }, Deadline()).ResponseAsync);
            Assert.Equal("CALLER_UNKNOWN", Reason(plain));
        }
        finally
        {
            output.WriteLine(hub.Output);
        }
    }

    private static readonly StatusCode[] HandshakeRefused = [StatusCode.Unavailable, StatusCode.Internal];

    private static DateTime Deadline() => DateTime.UtcNow.AddSeconds(20);

    private static Task Parties(GrpcChannel channel) =>
        new PartyService.PartyServiceClient(channel).ListPartiesAsync(new ListPartiesRequest(), deadline: Deadline()).ResponseAsync;

    private static string? Reason(RpcException error) => error.GetRpcStatus()?.GetDetail<ErrorInfo>()?.Reason;

    private GrpcChannel Channel(int port, X509Certificate2? clientCertificate, X509Certificate2 trustedCa)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(10),
            SslOptions = new SslClientAuthenticationOptions
            {
                // The hub's server certificate is checked against the test's authority, not the machine's store.
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(trustedCa);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return certificate is X509Certificate2 presented && chain.Build(presented);
                },
            },
        };
        if (clientCertificate is not null)
        {
            handler.SslOptions.ClientCertificates = [clientCertificate];
            handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate;
        }

        var channel = GrpcChannel.ForAddress($"https://127.0.0.1:{port}", new GrpcChannelOptions { HttpHandler = handler });
        _disposables.Add(channel);
        return channel;
    }
}

using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Ketenhub.Client;
using Ketenhub.ClientTests.Infrastructure;
using Ketenhub.Contracts.V1;
using Ketenhub.Testing;
using Xunit.Abstractions;

namespace Ketenhub.ClientTests;

/// <summary>Test classes that start hub processes run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HubProcessCollection
{
    public const string Name = "hub processes";
}

/// <summary>
/// The SDK against the hub as a real process over real sockets: client certificates (a PKCS#12 file, PEM files, an
/// X509Certificate2 in code) over mutual TLS with a certificate authority generated in the test, and the delivery
/// consumer across a hard kill and restart of the hub on the same data folder and port.
/// </summary>
[Collection(HubProcessCollection.Name)]
public sealed class ProcessTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly string _folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "ketenhub-sdk-" + Guid.NewGuid().ToString("N"))).FullName;
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
    public async Task ClientCertificates_FromAPfxFile_PemFiles_OrCode_IdentifyTheCallerOverMutualTls()
    {
        using var tls = new MutualTlsSetup(_folder, "CN=Ketenhub SDK Test CA, O=Ketenhub Test");
        var (ca, otherCa, sdd, caFile, settings) = (tls.Authority, tls.OtherAuthority, tls.Sdd, tls.AuthorityFile, tls.Settings);
        var sddFile = Path.Combine(_folder, "sdd.pfx");
        await File.WriteAllBytesAsync(sddFile, sdd.Export(X509ContentType.Pfx, "sdd-password"));
        var providerCertificateFile = Write("provider.pem", tls.Provider.ExportCertificatePem());
        var providerKeyFile = Write("provider.key", tls.Provider.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());

        using var hub = new HubProcess(environment: "Production", settings: settings);
        await StartAsync(hub);
        var address = tls.Address;

        try
        {
            // A PKCS#12 file with a password; the hub's server certificate is checked against the test's authority.
            var asSdd = Client(new KetenhubClientOptions
            {
                Address = address,
                ClientCertificatePath = sddFile,
                ClientCertificatePassword = "sdd-password",
                TrustedRootCertificatePath = caFile,
            });
            var registered = await asSdd.Clients.RegisterAsync("111222333", new DateOnly(1990, 1, 1), "0505");
            var signal = await asSdd.Signals.SubmitAsync(SdkHub.Arrears(registered.Client.Name));
            Assert.Equal("parties/sdd", signal.Signal.Sender);

            // PEM certificate and key files; the provider, mapped by thumbprint, may do what waakvlam-zorg may do.
            var asProvider = Client(new KetenhubClientOptions
            {
                Address = address,
                ClientCertificatePath = providerCertificateFile,
                ClientCertificateKeyPath = providerKeyFile,
                TrustedRootCertificatePath = caFile,
            });
            var ownBsn = SdkHub.NewBsn();
            var own = await asProvider.Clients.RegisterAsync(ownBsn, new DateOnly(1991, 2, 3), "0505");
            var atSdd = await asSdd.Clients.RegisterAsync(ownBsn, new DateOnly(1991, 2, 3), "0505");
            await asSdd.Clients.AssignCoachAsync(atSdd.Client.Name, new Coach { Party = "parties/waakvlam-zorg", CoachId = "lisa", DisplayName = "Lisa" });
            var team = await asProvider.Clients.GetCareTeamAsync(own.Client.Name);
            Assert.Equal("parties/waakvlam-zorg", team.Coach.Party);

            // An X509Certificate2 in code: trusted but mapped to no party is a connection without a caller.
            var asUnknown = Client(new KetenhubClientOptions { Address = address, ClientCertificate = tls.Unmapped, TrustedRootCertificates = { ca } });
            var unknown = await Assert.ThrowsAsync<KetenhubException>(() => asUnknown.Parties.ListAsync());
            Assert.Equal((StatusCode.Unauthenticated, "CALLER_UNKNOWN"), (unknown.StatusCode, unknown.Reason));

            // The SDK trusts only the configured roots: a hub whose certificate chains elsewhere is refused.
            var wrongRoot = Client(new KetenhubClientOptions { Address = address, ClientCertificate = sdd, TrustedRootCertificates = { otherCa }, Retry = { MaxAttempts = 1 } });
            var refused = await Assert.ThrowsAsync<KetenhubException>(() => wrongRoot.Parties.ListAsync());
            Assert.Contains(refused.StatusCode, new[] { StatusCode.Internal, StatusCode.Unavailable });
            Assert.Contains(Causes(refused), e => e is System.Security.Authentication.AuthenticationException);

            // Without a certificate the partner endpoint gives no connection at all.
            var anonymous = Client(new KetenhubClientOptions { Address = address, TrustedRootCertificatePath = caFile, TokenProvider = KetenhubTokenProvider.FromDelegate(_ => ValueTask.FromResult("not-a-token")), Retry = { MaxAttempts = 1 } });
            var noCertificate = await Assert.ThrowsAsync<KetenhubException>(() => anonymous.Parties.ListAsync());

            // With TLS 1.3 the refusal can come after the client's side of the handshake, as a failed read (INTERNAL).
            Assert.Contains(noCertificate.StatusCode, new[] { StatusCode.Unavailable, StatusCode.Internal });
        }
        finally
        {
            output.WriteLine(hub.Output);
        }
    }

    [Fact]
    public async Task TheConsumer_OutlivesAHardKillAndRestartOfTheHub_AndHandlesEveryDeliveryOnce()
    {
        using var tokens = new TestTokens();
        var settings = new Dictionary<string, string?>(tokens.HubSettings) { ["Identity:DevelopmentIssuer:Enabled"] = "false" };
        using var hub = new HubProcess(settings: settings);
        await StartAsync(hub);

        try
        {
            var issued = 0;
            KetenhubClient As(string party) => Client(new KetenhubClientOptions
            {
                Address = hub.Address,
                TokenProvider = KetenhubTokenProvider.FromDelegate(_ =>
                {
                    Interlocked.Increment(ref issued);
                    return ValueTask.FromResult(tokens.Token(party));
                }),
                Retry = { InitialBackoff = TimeSpan.FromMilliseconds(50), MaxBackoff = TimeSpan.FromMilliseconds(200) },
            });
            var coach = As("waakvlam-zorg");
            var sdd = As("sdd");
            // Each party has its own name for the client; both learn it by registering the BSN with the same facts.
            var bsn = SdkHub.NewBsn();
            var atCoach = (await coach.Clients.RegisterAsync(bsn, new DateOnly(1994, 11, 2), "0505")).Client.Name;
            var client = (await sdd.Clients.RegisterAsync(bsn, new DateOnly(1994, 11, 2), "0505")).Client.Name;
            await sdd.Clients.AssignCoachAsync(client, new Coach { Party = "parties/waakvlam-zorg", CoachId = "lisa", DisplayName = "Lisa" });
            await coach.Consents.GrantAsync(new Consent { Client = atCoach, GrantorRole = GrantorRole.Client, RecipientParty = "parties/waakvlam-zorg", Purposes = { Purpose.SignalFollowUp }, DataCategories = { DataCategory.Finances } });
            var expected = await SdkHub.RaiseAsync(sdd, client, 3);

            var handled = new List<Delivery>();
            var handler = new DelegateHandler(delivery =>
            {
                lock (handled)
                {
                    handled.Add(delivery);
                }
            });
            using var logs = new TestLogger<KetenhubDeliveryConsumer>(output);
            var consumer = new KetenhubDeliveryConsumer(coach, handler, new KetenhubDeliveryConsumerOptions { InitialBackoff = TimeSpan.FromMilliseconds(100), MaxBackoff = TimeSpan.FromSeconds(1) }, logger: logs);
            using var stop = new CancellationTokenSource();
            var running = consumer.RunAsync(stop.Token);
            await WaitUntilAsync(() => Count(handled) == 3 && consumer.Cursor == Last(handled).Sequence);

            // The hub dies without any shutdown code, and comes back on the same port and data folder. Meanwhile every
            // reconnect fails (some as a cancellation rather than UNAVAILABLE); the consumer keeps trying.
            Assert.Equal(HubProcess.SigKillExitCode, hub.Kill());
            await Task.Delay(500);
            await StartAsync(hub);
            expected.AddRange(await SdkHub.RaiseAsync(sdd, client, 3));

            await WaitUntilAsync(() => Count(handled) == 6);
            await WaitUntilAsync(async () => (await ToListAsync(coach.Deliveries.ListAsync(DeliveryStatus.Pending))).Count == 0);
            await stop.CancelAsync();
            await running.WaitAsync(Patience);

            Assert.Equal(2, hub.Runs);
            Assert.True(running.IsCompletedSuccessfully);
            Assert.Equal(expected, handled.Select(d => d.Name));
            Assert.Equal(handled.Select(d => d.Sequence).Order(), handled.Select(d => d.Sequence));
            var acknowledged = await ToListAsync(coach.Deliveries.ListAsync(DeliveryStatus.Acknowledged));
            Assert.Equal(expected.Order(StringComparer.Ordinal), acknowledged.Select(d => d.Name).Order(StringComparer.Ordinal));
            Assert.True(issued > 0);
        }
        finally
        {
            output.WriteLine(hub.Output);
        }
    }

    /// <summary>The exception and everything under it, the gRPC status's debug exception included.</summary>
    private static IEnumerable<Exception> Causes(Exception error)
    {
        for (Exception? e = error; e is not null; e = e is RpcException rpc && rpc.Status.DebugException is { } debug ? debug : e.InnerException)
        {
            yield return e;
        }
    }

    private static int Count(List<Delivery> handled)
    {
        lock (handled)
        {
            return handled.Count;
        }
    }

    private static Delivery Last(List<Delivery> handled)
    {
        lock (handled)
        {
            return handled[^1];
        }
    }

    private KetenhubClient Client(KetenhubClientOptions options)
    {
        var client = new KetenhubClient(options);
        _disposables.Add(client);
        return client;
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static async Task StartAsync(HubProcess hub)
    {
        using var start = new CancellationTokenSource(Patience);
        await hub.StartAsync(start.Token);
    }

    private static Task WaitUntilAsync(Func<bool> condition) => WaitUntilAsync(() => Task.FromResult(condition()));

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var started = TimeProvider.System.GetTimestamp();
        while (!await condition())
        {
            Assert.True(TimeProvider.System.GetElapsedTime(started) < Patience, "The condition did not hold in time.");
            await Task.Delay(50);
        }
    }

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }

    private sealed class TestLogger<T>(ITestOutputHelper output) : Microsoft.Extensions.Logging.ILogger<T>, IDisposable
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => this;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            output.WriteLine($"{TimeProvider.System.GetUtcNow():HH:mm:ss.fff} consumer {logLevel}: {formatter(state, exception)}");

        public void Dispose()
        {
        }
    }

    private sealed class DelegateHandler(Action<Delivery> handle) : IKetenhubDeliveryHandler
    {
        public Task HandleAsync(Delivery delivery, CancellationToken cancellationToken)
        {
            handle(delivery);
            return Task.CompletedTask;
        }
    }
}

using System.Security.Cryptography;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Ketenhub.Contracts.V1;
using Ketenhub.Hub.Delivery;
using Ketenhub.Identity;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Ketenhub.Testing.InProcess;

/// <summary>
/// The real hub host in memory: real SQLite file in a temp folder, the demo parties and rules, and a fake
/// clock the test moves. Calls go through a real GrpcChannel over the test server's handler, identified by
/// bearer tokens signed with a key generated for the factory (<c>Identity:Jwt</c>, validated like any token).
/// </summary>
public sealed class HubFactory : WebApplicationFactory<Program>
{
    /// <summary>The issuer of the factory's test tokens.</summary>
    public const string TestIssuer = "https://issuer.ketenhub.test";

    /// <summary>The audience of the factory's test tokens.</summary>
    public const string TestAudience = "api://ketenhub-test";

    private readonly ECDsa _signingKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly string _signingKeyFile = Path.Combine(Path.GetTempPath(), "ketenhub-tests", Guid.NewGuid().ToString("N") + "-signing-key.pem");
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "ketenhub-tests", Guid.NewGuid().ToString("N"));
    private readonly Dictionary<string, string?> _settings = new(StringComparer.Ordinal);
    private readonly List<GrpcChannel> _channels = [];
    private readonly List<Action<IServiceCollection>> _services = [];
    private readonly HubObservation? _observation = HubObservation.Current;

    /// <summary>The issuer of the factory's citizens' tokens (a stand-in for a DigiD broker).</summary>
    public const string TestCitizenIssuer = "https://citizens.ketenhub.test";

    /// <summary>The audience of the factory's citizens' tokens.</summary>
    public const string TestCitizenAudience = "api://ketenhub-test-citizens";

    private readonly ECDsa _citizenKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly string _citizenKeyFile = Path.Combine(Path.GetTempPath(), "ketenhub-tests", Guid.NewGuid().ToString("N") + "-citizen-key.pem");

    public HubFactory(DateTimeOffset? start = null)
    {
        _observation?.Factories.Enqueue(this);
        Clock = new FakeTimeProvider(start ?? new DateTimeOffset(2026, 1, 5, 9, 0, 0, TimeSpan.Zero));
        Clock.AutoAdvanceAmount = TimeSpan.Zero;
        Directory.CreateDirectory(Path.GetDirectoryName(_signingKeyFile)!);
        File.WriteAllText(_signingKeyFile, _signingKey.ExportSubjectPublicKeyInfoPem());
        File.WriteAllText(_citizenKeyFile, _citizenKey.ExportSubjectPublicKeyInfoPem());
    }

    /// <summary>The private key that signs the factory's test tokens.</summary>
    public ECDsa SigningKey => _signingKey;

    public FakeTimeProvider Clock { get; }

    public string DataDirectory => _dataDirectory;

    /// <summary>Sets a configuration value before the host starts, e.g. <c>Hub:MaxDeliveryAttempts</c>.</summary>
    public HubFactory With(string key, string? value)
    {
        _settings[key] = value;
        return this;
    }

    /// <summary>
    /// Serve on real loopback sockets (Kestrel) instead of the in-memory test server: gRPC on <see cref="GrpcAddress"/> (HTTP/2
    /// without TLS) and the partner HTTP endpoint on <see cref="PartnerAddress"/> (HTTP/1.1 and HTTP/2; https when
    /// <paramref name="https"/>, whose TLS settings the test adds with <see cref="With"/>). Call before the first use.
    /// </summary>
    public HubFactory OnSockets(bool https = false)
    {
        GrpcPort = HubProcess.FreeLoopbackPort();
        PartnerPort = HubProcess.FreeLoopbackPort();
        _settings["Kestrel:Endpoints:Grpc:Url"] = GrpcAddress.ToString().TrimEnd('/');
        _settings["Hub:PartnerHttp:Url"] = $"{(https ? "https" : "http")}://127.0.0.1:{PartnerPort}";
        UseKestrel();
        return this;
    }

    /// <summary>The gRPC endpoint's port with <see cref="OnSockets"/>, else 0.</summary>
    public int GrpcPort { get; private set; }

    /// <summary>The partner HTTP endpoint's port with <see cref="OnSockets"/>, else 0.</summary>
    public int PartnerPort { get; private set; }

    /// <summary>The gRPC endpoint's address with <see cref="OnSockets"/>.</summary>
    public Uri GrpcAddress => new($"http://127.0.0.1:{GrpcPort}");

    /// <summary>The partner HTTP endpoint's address with <see cref="OnSockets"/> (the scheme it was configured with).</summary>
    public Uri PartnerAddress => new(_settings["Hub:PartnerHttp:Url"] ?? throw new InvalidOperationException("OnSockets was not called."));

    /// <summary>Changes the host's services before it starts (for fault injection).</summary>
    public HubFactory WithServices(Action<IServiceCollection> configure)
    {
        _services.Add(configure);
        return this;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("Storage:DataDirectory", _dataDirectory);
        builder.UseSetting("Hub:ScheduledWorkInterval", "00:00:05");
        builder.UseSetting("Identity:Jwt:Issuer", TestIssuer);
        builder.UseSetting("Identity:Jwt:Audience", TestAudience);
        builder.UseSetting("Identity:Jwt:SigningKeyFile", _signingKeyFile);
        builder.UseSetting("Identity:DevelopmentIssuer:Enabled", "false");
        builder.UseSetting("Identity:Citizens:Issuer", TestCitizenIssuer);
        builder.UseSetting("Identity:Citizens:Audience", TestCitizenAudience);
        builder.UseSetting("Identity:Citizens:SigningKeyFile", _citizenKeyFile);

        // No person source unless a test configures one (the Development settings point at the demo persons file).
        builder.UseSetting("Hub:PersonSource:Kind", "None");

        // In memory there is no partner endpoint of its own: the FHIR and iWmo endpoints are served with the rest
        // (OnSockets gives the hub real sockets and a partner endpoint of its own).
        builder.UseSetting("Hub:PartnerHttp:Url", string.Empty);

        // Nor an operations endpoint (its routes need a listener of their own; the process tests use it).
        builder.UseSetting("Hub:Operations:Url", string.Empty);
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        if (_observation is not null)
        {
            builder.UseSetting("Logging:LogLevel:Default", "Debug");
            builder.UseSetting("Logging:LogLevel:Microsoft", "Debug");
            builder.UseSetting("Logging:LogLevel:Microsoft.AspNetCore", "Debug");
            builder.UseSetting("Logging:LogLevel:Grpc", "Debug");
            builder.ConfigureLogging(logging => logging.SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Debug).AddProvider(_observation.LoggerProvider()));
        }

        builder.ConfigureServices(services =>
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(Clock);
            foreach (var configure in _services)
            {
                configure(services);
            }
        });
    }

    /// <summary>Clients for every service, calling as the given party (a token for the organisation, no roles).</summary>
    public PartyClient As(string partyId) => As(partyId, null, []);

    /// <summary>Clients calling as the given party, for a person (<paramref name="userId"/>) and with roles such as <c>admin</c>.</summary>
    public PartyClient As(string partyId, string? userId, IReadOnlyList<string> roles) =>
        WithMetadata(partyId, new Metadata { { "authorization", "Bearer " + Token(partyId, userId, roles) } });

    /// <summary>
    /// Clients calling as the given party that see the party's own names for clients, as a partner does (every other
    /// client of this factory speaks of clients in the hub's form: see <see cref="HubFormClientNames"/>).
    /// </summary>
    public PartyClient AsSeenBy(string partyId) =>
        WithMetadata(partyId, new Metadata { { "authorization", "Bearer " + Token(partyId, null, []) } }, ownNames: true);

    /// <summary>The party's own name for a client the tests name in the hub's form (what a partner of that party stores).</summary>
    public string NameAt(string partyId, string hubName) =>
        Services.GetRequiredService<Ketenhub.Hub.Clients.ClientNames>().For(partyId, hubName["clients/".Length..]);

    /// <summary>Clients that send exactly the given metadata (for example a forged or expired token, or the development header).</summary>
    public PartyClient WithMetadata(string partyId, Metadata headers) => WithMetadata(partyId, headers, ownNames: false);

    private PartyClient WithMetadata(string partyId, Metadata headers, bool ownNames)
    {
        var channel = GrpcChannel.ForAddress(GrpcPort > 0 ? GrpcAddress : Server.BaseAddress, new GrpcChannelOptions
        {
            HttpHandler = GrpcPort > 0 ? null : Server.CreateHandler(),
            MaxReceiveMessageSize = 16 * 1024 * 1024,
            MaxSendMessageSize = 16 * 1024 * 1024,
        });
        _channels.Add(channel);
        CallInvoker invoker = channel.Intercept(metadata =>
        {
            foreach (var entry in headers)
            {
                metadata.Add(entry);
            }

            return metadata;
        });
        if (_observation is not null)
        {
            invoker = invoker.Intercept(new SentBsnRecorder(_observation));
        }

        if (!ownNames)
        {
            invoker = invoker.Intercept(new HubFormClientNames(() => Services.GetRequiredService<Ketenhub.Hub.Host.Clients.ClientNameRewriter>(), partyId));
        }

        return new PartyClient(partyId, invoker, As, Clock);
    }

    /// <summary>
    /// A token for <paramref name="partyId"/> signed with <paramref name="key"/> (default: the factory's key), valid from
    /// before until long after both the fake clock and the real clock, unless <paramref name="notBefore"/> and
    /// <paramref name="expires"/> say otherwise.
    /// </summary>
    public string Token(string partyId, string? userId = null, IReadOnlyList<string>? roles = null, ECDsa? key = null, string issuer = TestIssuer, string audience = TestAudience, DateTimeOffset? notBefore = null, DateTimeOffset? expires = null)
    {
        var fake = Clock.GetUtcNow();
        var real = TimeProvider.System.GetUtcNow();
        var from = notBefore ?? (fake < real ? fake : real).AddHours(-1);
        var until = expires ?? (fake > real ? fake : real).AddDays(730);
        return LocalTokens.Mint(key ?? _signingKey, issuer, audience, partyId, userId, roles ?? [], from, until);
    }

    /// <summary>
    /// A citizen's token naming <paramref name="bsn"/>, signed with <paramref name="key"/> (default: the factory's citizens'
    /// key), for <paramref name="issuer"/> and <paramref name="audience"/> (default: the factory's citizens' ones).
    /// </summary>
    public string CitizenToken(string bsn, ECDsa? key = null, string issuer = TestCitizenIssuer, string audience = TestCitizenAudience)
    {
        var fake = Clock.GetUtcNow();
        var real = TimeProvider.System.GetUtcNow();
        return LocalTokens.MintCitizen(key ?? _citizenKey, issuer, audience, bsn, (fake < real ? fake : real).AddHours(-1), (fake > real ? fake : real).AddDays(730));
    }

    /// <summary>The client's own service, called with exactly the given bearer token (a citizen's, or anything else to see it refused).</summary>
    public SelfService.SelfServiceClient SelfWith(string token) =>
        WithMetadata("citizen", new Metadata { { "authorization", "Bearer " + token } }).Self;

    /// <summary>The client's own service for the person with <paramref name="bsn"/>.</summary>
    public SelfService.SelfServiceClient AsCitizen(string bsn) => SelfWith(CitizenToken(bsn));

    /// <summary>The private key that signs the factory's citizens' tokens.</summary>
    public ECDsa CitizenKey => _citizenKey;

    /// <summary>Runs the clock-driven work (escalations, coming of age, consent waits) once, now.</summary>
    public Task<ScheduledWorkResult> RunScheduledWorkAsync() =>
        Services.GetRequiredService<ScheduledWork>().RunOnceAsync(CancellationToken.None);

    /// <summary>Runs the scheduled check of every client against the person source once, as its timer would.</summary>
    public Task<Ketenhub.Hub.Clients.PersonSyncResult> CheckPersonFactsAsync() =>
        Services.GetRequiredService<Ketenhub.Hub.Clients.PersonFacts>().CheckAllAsync(CancellationToken.None);

    /// <summary>A hub that checks its clients against the fake BRP API at <paramref name="brp"/>.</summary>
    public HubFactory WithPersonSource(FakeBrpServer brp)
    {
        ArgumentNullException.ThrowIfNull(brp);
        return With("Hub:PersonSource:Kind", "HaalCentraal")
            .With("Hub:PersonSource:BaseUrl", brp.BaseUrl.ToString())
            .With("Hub:PersonSource:ApiKey", FakeBrpServer.ApiKey)

            // The scheduled check runs when a test asks (CheckPersonFactsAsync), not when the fake clock passes a day.
            .With("Hub:PersonSource:CheckInterval", "30.00:00:00");
    }

    /// <summary>A channel that names no party.</summary>
    public GrpcChannel AnonymousChannel()
    {
        var channel = GrpcChannel.ForAddress(GrpcPort > 0 ? GrpcAddress : Server.BaseAddress, new GrpcChannelOptions { HttpHandler = GrpcPort > 0 ? null : Server.CreateHandler(), MaxSendMessageSize = 16 * 1024 * 1024 });
        _channels.Add(channel);
        return channel;
    }

    protected override void Dispose(bool disposing)
    {
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }

        base.Dispose(disposing);
        if (disposing)
        {
            _signingKey.Dispose();
            _citizenKey.Dispose();
            File.Delete(_signingKeyFile);
            File.Delete(_citizenKeyFile);
            try
            {
                Directory.Delete(_dataDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>Records the BSN of every registration a test sends, for the privacy checks.</summary>
    private sealed class SentBsnRecorder(HubObservation observation) : Interceptor
    {
        public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
        {
            if (request is Ketenhub.Contracts.V1.RegisterClientRequest registration && registration.Bsn.Length > 0)
            {
                observation.SentBsns[registration.Bsn] = true;
            }

            return continuation(request, context);
        }
    }
}

using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Ketenhub.Client;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Host;
using Ketenhub.Identity;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace Ketenhub.Simulation;

/// <summary>
/// The real hub, hosted in this process: the Development configuration (the demo parties and routing rules), SQLite in
/// a data directory of its own, gRPC on a loopback port, and a clock (<see cref="FakeTimeProvider"/>) that only moves when
/// the simulation moves it. The hub's own timer for scheduled work (escalations, coming of age, expiry) runs on that
/// clock; after each move the simulation runs the same work once more and waits for it, so every step ends settled.
/// Callers get clients of the C# SDK with bearer tokens of the hub's development issuer.
/// </summary>
public sealed class SimulatedHub : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ECDsa _key;
    private readonly List<KetenhubClient> _clients = [];

    private SimulatedHub(WebApplication app, FakeTimeProvider clock, ECDsa key, int port, string keyFile)
    {
        _app = app;
        Clock = clock;
        _key = key;
        Port = port;
        KeyFile = keyFile;
    }

    public FakeTimeProvider Clock { get; }

    public int Port { get; }

    /// <summary>The development issuer's key: tokens signed with it are trusted by a Development hub on the same data.</summary>
    public string KeyFile { get; }

    public static async Task<SimulatedHub> StartAsync(string dataDirectory, DateTimeOffset start, int port, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(dataDirectory);
        var keyFile = Path.Combine(dataDirectory, "development-issuer-key.pem");
        var key = LocalTokens.LoadOrCreateKey(keyFile);
        var clock = new FakeTimeProvider(start) { AutoAdvanceAmount = TimeSpan.Zero };
        port = port > 0 ? port : FreePort();
        string[] args =
        [
            $"--Kestrel:Endpoints:Grpc:Url=http://127.0.0.1:{port}",
            "--Hub:PartnerHttp:Url=",
            "--Hub:Operations:Url=",
            "--Storage:DataDirectory=" + Path.Combine(dataDirectory, "hub"),
            "--Identity:DevelopmentIssuer:KeyFile=" + keyFile,

            // Persons come from the simulation, not from the demo's person file.
            "--Hub:PersonSource:Kind=None",
            "--Hub:ScheduledWorkInterval=01:00:00",
            "--Logging:LogLevel:Default=Warning",
            "--Logging:LogLevel:Microsoft.AspNetCore=Warning",
        ];
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory, EnvironmentName = "Development" });
        builder.AddKetenhub();
        builder.Services.RemoveAll<TimeProvider>();
        builder.Services.AddSingleton<TimeProvider>(clock);
        var app = builder.Build();
        var problems = StartupProblems.Find(app.Services);
        if (problems.Count > 0)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException("The hub cannot start: " + string.Join("; ", problems));
        }

        app.MapKetenhub();
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        return new SimulatedHub(app, clock, key, port, keyFile);
    }

    /// <summary>A client of the C# SDK calling as <paramref name="party"/>, for a person with roles when given.</summary>
    public KetenhubClient As(string party, string? user = null, params string[] roles)
    {
        var client = new KetenhubClient(new KetenhubClientOptions
        {
            Address = new Uri($"http://127.0.0.1:{Port}"),
            TokenProvider = KetenhubTokenProvider.FromDelegate(_ => ValueTask.FromResult(Token(party, user, roles, TimeSpan.FromHours(1)))),
        });
        _clients.Add(client);
        return client;
    }

    /// <summary>
    /// A development-issuer token valid from five minutes ago for <paramref name="validFor"/>, on the real clock: the token
    /// handler checks a token's lifetime against the machine's time, not the hub's.
    /// </summary>
    public string Token(string party, string? user, IEnumerable<string> roles, TimeSpan validFor)
    {
        var now = TimeProvider.System.GetUtcNow();
        return LocalTokens.Mint(_key, LocalTokens.DevelopmentIssuer, LocalTokens.DevelopmentAudience, party, user, roles, now.AddMinutes(-5), now + validFor);
    }

    /// <summary>Moves the clock to <paramref name="time"/> (never back) and waits for the scheduled work that fell due.</summary>
    public async Task AdvanceToAsync(DateTimeOffset time, CancellationToken cancellationToken)
    {
        var step = time - Clock.GetUtcNow();
        if (step > TimeSpan.Zero)
        {
            Clock.Advance(step);
        }

        await _app.Services.GetRequiredService<ScheduledWork>().RunOnceAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Keeps serving until <paramref name="cancellationToken"/> is cancelled or the host is told to stop (SIGTERM).</summary>
    public async Task ServeAsync(CancellationToken cancellationToken)
    {
        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _app.Lifetime.ApplicationStopping);
        try
        {
            await Task.Delay(Timeout.Infinite, either.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _key.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

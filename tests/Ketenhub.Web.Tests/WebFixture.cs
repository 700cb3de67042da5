using Ketenhub.Testing;
using Ketenhub.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;

namespace Ketenhub.WebTests;

/// <summary>
/// A real hub process (Development: demo parties, the development issuer), the web app on a loopback port signing
/// coaches in with that issuer's key, and one headless Debian Chromium driven by Playwright.
/// </summary>
public sealed class WebFixture : IAsyncLifetime
{
    /// <summary>Debian's Chromium; Playwright's own browser download is not used.</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    private WebApplication? _app;
    private IPlaywright? _playwright;

    public HubProcess Hub { get; } = new();

    /// <summary>Every log record the web app wrote, with its scopes.</summary>
    public LogRecorder Logs { get; } = new();

    /// <summary>The BSN of the demo client Priya (scenario S3).</summary>
    public string PriyaBsn { get; } = Bsns.Next();

    /// <summary>The BSN of the demo client Sanne (coming of age).</summary>
    public string SanneBsn { get; } = Bsns.Next();

    public Uri Address { get; private set; } = new("http://127.0.0.1/");

    public IBrowser Browser { get; private set; } = null!;

    public static string ScreenshotDirectory =>
        Path.Combine(HubProcess.RepositoryRoot() ?? Path.GetTempPath(), ".build", "test-results", "screenshots");

    public async Task InitializeAsync()
    {
        await Hub.StartAsync();
        var root = HubProcess.RepositoryRoot() ?? throw new InvalidOperationException("The tests run inside the repository.");
        _app = WebApp.Build(
            ["--environment", "Development"],
            builder =>
            {
                builder.Logging.AddProvider(Logs);
                builder.Logging.AddFilter<LogRecorder>(null, LogLevel.Debug);
                builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
                {
                    ["Web:HubAddress"] = Hub.Url,
                    ["Web:Development:KeyFile"] = Hub.DevelopmentIssuerKeyFile,
                    ["Kestrel:Endpoints:Http:Url"] = "http://127.0.0.1:0",

                    // A coach of the tests' own, after the two of appsettings.Development.json.
                    ["Web:Development:Coaches:2:Party"] = "waakvlam-zorg",
                    ["Web:Development:Coaches:2:CoachId"] = "coach-s1",
                    ["Web:Development:Coaches:2:DisplayName"] = "Sam (Waakvlam Zorg, test)",

                    // The tests' clients, each with a BSN of their own.
                    ["Web:Development:Clients:0:Bsn"] = PriyaBsn,
                    ["Web:Development:Clients:0:DisplayName"] = "Priya",
                    ["Web:Development:Clients:1:Bsn"] = SanneBsn,
                    ["Web:Development:Clients:1:DisplayName"] = "Sanne",
                });
            },
            Path.Combine(root, "src", "Clients", "Ketenhub.Web"));
        await _app.StartAsync();
        var addresses = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        Address = new Uri(addresses.Single());

        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"The browser tests need Debian's Chromium at {ChromiumPath} (apt-get install chromium; .ci/run installs it).");
        }

        _playwright = await Playwright.CreateAsync();
        Browser = await LaunchBrowserAsync([]);
    }

    /// <summary>Another headless Chromium like <see cref="Browser"/>, with extra command-line switches (for example host rules).</summary>
    public Task<IBrowser> LaunchBrowserAsync(IEnumerable<string> extraArgs) =>
        (_playwright ?? throw new InvalidOperationException("The fixture is not initialised.")).Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", .. extraArgs],
        });

    public async Task DisposeAsync()
    {
        if (_playwright is not null)
        {
            await Browser.CloseAsync();
            _playwright.Dispose();
        }

        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        Hub.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class WebCollection : ICollectionFixture<WebFixture>
{
    public const string Name = "web";
}

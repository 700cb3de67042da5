using Xunit;

namespace Ketenhub.Testing;

/// <summary>
/// A <see cref="HubProcess"/> as an xunit fixture (<c>IClassFixture</c>): started in the Development environment (demo
/// parties and rules, the development issuer) before a test class's first test, and killed, its data removed, after
/// its last. Derive from it to start the hub with other settings.
/// </summary>
public class HubProcessFixture : IAsyncLifetime, IDisposable
{
    public HubProcessFixture()
        : this(null)
    {
    }

    /// <param name="settings">Configuration for the hub (keys as in appsettings.json, for example <c>Hub:Limits:Burst</c>).</param>
    protected HubProcessFixture(IReadOnlyDictionary<string, string?>? settings)
    {
        // A first start on a busy machine (two cores shared with other builds) can take a while.
        Hub = new HubProcess("Development", settings) { StartupTimeout = TimeSpan.FromSeconds(90) };
    }

    public HubProcess Hub { get; }

    /// <summary>The hub's address as a command-line tool takes it (<c>--hub</c>).</summary>
    public string Url => Hub.Url;

    /// <summary>The key file of the hub's development issuer, for minting tokens (for example with the admin role).</summary>
    public string DevelopmentKeyFile => Hub.DevelopmentIssuerKeyFile;

    /// <summary>What the hub wrote to its console so far, for failure messages.</summary>
    public string Log => Hub.Output;

    public Task InitializeAsync() => Hub.StartAsync();

    public Task DisposeAsync()
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            Hub.Dispose();
        }
    }
}

using Ketenhub.Client;
using Ketenhub.ClientTests.Infrastructure;
using Ketenhub.Contracts.V1;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Ketenhub.ClientTests;

/// <summary>
/// <c>AddKetenhubClient</c> and <c>AddKetenhubDeliveryConsumer</c> in a real host: wrong options stop the start with
/// messages that name the settings; a token provider registered in the container is used; the hosted consumer
/// handles and acknowledges deliveries from the in-process hub.
/// </summary>
public sealed class RegistrationTests : IDisposable
{
    private readonly SdkHub _hub = new();

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task WrongOptions_StopTheHostAtStart_NamingEachSetting()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Ketenhub:Address"] = "http://hub.example.nl",
            ["Ketenhub:ClientCertificatePath"] = "/nowhere/school.pfx",
            ["Ketenhub:DefaultDeadline"] = "00:00:00",
            ["Ketenhub:Retry:MaxAttempts"] = "9",
        });
        builder.Services.AddKetenhubClient(builder.Configuration.GetSection(KetenhubClientOptions.DefaultSection));
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(error.Failures, f => f.Contains("Ketenhub:ClientCertificatePath names a file that does not exist", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("needs an https:// Ketenhub:Address", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("Ketenhub:DefaultDeadline", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("Ketenhub:Retry:MaxAttempts", StringComparison.Ordinal));
    }

    [Fact]
    public async Task NoIdentity_StopsTheHostAtStart()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddKetenhubClient(o => o.Address = new Uri("https://hub.example.nl"));
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(error.Failures, f => f.StartsWith("Ketenhub needs an identity", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ARegisteredTokenProvider_AndTheHostedConsumer_WorkAgainstTheHub()
    {
        var (sdd, _, client) = await _hub.CoachedClientAsync();
        var handled = new DeliveryLog();
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton<IKetenhubTokenProvider>(new HubTokens(_hub, "waakvlam-zorg"));
        builder.Services.AddSingleton(handled);
        builder.Services.AddKetenhubClient(o =>
        {
            o.Address = _hub.Hub.Server.BaseAddress;
            o.HttpHandlerFactory = _hub.Hub.Server.CreateHandler;
        });
        builder.Services.AddKetenhubDeliveryConsumer<LoggingHandler>(o => o.InitialBackoff = TimeSpan.FromMilliseconds(20));
        using var host = builder.Build();
        await host.StartAsync();

        var names = await SdkHub.RaiseAsync(sdd, client, 2);
        var coach = host.Services.GetRequiredService<KetenhubClient>();
        var started = TimeProvider.System.GetTimestamp();
        while (handled.Names.Count < 2 || (await ToListAsync(coach.Deliveries.ListAsync(DeliveryStatus.Pending))).Count > 0)
        {
            Assert.True(TimeProvider.System.GetElapsedTime(started) < TimeSpan.FromSeconds(30), "The hosted consumer did not handle both deliveries in time.");
            await Task.Delay(25);
        }

        await host.StopAsync();

        Assert.Equal(names, handled.Names);
        Assert.Equal(2, (await ToListAsync(coach.Deliveries.ListAsync(DeliveryStatus.Acknowledged))).Count);
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

    /// <summary>Tokens the in-process hub's test key signs, for one party.</summary>
    private sealed class HubTokens(SdkHub hub, string party) : IKetenhubTokenProvider
    {
        public ValueTask<string> GetTokenAsync(CancellationToken cancellationToken) => ValueTask.FromResult(hub.Hub.Token(party));
    }

    private sealed class DeliveryLog
    {
        private readonly List<string> _names = [];

        public List<string> Names
        {
            get
            {
                lock (_names)
                {
                    return [.. _names];
                }
            }
        }

        public void Add(string name)
        {
            lock (_names)
            {
                _names.Add(name);
            }
        }
    }

    /// <summary>Resolved in a scope per delivery by the hosted consumer.</summary>
    private sealed class LoggingHandler(DeliveryLog log) : IKetenhubDeliveryHandler
    {
        public Task HandleAsync(Delivery delivery, CancellationToken cancellationToken)
        {
            log.Add(delivery.Name);
            return Task.CompletedTask;
        }
    }
}

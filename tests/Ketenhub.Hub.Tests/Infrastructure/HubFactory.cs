using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Host.Transport;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Ketenhub.HubTests.Infrastructure;

/// <summary>
/// The real hub host in memory: real SQLite file in a temp folder, the demo parties and rules, and a fake
/// clock the test moves. Calls go through a real GrpcChannel over the test server's handler.
/// </summary>
public sealed class HubFactory : WebApplicationFactory<Program>
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "ketenhub-tests", Guid.NewGuid().ToString("N"));
    private readonly Dictionary<string, string?> _settings = new(StringComparer.Ordinal);
    private readonly List<GrpcChannel> _channels = [];
    private readonly List<Action<IServiceCollection>> _services = [];
    private readonly HubObservation? _observation = HubObservation.Current;

    public HubFactory(DateTimeOffset? start = null)
    {
        _observation?.Factories.Enqueue(this);
        Clock = new FakeTimeProvider(start ?? new DateTimeOffset(2026, 1, 5, 9, 0, 0, TimeSpan.Zero));
        Clock.AutoAdvanceAmount = TimeSpan.Zero;
    }

    public FakeTimeProvider Clock { get; }

    public string DataDirectory => _dataDirectory;

    /// <summary>Sets a configuration value before the host starts, e.g. <c>Hub:MaxDeliveryAttempts</c>.</summary>
    public HubFactory With(string key, string? value)
    {
        _settings[key] = value;
        return this;
    }

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

    /// <summary>Clients for every service, calling as the given party.</summary>
    public PartyClient As(string partyId)
    {
        var channel = GrpcChannel.ForAddress(Server.BaseAddress, new GrpcChannelOptions
        {
            HttpHandler = Server.CreateHandler(),
            MaxReceiveMessageSize = 16 * 1024 * 1024,
            MaxSendMessageSize = 16 * 1024 * 1024,
        });
        _channels.Add(channel);
        CallInvoker invoker = channel.Intercept(metadata =>
        {
            metadata.Add(Callers.PartyHeader, partyId);
            return metadata;
        });
        if (_observation is not null)
        {
            invoker = invoker.Intercept(new SentBsnRecorder(_observation));
        }

        return new PartyClient(partyId, invoker);
    }

    /// <summary>Runs the clock-driven work (escalations, coming of age, consent waits) once, now.</summary>
    public Task<ScheduledWorkResult> RunScheduledWorkAsync() =>
        Services.GetRequiredService<ScheduledWork>().RunOnceAsync(CancellationToken.None);

    /// <summary>A channel that names no party.</summary>
    public GrpcChannel AnonymousChannel()
    {
        var channel = GrpcChannel.ForAddress(Server.BaseAddress, new GrpcChannelOptions { HttpHandler = Server.CreateHandler(), MaxSendMessageSize = 16 * 1024 * 1024 });
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

using System.Net;
using Grpc.Core;
using Ketenhub.Contracts.V1;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Ketenhub.Benchmarks;

/// <summary>
/// The baseline: a no-op <c>SignalService.CreateSignal</c> on the same stack as the hub (ASP.NET Core
/// gRPC, Kestrel h2c on loopback, the same gRPC options, logging at Warning), started as its own process
/// with <c>serve-bare --port N</c>.
/// </summary>
public static class BareServer
{
    public static async Task<int> RunAsync(int port, int? parentPid)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = [],
            EnvironmentName = Environments.Production,
            ContentRootPath = AppContext.BaseDirectory,
        });

        // As the hub is run by the harness: appsettings.json levels plus Logging__LogLevel__Default=Warning.
        builder.Configuration["Logging:LogLevel:Default"] = "Warning";
        builder.Configuration["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning";
        builder.Configuration["Logging:LogLevel:Grpc"] = "Warning";
        builder.WebHost.ConfigureKestrel(kestrel =>
            kestrel.Listen(IPAddress.Loopback, port, listen => listen.Protocols = HttpProtocols.Http2));

        // The hub's gRPC options (HubHost.AddKetenhub), without its interceptor.
        builder.Services.AddGrpc(options =>
        {
            options.MaxReceiveMessageSize = 6 * 1024 * 1024;
            options.EnableDetailedErrors = false;
        });

        var app = builder.Build();
        app.MapGrpcService<NoOpSignalService>();
        if (parentPid is { } parent)
        {
            ParentWatch.StopWhenGone(parent, app.Lifetime);
        }

        await app.RunAsync();
        return 0;
    }

    private sealed class NoOpSignalService : SignalService.SignalServiceBase
    {
        public override Task<CreateSignalResponse> CreateSignal(CreateSignalRequest request, ServerCallContext context) =>
            Task.FromResult(new CreateSignalResponse());
    }
}

/// <summary>Stops a server whose harness has gone away, so no server outlives a crashed benchmark.</summary>
internal static class ParentWatch
{
    public static void StopWhenGone(int parentPid, IHostApplicationLifetime lifetime)
    {
        var thread = new Thread(() =>
        {
            while (!lifetime.ApplicationStopping.IsCancellationRequested)
            {
                if (!IsAlive(parentPid))
                {
                    lifetime.StopApplication();
                    return;
                }

                Thread.Sleep(500);
            }
        })
        {
            IsBackground = true,
            Name = "parent watch",
        };
        thread.Start();
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}

using Ketenhub.Hub.Storage.Postgres;
using Microsoft.Extensions.Options;

namespace Ketenhub.Hub.Host.Operations;

/// <summary>
/// Holds this instance's stable name (<see cref="HubOptions.InstanceId"/>) on the shared PostgreSQL database while the hub
/// runs, so that two running instances never share one: the second refuses to start, naming the setting. A name held by
/// an instance that died is free again as soon as PostgreSQL sees its connection end.
/// </summary>
public sealed partial class InstanceName(PostgresScheduleLease locks, IOptions<HubOptions> options, ILogger<InstanceName> logger) : IHostedService, IAsyncDisposable
{
    private IAsyncDisposable? _held;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var name = options.Value.InstanceId;
        if (string.IsNullOrEmpty(name))
        {
            return;
        }

        _held = await locks.TryHoldInstanceAsync(name, cancellationToken).ConfigureAwait(false)
            ?? throw new StartupProblemsException([$"Hub:InstanceId {name} is in use by another running hub instance on this database: give each instance its own name."]);
        LogHeld(name);
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync().ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _held, null) is { } held)
        {
            await held.DisposeAsync().ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "This hub instance runs as {InstanceId} on the shared database")]
    private partial void LogHeld(string instanceId);
}

using System.Collections.Concurrent;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Ketenhub.Testing.InProcess;
using Microsoft.Extensions.DependencyInjection;

namespace Ketenhub.ClientTests.Infrastructure;

/// <summary>
/// Faults the in-process hub injects on request: a failure after the hub committed a write, a call that never
/// answers, a delivery stream that breaks after some deliveries. Every attempt the hub sees is recorded.
/// </summary>
public sealed class Faults
{
    private readonly ConcurrentDictionary<string, int> _failAfterCommit = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _hang = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<int> _streamDrops = new();

    /// <summary>Every call the hub received: method (short name) and request id (empty for reads).</summary>
    public ConcurrentQueue<(string Method, string RequestId)> Attempts { get; } = new();

    /// <summary>Streams the hub opened, with the <c>after_sequence</c> each asked for.</summary>
    public ConcurrentQueue<long> StreamStarts { get; } = new();

    /// <summary>How many streams the hub broke.</summary>
    public int StreamsDropped => _streamsDropped;

    private int _streamsDropped;

    /// <summary>The next <paramref name="times"/> calls of the method are handled (and committed) by the hub, then answered with UNAVAILABLE.</summary>
    public void FailAfterCommit(string method, int times = 1) => _failAfterCommit[method] = times;

    /// <summary>Calls of the method wait until the caller gives up.</summary>
    public void Hang(string method) => _hang[method] = true;

    /// <summary>
    /// The next delivery streams each break (the connection is aborted) after the given number of deliveries, once
    /// the caller has acknowledged those (or 10 seconds passed), so where the stream breaks does not depend on how
    /// fast the caller reads.
    /// </summary>
    public void DropStreamsAfter(params int[] deliveries)
    {
        foreach (var count in deliveries)
        {
            _streamDrops.Enqueue(count);
        }
    }

    /// <summary>Installs the faults into the hub's gRPC pipeline (after the hub's own error interceptor).</summary>
    public HubFactory InstallInto(HubFactory hub) => hub.WithServices(services =>
    {
        services.AddSingleton(this);
        services.Configure<GrpcServiceOptions>(o => o.Interceptors.Add<FaultInterceptor>());
    });

    internal bool TakeFailAfterCommit(string method)
    {
        while (_failAfterCommit.TryGetValue(method, out var left) && left > 0)
        {
            if (_failAfterCommit.TryUpdate(method, left - 1, left))
            {
                return true;
            }
        }

        return false;
    }

    internal bool Hangs(string method) => _hang.ContainsKey(method);

    internal int? TakeStreamDrop() => _streamDrops.TryDequeue(out var count) ? count : null;

    internal void CountDrop() => Interlocked.Increment(ref _streamsDropped);

    /// <summary>How many acknowledgements the hub answered.</summary>
    internal int Acknowledged => Volatile.Read(ref _acknowledged);

    private int _acknowledged;

    internal void CountAcknowledged() => Interlocked.Increment(ref _acknowledged);
}

/// <summary>The server interceptor behind <see cref="Faults"/>.</summary>
public sealed class FaultInterceptor(Faults faults) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        var method = ShortName(context.Method);
        var requestId = request?.GetType().GetProperty("RequestId")?.GetValue(request) as string ?? string.Empty;
        faults.Attempts.Enqueue((method, requestId));
        if (faults.Hangs(method))
        {
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
        }

        var response = await continuation(request!, context);
        if (method == "AcknowledgeDelivery")
        {
            faults.CountAcknowledged();
        }

        if (faults.TakeFailAfterCommit(method))
        {
            // The hub has durably committed the write and computed its answer; the caller never sees it.
            throw new RpcException(new Status(StatusCode.Unavailable, "Injected failure after commit."));
        }

        return response;
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var method = ShortName(context.Method);
        faults.Attempts.Enqueue((method, string.Empty));
        if (request is Ketenhub.Contracts.V1.StreamDeliveriesRequest stream)
        {
            faults.StreamStarts.Enqueue(stream.AfterSequence);
        }

        var dropAfter = faults.TakeStreamDrop();
        if (dropAfter is null)
        {
            await continuation(request, responseStream, context);
            return;
        }

        var acknowledgedBefore = faults.Acknowledged;
        var writer = new DroppingWriter<TResponse>(responseStream, dropAfter.Value, async () =>
        {
            var waited = TimeProvider.System.GetTimestamp();
            while (faults.Acknowledged < acknowledgedBefore + dropAfter.Value && TimeProvider.System.GetElapsedTime(waited) < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(10);
            }

            faults.CountDrop();
            context.GetHttpContext().Abort();
        });
        try
        {
            await continuation(request, writer, context);
        }
        catch (Exception) when (writer.Dropped)
        {
        }
    }

    private static string ShortName(string method) => method[(method.LastIndexOf('/') + 1)..];

    private sealed class DroppingWriter<T>(IServerStreamWriter<T> inner, int dropAfter, Func<Task> drop) : IServerStreamWriter<T>
    {
        private int _written;

        public bool Dropped { get; private set; }

        public WriteOptions? WriteOptions
        {
            get => inner.WriteOptions;
            set => inner.WriteOptions = value;
        }

        public Task WriteAsync(T message) => WriteAsync(message, CancellationToken.None);

        public async Task WriteAsync(T message, CancellationToken cancellationToken)
        {
            if (_written == dropAfter)
            {
                // The hub has claimed this delivery (counted an attempt) but the connection breaks before it goes out.
                Dropped = true;
                await drop();
                throw new IOException("Injected connection drop.");
            }

            await inner.WriteAsync(message, cancellationToken);
            _written++;
        }
    }
}

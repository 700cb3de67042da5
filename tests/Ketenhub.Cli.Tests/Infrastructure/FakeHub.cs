using Google.Protobuf;
using Grpc.Core;

namespace Ketenhub.Cli.Tests.Infrastructure;

/// <summary>One call the tool made.</summary>
public sealed record RecordedCall(string Method, IMessage Request, Metadata Headers, DateTime? Deadline);

/// <summary>
/// Stands in for the hub at the gRPC level: answers calls by method name from handlers the test gives and
/// records every request with its headers. Parsing, request building, output and exit codes are tested
/// against it without a network.
/// </summary>
public sealed class FakeHub : CallInvoker
{
    private readonly Dictionary<Type, Func<IMessage, IMessage>> _unary = [];
    private readonly Dictionary<Type, Func<IMessage, IEnumerable<IMessage>>> _streams = [];
    private readonly List<RecordedCall> _calls = [];

    public IReadOnlyList<RecordedCall> Calls
    {
        get
        {
            lock (_calls)
            {
                return [.. _calls];
            }
        }
    }

    public List<Uri> Addresses { get; } = [];

    /// <summary>Keep a server stream open after its last message (like the real hub) instead of ending it.</summary>
    public bool StreamsStayOpen { get; set; } = true;

    /// <summary>The transport to hand to <see cref="CliHost"/>.</summary>
    public CallInvoker Connect(Uri address)
    {
        Addresses.Add(address);
        return this;
    }

    /// <summary>Answers the unary call whose request has type <typeparamref name="TRequest"/> (each RPC of the contract has its own).</summary>
    public FakeHub On<TRequest, TResponse>(Func<TRequest, TResponse> handler)
        where TRequest : class, IMessage
        where TResponse : class, IMessage
    {
        _unary[typeof(TRequest)] = request => handler((TRequest)request);
        return this;
    }

    /// <summary>Answers the server-streaming call whose request has type <typeparamref name="TRequest"/>.</summary>
    public FakeHub OnStream<TRequest, TResponse>(Func<TRequest, IEnumerable<TResponse>> handler)
        where TRequest : class, IMessage
        where TResponse : class, IMessage
    {
        _streams[typeof(TRequest)] = request => handler((TRequest)request).Cast<IMessage>();
        return this;
    }

    /// <summary>The requests of one method, in order.</summary>
    public IReadOnlyList<T> Requests<T>()
        where T : IMessage => [.. Calls.Select(c => c.Request).OfType<T>()];

    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request)
    {
        Record(method.FullName, request, options);
        Task<TResponse> response;
        try
        {
            response = Task.FromResult((TResponse)Handler(typeof(TRequest), method.FullName)((IMessage)request));
        }
        catch (RpcException ex)
        {
            response = Task.FromException<TResponse>(ex);
        }

        return new AsyncUnaryCall<TResponse>(response, Task.FromResult(new Metadata()), () => Status.DefaultSuccess, () => [], () => { });
    }

    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request)
    {
        Record(method.FullName, request, options);
        if (!_streams.TryGetValue(typeof(TRequest), out var handler))
        {
            throw new RpcException(new Status(StatusCode.Unimplemented, method.FullName));
        }

#pragma warning disable CA2000 // The call owns the reader: disposing the call disposes it (the last argument).
        var reader = new ListReader<TResponse>([.. handler((IMessage)request).Cast<TResponse>()], StreamsStayOpen, options.CancellationToken);
#pragma warning restore CA2000
        return new AsyncServerStreamingCall<TResponse>(reader, Task.FromResult(new Metadata()), () => Status.DefaultSuccess, () => [], reader.Dispose);
    }

    public override TResponse BlockingUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) =>
        throw new NotSupportedException("The tool makes asynchronous calls only.");

    public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options) =>
        throw new NotSupportedException();

    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options) =>
        throw new NotSupportedException();

    private Func<IMessage, IMessage> Handler(Type requestType, string method) =>
        _unary.TryGetValue(requestType, out var handler) ? handler : _ => throw new RpcException(new Status(StatusCode.Unimplemented, method));

    private void Record(string method, object request, CallOptions options)
    {
        lock (_calls)
        {
            _calls.Add(new RecordedCall(method, (IMessage)request, options.Headers ?? [], options.Deadline));
        }
    }

    private sealed class ListReader<T>(IReadOnlyList<T> items, bool stayOpen, CancellationToken callToken) : IAsyncStreamReader<T>, IDisposable
    {
        private readonly CancellationTokenSource _disposed = new();
        private int _next = -1;

        public T Current => items[_next];

        public async Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            if (_next + 1 < items.Count)
            {
                _next++;
                return true;
            }

            if (!stayOpen)
            {
                return false;
            }

            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, callToken, _disposed.Token);
            try
            {
                await Task.Delay(Timeout.Infinite, linked.Token);
            }
            catch (OperationCanceledException)
            {
            }

            throw new RpcException(new Status(StatusCode.Cancelled, "Call canceled by the client."));
        }

        public void Dispose()
        {
            _disposed.Cancel();
            _disposed.Dispose();
        }
    }
}

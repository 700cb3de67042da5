using System.Runtime.CompilerServices;
using Grpc.Core;

namespace Ketenhub.Client.Transport;

/// <summary>
/// What every facade call shares: one request id per logical call (kept across the channel's retries),
/// a deadline on every call, and the hub's errors as <see cref="KetenhubException"/>.
/// </summary>
internal sealed class HubCalls(CallInvoker invoker, KetenhubClientOptions options, TimeProvider time)
{
    public CallInvoker Invoker { get; } = invoker;

    public TimeProvider Time { get; } = time;

    /// <summary>The request id of one logical call: the caller's, or a new one.</summary>
    public static string RequestId(KetenhubCallOptions? call) =>
        string.IsNullOrEmpty(call?.RequestId) ? NewRequestId() : call.RequestId;

    public static string NewRequestId() => Guid.NewGuid().ToString("N");

    /// <summary>Options for a long-lived stream: no deadline (keep-alive pings notice a dead connection).</summary>
    public static CallOptions StreamOptions(CancellationToken cancellationToken) => new(cancellationToken: cancellationToken);

    public async Task<TResponse> UnaryAsync<TResponse>(Func<CallOptions, AsyncUnaryCall<TResponse>> call, KetenhubCallOptions? settings, CancellationToken cancellationToken)
    {
        var deadline = Deadline(settings?.Timeout ?? options.DefaultDeadline);
        try
        {
            using var pending = call(new CallOptions(deadline: deadline, cancellationToken: cancellationToken));
            return await pending.ResponseAsync.ConfigureAwait(false);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && !cancellationToken.IsCancellationRequested && Time.GetUtcNow().UtcDateTime >= deadline)
        {
            // The caller did not cancel: the call ended because its deadline passed. Which status the channel
            // reports then depends on a race between its deadline timer and the aborted call's own ending.
            throw KetenhubException.DeadlinePassed(ex);
        }
        catch (RpcException ex)
        {
            throw KetenhubException.FromRpc(ex);
        }
    }

    /// <summary>Reads a server stream to its end, translating its failure.</summary>
    public static async IAsyncEnumerable<T> ReadAsync<TResponse, T>(AsyncServerStreamingCall<TResponse> call, Func<TResponse, T> select, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using (call)
        {
            var stream = call.ResponseStream;
            while (true)
            {
                bool more;
                try
                {
                    more = await stream.MoveNext(cancellationToken).ConfigureAwait(false);
                }
                catch (RpcException ex)
                {
                    throw KetenhubException.FromRpc(ex);
                }

                if (!more)
                {
                    yield break;
                }

                yield return select(stream.Current);
            }
        }
    }

    private DateTime Deadline(TimeSpan timeout) => Time.GetUtcNow().UtcDateTime + timeout;
}

using Grpc.Core;
using Grpc.Net.Client;
using Ketenhub.Client.Configuration;
using Ketenhub.Client.Transport;

namespace Ketenhub.Client;

/// <summary>
/// The hub, as one party sees it. Every call has a deadline and is retried by the channel when the hub was
/// unavailable; every write carries one request id for all its attempts, so a retry never applies it twice.
/// Failures surface as <see cref="KetenhubException"/>. One instance per process is enough; it is thread-safe.
/// </summary>
public sealed class KetenhubClient : IDisposable
{
    private readonly GrpcChannel? _channel;

    /// <summary>Creates a client with its own connection to the hub. Prefer <c>services.AddKetenhubClient(...)</c> in a host.</summary>
    /// <param name="options">Address, identity, deadlines and retries; validated here.</param>
    /// <param name="timeProvider">The clock deadlines are computed from; null for the system clock.</param>
    /// <param name="httpHandler">
    /// Advanced: the HTTP handler to send calls through (for example an in-memory test server's). Null: a
    /// handler built from the options (TLS, client certificate, keep-alive).
    /// </param>
    /// <exception cref="ArgumentException">The options are invalid; the message names each wrong setting.</exception>
    public KetenhubClient(KetenhubClientOptions options, TimeProvider? timeProvider = null, HttpMessageHandler? httpHandler = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = KetenhubClientOptionsValidator.Check(options, tokenProviderRegistered: false);
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(options));
        }

        _channel = HubChannel.Create(options, options.TokenProvider, httpHandler);
        Options = options;
        var calls = new HubCalls(HubChannel.Invoker(_channel, options), options, timeProvider ?? TimeProvider.System);
        Referrals = new KetenhubReferrals(calls);
        Transitions = new KetenhubTransitions(calls);
        Signals = new KetenhubSignals(calls);
        Consents = new KetenhubConsents(calls);
        Clients = new KetenhubClients(calls);
        Explain = new KetenhubExplain(calls);
        Deliveries = new KetenhubDeliveries(calls);
        Parties = new KetenhubParties(calls);
        Self = new KetenhubSelf(calls);
        Monitor = new KetenhubMonitor(calls);
        CallInvoker = calls.Invoker;
    }

    /// <summary>The options the client was built with.</summary>
    public KetenhubClientOptions Options { get; }

    /// <summary>Referrals: submit, read, and the performer's accept, decline, start and end.</summary>
    public KetenhubReferrals Referrals { get; }

    /// <summary>Transitions: submit and read.</summary>
    public KetenhubTransitions Transitions { get; }

    /// <summary>Signals: submit, read and acknowledge.</summary>
    public KetenhubSignals Signals { get; }

    /// <summary>Consents: grant, list, withdraw and confirm.</summary>
    public KetenhubConsents Consents { get; }

    /// <summary>Clients: register, read, coach and care team, journey and report.</summary>
    public KetenhubClients Clients { get; }

    /// <summary>Explain before send: what the hub would do with a draft.</summary>
    public KetenhubExplain Explain { get; }

    /// <summary>The caller's deliveries: stream, acknowledge, reject, list and replay.</summary>
    public KetenhubDeliveries Deliveries { get; }

    /// <summary>The parties the hub knows.</summary>
    public KetenhubParties Parties { get; }

    /// <summary>The client's own calls, for an app that acts for the person the data is about with their citizen's token.</summary>
    public KetenhubSelf Self { get; }

    /// <summary>The pilot monitor's aggregate report, for a caller with the <c>monitor</c> role.</summary>
    public KetenhubMonitor Monitor { get; }

    /// <summary>
    /// The underlying call invoker (identity and retries applied), for calling the generated
    /// <c>Ketenhub.Contracts.V1</c> clients directly where the facade has no method yet. Such calls get no
    /// automatic request id or deadline.
    /// </summary>
    public CallInvoker CallInvoker { get; }

    /// <summary>Closes the connection to the hub.</summary>
    public void Dispose() => _channel?.Dispose();
}

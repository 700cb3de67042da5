using System.Runtime.CompilerServices;
using Ketenhub.Client.Transport;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Client;

/// <summary>
/// The caller's deliveries: the raw stream, acknowledge, reject, list and replay. For a consumer that
/// acknowledges, retries and resumes by itself, use <see cref="KetenhubDeliveryConsumer"/>.
/// </summary>
public sealed class KetenhubDeliveries
{
    private readonly HubCalls _calls;
    private readonly DeliveryService.DeliveryServiceClient _client;

    internal KetenhubDeliveries(HubCalls calls)
    {
        _calls = calls;
        _client = new DeliveryService.DeliveryServiceClient(calls.Invoker);
    }

    /// <summary>
    /// Opens the delivery stream: every unacknowledged delivery, in sequence order, then new ones as they come
    /// (<paramref name="afterSequence"/> is a hint only and hides none). The stream has no deadline (it is meant to
    /// stay open); it ends with a <see cref="KetenhubException"/> when the connection breaks. Nothing is
    /// acknowledged for you; a delivery not acknowledged within the hub's ack deadline comes again.
    /// </summary>
    /// <param name="afterSequence">Sent as <c>after_sequence</c>; it never hides an unacknowledged delivery.</param>
    /// <param name="cancellationToken">Closes the stream.</param>
    /// <returns>The deliveries, as they arrive.</returns>
    public IAsyncEnumerable<Delivery> StreamAsync(long afterSequence = 0, CancellationToken cancellationToken = default)
    {
        var call = _client.StreamDeliveries(new StreamDeliveriesRequest { AfterSequence = afterSequence }, HubCalls.StreamOptions(cancellationToken));
        return HubCalls.ReadAsync(call, r => r.Delivery, cancellationToken);
    }

    /// <summary>
    /// Opens the delivery stream with every setting of the contract (ack deadline, <c>max_outstanding</c>, delivery
    /// mode, heartbeats) and returns its messages as they come: each carries a delivery or, when the request set
    /// <c>heartbeat_interval</c>, a heartbeat. Otherwise as <see cref="StreamAsync(long, CancellationToken)"/>.
    /// </summary>
    /// <param name="request">The stream's settings.</param>
    /// <param name="cancellationToken">Closes the stream.</param>
    /// <returns>The stream's messages, as they arrive.</returns>
    public IAsyncEnumerable<StreamDeliveriesResponse> StreamMessagesAsync(StreamDeliveriesRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var call = _client.StreamDeliveries(request, HubCalls.StreamOptions(cancellationToken));
        return HubCalls.ReadAsync(call, r => r, cancellationToken);
    }

    /// <summary>Acknowledges a delivery: you have stored or processed it, and the hub stops sending it.</summary>
    /// <param name="name">The delivery, <c>deliveries/{id}</c>.</param>
    /// <param name="call">Per-call deadline and request id; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The delivery's status afterwards (acknowledged).</returns>
    /// <exception cref="KetenhubException">The hub refused the acknowledgement (for example <c>DELIVERY_CLOSED</c>) or could not be reached.</exception>
    public async Task<DeliveryStatus> AcknowledgeAsync(string name, KetenhubCallOptions? call = null, CancellationToken cancellationToken = default)
    {
        var request = new AcknowledgeDeliveryRequest { RequestId = HubCalls.RequestId(call), Name = name ?? string.Empty };
        var response = await _calls.UnaryAsync(o => _client.AcknowledgeDeliveryAsync(request, o), call, cancellationToken).ConfigureAwait(false);
        return response.Status;
    }

    /// <summary>Reports that you could not process a delivery. It stays pending and comes again, until it is set aside after the hub's attempt limit.</summary>
    /// <param name="name">The delivery, <c>deliveries/{id}</c>.</param>
    /// <param name="reasonCode">Your own code for the failure (no personal data), up to 64 characters.</param>
    /// <param name="call">Per-call deadline and request id; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The delivery's status afterwards (pending or set aside) and its attempts so far.</returns>
    /// <exception cref="KetenhubException">The hub refused the rejection or could not be reached.</exception>
    public Task<RejectDeliveryResponse> RejectAsync(string name, string reasonCode, KetenhubCallOptions? call = null, CancellationToken cancellationToken = default)
    {
        var request = new RejectDeliveryRequest { RequestId = HubCalls.RequestId(call), Name = name ?? string.Empty, ReasonCode = reasonCode ?? string.Empty };
        return _calls.UnaryAsync(o => _client.RejectDeliveryAsync(request, o), call, cancellationToken);
    }

    /// <summary>Lists the caller's deliveries, page after page, optionally in one status or for one client.</summary>
    /// <param name="status">The status, or <see cref="DeliveryStatus.Unspecified"/> for all.</param>
    /// <param name="client">The client, <c>clients/{id}</c>, or null for all.</param>
    /// <param name="pageSize">Deliveries per call; 0 for the hub's default.</param>
    /// <param name="call">Per-call deadline; null for the default.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The deliveries, in sequence order (without payload).</returns>
    /// <exception cref="KetenhubException">The hub refused the call or could not be reached.</exception>
    public async IAsyncEnumerable<Delivery> ListAsync(DeliveryStatus status = DeliveryStatus.Unspecified, string? client = null, int pageSize = 0, KetenhubCallOptions? call = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var token = string.Empty;
        do
        {
            var request = new ListDeliveriesRequest { Status = status, Client = client ?? string.Empty, PageSize = pageSize, PageToken = token };
            var page = await _calls.UnaryAsync(o => _client.ListDeliveriesAsync(request, o), call, cancellationToken).ConfigureAwait(false);
            foreach (var item in page.Deliveries)
            {
                yield return item;
            }

            token = page.NextPageToken;
        }
        while (!string.IsNullOrEmpty(token));
    }

    /// <summary>Puts a set-aside delivery back in the queue with a fresh attempt count.</summary>
    /// <param name="name">The delivery, <c>deliveries/{id}</c>.</param>
    /// <param name="call">Per-call deadline and request id; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The delivery's status afterwards (pending).</returns>
    /// <exception cref="KetenhubException">The delivery is not set aside (<c>DELIVERY_NOT_SET_ASIDE</c>) or the hub could not be reached.</exception>
    public async Task<DeliveryStatus> ReplayAsync(string name, KetenhubCallOptions? call = null, CancellationToken cancellationToken = default)
    {
        var request = new ReplayDeliveryRequest { RequestId = HubCalls.RequestId(call), Name = name ?? string.Empty };
        var response = await _calls.UnaryAsync(o => _client.ReplayDeliveryAsync(request, o), call, cancellationToken).ConfigureAwait(false);
        return response.Status;
    }
}

using System.Runtime.CompilerServices;
using Ketenhub.Client.Transport;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Client;

/// <summary>Signals (signalen): early warnings such as payment arrears or school absence, and their acknowledgement.</summary>
public sealed class KetenhubSignals
{
    private readonly HubCalls _calls;
    private readonly SignalService.SignalServiceClient _client;

    internal KetenhubSignals(HubCalls calls)
    {
        _calls = calls;
        _client = new SignalService.SignalServiceClient(calls.Invoker);
    }

    /// <summary>Submits a signal. The hub stores it durably and routes it (content, a thin notice, or blocked per recipient).</summary>
    /// <param name="signal">The signal; <c>name</c>, <c>sender</c> and <c>create_time</c> are set by the hub.</param>
    /// <param name="call">Per-call deadline and request id; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The stored signal and the routing decisions.</returns>
    /// <exception cref="KetenhubException">The hub refused the signal or could not be reached.</exception>
    public Task<CreateSignalResponse> SubmitAsync(Signal signal, KetenhubCallOptions? call = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(signal);
        var request = new CreateSignalRequest { RequestId = HubCalls.RequestId(call), Signal = signal };
        return _calls.UnaryAsync(o => _client.CreateSignalAsync(request, o), call, cancellationToken);
    }

    /// <summary>Reads a signal the caller may see.</summary>
    /// <param name="name">The signal, <c>signals/{id}</c>.</param>
    /// <param name="call">Per-call deadline; null for the default.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The signal.</returns>
    /// <exception cref="KetenhubException">Not found (<c>SIGNAL_NOT_FOUND</c>) or the hub could not be reached.</exception>
    public async Task<Signal> GetAsync(string name, KetenhubCallOptions? call = null, CancellationToken cancellationToken = default)
    {
        var request = new GetSignalRequest { Name = name ?? string.Empty };
        var response = await _calls.UnaryAsync(o => _client.GetSignalAsync(request, o), call, cancellationToken).ConfigureAwait(false);
        return response.Signal;
    }

    /// <summary>Acknowledges a signal as a recipient: a person has seen it, which stops its escalation.</summary>
    /// <param name="name">The signal, <c>signals/{id}</c>.</param>
    /// <param name="call">Per-call deadline and request id; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>When the hub recorded the acknowledgement.</returns>
    /// <exception cref="KetenhubException">The hub refused the acknowledgement or could not be reached.</exception>
    public async Task<DateTimeOffset> AcknowledgeAsync(string name, KetenhubCallOptions? call = null, CancellationToken cancellationToken = default)
    {
        var request = new AcknowledgeSignalRequest { RequestId = HubCalls.RequestId(call), Name = name ?? string.Empty };
        var response = await _calls.UnaryAsync(o => _client.AcknowledgeSignalAsync(request, o), call, cancellationToken).ConfigureAwait(false);
        return response.AcknowledgeTime?.ToDateTimeOffset() ?? default;
    }

    /// <summary>
    /// The signals the caller may read, page after page (each page is one call with its own deadline): exactly those the
    /// hub's Get would return to it. <paramref name="filter"/> and <paramref name="orderBy"/> follow docs/contracts.md
    /// ("Filtering and ordering lists"); a filter the hub cannot read fails with <c>INVALID_FILTER</c>.
    /// </summary>
    /// <param name="filter">An AIP-160 filter, for example <c>client = "clients/abc"</c>; empty for all.</param>
    /// <param name="orderBy"><c>create_time</c> (oldest first, the default) or <c>create_time desc</c>.</param>
    /// <param name="pageSize">Items per call; 0 for the hub's default.</param>
    /// <param name="call">Per-call deadline; null for the default.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The signals, in the order asked for.</returns>
    /// <exception cref="KetenhubException">The hub refused the call or could not be reached.</exception>
    public async IAsyncEnumerable<Signal> ListAsync(string? filter = null, string? orderBy = null, int pageSize = 0, KetenhubCallOptions? call = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var token = string.Empty;
        do
        {
            var request = new ListSignalsRequest { Filter = filter ?? string.Empty, OrderBy = orderBy ?? string.Empty, PageSize = pageSize, PageToken = token };
            var page = await _calls.UnaryAsync(o => _client.ListSignalsAsync(request, o), call, cancellationToken).ConfigureAwait(false);
            foreach (var item in page.Signals)
            {
                yield return item;
            }

            token = page.NextPageToken;
        }
        while (!string.IsNullOrEmpty(token));
    }
}

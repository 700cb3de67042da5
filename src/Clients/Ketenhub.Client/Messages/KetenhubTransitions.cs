using System.Runtime.CompilerServices;
using Ketenhub.Client.Transport;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Client;

/// <summary>Transitions (overgangen): a client turning 18 and leaving school, scaling up or down, changing provider, moving.</summary>
public sealed class KetenhubTransitions
{
    private readonly HubCalls _calls;
    private readonly TransitionService.TransitionServiceClient _client;

    internal KetenhubTransitions(HubCalls calls)
    {
        _calls = calls;
        _client = new TransitionService.TransitionServiceClient(calls.Invoker);
    }

    /// <summary>Submits a transition, with the referrals it carries. The hub stores it durably and routes it.</summary>
    /// <param name="transition">The transition; <c>name</c>, <c>sender</c> and <c>create_time</c> are set by the hub.</param>
    /// <param name="call">Per-call deadline and request id; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The stored transition and the routing decisions, also per carried referral.</returns>
    /// <exception cref="KetenhubException">The hub refused the transition or could not be reached.</exception>
    public Task<CreateTransitionResponse> SubmitAsync(Transition transition, KetenhubCallOptions? call = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transition);
        var request = new CreateTransitionRequest { RequestId = HubCalls.RequestId(call), Transition = transition };
        return _calls.UnaryAsync(o => _client.CreateTransitionAsync(request, o), call, cancellationToken);
    }

    /// <summary>Reads a transition the caller may see.</summary>
    /// <param name="name">The transition, <c>transitions/{id}</c>.</param>
    /// <param name="call">Per-call deadline; null for the default.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The transition.</returns>
    /// <exception cref="KetenhubException">Not found (<c>TRANSITION_NOT_FOUND</c>) or the hub could not be reached.</exception>
    public async Task<Transition> GetAsync(string name, KetenhubCallOptions? call = null, CancellationToken cancellationToken = default)
    {
        var request = new GetTransitionRequest { Name = name ?? string.Empty };
        var response = await _calls.UnaryAsync(o => _client.GetTransitionAsync(request, o), call, cancellationToken).ConfigureAwait(false);
        return response.Transition;
    }

    /// <summary>
    /// The transitions the caller may read, page after page (each page is one call with its own deadline): exactly those the
    /// hub's Get would return to it. <paramref name="filter"/> and <paramref name="orderBy"/> follow docs/contracts.md
    /// ("Filtering and ordering lists"); a filter the hub cannot read fails with <c>INVALID_FILTER</c>.
    /// </summary>
    /// <param name="filter">An AIP-160 filter, for example <c>client = "clients/abc"</c>; empty for all.</param>
    /// <param name="orderBy"><c>create_time</c> (oldest first, the default) or <c>create_time desc</c>.</param>
    /// <param name="pageSize">Items per call; 0 for the hub's default.</param>
    /// <param name="call">Per-call deadline; null for the default.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The transitions, in the order asked for.</returns>
    /// <exception cref="KetenhubException">The hub refused the call or could not be reached.</exception>
    public async IAsyncEnumerable<Transition> ListAsync(string? filter = null, string? orderBy = null, int pageSize = 0, KetenhubCallOptions? call = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var token = string.Empty;
        do
        {
            var request = new ListTransitionsRequest { Filter = filter ?? string.Empty, OrderBy = orderBy ?? string.Empty, PageSize = pageSize, PageToken = token };
            var page = await _calls.UnaryAsync(o => _client.ListTransitionsAsync(request, o), call, cancellationToken).ConfigureAwait(false);
            foreach (var item in page.Transitions)
            {
                yield return item;
            }

            token = page.NextPageToken;
        }
        while (!string.IsNullOrEmpty(token));
    }
}

using System.Runtime.CompilerServices;
using Ketenhub.Client.Transport;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Client;

/// <summary>Referrals (verwijzingen): submit one, and the performer's lifecycle steps accept, decline, start and end.</summary>
public sealed class KetenhubReferrals
{
    private readonly HubCalls _calls;
    private readonly ReferralService.ReferralServiceClient _client;

    internal KetenhubReferrals(HubCalls calls)
    {
        _calls = calls;
        _client = new ReferralService.ReferralServiceClient(calls.Invoker);
    }

    /// <summary>Submits a referral. The hub stores it durably, routes it and answers with the decision per recipient.</summary>
    /// <param name="referral">The referral; <c>name</c>, <c>requester</c> and <c>create_time</c> are set by the hub.</param>
    /// <param name="call">Per-call deadline and request id; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The stored referral and the routing decisions.</returns>
    /// <exception cref="KetenhubException">The hub refused the referral or could not be reached.</exception>
    public Task<CreateReferralResponse> SubmitAsync(Referral referral, KetenhubCallOptions? call = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(referral);
        var request = new CreateReferralRequest { RequestId = HubCalls.RequestId(call), Referral = referral };
        return _calls.UnaryAsync(o => _client.CreateReferralAsync(request, o), call, cancellationToken);
    }

    /// <summary>Reads a referral the caller may see.</summary>
    /// <param name="name">The referral, <c>referrals/{id}</c>.</param>
    /// <param name="call">Per-call deadline; null for the default.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The referral.</returns>
    /// <exception cref="KetenhubException">Not found (<c>REFERRAL_NOT_FOUND</c>) or the hub could not be reached.</exception>
    public async Task<Referral> GetAsync(string name, KetenhubCallOptions? call = null, CancellationToken cancellationToken = default)
    {
        var request = new GetReferralRequest { Name = name ?? string.Empty };
        var response = await _calls.UnaryAsync(o => _client.GetReferralAsync(request, o), call, cancellationToken).ConfigureAwait(false);
        return response.Referral;
    }

    /// <summary>
    /// The client's plan: every open referral across organisations, without free text. For the coach's organisation
    /// (consent for coaching or coordination) and for a party with a role under the client's consent for coordination.
    /// </summary>
    /// <param name="client">The client, <c>clients/{id}</c>.</param>
    /// <param name="call">Per-call deadline; null for the default.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The plan.</returns>
    /// <exception cref="KetenhubException">Not allowed (<c>NO_ROLE_FOR_CLIENT</c>, <c>CONSENT_REQUIRED</c>), not found, or the hub could not be reached.</exception>
    public async Task<ClientPlan> GetPlanAsync(string client, KetenhubCallOptions? call = null, CancellationToken cancellationToken = default)
    {
        var request = new GetClientPlanRequest { Client = client ?? string.Empty };
        var response = await _calls.UnaryAsync(o => _client.GetClientPlanAsync(request, o), call, cancellationToken).ConfigureAwait(false);
        return response.Plan;
    }

    /// <summary>Accepts a referral as its performer (iWmo 301).</summary>
    /// <param name="name">The referral, <c>referrals/{id}</c>.</param>
    /// <param name="call">Per-call deadline and request id; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The referral after the step.</returns>
    /// <exception cref="KetenhubException">The step is not allowed now, or the hub could not be reached.</exception>
    public async Task<Referral> AcceptAsync(string name, KetenhubCallOptions? call = null, CancellationToken cancellationToken = default)
    {
        var request = new AcceptReferralRequest { RequestId = HubCalls.RequestId(call), Name = name ?? string.Empty };
        var response = await _calls.UnaryAsync(o => _client.AcceptReferralAsync(request, o), call, cancellationToken).ConfigureAwait(false);
        return response.Referral;
    }

    /// <summary>Declines a referral as its performer.</summary>
    /// <param name="name">The referral, <c>referrals/{id}</c>.</param>
    /// <param name="reasonCode">The two-digit reason code.</param>
    /// <param name="call">Per-call deadline and request id; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The referral after the step.</returns>
    /// <exception cref="KetenhubException">The step is not allowed now, or the hub could not be reached.</exception>
    public async Task<Referral> DeclineAsync(string name, string reasonCode, KetenhubCallOptions? call = null, CancellationToken cancellationToken = default)
    {
        var request = new DeclineReferralRequest { RequestId = HubCalls.RequestId(call), Name = name ?? string.Empty, ReasonCode = reasonCode ?? string.Empty };
        var response = await _calls.UnaryAsync(o => _client.DeclineReferralAsync(request, o), call, cancellationToken).ConfigureAwait(false);
        return response.Referral;
    }

    /// <summary>Reports that care started (iWmo 305).</summary>
    /// <param name="name">The referral, <c>referrals/{id}</c>.</param>
    /// <param name="startDate">The first day of care.</param>
    /// <param name="call">Per-call deadline and request id; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The referral after the step.</returns>
    /// <exception cref="KetenhubException">The step is not allowed now, or the hub could not be reached.</exception>
    public async Task<Referral> StartAsync(string name, DateOnly startDate, KetenhubCallOptions? call = null, CancellationToken cancellationToken = default)
    {
        var request = new StartReferralRequest { RequestId = HubCalls.RequestId(call), Name = name ?? string.Empty, StartDate = startDate.ToContractDate() };
        var response = await _calls.UnaryAsync(o => _client.StartReferralAsync(request, o), call, cancellationToken).ConfigureAwait(false);
        return response.Referral;
    }

    /// <summary>Reports that care ended (iWmo 307).</summary>
    /// <param name="name">The referral, <c>referrals/{id}</c>.</param>
    /// <param name="endDate">The last day of care.</param>
    /// <param name="reasonCode">The two-digit reason code.</param>
    /// <param name="call">Per-call deadline and request id; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The referral after the step.</returns>
    /// <exception cref="KetenhubException">The step is not allowed now, or the hub could not be reached.</exception>
    public async Task<Referral> EndAsync(string name, DateOnly endDate, string reasonCode, KetenhubCallOptions? call = null, CancellationToken cancellationToken = default)
    {
        var request = new EndReferralRequest { RequestId = HubCalls.RequestId(call), Name = name ?? string.Empty, EndDate = endDate.ToContractDate(), ReasonCode = reasonCode ?? string.Empty };
        var response = await _calls.UnaryAsync(o => _client.EndReferralAsync(request, o), call, cancellationToken).ConfigureAwait(false);
        return response.Referral;
    }

    /// <summary>
    /// The referrals the caller may read, page after page (each page is one call with its own deadline): exactly those the
    /// hub's Get would return to it. <paramref name="filter"/> and <paramref name="orderBy"/> follow docs/contracts.md
    /// ("Filtering and ordering lists"); a filter the hub cannot read fails with <c>INVALID_FILTER</c>.
    /// </summary>
    /// <param name="filter">An AIP-160 filter, for example <c>client = "clients/abc"</c>; empty for all.</param>
    /// <param name="orderBy"><c>create_time</c> (oldest first, the default) or <c>create_time desc</c>.</param>
    /// <param name="pageSize">Items per call; 0 for the hub's default.</param>
    /// <param name="call">Per-call deadline; null for the default.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The referrals, in the order asked for.</returns>
    /// <exception cref="KetenhubException">The hub refused the call or could not be reached.</exception>
    public async IAsyncEnumerable<Referral> ListAsync(string? filter = null, string? orderBy = null, int pageSize = 0, KetenhubCallOptions? call = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var token = string.Empty;
        do
        {
            var request = new ListReferralsRequest { Filter = filter ?? string.Empty, OrderBy = orderBy ?? string.Empty, PageSize = pageSize, PageToken = token };
            var page = await _calls.UnaryAsync(o => _client.ListReferralsAsync(request, o), call, cancellationToken).ConfigureAwait(false);
            foreach (var item in page.Referrals)
            {
                yield return item;
            }

            token = page.NextPageToken;
        }
        while (!string.IsNullOrEmpty(token));
    }
}

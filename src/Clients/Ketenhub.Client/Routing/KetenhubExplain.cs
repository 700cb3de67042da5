using Ketenhub.Client.Transport;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Client;

/// <summary>Explain before send: what the hub would do with a draft, without storing or sending anything.</summary>
public sealed class KetenhubExplain
{
    private readonly HubCalls _calls;
    private readonly ExplainService.ExplainServiceClient _client;

    internal KetenhubExplain(HubCalls calls)
    {
        _calls = calls;
        _client = new ExplainService.ExplainServiceClient(calls.Invoker);
    }

    /// <summary>Explains a draft referral: matching rules, and per recipient content, thin notice or blocked, and why.</summary>
    /// <param name="draft">The referral as it would be submitted.</param>
    /// <param name="call">Per-call deadline; null for the default.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The explanation.</returns>
    /// <exception cref="KetenhubException">The draft is invalid, or the hub could not be reached.</exception>
    public Task<ExplainMessageResponse> ReferralAsync(Referral draft, KetenhubCallOptions? call = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(draft);
        return ExplainAsync(new ExplainMessageRequest { Referral = draft }, call, cancellationToken);
    }

    /// <summary>Explains a draft transition, its carried referrals included.</summary>
    /// <param name="draft">The transition as it would be submitted.</param>
    /// <param name="call">Per-call deadline; null for the default.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The explanation.</returns>
    /// <exception cref="KetenhubException">The draft is invalid, or the hub could not be reached.</exception>
    public Task<ExplainMessageResponse> TransitionAsync(Transition draft, KetenhubCallOptions? call = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(draft);
        return ExplainAsync(new ExplainMessageRequest { Transition = draft }, call, cancellationToken);
    }

    /// <summary>Explains a draft signal.</summary>
    /// <param name="draft">The signal as it would be submitted.</param>
    /// <param name="call">Per-call deadline; null for the default.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The explanation.</returns>
    /// <exception cref="KetenhubException">The draft is invalid, or the hub could not be reached.</exception>
    public Task<ExplainMessageResponse> SignalAsync(Signal draft, KetenhubCallOptions? call = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(draft);
        return ExplainAsync(new ExplainMessageRequest { Signal = draft }, call, cancellationToken);
    }

    /// <summary>
    /// Explains a draft referral for a client the hub does not know yet: as if the client were registered now with
    /// the facts in <paramref name="prospectiveClient"/> (birth date, municipality, school of record; never a
    /// BSN), with no consents and no coach. The draft's <c>client</c> must be empty.
    /// </summary>
    /// <param name="draft">The referral as it would be submitted once the client is registered, without a client.</param>
    /// <param name="prospectiveClient">The facts the client would be registered with.</param>
    /// <param name="call">Per-call deadline; null for the default.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The explanation.</returns>
    /// <exception cref="KetenhubException">The draft or the facts are invalid, the draft names a client, or the hub could not be reached.</exception>
    public Task<ExplainMessageResponse> ReferralForProspectiveClientAsync(Referral draft, ProspectiveClient prospectiveClient, KetenhubCallOptions? call = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(draft);
        ArgumentNullException.ThrowIfNull(prospectiveClient);
        return ExplainAsync(new ExplainMessageRequest { Referral = draft, ProspectiveClient = prospectiveClient }, call, cancellationToken);
    }

    /// <summary>
    /// Explains a draft transition, its carried referrals included, for a client the hub does not know yet: as if the client were registered now with
    /// the facts in <paramref name="prospectiveClient"/> (birth date, municipality, school of record; never a
    /// BSN), with no consents and no coach. The draft's <c>client</c> must be empty.
    /// </summary>
    /// <param name="draft">The transition as it would be submitted once the client is registered, without a client.</param>
    /// <param name="prospectiveClient">The facts the client would be registered with.</param>
    /// <param name="call">Per-call deadline; null for the default.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The explanation.</returns>
    /// <exception cref="KetenhubException">The draft or the facts are invalid, the draft names a client, or the hub could not be reached.</exception>
    public Task<ExplainMessageResponse> TransitionForProspectiveClientAsync(Transition draft, ProspectiveClient prospectiveClient, KetenhubCallOptions? call = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(draft);
        ArgumentNullException.ThrowIfNull(prospectiveClient);
        return ExplainAsync(new ExplainMessageRequest { Transition = draft, ProspectiveClient = prospectiveClient }, call, cancellationToken);
    }

    /// <summary>
    /// Explains a draft signal for a client the hub does not know yet: as if the client were registered now with
    /// the facts in <paramref name="prospectiveClient"/> (birth date, municipality, school of record; never a
    /// BSN), with no consents and no coach. The draft's <c>client</c> must be empty.
    /// </summary>
    /// <param name="draft">The signal as it would be submitted once the client is registered, without a client.</param>
    /// <param name="prospectiveClient">The facts the client would be registered with.</param>
    /// <param name="call">Per-call deadline; null for the default.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The explanation.</returns>
    /// <exception cref="KetenhubException">The draft or the facts are invalid, the draft names a client, or the hub could not be reached.</exception>
    public Task<ExplainMessageResponse> SignalForProspectiveClientAsync(Signal draft, ProspectiveClient prospectiveClient, KetenhubCallOptions? call = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(draft);
        ArgumentNullException.ThrowIfNull(prospectiveClient);
        return ExplainAsync(new ExplainMessageRequest { Signal = draft, ProspectiveClient = prospectiveClient }, call, cancellationToken);
    }

    private Task<ExplainMessageResponse> ExplainAsync(ExplainMessageRequest request, KetenhubCallOptions? call, CancellationToken cancellationToken) =>
        _calls.UnaryAsync(o => _client.ExplainMessageAsync(request, o), call, cancellationToken);
}

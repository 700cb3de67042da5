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

    private Task<ExplainMessageResponse> ExplainAsync(ExplainMessageRequest request, KetenhubCallOptions? call, CancellationToken cancellationToken) =>
        _calls.UnaryAsync(o => _client.ExplainMessageAsync(request, o), call, cancellationToken);
}

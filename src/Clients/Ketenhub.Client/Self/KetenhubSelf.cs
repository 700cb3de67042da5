using Ketenhub.Client.Transport;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Client;

/// <summary>
/// The client's own calls: what the person the data is about sees and does themselves. The client's token provider must
/// supply that person's citizen token (from a citizens' identity provider the hub trusts, such as a DigiD broker); the
/// hub refuses these calls with any party's token.
/// </summary>
public sealed class KetenhubSelf
{
    private readonly HubCalls _calls;
    private readonly SelfService.SelfServiceClient _self;

    internal KetenhubSelf(HubCalls calls)
    {
        _calls = calls;
        _self = new SelfService.SelfServiceClient(calls.Invoker);
    }

    /// <summary>The person's own access report: who received what, when and why, who looked, which consents hold.</summary>
    /// <param name="call">Per-call deadline; null for the default.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The report (without a client name) and the organisations it names.</returns>
    /// <exception cref="KetenhubException">Not a valid citizen's token, a person the hub holds nothing about (<c>CLIENT_NOT_FOUND</c>), or the hub could not be reached.</exception>
    public Task<GetOwnAccessReportResponse> GetAccessReportAsync(KetenhubCallOptions? call = null, CancellationToken cancellationToken = default) =>
        _calls.UnaryAsync(o => _self.GetOwnAccessReportAsync(new GetOwnAccessReportRequest(), o), call, cancellationToken);

    /// <summary>The person's own consents, oldest first, each with its state now.</summary>
    /// <param name="call">Per-call deadline; null for the default.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The consents and the organisations they name.</returns>
    /// <exception cref="KetenhubException">Not a valid citizen's token, or the hub could not be reached.</exception>
    public Task<ListOwnConsentsResponse> ListConsentsAsync(KetenhubCallOptions? call = null, CancellationToken cancellationToken = default) =>
        _calls.UnaryAsync(o => _self.ListOwnConsentsAsync(new ListOwnConsentsRequest(), o), call, cancellationToken);

    /// <summary>Withdraws one of the person's own consents, at once: what it alone allowed and is not yet delivered is withheld.</summary>
    /// <param name="name">The consent, <c>consents/{id}</c>.</param>
    /// <param name="call">Per-call deadline and request id; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The consent after the withdrawal and how many deliveries were withheld.</returns>
    /// <exception cref="KetenhubException">Another person's consent (<c>CONSENT_NOT_FOUND</c>), already withdrawn, or the hub could not be reached.</exception>
    public Task<WithdrawOwnConsentResponse> WithdrawConsentAsync(string name, KetenhubCallOptions? call = null, CancellationToken cancellationToken = default)
    {
        var request = new WithdrawOwnConsentRequest { RequestId = HubCalls.RequestId(call), Name = name ?? string.Empty };
        return _calls.UnaryAsync(o => _self.WithdrawOwnConsentAsync(request, o), call, cancellationToken);
    }

    /// <summary>Confirms, as an adult, a consent a parent gave before the person's 18th birthday.</summary>
    /// <param name="name">The consent, <c>consents/{id}</c>.</param>
    /// <param name="call">Per-call deadline and request id; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The consent after the confirmation and how many deliveries were released.</returns>
    /// <exception cref="KetenhubException">Not a parent's unconfirmed consent, the person is not 18 yet, or the hub could not be reached.</exception>
    public Task<ConfirmOwnConsentResponse> ConfirmConsentAsync(string name, KetenhubCallOptions? call = null, CancellationToken cancellationToken = default)
    {
        var request = new ConfirmOwnConsentRequest { RequestId = HubCalls.RequestId(call), Name = name ?? string.Empty };
        return _calls.UnaryAsync(o => _self.ConfirmOwnConsentAsync(request, o), call, cancellationToken);
    }

    /// <summary>Asks for a correction: a task with the topic for whoever answers for the person (the coach's organisation first).</summary>
    /// <param name="topic">What the correction is about.</param>
    /// <param name="call">Per-call deadline and request id; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The organisations that got the task; empty when nobody answers for the person.</returns>
    /// <exception cref="KetenhubException">No topic (<c>FIELD_REQUIRED</c>), or the hub could not be reached.</exception>
    public async Task<IReadOnlyList<string>> RequestCorrectionAsync(CorrectionTopic topic, KetenhubCallOptions? call = null, CancellationToken cancellationToken = default)
    {
        var request = new RequestCorrectionRequest { RequestId = HubCalls.RequestId(call), Topic = topic };
        var response = await _calls.UnaryAsync(o => _self.RequestCorrectionAsync(request, o), call, cancellationToken).ConfigureAwait(false);
        return response.Asked;
    }
}

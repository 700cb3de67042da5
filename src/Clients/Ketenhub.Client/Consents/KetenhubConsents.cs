using Ketenhub.Client.Transport;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Client;

/// <summary>Consents (toestemmingen): grant, list, withdraw, and confirm after coming of age.</summary>
public sealed class KetenhubConsents
{
    private readonly HubCalls _calls;
    private readonly ConsentService.ConsentServiceClient _client;

    internal KetenhubConsents(HubCalls calls)
    {
        _calls = calls;
        _client = new ConsentService.ConsentServiceClient(calls.Invoker);
    }

    /// <summary>Records a consent given by the client or a legal representative. Held deliveries it covers are released.</summary>
    /// <param name="consent">The consent; <c>name</c>, <c>state</c> and <c>recorded_by</c> are set by the hub.</param>
    /// <param name="call">Per-call deadline and request id; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The stored consent and how many held deliveries it released.</returns>
    /// <exception cref="KetenhubException">The hub refused the consent or could not be reached.</exception>
    public Task<GrantConsentResponse> GrantAsync(Consent consent, KetenhubCallOptions? call = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(consent);
        var request = new GrantConsentRequest { RequestId = HubCalls.RequestId(call), Consent = consent };
        return _calls.UnaryAsync(o => _client.GrantConsentAsync(request, o), call, cancellationToken);
    }

    /// <summary>Withdraws a consent, at once: undelivered messages it covered are withheld.</summary>
    /// <param name="name">The consent, <c>consents/{id}</c>.</param>
    /// <param name="call">Per-call deadline and request id; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The consent after withdrawal and how many deliveries were withheld.</returns>
    /// <exception cref="KetenhubException">The hub refused the withdrawal or could not be reached.</exception>
    public Task<WithdrawConsentResponse> WithdrawAsync(string name, KetenhubCallOptions? call = null, CancellationToken cancellationToken = default)
    {
        var request = new WithdrawConsentRequest { RequestId = HubCalls.RequestId(call), Name = name ?? string.Empty };
        return _calls.UnaryAsync(o => _client.WithdrawConsentAsync(request, o), call, cancellationToken);
    }

    /// <summary>Confirms, as the young adult, a consent a parent gave while the client was a minor.</summary>
    /// <param name="name">The consent, <c>consents/{id}</c>.</param>
    /// <param name="call">Per-call deadline and request id; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The consent after confirmation and how many held deliveries it released.</returns>
    /// <exception cref="KetenhubException">The hub refused the confirmation or could not be reached.</exception>
    public Task<ConfirmConsentResponse> ConfirmAsync(string name, KetenhubCallOptions? call = null, CancellationToken cancellationToken = default)
    {
        var request = new ConfirmConsentRequest { RequestId = HubCalls.RequestId(call), Name = name ?? string.Empty };
        return _calls.UnaryAsync(o => _client.ConfirmConsentAsync(request, o), call, cancellationToken);
    }

    /// <summary>Lists a client's consents, in every state.</summary>
    /// <param name="client">The client, <c>clients/{id}</c>.</param>
    /// <param name="call">Per-call deadline; null for the default.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The consents.</returns>
    /// <exception cref="KetenhubException">The hub refused the call or could not be reached.</exception>
    public async Task<IReadOnlyList<Consent>> ListAsync(string client, KetenhubCallOptions? call = null, CancellationToken cancellationToken = default)
    {
        var request = new ListConsentsRequest { Client = client ?? string.Empty };
        var response = await _calls.UnaryAsync(o => _client.ListConsentsAsync(request, o), call, cancellationToken).ConfigureAwait(false);
        return response.Consents;
    }
}

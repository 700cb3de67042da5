using Ketenhub.Client.Transport;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Client;

/// <summary>The parties the hub knows: schools, the social service, municipalities, care providers, wijkteams.</summary>
public sealed class KetenhubParties
{
    private readonly HubCalls _calls;
    private readonly PartyService.PartyServiceClient _client;

    internal KetenhubParties(HubCalls calls)
    {
        _calls = calls;
        _client = new PartyService.PartyServiceClient(calls.Invoker);
    }

    /// <summary>Reads one party.</summary>
    /// <param name="name">The party, <c>parties/{id}</c>.</param>
    /// <param name="call">Per-call deadline; null for the default.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The party.</returns>
    /// <exception cref="KetenhubException">Not found, or the hub could not be reached.</exception>
    public async Task<Party> GetAsync(string name, KetenhubCallOptions? call = null, CancellationToken cancellationToken = default)
    {
        var request = new GetPartyRequest { Name = name ?? string.Empty };
        var response = await _calls.UnaryAsync(o => _client.GetPartyAsync(request, o), call, cancellationToken).ConfigureAwait(false);
        return response.Party;
    }

    /// <summary>Lists the parties, optionally of one kind.</summary>
    /// <param name="kind">The kind, or <see cref="PartyKind.Unspecified"/> for all.</param>
    /// <param name="call">Per-call deadline; null for the default.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The parties.</returns>
    /// <exception cref="KetenhubException">The hub could not be reached.</exception>
    public async Task<IReadOnlyList<Party>> ListAsync(PartyKind kind = PartyKind.Unspecified, KetenhubCallOptions? call = null, CancellationToken cancellationToken = default)
    {
        var request = new ListPartiesRequest { Kind = kind };
        var response = await _calls.UnaryAsync(o => _client.ListPartiesAsync(request, o), call, cancellationToken).ConfigureAwait(false);
        return response.Parties;
    }
}

namespace Ketenhub.Hub.Clients;

/// <summary>
/// The person the data is about, acting for themselves: proven by a token of a citizens' identity provider (in the
/// Netherlands a DigiD broker) that names them by BSN, which the hub mapped to its client. Never a party, and no
/// party can be one: a citizen's calls reach only what the client may see and do about their own data.
/// </summary>
/// <param name="ClientId">The hub's id of the client the token's BSN belongs to.</param>
public sealed record Citizen(string ClientId);

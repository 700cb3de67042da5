using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Parties;
using Ketenhub.Hub.Storage;

namespace Ketenhub.Hub.Host.Inbound;

/// <summary>
/// The hub's BSN look-up for partners that name a client by BSN (a FHIR subject with the BSN identifier): the caller's
/// own name for the client, only when the hub knows the client and the caller has a relationship with it (the same
/// relationship the hub requires before it tells a caller anything about a client). An unknown BSN and a client the caller
/// has nothing to do with give the same answer, so the look-up tells no one whether the hub knows a BSN. What the caller
/// then does with the client runs through the same checks as a call that named it by its client name. The BSN is never
/// logged or kept.
/// </summary>
/// <remarks>The adapter contract is synchronous (translation is pure), so the look-up waits for its read: one indexed query.</remarks>
public sealed class InboundClientLookup(IHubStore store, BsnHasher hasher, ClientNames names, TimeProvider time)
{
    /// <summary>The caller's name for the client with <paramref name="bsn"/> (<c>clients/…</c>), or null.</summary>
    public string? ClientByBsn(Party caller, string bsn)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (!Bsn.IsValid(bsn))
        {
            return null;
        }

        var hash = hasher.Hash(bsn);
        var now = time.GetUtcNow();
        var clientId = store.ReadAsync(session =>
        {
            if (session.FindClientByBsnHash(hash) is not { } client)
            {
                return null;
            }

            var context = ClientContexts.Load(session, client, now);
            return CareRelationships.Find(session, context, caller, now) is null ? null : client.Id;
        }).GetAwaiter().GetResult();
        return clientId is null ? null : names.For(caller.Id, clientId);
    }
}

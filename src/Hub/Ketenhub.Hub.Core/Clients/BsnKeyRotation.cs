using Ketenhub.Hub.Storage;

namespace Ketenhub.Hub.Clients;

/// <summary>The outcome of a re-encryption run: how many clients were looked at and how many were rewritten.</summary>
public sealed record BsnReencryption(int Examined, int Rewritten);

/// <summary>
/// Rewrites every stored BSN, and every sealed name of a client's representative, that is not under the active key
/// (after a new key was made active), one page of clients per transaction. Safe to run while the hub serves and safe to repeat: a second run rewrites nothing.
/// Once it has finished, the old keys can be removed from configuration.
/// </summary>
public sealed class BsnKeyRotation(IHubStore store, BsnProtector protector, FreeTextProtector names)
{
    private const int PageSize = 200;

    public async Task<BsnReencryption> ReencryptAllAsync(CancellationToken cancellationToken)
    {
        var after = string.Empty;
        var examined = 0;
        var rewritten = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (last, count, changed) = await store.WriteAsync(
                session =>
                {
                    var page = session.ListClients(after, PageSize);
                    var changedInPage = 0;
                    foreach (var client in page)
                    {
                        if (client.EraseTime is not null)
                        {
                            // A tombstone holds no BSN to rewrite.
                            continue;
                        }

                        var staleNames = client.Representations.Any(r => !names.IsCurrent(System.Text.Encoding.UTF8.GetBytes(r.ProtectedName)));
                        if (protector.IsCurrent(client.ProtectedBsn) && !staleNames)
                        {
                            continue;
                        }

                        var rewritten = client;
                        if (!protector.IsCurrent(client.ProtectedBsn))
                        {
                            rewritten = rewritten with { ProtectedBsn = protector.Protect(client.Id, protector.Unprotect(client.Id, client.ProtectedBsn)) };
                        }

                        if (staleNames)
                        {
                            rewritten = rewritten with { Representations = [.. client.Representations.Select(r => r with { ProtectedName = Reseal(client.Id, r) })] };
                        }

                        session.UpdateClient(rewritten);
                        changedInPage++;
                    }

                    return (page.Count > 0 ? page[^1].Id : null, page.Count, changedInPage);
                },
                cancellationToken).ConfigureAwait(false);
            examined += count;
            rewritten += changed;
            if (last is null || count < PageSize)
            {
                return new BsnReencryption(examined, rewritten);
            }

            after = last;
        }
    }

    private string Reseal(string clientId, Representation representation)
    {
        var stored = System.Text.Encoding.UTF8.GetBytes(representation.ProtectedName);
        if (names.IsCurrent(stored))
        {
            return representation.ProtectedName;
        }

        var place = Representation.Place(clientId, representation.Id);
        return names.Protect(place, names.Unprotect(place, stored).Span);
    }
}

using System.Text;

namespace Ketenhub.Adapters.Webhooks;

/// <summary>
/// The signing secrets of every party the hub sends webhooks to, by resource name <c>parties/{party}</c>. A party has
/// one secret, or two while it rotates: the hub then signs with both, so the receiver may switch at its own pace.
/// </summary>
public sealed class WebhookSecrets
{
    /// <summary>The shortest secret accepted, in bytes of its UTF-8 form (256 bits of key for HMAC-SHA256).</summary>
    public const int MinimumLength = 32;

    private readonly Dictionary<string, byte[][]> keys;

    /// <summary>
    /// Checks and keeps the secrets. Fails at start-up, never at the first delivery.
    /// </summary>
    /// <param name="secretsByParty">One or two secrets per party.</param>
    /// <exception cref="ArgumentException">A party has no secret, more than two, or one shorter than <see cref="MinimumLength"/>.</exception>
    public WebhookSecrets(IReadOnlyDictionary<string, IReadOnlyList<string>> secretsByParty)
    {
        ArgumentNullException.ThrowIfNull(secretsByParty);
        keys = new Dictionary<string, byte[][]>(StringComparer.Ordinal);
        foreach (var (party, secrets) in secretsByParty)
        {
            if (!party.StartsWith("parties/", StringComparison.Ordinal) || party.Length == "parties/".Length)
            {
                throw new ArgumentException("A webhook secret is configured for a name that is not parties/{party}.", nameof(secretsByParty));
            }

            if (secrets is null || secrets.Count is < 1 or > 2)
            {
                throw new ArgumentException($"Party {party} needs one webhook secret, or two while rotating.", nameof(secretsByParty));
            }

            var partyKeys = secrets.Select(s => Encoding.UTF8.GetBytes(s ?? string.Empty)).ToArray();
            if (partyKeys.Any(k => k.Length < MinimumLength))
            {
                throw new ArgumentException($"A webhook secret of party {party} is shorter than {MinimumLength} bytes.", nameof(secretsByParty));
            }

            keys[party] = partyKeys;
        }
    }

    /// <summary>Finds the keys of a party.</summary>
    /// <param name="party">The party's resource name.</param>
    /// <returns>One or two keys, or an empty list if the party has none.</returns>
    internal IReadOnlyList<byte[]> For(string party) => keys.TryGetValue(party, out var k) ? k : [];
}

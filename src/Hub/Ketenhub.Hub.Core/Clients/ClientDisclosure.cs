using Ketenhub.Hub.Parties;

namespace Ketenhub.Hub.Clients;

/// <summary>
/// What a delivery tells its recipient about the client: the recipient's own pseudonym of the client, the
/// BSN only for a recipient with a legal need, and (for deliveries with content) birth date and municipality.
/// </summary>
public sealed record DeliveredClient(string Pseudonym, string? Bsn, DateOnly? BirthDate, string? MunicipalityCode)
{
    /// <summary>
    /// The kinds of the client's legal representation that hold on the day of sending (parental authority, guardianship,
    /// mentorship, curatorship, administration), for a recipient with a legal need for the BSN only: the iStandaarden
    /// carry the measure (WJ003) with the client. Never who the representative is.
    /// </summary>
    public IReadOnlyList<Common.RepresentationKind> Representations { get; init; } = [];
}

/// <summary>
/// Decides what a recipient learns about a client. The BSN is decrypted here and nowhere else, and only for a
/// party whose configuration names a legal basis for it (<see cref="Party.BsnLegalBasis"/>).
/// </summary>
public sealed class ClientDisclosure(BsnProtector protector, ClientPseudonyms pseudonyms)
{
    /// <param name="client">The client.</param>
    /// <param name="recipient">The party the delivery goes to.</param>
    /// <param name="withDetails">False for content-free deliveries (thin notices): only the pseudonym.</param>
    /// <param name="now">When the delivery is sent: it tells the municipality the client lives in then.</param>
    public DeliveredClient For(ClientRecord client, Party recipient, bool withDetails, DateTimeOffset now)
    {
        var pseudonym = pseudonyms.For(client.Id, recipient.Id);
        if (!withDetails)
        {
            return new DeliveredClient(pseudonym, null, null, null);
        }

        var bsn = recipient.ReceivesBsn ? protector.Unprotect(client.Id, client.ProtectedBsn) : null;
        var today = Common.DutchTime.DateOf(now);
        var representations = recipient.ReceivesBsn
            ? client.Representations.Where(r => r.From <= today && (r.Until is null || r.Until > today)).Select(r => r.Kind).Distinct().ToList()
            : [];
        return new DeliveredClient(pseudonym, bsn, client.BirthDate, client.MunicipalityAt(now)) { Representations = representations };
    }
}

using Ketenhub.Contracts.V1;

namespace Ketenhub.Adapters.Fhir;

/// <summary>
/// What one recipient may know of the client a delivery is about, as the Patient resource shows it.
/// </summary>
/// <param name="Pseudonym">The recipient's identifier of the client: the hub's pseudonym for this recipient.</param>
/// <param name="PseudonymSystem">The identifier system of <paramref name="Pseudonym"/>.</param>
/// <param name="Bsn">The BSN, only when the delivery carries it (a recipient with a legal need); otherwise <see langword="null"/>.</param>
/// <param name="BirthDate">The birth date, when the delivery carries it.</param>
/// <param name="MunicipalityCode">The CBS municipality code, when the delivery carries it.</param>
internal sealed record ClientView(
    string Pseudonym,
    string PseudonymSystem,
    string? Bsn,
    Google.Type.Date? BirthDate,
    string? MunicipalityCode)
{
    /// <summary>
    /// The client view of a delivery. Until deliveries carry a per-recipient client view, the recipient's
    /// pseudonym is the hub's client id and nothing else is known.
    /// </summary>
    public static ClientView Of(Delivery delivery, Uri hubBaseUrl) =>
        new(
            Names.Id(delivery.Client),
            FhirVocabulary.HubIdSystem(hubBaseUrl, "clients"),
            Bsn: null,
            BirthDate: null,
            MunicipalityCode: null);
}

/// <summary>Resource names of the hub (<c>collection/id</c>).</summary>
internal static class Names
{
    public static string Id(string name)
    {
        var slash = name.LastIndexOf('/');
        return slash < 0 ? name : name[(slash + 1)..];
    }

    public static string Collection(string name)
    {
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? string.Empty : name[..slash];
    }
}

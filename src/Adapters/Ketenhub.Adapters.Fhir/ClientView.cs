using Ketenhub.Contracts.V1;

namespace Ketenhub.Adapters.Fhir;

/// <summary>
/// What one recipient may know of the client a delivery is about, as the Patient resource shows it: the delivery's
/// <see cref="DeliveredClient"/> (the recipient's pseudonym, the BSN only for a recipient with a legal need, birth
/// date, municipality) and the hub's client name.
/// </summary>
/// <param name="Pseudonym">The recipient's identifier of the client, the key of the Patient's conditional create.</param>
/// <param name="PseudonymSystem">The identifier system of <paramref name="Pseudonym"/>.</param>
/// <param name="ClientId">The hub's client id (of <c>clients/{client}</c>), which partners use to name the client to the hub;
/// <see langword="null"/> when it is the pseudonym itself.</param>
/// <param name="Bsn">The BSN, only when the delivery carries it; otherwise <see langword="null"/>.</param>
/// <param name="BirthDate">The birth date, when the delivery carries it.</param>
/// <param name="MunicipalityCode">The CBS municipality code, when the delivery carries it.</param>
internal sealed record ClientView(
    string Pseudonym,
    string PseudonymSystem,
    string? ClientId,
    string? Bsn,
    Google.Type.Date? BirthDate,
    string? MunicipalityCode)
{
    public const string PseudonymCollection = "client-pseudonyms";

    /// <summary>
    /// The client view of a delivery. A delivery without client details (for example one read from a list) is keyed on
    /// the hub's client id.
    /// </summary>
    public static ClientView Of(Delivery delivery, Uri hubBaseUrl)
    {
        var clientId = delivery.Client.Length > 0 ? Names.Id(delivery.Client) : null;
        if (delivery.ClientDetails is { Pseudonym.Length: > 0 } details)
        {
            return new ClientView(
                details.Pseudonym,
                HubSystems.For(hubBaseUrl)[PseudonymCollection],
                clientId,
                details.Bsn.Length > 0 ? details.Bsn : null,
                details.BirthDate,
                details.MunicipalityCode.Length > 0 ? details.MunicipalityCode : null);
        }

        return new ClientView(clientId ?? string.Empty, HubSystems.For(hubBaseUrl)["clients"], null, null, null, null);
    }
}

/// <summary>Resource names of the hub (<c>collection/id</c>).</summary>
internal static class Names
{
    public static string Id(string name)
    {
        var slash = name.LastIndexOf('/');
        return slash < 0 ? name : name[(slash + 1)..];
    }
}

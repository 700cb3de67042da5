using Ketenhub.Contracts.V1;

namespace Ketenhub.Adapters.IWmo.Inbound;

/// <summary>
/// What the adapter asks the hub while translating (the adapter contract is synchronous, so these are too). The
/// host implements it over its configuration and store; it never creates anything.
/// </summary>
public interface IIWmoDirectory
{
    /// <summary>The care provider with this AGB code, or null.</summary>
    IWmoParty? FindProvider(string agb);

    /// <summary>The municipality-side party that exchanges iWmo/iJw for this CBS municipality, or null.</summary>
    IWmoParty? FindMunicipalityParty(string cbsCode);

    /// <summary>
    /// The party that decides on a toewijzing for this CBS municipality, whatever channel it uses (the municipality itself,
    /// else its social service, else a wijkteam): where a provider's verzoek om toewijzing goes. Defaults to
    /// <see cref="FindMunicipalityParty"/>.
    /// </summary>
    IWmoParty? FindDecidingParty(string cbsCode) => FindMunicipalityParty(cbsCode);

    /// <summary>The adapter's view of a configured party (with the iStandaarden it speaks), or null.</summary>
    IWmoParty? FindParty(string partyName);

    /// <summary>
    /// The toewijzing <paramref name="toewijzingNummer"/> (see <see cref="Outbound.OutboundTranslator.ToewijzingNummer"/>)
    /// the hub gave <paramref name="performerParty"/>: the referral delivered to it and what a start or stop must agree
    /// with; or null.
    /// </summary>
    IWmoToewijzing? FindToewijzing(string performerParty, long toewijzingNummer);

    /// <summary>
    /// The referral <paramref name="referral"/> (<c>referrals/{id}</c>) as a verzoek om toewijzing to
    /// <paramref name="municipalityParty"/>: the municipality-side party is its performer; or null when it is not.
    /// </summary>
    IWmoToewijzing? FindVerzoek(string municipalityParty, string referral);

    /// <summary>
    /// The delivery (<c>deliveries/{id}</c>) to <paramref name="recipientParty"/> whose message had BerichtIdentificatie
    /// <paramref name="identificatie"/> (see <see cref="Outbound.OutboundTranslator.Identificatie"/>), or null.
    /// </summary>
    string? FindDelivery(string recipientParty, string identificatie);

    /// <summary>
    /// What <paramref name="recipientParty"/> may know of the delivery's client (BSN only with a legal need), or null
    /// when the hub cannot say. Used only when the delivery carries no <c>client_details</c>.
    /// </summary>
    IWmoClient? ClientView(Delivery delivery, string recipientParty);
}

namespace Ketenhub.Adapters.IWmo.Inbound;

/// <summary>
/// What the inbound side asks the hub while reading a partner's message. The host implements it over its
/// configuration and store; it never creates anything.
/// </summary>
public interface IIWmoDirectory
{
    /// <summary>The care provider with this AGB code, or null.</summary>
    ValueTask<IWmoParty?> FindProviderAsync(string agb, CancellationToken ct);

    /// <summary>The municipality-side party that exchanges iWmo/iJw for this CBS municipality, or null.</summary>
    ValueTask<IWmoParty?> FindMunicipalityPartyAsync(string cbsCode, CancellationToken ct);

    /// <summary>
    /// The referral (<c>referrals/{id}</c>) that was delivered to <paramref name="performerParty"/> as toewijzing
    /// <paramref name="toewijzingNummer"/> (see <see cref="Outbound.OutboundTranslator.ToewijzingNummer"/>), or null.
    /// </summary>
    ValueTask<string?> FindReferralAsync(string performerParty, long toewijzingNummer, CancellationToken ct);
}

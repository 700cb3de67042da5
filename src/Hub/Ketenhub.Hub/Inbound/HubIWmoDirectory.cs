using System.Globalization;
using Ketenhub.Adapters.IWmo;
using Ketenhub.Adapters.IWmo.Inbound;
using Ketenhub.Contracts.V1;
using Ketenhub.Hub.Host.Transport;
using Ketenhub.Hub.Parties;
using Party = Ketenhub.Hub.Parties.Party;
using Ketenhub.Hub.Storage;
using DomainChannel = Ketenhub.Hub.Common.DeliveryChannel;
using DomainPayloadKind = Ketenhub.Hub.Common.PayloadKind;

namespace Ketenhub.Hub.Host.Inbound;

/// <summary>
/// What the iWmo adapter asks the hub while it reads a partner's message or writes one to push: parties by AGB, CBS
/// code or name from the configuration, and (inbound only) the referral or delivery behind a toewijzing number or
/// message identification from the store (both are the delivery's sequence). Reads only. A party speaks iWmo and iJw
/// when its delivery channel is <c>IWMO</c>.
/// </summary>
/// <remarks>
/// The adapter contract is synchronous (translation is pure), so the store look-ups wait for their read; each is one
/// indexed query by recipient and sequence.
/// </remarks>
public sealed class HubIWmoDirectory(PartyDirectory parties, IHubStore store, Ketenhub.Hub.Clients.BsnHasher hasher)
{
    private readonly PartyDirectory _parties = parties;

    /// <summary>The directory as the adapter sees it.</summary>
    public IIWmoDirectory View => new Directory(this);

    private IWmoParty? Adapt(Party? party) =>
        party is null ? null : IWmoParty.From(ContractMapping.ToContract(party), party.Channel == DomainChannel.Iwmo ? IStandaarden.Both : IStandaarden.None);

    private Ketenhub.Hub.Delivery.DeliveryRecord? DeliveryAt(string recipientName, long sequence)
    {
        if (sequence <= 0 || Ids.PartyId(recipientName) is not { } recipient)
        {
            return null;
        }

        var found = store.ReadAsync(session => session.ListDeliveries(new DeliveryQuery(Recipient: recipient, AfterSequence: sequence - 1, Limit: 1))).GetAwaiter().GetResult();
        return found.Count == 1 && found[0].Sequence == sequence ? found[0] : null;
    }

    /// <summary>
    /// What an inbound message about <paramref name="referralId"/> must agree with, for performer <paramref name="performerId"/>,
    /// with <paramref name="issued"/> the moment of the hub's message (its Dutch date is the toewijzing's Ingangsdatum, the
    /// client's municipality then its Afzender). The BSN is compared as the hub keeps it, as a keyed hash.
    /// </summary>
    private IWmoToewijzing? Toewijzing(string referralId, string performerId, DateTimeOffset? issued)
    {
        var found = store.ReadAsync(session =>
        {
            var referral = session.FindReferral(referralId);
            var client = referral is null ? null : session.FindClient(referral.ClientId);
            return (referral, client);
        }).GetAwaiter().GetResult();
        if (found is not { referral: { } referral, client: { } client } || referral.Performers.FirstOrDefault(p => p.PartyId == performerId) is not { } performer)
        {
            return null;
        }

        var at = issued ?? referral.CreateTime;
        var bsnHash = client.BsnHash;
        return new IWmoToewijzing(
            referral.Name,
            "parties/" + referral.Requester,
            client.MunicipalityAt(at),
            (ServiceKind)(int)referral.Service,
            Ketenhub.Hub.Common.DutchTime.DateOf(at),
            null,
            (PerformerStatus)(int)performer.Status,
            performer.StartDate,
            performer.EndDate,
            bsn => Ketenhub.Adapters.IWmo.Elfproef.IsValidBsn(bsn) && string.Equals(hasher.Hash(bsn), bsnHash, StringComparison.Ordinal));
    }

    /// <summary>The party that decides for the municipality: the municipality itself, else its social service, else a wijkteam.</summary>
    private Party? Decider(string cbsCode, bool iwmoOnly) =>
        _parties.All
            .Where(p => (!iwmoOnly || p.Channel == DomainChannel.Iwmo) && p.MunicipalityCodes.Contains(cbsCode)
                && p.Kind is Common.PartyKind.Municipality or Common.PartyKind.SocialService or Common.PartyKind.Wijkteam)
            .OrderBy(p => p.Kind switch { Common.PartyKind.Municipality => 0, Common.PartyKind.SocialService => 1, _ => 2 })
            .FirstOrDefault();

    private sealed class Directory(HubIWmoDirectory hub) : IIWmoDirectory
    {
        public IWmoParty? FindProvider(string agb) =>
            hub.Adapt(hub._parties.All.FirstOrDefault(p => p.Kind == Common.PartyKind.CareProvider && p.Agb == agb));

        // The municipality itself first, then the social service, then a wijkteam; only parties that speak iWmo.
        public IWmoParty? FindMunicipalityParty(string cbsCode) => hub.Adapt(hub.Decider(cbsCode, iwmoOnly: true));

        public IWmoParty? FindDecidingParty(string cbsCode) => hub.Adapt(hub.Decider(cbsCode, iwmoOnly: false));

        public IWmoParty? FindParty(string partyName) =>
            Ids.PartyId(partyName) is { } id ? hub.Adapt(hub._parties.Find(id)) : null;

        public IWmoToewijzing? FindToewijzing(string performerParty, long toewijzingNummer) =>
            hub.DeliveryAt(performerParty, toewijzingNummer) is { PayloadKind: DomainPayloadKind.Referral, MessageId: { } referral } delivery
                ? hub.Toewijzing(referral, delivery.Recipient, delivery.CreateTime)
                : null;

        public IWmoToewijzing? FindVerzoek(string municipalityParty, string referral) =>
            Ids.PartyId(municipalityParty) is { } party && referral.StartsWith("referrals/", StringComparison.Ordinal)
                ? hub.Toewijzing(referral["referrals/".Length..], party, null)
                : null;

        public string? FindDelivery(string recipientParty, string identificatie) =>
            long.TryParse(identificatie, NumberStyles.None, CultureInfo.InvariantCulture, out var sequence) && hub.DeliveryAt(recipientParty, sequence) is { } delivery
                ? delivery.Name
                : null;

        // Only outbound translation asks for this, and only when the delivery carries no client details; the hub's
        // deliveries always carry them for a recipient that may know the client.
        public IWmoClient? ClientView(Contracts.V1.Delivery delivery, string recipientParty) => null;
    }

    private static class Ids
    {
        public static string? PartyId(string name) => name.StartsWith("parties/", StringComparison.Ordinal) && name.Length > 8 ? name[8..] : null;
    }
}

using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using Ketenhub.HubTests.Integration;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Identity;

/// <summary>
/// Consents are recorded, withdrawn and confirmed only by a party with a care relationship with the client: a
/// current role, or having acted for the client before. A party that knows a client's name but never had anything
/// to do with them cannot grant itself access, nor withdraw a consent others rely on; the refusal stores nothing
/// and is itself in the audit trail.
/// </summary>
public sealed class ConsentAuthorisationTests : IDisposable
{
    private readonly HubFactory _hub = new(new DateTimeOffset(2026, 4, 1, 9, 0, 0, TimeSpan.Zero));

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task APartyWithoutARelationship_CannotGrantWithdrawOrConfirm_AndNothingChanges()
    {
        var coach = _hub.As("waakvlam-zorg");
        var client = await Kit.ClientWithCoachAsync(coach, birthDate: Date(2010, 1, 15));
        var consent = await coach.GrantAsync(client.Name, GrantorRole.Parent, "sdd", [Purpose.Transition], [DataCategory.SupportPlan]);
        var stranger = _hub.As("zorgboerderij-de-hoeve");

        await Errors.Expect(StatusCode.PermissionDenied, "NO_ROLE_FOR_CLIENT", () =>
            stranger.GrantAsync(client.Name, GrantorRole.Client, "zorgboerderij-de-hoeve", [Purpose.Coaching], [DataCategory.SupportPlan, DataCategory.Health]));
        // Without a relationship with the client, its consents do not exist for the party (docs/errors.md, "Not found or
        // not allowed"); the attempts are refusals in the audit trail all the same.
        await Errors.Expect(StatusCode.NotFound, "CONSENT_NOT_FOUND", () =>
            stranger.Consents.WithdrawConsentAsync(new WithdrawConsentRequest { RequestId = NewRequestId(), Name = consent.Name }).ResponseAsync);
        await Errors.Expect(StatusCode.NotFound, "CONSENT_NOT_FOUND", () =>
            stranger.Consents.ConfirmConsentAsync(new ConfirmConsentRequest { RequestId = NewRequestId(), Name = consent.Name }).ResponseAsync);

        // Nothing changed: still exactly the one active consent.
        var listed = await coach.Consents.ListConsentsAsync(new ListConsentsRequest { Client = client.Name });
        var only = Assert.Single(listed.Consents);
        Assert.Equal(consent.Name, only.Name);
        Assert.Equal(ConsentState.Active, only.State);

        // The refused attempts are in the audit trail, naming the stranger.
        var officer = _hub.As("sdd", "officer-1", ["privacy-officer"]);
        var events = await officer.Audit.ListAuditEventsAsync(new ListAuditEventsRequest { Client = client.Name, PageSize = 1000 });
        var refused = events.AuditEvents.Where(e => e.Outcome == AuditOutcome.Refused && e.Party == "parties/zorgboerderij-de-hoeve").Select(e => e.EventType).ToList();
        Assert.Equal(["GrantConsent", "WithdrawConsent", "ConfirmConsent"], refused);
    }

    [Fact]
    public async Task APartyThatActedForTheClient_MayRecordAndWithdraw_WithoutACurrentRole()
    {
        // The wijkteam registered the client (a journey event) but holds no role: it may record the client's consent.
        var wijkteam = _hub.As("wijkteam-zwijndrecht");
        var client = await wijkteam.RegisterAsync(Kit.NewBsn(), Date(1990, 2, 3), "0642");
        var consent = await wijkteam.GrantAsync(client.Name, GrantorRole.Client, "waakvlam-zorg", [Purpose.CareDelivery], [DataCategory.SupportPlan]);
        Assert.Equal(ConsentState.Active, consent.State);

        var withdrawn = await wijkteam.Consents.WithdrawConsentAsync(new WithdrawConsentRequest { RequestId = NewRequestId(), Name = consent.Name });
        Assert.Equal(ConsentState.Withdrawn, withdrawn.Consent.State);

        // Registering a client someone else registered first is no relationship: that answer is a lookup.
        var bsn = Kit.NewBsn();
        var known = await wijkteam.RegisterAsync(bsn, Date(1991, 5, 6), "0642");
        var other = _hub.As("begeleiding-plus");
        Assert.Equal(known.Name, (await other.RegisterAsync(bsn, Date(1991, 5, 6), "0642")).Name);
        await Errors.Expect(StatusCode.PermissionDenied, "NO_ROLE_FOR_CLIENT", () =>
            other.GrantAsync(known.Name, GrantorRole.Client, "begeleiding-plus", [Purpose.CareDelivery], [DataCategory.SupportPlan]));
    }

    [Fact]
    public async Task RaisingASignalOrReferring_DoesNotOpenTheClientsConsents()
    {
        var coach = _hub.As("waakvlam-zorg");
        var client = await Kit.ClientWithCoachAsync(coach);
        var stranger = _hub.As("zorgboerderij-de-hoeve");

        // Any party that meets the client may raise a signal or ask for a referral...
        await stranger.Signals.CreateSignalAsync(Kit.Signal(client.Name));
        await stranger.Referrals.CreateReferralAsync(new CreateReferralRequest { RequestId = NewRequestId(), Referral = Kit.CareReferral(client.Name, "begeleiding-plus") });

        // ...but that is no relationship that lets it record consents.
        await Errors.Expect(StatusCode.PermissionDenied, "NO_ROLE_FOR_CLIENT", () =>
            stranger.GrantAsync(client.Name, GrantorRole.Client, "zorgboerderij-de-hoeve", [Purpose.Coaching], [DataCategory.SupportPlan]));
    }
}

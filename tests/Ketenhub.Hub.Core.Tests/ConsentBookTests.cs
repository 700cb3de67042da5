using Ketenhub.Hub.Common;
using Ketenhub.Hub.Consent;
using Ketenhub.Hub.Delivery;
using static Ketenhub.Hub.Core.Tests.CoreServices;

namespace Ketenhub.Hub.Core.Tests;

/// <summary>
/// Consents through <c>ConsentBook</c> on the in-memory store (<see cref="CoreServices"/>): who may record them, and how a
/// grant or a withdrawal changes deliveries at once (docs/architecture.md, rules 1 and 2).
/// </summary>
public sealed class ConsentBookTests : IAsyncLifetime
{
    private readonly CoreServices _hub = Create();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    [Fact]
    public async Task Grant_IsStoredAsGiven_AndActiveFromNow()
    {
        var client = await _hub.RegisterClientAsync();

        var change = await _hub.GrantAsync("school-a", client, "zorg-a", Purpose.IncomeAndParticipation, DataCategory.Finances, DataCategory.Finances);

        var consent = change.Consent.Consent;
        Assert.Equal(ConsentState.Active, change.Consent.State);
        Assert.Equal("zorg-a", consent.RecipientParty);
        Assert.Equal([Purpose.IncomeAndParticipation], consent.Purposes);
        Assert.Equal([DataCategory.Finances], consent.Categories); // duplicates dropped
        Assert.Equal(Start, consent.Start);
        Assert.Equal("school-a", consent.RecordedBy);
        Assert.Equal(0, change.Released);
        Assert.Equal(0, change.Withheld);
        var stored = await _hub.Store.ReadAsync(s => s.FindConsent(consent.Id));
        Assert.Equal(consent.Id, stored!.Id);
        Assert.Null(stored.WithdrawTime);
    }

    [Fact]
    public async Task Withdrawal_WithholdsTheOpenDeliveriesItCovered_AtOnce()
    {
        var client = await _hub.RegisterClientAsync();
        var granted = await _hub.GrantAsync("school-a", client, "zorg-a", Purpose.IncomeAndParticipation, DebtReferralCategories);
        var delivered = Assert.Single((await _hub.ReferDebtCounsellingAsync("school-a", client, "zorg-a")).Decisions);
        _hub.Clock.Advance(TimeSpan.FromMinutes(10));

        var withdrawn = await _hub.Consents.WithdrawAsync(_hub.Party("school-a"), granted.Consent.Consent.Name, _hub.NewKey(), CancellationToken.None);

        Assert.Equal(ConsentState.Withdrawn, withdrawn.Consent.State);
        Assert.Equal(Start.AddMinutes(10), withdrawn.Consent.Consent.WithdrawTime);
        Assert.Equal(1, withdrawn.Withheld);
        var delivery = await _hub.DeliveryAsync(delivered.DeliveryId!);
        Assert.Equal(DeliveryStatus.Withheld, delivery.Status);
        Assert.Equal(DecisionReasons.ConsentWithdrawn, delivery.StatusReason);
        Assert.Empty(await _hub.ClaimAsync("zorg-a"));
    }

    [Fact]
    public async Task AfterWithdrawal_NewReferralsAreWithheld_AsWithdrawnNotAsNeverGiven()
    {
        var client = await _hub.RegisterClientAsync();
        var granted = await _hub.GrantAsync("school-a", client, "zorg-a", Purpose.IncomeAndParticipation, DebtReferralCategories);
        await _hub.Consents.WithdrawAsync(_hub.Party("school-a"), granted.Consent.Consent.Name, _hub.NewKey(), CancellationToken.None);
        _hub.Clock.Advance(TimeSpan.FromDays(1));

        var later = await _hub.ReferDebtCounsellingAsync("school-a", client, "zorg-a");

        var decision = Assert.Single(later.Decisions);
        Assert.Equal(RecipientOutcome.Blocked, decision.Outcome);
        Assert.Equal(DecisionReasons.ConsentWithdrawn, decision.Reason);
        Assert.Equal(DeliveryStatus.Withheld, (await _hub.DeliveryAsync(decision.DeliveryId!)).Status);
    }

    [Fact]
    public async Task WithdrawingTwice_IsRefused_AndChangesNothing()
    {
        var client = await _hub.RegisterClientAsync();
        var granted = await _hub.GrantAsync("school-a", client, "zorg-a", Purpose.IncomeAndParticipation, DebtReferralCategories);
        await _hub.Consents.WithdrawAsync(_hub.Party("school-a"), granted.Consent.Consent.Name, _hub.NewKey(), CancellationToken.None);
        _hub.Clock.Advance(TimeSpan.FromHours(1));

        var refused = await Assert.ThrowsAsync<HubException>(() =>
            _hub.Consents.WithdrawAsync(_hub.Party("school-a"), granted.Consent.Consent.Name, _hub.NewKey(), CancellationToken.None));

        Assert.Equal(ErrorCategory.FailedPrecondition, refused.Category);
        Assert.Equal(ErrorReasons.ConsentNotWithdrawable, refused.Reason);
        Assert.Equal(Start, (await _hub.Store.ReadAsync(s => s.FindConsent(granted.Consent.Consent.Id)))!.WithdrawTime);
    }

    [Fact]
    public async Task APartyWithoutARelationship_CannotRecordAConsent()
    {
        var client = await _hub.RegisterClientAsync();

        var refused = await Assert.ThrowsAsync<HubException>(() =>
            _hub.GrantAsync("zorg-b", client, "zorg-b", Purpose.IncomeAndParticipation, DebtReferralCategories));

        Assert.Equal(ErrorCategory.PermissionDenied, refused.Category);
        Assert.Equal(ErrorReasons.NoRoleForClient, refused.Reason);
        var clientId = client["clients/".Length..];
        Assert.Empty(await _hub.Store.ReadAsync(s => s.GetConsents(clientId)));
    }

    [Fact]
    public async Task AParent_CannotGrantForAnAdult()
    {
        var client = await _hub.RegisterClientAsync(birthDate: new DateOnly(2006, 1, 10));

        var refused = await Assert.ThrowsAsync<HubException>(() => _hub.Consents.GrantAsync(
            _hub.Party("school-a"),
            new ConsentDraft(client, GrantorRole.Parent, "parties/zorg-a", PartyKind.Unspecified, [Purpose.CareDelivery], [DataCategory.SupportPlan], null, null),
            _hub.NewKey(),
            CancellationToken.None));

        Assert.Equal(ErrorReasons.GrantorNotAllowed, refused.Reason);
    }

    [Fact]
    public async Task AGrantWithoutPurposes_IsInvalid_NamingTheField()
    {
        var client = await _hub.RegisterClientAsync();

        var refused = await Assert.ThrowsAsync<HubException>(() => _hub.Consents.GrantAsync(
            _hub.Party("school-a"),
            new ConsentDraft(client, GrantorRole.Client, "parties/zorg-a", PartyKind.Unspecified, [], [DataCategory.SupportPlan], null, null),
            _hub.NewKey(),
            CancellationToken.None));

        Assert.Equal(ErrorCategory.InvalidArgument, refused.Category);
        Assert.Equal(ErrorReasons.FieldRequired, refused.Reason);
        Assert.Equal("consent.purposes", Assert.Single(refused.Violations).Field);
    }

    [Fact]
    public async Task List_ShowsEachConsentWithItsStateNow_ToAPartyWithARole()
    {
        var client = await _hub.RegisterClientAsync();
        var first = await _hub.GrantAsync("school-a", client, "zorg-a", Purpose.IncomeAndParticipation, DebtReferralCategories);
        _hub.Clock.Advance(TimeSpan.FromMinutes(1));
        var second = await _hub.GrantAsync("school-a", client, "zorg-b", Purpose.CareDelivery, DataCategory.SupportPlan);
        await _hub.Consents.WithdrawAsync(_hub.Party("school-a"), first.Consent.Consent.Name, _hub.NewKey(), CancellationToken.None);

        var listed = await _hub.Consents.ListAsync(_hub.Party("school-a"), client, CancellationToken.None);
        var stranger = await Assert.ThrowsAsync<HubException>(() => _hub.Consents.ListAsync(_hub.Party("zorg-b"), client, CancellationToken.None));

        Assert.Equal([first.Consent.Consent.Id, second.Consent.Consent.Id], listed.Select(v => v.Consent.Id));
        Assert.Equal([ConsentState.Withdrawn, ConsentState.Active], listed.Select(v => v.State));
        Assert.Equal(ErrorReasons.NoRoleForClient, stranger.Reason);
    }
}

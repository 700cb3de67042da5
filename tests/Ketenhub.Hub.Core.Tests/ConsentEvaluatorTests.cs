using Ketenhub.Hub.Common;
using Ketenhub.Hub.Consent;
using Ketenhub.Hub.Parties;
using static Ketenhub.Hub.Core.Tests.TestData;

namespace Ketenhub.Hub.Core.Tests;

public class ConsentEvaluatorTests
{
    private static readonly ConsentEvaluator Evaluator = new(new ConsentOptions());

    // The client (born 2008-06-01) turns 18 at the start of 2026-06-01 in Amsterdam: 2026-05-31 22:00 UTC.
    private static readonly DateTimeOffset EighteenthBirthdayStart = new(2026, 5, 31, 22, 0, 0, TimeSpan.Zero);

    private static ConsentRequirement Requirement(Party? recipient = null, Purpose purpose = Purpose.Coaching, params DataCategory[] categories) =>
        new(recipient ?? ProviderA, purpose, categories.Length == 0 ? [DataCategory.SupportPlan] : categories);

    [Fact]
    public void ConsentInEffect_IsActive() =>
        Assert.Equal(ConsentState.Active, Evaluator.StateOf(NewConsent("c1", party: "zorg-a"), Client(), Now));

    [Fact]
    public void ConsentStartingLater_IsNotYetValid()
    {
        var consent = NewConsent("c1", party: "zorg-a", start: Now.AddSeconds(1));

        Assert.Equal(ConsentState.NotYetValid, Evaluator.StateOf(consent, Client(), Now));
        Assert.Equal(ConsentState.Active, Evaluator.StateOf(consent, Client(), Now.AddSeconds(1)));
    }

    [Fact]
    public void ConsentPastItsEnd_IsExpired()
    {
        var consent = NewConsent("c1", party: "zorg-a", end: Now);

        Assert.Equal(ConsentState.Expired, Evaluator.StateOf(consent, Client(), Now));
        Assert.Equal(ConsentState.Active, Evaluator.StateOf(consent, Client(), Now.AddSeconds(-1)));
    }

    [Fact]
    public void WithdrawnConsent_IsWithdrawnFromTheWithdrawalOn()
    {
        var consent = NewConsent("c1", party: "zorg-a", withdrawn: Now);

        Assert.Equal(ConsentState.Withdrawn, Evaluator.StateOf(consent, Client(), Now));
        Assert.Equal(ConsentState.Active, Evaluator.StateOf(consent, Client(), Now.AddSeconds(-1)));
    }

    [Fact]
    public void WithdrawnAndExpiredConsent_IsWithdrawn()
    {
        var consent = NewConsent("c1", party: "zorg-a", end: Now.AddDays(-2), withdrawn: Now.AddDays(-1));

        Assert.Equal(ConsentState.Withdrawn, Evaluator.StateOf(consent, Client(), Now));
    }

    [Fact]
    public void ParentConsent_BeforeEighteenthBirthday_IsActive()
    {
        var consent = NewConsent("c1", GrantorRole.Parent, party: "zorg-a");

        Assert.Equal(ConsentState.Active, Evaluator.StateOf(consent, Client(), EighteenthBirthdayStart.AddSeconds(-1)));
    }

    [Fact]
    public void ParentConsent_AfterEighteenthBirthday_AwaitsConfirmation()
    {
        var consent = NewConsent("c1", GrantorRole.Parent, party: "zorg-a");

        Assert.Equal(EighteenthBirthdayStart, Evaluator.ParentConsentLapse(Client()));
        Assert.Equal(ConsentState.AwaitingConfirmation, Evaluator.StateOf(consent, Client(), EighteenthBirthdayStart));
        Assert.Equal(ConsentState.AwaitingConfirmation, Evaluator.StateOf(consent, Client(), EighteenthBirthdayStart.AddYears(1)));
    }

    [Fact]
    public void ParentConsent_WithinGracePeriod_StaysActiveUntilItEnds()
    {
        var evaluator = new ConsentEvaluator(new ConsentOptions { ComingOfAgeGracePeriod = TimeSpan.FromDays(30) });
        var consent = NewConsent("c1", GrantorRole.Parent, party: "zorg-a");

        Assert.Equal(EighteenthBirthdayStart.AddDays(30), evaluator.ParentConsentLapse(Client()));
        Assert.Equal(ConsentState.Active, evaluator.StateOf(consent, Client(), EighteenthBirthdayStart));
        Assert.Equal(ConsentState.Active, evaluator.StateOf(consent, Client(), EighteenthBirthdayStart.AddDays(30).AddSeconds(-1)));
        Assert.Equal(ConsentState.AwaitingConfirmation, evaluator.StateOf(consent, Client(), EighteenthBirthdayStart.AddDays(30)));
    }

    [Fact]
    public void ConfirmedParentConsent_AfterEighteenthBirthday_StaysActive()
    {
        var consent = NewConsent("c1", GrantorRole.Parent, party: "zorg-a", confirmed: EighteenthBirthdayStart.AddDays(2));

        Assert.Equal(ConsentState.Active, Evaluator.StateOf(consent, Client(), EighteenthBirthdayStart.AddDays(10)));
    }

    [Theory]
    [InlineData(GrantorRole.Client)]
    [InlineData(GrantorRole.Mentor)]
    [InlineData(GrantorRole.Curator)]
    public void NonParentConsent_AfterEighteenthBirthday_StaysActive(GrantorRole grantor) =>
        Assert.Equal(ConsentState.Active, Evaluator.StateOf(NewConsent("c1", grantor, party: "zorg-a"), Client(), EighteenthBirthdayStart.AddDays(1)));

    [Fact]
    public void ConsentNamingParty_MatchesThatPartyOnly()
    {
        var consent = NewConsent("c1", party: "zorg-a");

        Assert.True(ConsentEvaluator.Matches(consent, Requirement(ProviderA)));
        Assert.False(ConsentEvaluator.Matches(consent, Requirement(ProviderB)));
    }

    [Fact]
    public void ConsentNamingParty_IgnoresItsKind()
    {
        var consent = NewConsent("c1", party: "zorg-a", kind: PartyKind.School);

        Assert.True(ConsentEvaluator.Matches(consent, Requirement(ProviderA)));
        Assert.False(ConsentEvaluator.Matches(consent, Requirement(School)));
    }

    [Fact]
    public void ConsentNamingKind_MatchesEveryPartyOfThatKind()
    {
        var consent = NewConsent("c1", kind: PartyKind.CareProvider);

        Assert.True(ConsentEvaluator.Matches(consent, Requirement(ProviderA)));
        Assert.True(ConsentEvaluator.Matches(consent, Requirement(ProviderB)));
        Assert.False(ConsentEvaluator.Matches(consent, Requirement(School)));
        Assert.False(ConsentEvaluator.Matches(consent, Requirement(SocialServiceZwijndrecht)));
    }

    [Fact]
    public void ConsentForOtherPurpose_DoesNotMatch()
    {
        var consent = NewConsent("c1", party: "zorg-a", purposes: [Purpose.Coaching, Purpose.Transition]);

        Assert.True(ConsentEvaluator.Matches(consent, Requirement(ProviderA, Purpose.Transition)));
        Assert.False(ConsentEvaluator.Matches(consent, Requirement(ProviderA, Purpose.CareDelivery)));
    }

    [Fact]
    public void ConsentCategories_MustIncludeEveryRequiredCategory()
    {
        var consent = NewConsent("c1", party: "zorg-a", categories: [DataCategory.SupportPlan, DataCategory.Housing]);

        Assert.True(ConsentEvaluator.Matches(consent, Requirement(ProviderA, Purpose.Coaching, DataCategory.Housing)));
        Assert.True(ConsentEvaluator.Matches(consent, Requirement(ProviderA, Purpose.Coaching, DataCategory.SupportPlan, DataCategory.Housing)));
        Assert.False(ConsentEvaluator.Matches(consent, Requirement(ProviderA, Purpose.Coaching, DataCategory.SupportPlan, DataCategory.Health)));
        Assert.False(ConsentEvaluator.Matches(consent, Requirement(ProviderA, Purpose.Coaching, DataCategory.Finances)));
    }

    [Fact]
    public void Matches_IgnoresTheConsentsState() =>
        Assert.True(ConsentEvaluator.Matches(NewConsent("c1", party: "zorg-a", withdrawn: Now.AddDays(-1)), Requirement(ProviderA)));

    [Fact]
    public void Evaluate_ActiveAndWithdrawnConsent_IsCoveredByTheActiveOne()
    {
        var withdrawn = NewConsent("c-withdrawn", party: "zorg-a", withdrawn: Now.AddDays(-1));
        var active = NewConsent("c-active", kind: PartyKind.CareProvider);

        foreach (var consents in new[] { new[] { withdrawn, active }, new[] { active, withdrawn } })
        {
            var result = Evaluator.Evaluate(consents, Client(), Requirement(ProviderA), Now);

            Assert.Equal(ConsentVerdict.Covered, result.Verdict);
            Assert.Equal("c-active", result.Consent?.Id);
        }
    }

    [Fact]
    public void Evaluate_OnlyWithdrawnConsentMatches_IsWithdrawn()
    {
        var consents = new[]
        {
            NewConsent("c-withdrawn", party: "zorg-a", withdrawn: Now.AddDays(-1)),
            NewConsent("c-other", party: "zorg-b"),
        };

        var result = Evaluator.Evaluate(consents, Client(), Requirement(ProviderA), Now);

        Assert.Equal(ConsentVerdict.Withdrawn, result.Verdict);
        Assert.Null(result.Consent);
    }

    [Fact]
    public void Evaluate_WithdrawnConsentForAnotherParty_IsNotCovered()
    {
        var consents = new[] { NewConsent("c-withdrawn", party: "zorg-b", withdrawn: Now.AddDays(-1)) };

        Assert.Equal(ConsentVerdict.NotCovered, Evaluator.Evaluate(consents, Client(), Requirement(ProviderA), Now).Verdict);
    }

    [Fact]
    public void Evaluate_OnlyUnconfirmedParentConsentAfterEighteen_IsParentUnconfirmed()
    {
        var consents = new[] { NewConsent("c-parent", GrantorRole.Parent, party: "zorg-a") };

        var result = Evaluator.Evaluate(consents, Client(), Requirement(ProviderA), EighteenthBirthdayStart.AddDays(1));

        Assert.Equal(ConsentVerdict.ParentUnconfirmed, result.Verdict);
        Assert.Null(result.Consent);
    }

    [Fact]
    public void Evaluate_ParentConsentBeforeEighteen_IsCovered()
    {
        var consents = new[] { NewConsent("c-parent", GrantorRole.Parent, party: "zorg-a") };

        var result = Evaluator.Evaluate(consents, Client(), Requirement(ProviderA), Now);

        Assert.Equal(ConsentVerdict.Covered, result.Verdict);
        Assert.Equal("c-parent", result.Consent?.Id);
    }

    [Fact]
    public void Evaluate_NoMatchingConsent_IsNotCovered()
    {
        var consents = new[]
        {
            NewConsent("c-purpose", party: "zorg-a", purposes: [Purpose.CareDelivery]),
            NewConsent("c-category", party: "zorg-a", categories: [DataCategory.Health]),
            NewConsent("c-party", party: "zorg-b"),
        };

        var result = Evaluator.Evaluate(consents, Client(), Requirement(ProviderA), Now);

        Assert.Equal(ConsentVerdict.NotCovered, result.Verdict);
        Assert.Null(result.Consent);
        Assert.Equal(ConsentVerdict.NotCovered, Evaluator.Evaluate([], Client(), Requirement(ProviderA), Now).Verdict);
    }

    [Fact]
    public void Evaluate_OnlyExpiredOrFutureConsent_IsNotCovered()
    {
        var consents = new[]
        {
            NewConsent("c-expired", party: "zorg-a", end: Now.AddDays(-1)),
            NewConsent("c-future", party: "zorg-a", start: Now.AddDays(1)),
        };

        Assert.Equal(ConsentVerdict.NotCovered, Evaluator.Evaluate(consents, Client(), Requirement(ProviderA), Now).Verdict);
    }

    [Fact]
    public void Evaluate_ClientAndParentConsent_PrefersTheClientsOwn()
    {
        var parent = NewConsent("c-parent", GrantorRole.Parent, party: "zorg-a", start: Now.AddDays(-1));
        var own = NewConsent("c-own", GrantorRole.Client, kind: PartyKind.CareProvider, start: Now.AddDays(-300));
        var mentor = NewConsent("c-mentor", GrantorRole.Mentor, party: "zorg-a", start: Now.AddDays(-2));

        foreach (var consents in new[] { new[] { parent, own, mentor }, new[] { own, mentor, parent }, new[] { mentor, parent, own } })
        {
            Assert.Equal("c-own", Evaluator.Evaluate(consents, Client(), Requirement(ProviderA), Now).Consent?.Id);
        }
    }

    [Fact]
    public void Evaluate_RepresentativeAndParentConsent_PrefersTheRepresentative()
    {
        var parent = NewConsent("c-parent", GrantorRole.Parent, party: "zorg-a", start: Now.AddDays(-1));
        // The client is 16: a guardian is the representative a minor can have besides a parent.
        var guardian = NewConsent("c-guardian", GrantorRole.Guardian, party: "zorg-a", start: Now.AddDays(-100));

        Assert.Equal("c-guardian", Evaluator.Evaluate([parent, guardian], Client(), Requirement(ProviderA), Now).Consent?.Id);
        Assert.Equal("c-guardian", Evaluator.Evaluate([guardian, parent], Client(), Requirement(ProviderA), Now).Consent?.Id);
    }

    [Fact]
    public void Evaluate_TwoOwnConsents_PrefersTheLatest()
    {
        var older = NewConsent("c-older", party: "zorg-a", start: Now.AddDays(-100));
        var newer = NewConsent("c-newer", party: "zorg-a", start: Now.AddDays(-10));

        Assert.Equal("c-newer", Evaluator.Evaluate([older, newer], Client(), Requirement(ProviderA), Now).Consent?.Id);
        Assert.Equal("c-newer", Evaluator.Evaluate([newer, older], Client(), Requirement(ProviderA), Now).Consent?.Id);
    }
}

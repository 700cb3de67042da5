using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Consent;
using static Ketenhub.Hub.Core.Tests.TestData;

namespace Ketenhub.Hub.Core.Tests;

/// <summary>A representative's consent counts only while its recorded representation holds, and only for what it covers.</summary>
public class RepresentationConsentTests
{
    private static readonly ConsentEvaluator Evaluator = new(new ConsentOptions());

    private static readonly DateOnly Adult = new(1990, 4, 1);

    private static ClientRecord WithRepresentation(ClientRecord client, RepresentationKind kind, DateOnly? until) =>
        client with { Representations = [.. client.Representations.Select(r => r.Kind == kind ? r with { Until = until } : r)] };

    [Fact]
    public void AMentorsConsent_CountsWhileTheMentorshipHolds_AndNotAfterItEnds()
    {
        var consent = NewConsent("c1", GrantorRole.Mentor, party: "zorg-a", categories: [DataCategory.Health]);
        var ends = DutchTime.DateOf(Now).AddDays(10);
        var client = WithRepresentation(Client(Adult), RepresentationKind.Mentorship, ends);

        Assert.Equal(ConsentState.Active, Evaluator.StateOf(consent, client, Now));
        Assert.Equal(ConsentState.RepresentationEnded, Evaluator.StateOf(consent, client, DutchTime.StartOf(ends)));
        var requirement = new ConsentRequirement(ProviderA, Purpose.Coaching, [DataCategory.Health]);
        Assert.Equal(ConsentVerdict.NotCovered, Evaluator.Evaluate([consent], client, requirement, DutchTime.StartOf(ends)).Verdict);
    }

    [Fact]
    public void ARepresentativesConsent_WithoutARecordedRepresentation_DoesNotCount()
    {
        var consent = NewConsent("c1", GrantorRole.Curator, party: "zorg-a") with { RepresentationId = null };

        Assert.Equal(ConsentState.RepresentationEnded, Evaluator.StateOf(consent, Client(Adult), Now));
        Assert.Equal(ConsentState.RepresentationEnded, Evaluator.StateOf(consent with { RepresentationId = RepresentationOf(RepresentationKind.Mentorship) }, Client(Adult), Now));
    }

    [Fact]
    public void AMentorDoesNotDecideOnMoney_AndAnAdministratorOnlyOnMoney()
    {
        Assert.Equal(ConsentState.RepresentationEnded, Evaluator.StateOf(NewConsent("c1", GrantorRole.Mentor, party: "zorg-a", categories: [DataCategory.Finances]), Client(Adult), Now));
        Assert.Equal(ConsentState.Active, Evaluator.StateOf(NewConsent("c2", GrantorRole.Administrator, party: "zorg-a", categories: [DataCategory.Finances]), Client(Adult), Now));
        Assert.Equal(ConsentState.RepresentationEnded, Evaluator.StateOf(NewConsent("c3", GrantorRole.Administrator, party: "zorg-a", categories: [DataCategory.Health]), Client(Adult), Now));
    }

    [Fact]
    public void AParentsConsent_RestsOnTheAuthorityAsItStoodBeforeThe18thBirthday()
    {
        var client = Client(new DateOnly(2007, 2, 1));
        var consent = NewConsent("c1", GrantorRole.Parent, party: "zorg-a", start: Now.AddYears(-1));
        var grace = new ConsentEvaluator(new ConsentOptions { ComingOfAgeGracePeriod = TimeSpan.FromDays(60) });

        // Within the grace period after 18 the consent still counts: the authority held the day before the birthday.
        Assert.Equal(ConsentState.Active, grace.StateOf(consent, client, Now));

        // Authority that ended before the birthday (a court took it away) ends the consent with it.
        var ended = WithRepresentation(client, RepresentationKind.ParentalAuthority, new DateOnly(2024, 6, 1));
        Assert.Equal(ConsentState.RepresentationEnded, grace.StateOf(consent, ended, Now));

        // A confirmed parent's consent is the client's own: it rests on no representation.
        Assert.Equal(ConsentState.Active, grace.StateOf(consent with { ConfirmTime = Now.AddDays(-1) }, ended, Now));
    }

    [Fact]
    public void AGuardiansConsent_EndsAt18_WithNoConfirmation()
    {
        var client = Client(new DateOnly(2006, 1, 1));

        Assert.Equal(ConsentState.RepresentationEnded, Evaluator.StateOf(NewConsent("c1", GrantorRole.Guardian, party: "zorg-a", start: Now.AddYears(-2)), client, Now));
        Assert.Equal(ConsentState.Active, Evaluator.StateOf(NewConsent("c1", GrantorRole.Guardian, party: "zorg-a"), Client(), Now));
    }
}

using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Parties;

namespace Ketenhub.Hub.Consent;

/// <summary>What a delivery needs to be covered by consent.</summary>
public sealed record ConsentRequirement(Party Recipient, Purpose Purpose, IReadOnlyCollection<DataCategory> Categories);

/// <summary>The outcome of checking the consents of a client against a requirement.</summary>
public enum ConsentVerdict
{
    /// <summary>An active consent covers recipient, purpose and every category.</summary>
    Covered,

    /// <summary>No consent covers it, and none was withdrawn.</summary>
    NotCovered,

    /// <summary>The only consents that would cover it were withdrawn: the client said no.</summary>
    Withdrawn,

    /// <summary>Only a parent's consent covers it, and the client turned 18 without confirming it.</summary>
    ParentUnconfirmed,
}

/// <summary>The verdict and, when covered, the consent that decided it.</summary>
public sealed record ConsentEvaluation(ConsentVerdict Verdict, ConsentRecord? Consent);

/// <summary>
/// Deny by default: decides whether a client's consents cover a delivery now (docs/architecture.md, rules 1–3).
/// Pure: no storage, no clock of its own.
/// </summary>
public sealed class ConsentEvaluator(ConsentOptions options)
{
    /// <summary>The state of a consent at <paramref name="now"/>.</summary>
    public ConsentState StateOf(ConsentRecord consent, ClientRecord client, DateTimeOffset now)
    {
        if (consent.WithdrawTime is { } withdrawn && withdrawn <= now)
        {
            return ConsentState.Withdrawn;
        }

        if (now < consent.Start)
        {
            return ConsentState.NotYetValid;
        }

        if (consent.End is { } end && end <= now)
        {
            return ConsentState.Expired;
        }

        if (consent.Grantor == GrantorRole.Parent && consent.ConfirmTime is null
            && now >= ParentConsentLapse(client))
        {
            return ConsentState.AwaitingConfirmation;
        }

        if (!RepresentationHolds(consent, client, now))
        {
            return ConsentState.RepresentationEnded;
        }

        return ConsentState.Active;
    }

    /// <summary>
    /// Does the representation a representative's consent rests on hold at <paramref name="now"/>? The client's own
    /// consent, and a parent's consent the client confirmed after 18, rest on none. A parent's consent in the grace
    /// period after the 18th birthday rests on the parental authority as it stood the day before that birthday.
    /// </summary>
    private static bool RepresentationHolds(ConsentRecord consent, ClientRecord client, DateTimeOffset now)
    {
        if (RepresentationRules.KindFor(consent.Grantor) is not { } kind || (consent.Grantor == GrantorRole.Parent && consent.ConfirmTime is not null))
        {
            return true;
        }

        var representation = client.Representations.FirstOrDefault(r => r.Id == consent.RepresentationId);
        if (representation is null || representation.Kind != kind || !consent.Categories.All(c => RepresentationRules.Covers(kind, c)))
        {
            return false;
        }

        var date = DutchTime.DateOf(now);
        if (consent.Grantor == GrantorRole.Parent && date >= client.EighteenthBirthday)
        {
            // After 18 the parent's consent is AWAITING_CONFIRMATION (above) or in the grace period: it rests on the
            // authority the parent had until the birthday.
            date = client.EighteenthBirthday.AddDays(-1);
        }

        return RepresentationRules.IsCurrentOn(representation, client, date);
    }

    /// <summary>When a parent's unconfirmed consent stops counting: the 18th birthday plus the grace period.</summary>
    public DateTimeOffset ParentConsentLapse(ClientRecord client) =>
        DutchTime.StartOf(client.EighteenthBirthday) + options.ComingOfAgeGracePeriod;

    /// <summary>Does the consent name this recipient, purpose and all categories (regardless of its state)?</summary>
    public static bool Matches(ConsentRecord consent, ConsentRequirement requirement)
    {
        var recipientMatches = consent.RecipientParty is not null
            ? string.Equals(consent.RecipientParty, requirement.Recipient.Id, StringComparison.Ordinal)
            : consent.RecipientKind == requirement.Recipient.Kind;
        if (!recipientMatches || !consent.Purposes.Contains(requirement.Purpose))
        {
            return false;
        }

        foreach (var category in requirement.Categories)
        {
            if (!consent.Categories.Contains(category))
            {
                return false;
            }
        }

        return true;
    }

    public ConsentEvaluation Evaluate(IEnumerable<ConsentRecord> consents, ClientRecord client, ConsentRequirement requirement, DateTimeOffset now)
    {
        ConsentRecord? best = null;
        var sawWithdrawn = false;
        var sawUnconfirmed = false;
        foreach (var consent in consents)
        {
            if (!Matches(consent, requirement))
            {
                continue;
            }

            switch (StateOf(consent, client, now))
            {
                case ConsentState.Active:
                    if (best is null || Rank(consent) > Rank(best) || (Rank(consent) == Rank(best) && consent.Start > best.Start))
                    {
                        best = consent;
                    }

                    break;
                case ConsentState.Withdrawn:
                    sawWithdrawn = true;
                    break;
                case ConsentState.AwaitingConfirmation:
                    sawUnconfirmed = true;
                    break;
            }
        }

        if (best is not null)
        {
            return new ConsentEvaluation(ConsentVerdict.Covered, best);
        }

        // A withdrawal is a "no" and outweighs a parent's consent the client has not confirmed.
        if (sawWithdrawn)
        {
            return new ConsentEvaluation(ConsentVerdict.Withdrawn, null);
        }

        return new ConsentEvaluation(sawUnconfirmed ? ConsentVerdict.ParentUnconfirmed : ConsentVerdict.NotCovered, null);
    }

    // The client's own word counts most; a representative's next; a parent's last.
    private static int Rank(ConsentRecord consent) => consent.Grantor switch
    {
        GrantorRole.Client => 3,
        GrantorRole.Curator or GrantorRole.Mentor or GrantorRole.Guardian or GrantorRole.Administrator => 2,
        _ => 1,
    };
}

/// <summary>Consent settings.</summary>
public sealed class ConsentOptions
{
    /// <summary>
    /// How long a parent's consent keeps counting after the client's 18th birthday without the client's
    /// confirmation. <value>The default value is zero: it stops counting on the birthday.</value>
    /// </summary>
    public TimeSpan ComingOfAgeGracePeriod { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// How long a delivery waits for consent when a rule target does not say.
    /// <value>The default value is 90 days.</value>
    /// </summary>
    public TimeSpan DefaultAwaitConsent { get; set; } = TimeSpan.FromDays(90);
}

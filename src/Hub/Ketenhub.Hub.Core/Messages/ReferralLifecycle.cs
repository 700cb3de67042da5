using Ketenhub.Hub.Common;
using Ketenhub.Hub.Routing;

namespace Ketenhub.Hub.Messages;

/// <summary>A step in the referral lifecycle, per performer.</summary>
public enum ReferralStep { Accept, Decline, Start, End }

/// <summary>A performer's step on a referral: the referral after it, and that performer's state before and after.</summary>
public sealed record ReferralStepChange(ReferralRecord Referral, PerformerState Before, PerformerState After);

/// <summary>
/// The referral lifecycle per performer: requested → accepted | declined → started → ended. Mirrors iWmo
/// 315 → 301 → 305 → 307.
/// </summary>
public static class ReferralLifecycle
{
    /// <summary>
    /// The decline reason for a referral the client is already in care for: iWmo WJ759 code 6, "stapeling" (two digits,
    /// as reason codes are written). Declining with it tells the requesters of the client's other open referrals for the
    /// same service.
    /// </summary>
    public const string AlreadyInCare = "06";

    /// <summary>The prefix of a decline reason that carries an iWmo/iJw partner's rejecting retour codes (WJ001).</summary>
    public const string RetourReasonPrefix = "WJ001-";

    /// <summary>
    /// Whether <paramref name="reasonCode"/> is a decline by a partner's rejecting retour: <c>WJ001-</c> and one to eight
    /// WJ001 codes (four letters or digits each), separated by <c>-</c>, for example <c>WJ001-9332</c>.
    /// </summary>
    public static bool IsRetourReason(string reasonCode)
    {
        ArgumentNullException.ThrowIfNull(reasonCode);
        if (!reasonCode.StartsWith(RetourReasonPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        var codes = reasonCode[RetourReasonPrefix.Length..].Split('-');
        return codes.Length is >= 1 and <= 8 && codes.All(c => c.Length == 4 && c.All(char.IsAsciiLetterOrDigit));
    }

    /// <summary>The status after the step, or null when the step is not allowed from <paramref name="current"/>.</summary>
    public static PerformerStatus? Next(PerformerStatus current, ReferralStep step) => (current, step) switch
    {
        (PerformerStatus.Requested, ReferralStep.Accept) => PerformerStatus.Accepted,
        (PerformerStatus.Requested, ReferralStep.Decline) => PerformerStatus.Declined,
        (PerformerStatus.Accepted, ReferralStep.Start) => PerformerStatus.Started,
        (PerformerStatus.Started, ReferralStep.End) => PerformerStatus.Ended,
        _ => null,
    };

    /// <summary>
    /// The referral after performer <paramref name="partyId"/> takes <paramref name="step"/> at <paramref name="now"/>:
    /// the performer's status moves on (<see cref="Next"/>), a reason code replaces the one it had, and a start or an end
    /// sets its date (<paramref name="date"/>, or the Dutch date of <paramref name="now"/>). The other performers are
    /// unchanged. Pure: the caller checks the dates and stores the result.
    /// </summary>
    /// <exception cref="HubException">NOT_A_PERFORMER when the party is not a performer of the referral;
    /// ILLEGAL_REFERRAL_STEP when its status does not allow the step.</exception>
    public static ReferralStepChange Take(ReferralRecord referral, string partyId, ReferralStep step, string? reasonCode, DateOnly? date, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(referral);
        var index = referral.Performers.ToList().FindIndex(p => p.PartyId == partyId);
        if (index < 0)
        {
            throw HubException.Denied(ErrorReasons.NotAPerformer, "The caller is not a performer of this referral.");
        }

        var current = referral.Performers[index];
        var next = Next(current.Status, step)
            ?? throw HubException.Precondition(ErrorReasons.IllegalReferralStep, $"A performer in status {Explain.Code(current.Status)} cannot {step.ToString().ToLowerInvariant()} the referral.")
                .With("performerStatus", Explain.Code(current.Status))
                .With("step", step.ToString().ToLowerInvariant());
        var today = DutchTime.DateOf(now);
        var updated = current with
        {
            Status = next,
            ReasonCode = reasonCode ?? current.ReasonCode,
            UpdateTime = now,
            StartDate = step == ReferralStep.Start ? date ?? today : current.StartDate,
            EndDate = step == ReferralStep.End ? date ?? today : current.EndDate,
        };
        var performers = referral.Performers.ToList();
        performers[index] = updated;
        return new ReferralStepChange(referral with { Performers = performers }, current, updated);
    }

    /// <summary>The journey event a step is recorded as.</summary>
    public static JourneyEventType JourneyEventOf(ReferralStep step) => step switch
    {
        ReferralStep.Accept => JourneyEventType.ReferralAccepted,
        ReferralStep.Decline => JourneyEventType.ReferralDeclined,
        ReferralStep.Start => JourneyEventType.ReferralStarted,
        _ => JourneyEventType.ReferralEnded,
    };
}

using Ketenhub.Contracts.V1;

namespace Ketenhub.Web.Text;

/// <summary>
/// The words of the client's own pages: short sentences, everyday words (language level B1), "toestemming" and never
/// "grondslag". The browser tests hold every client page to a Flesch-Douma reading ease of at least 70.
/// </summary>
public static class Plain
{
    /// <summary>What a consent lets an organisation do, as a sentence part after "mag".</summary>
    public static string Allows(Purpose purpose) => purpose switch
    {
        Purpose.Coaching => "je coach laten helpen",
        Purpose.CareDelivery => "je hulp geven",
        Purpose.Transition => "weten dat je overstapt",
        Purpose.SignalFollowUp => "iets doen als er zorgen zijn",
        Purpose.IncomeAndParticipation => "je helpen met geld en werk",
        Purpose.Coordination => "met de anderen één plan maken",
        _ => "iets anders",
    };

    /// <summary>"Waakvlam Zorg mag je coach laten helpen en weten dat je overstapt."</summary>
    public static string Consent(string who, IEnumerable<Purpose> purposes)
    {
        var parts = purposes.Select(Allows).ToList();
        var what = parts.Count <= 1 ? string.Concat(parts) : string.Join(", ", parts.Take(parts.Count - 1)) + " en " + parts[^1];
        return $"{who} mag {what}.";
    }

    /// <summary>The choices of "Klopt er iets niet?".</summary>
    public static readonly IReadOnlyList<(CorrectionTopic Topic, string Text)> CorrectionTopics =
    [
        (CorrectionTopic.BirthDate, "Mijn geboortedatum klopt niet"),
        (CorrectionTopic.Municipality, "Mijn woonplaats klopt niet"),
        (CorrectionTopic.Consent, "Een toestemming klopt niet"),
        (CorrectionTopic.Shared, "Iemand kreeg iets wat niet mocht"),
        (CorrectionTopic.Other, "Iets anders"),
    ];

    public static string State(ConsentState state) => state switch
    {
        ConsentState.Active => "Dit mag nu.",
        ConsentState.NotYetValid => "Dit mag nog niet. Het begint later.",
        ConsentState.Expired => "Dit is voorbij.",
        ConsentState.Withdrawn => "Je hebt dit gestopt.",
        ConsentState.AwaitingConfirmation => "Je ouder zei ja. Nu ben jij 18. Jij mag kiezen of het zo blijft.",
        ConsentState.RepresentationEnded => "Dit mag niet meer.",
        _ => "Dat weten we niet.",
    };
}

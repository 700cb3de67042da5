using System.Globalization;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Web.Text;

/// <summary>
/// The words the pages use for the hub's codes, in plain Dutch, and times in the reader's zone. A code without a word
/// here shows as "onbekend" rather than as a code.
/// </summary>
public static class Dutch
{
    public static readonly CultureInfo Culture = CultureInfo.GetCultureInfo("nl-NL");

    private static readonly Dictionary<string, string> Municipalities = new(StringComparer.Ordinal)
    {
        ["0482"] = "Alblasserdam",
        ["0505"] = "Dordrecht",
        ["0512"] = "Gorinchem",
        ["0523"] = "Hardinxveld-Giessendam",
        ["0531"] = "Hendrik-Ido-Ambacht",
        ["0590"] = "Papendrecht",
        ["0610"] = "Sliedrecht",
        ["0642"] = "Zwijndrecht",
        ["1978"] = "Molenlanden",
    };

    /// <summary>The municipality's name, or "gemeente {code}" for one the app has no name for.</summary>
    public static string Municipality(string code) =>
        Municipalities.TryGetValue(code, out var name) ? name : "gemeente " + code;

    public static string Event(JourneyEventType type) => type switch
    {
        JourneyEventType.ClientRegistered => "Aangemeld bij de keten",
        JourneyEventType.CoachAssigned => "Coach gekoppeld",
        JourneyEventType.ConsentGranted => "Toestemming gegeven",
        JourneyEventType.ConsentWithdrawn => "Toestemming ingetrokken",
        JourneyEventType.ConsentConfirmed => "Toestemming bevestigd",
        JourneyEventType.CameOfAge => "18 jaar geworden",
        JourneyEventType.ReferralRequested => "Verwijzing gestuurd",
        JourneyEventType.ReferralAccepted => "Verwijzing aangenomen",
        JourneyEventType.ReferralDeclined => "Verwijzing afgewezen",
        JourneyEventType.ReferralStarted => "Hulp begonnen",
        JourneyEventType.ReferralEnded => "Hulp gestopt",
        JourneyEventType.TransitionAnnounced => "Overgang gemeld",
        JourneyEventType.SignalRaised => "Signaal gemeld",
        JourneyEventType.SignalAcknowledged => "Signaal gezien",
        JourneyEventType.SignalEscalated => "Signaal doorgezet",
        JourneyEventType.RoleEnded => "Organisatie niet meer betrokken",
        JourneyEventType.ClientFactsCorrected => "Gegevens verbeterd",
        JourneyEventType.MunicipalityChanged => "Verhuisd naar een andere gemeente",
        JourneyEventType.RepresentativeRecorded => "Vertegenwoordiger vastgelegd",
        JourneyEventType.RepresentativeEnded => "Vertegenwoordiging gestopt",
        JourneyEventType.AwaitingRetour => "Verwijzing ontvangen, antwoord van de organisatie volgt",
        JourneyEventType.RetourOverdue => "Geen antwoord van de organisatie op tijd",
        _ => "Onbekende gebeurtenis",
    };

    public static string Task(TaskKind kind) => kind switch
    {
        TaskKind.ConfirmConsents => "Toestemming van een ouder nakijken met de cliënt (18 jaar)",
        TaskKind.Handover => "Cliënt overdragen aan de nieuwe coach",
        TaskKind.CheckClientFacts => "Geboortedatum of gemeente nakijken",
        TaskKind.CorrectionRequested => "De cliënt vraagt om een verbetering: bespreek het samen",
        TaskKind.RetourOverdue => "Geen antwoord op een verwijzing: vraag het na bij de organisatie",
        _ => "Onbekende taak",
    };

    public static string Severity(SignalSeverity severity) => severity switch
    {
        SignalSeverity.Info => "ter informatie",
        SignalSeverity.Concern => "zorg",
        SignalSeverity.Urgent => "dringend",
        SignalSeverity.Crisis => "crisis",
        _ => "onbekend",
    };

    public static string Domain(LifeDomain domain) => domain switch
    {
        LifeDomain.Care => "zorg",
        LifeDomain.Housing => "wonen",
        LifeDomain.Finances => "geld",
        LifeDomain.Safety => "veiligheid",
        LifeDomain.Parenting => "opvoeding",
        LifeDomain.Work => "werk",
        LifeDomain.Education => "school",
        _ => "onbekend",
    };

    public static string Purpose(Purpose purpose) => purpose switch
    {
        Contracts.V1.Purpose.Coaching => "begeleiding door de coach",
        Contracts.V1.Purpose.CareDelivery => "hulp geven",
        Contracts.V1.Purpose.Transition => "een overgang regelen",
        Contracts.V1.Purpose.SignalFollowUp => "signalen oppakken",
        Contracts.V1.Purpose.IncomeAndParticipation => "inkomen en werk",
        Contracts.V1.Purpose.Coordination => "samenwerken aan één plan",
        _ => "onbekend",
    };

    public static string Service(ServiceKind service) => service switch
    {
        ServiceKind.WaakvlamSupport => "waakvlam-begeleiding",
        ServiceKind.IndividualGuidance => "individuele begeleiding",
        ServiceKind.DayActivities => "dagbesteding",
        ServiceKind.ShelteredHousing => "beschermd wonen",
        ServiceKind.HouseholdHelp => "hulp in het huishouden",
        ServiceKind.DebtCounselling => "schuldhulp",
        ServiceKind.ParticipationWork => "werk en meedoen",
        _ => "onbekend",
    };

    public static string PerformerStatus(PerformerStatus status) => status switch
    {
        Contracts.V1.PerformerStatus.Requested => "gevraagd",
        Contracts.V1.PerformerStatus.Accepted => "aangenomen",
        Contracts.V1.PerformerStatus.Started => "begonnen",
        Contracts.V1.PerformerStatus.Declined => "afgewezen",
        Contracts.V1.PerformerStatus.Ended => "gestopt",
        _ => "onbekend",
    };

    public static string SignalKind(SignalKind kind) => kind switch
    {
        Contracts.V1.SignalKind.PaymentArrears => "betalingsachterstand",
        Contracts.V1.SignalKind.RentArrears => "huurachterstand",
        Contracts.V1.SignalKind.EvictionRisk => "dreigende uitzetting",
        Contracts.V1.SignalKind.MissedContacts => "afspraken gemist",
        Contracts.V1.SignalKind.SchoolAbsence => "verzuim op school",
        Contracts.V1.SignalKind.IncomeStopped => "inkomen gestopt",
        Contracts.V1.SignalKind.HealthCrisis => "crisis in de gezondheid",
        Contracts.V1.SignalKind.SafetyConcern => "zorg om veiligheid",
        Contracts.V1.SignalKind.SocialIsolation => "eenzaamheid",
        _ => "onbekend",
    };

    public static string TransitionKind(TransitionKind kind) => kind switch
    {
        Contracts.V1.TransitionKind.SchoolLeaver18 => "van school af op 18",
        Contracts.V1.TransitionKind.ScaleUp => "meer hulp",
        Contracts.V1.TransitionKind.ScaleDown => "minder hulp",
        Contracts.V1.TransitionKind.ProviderChange => "andere zorgaanbieder",
        Contracts.V1.TransitionKind.Relocation => "verhuizing",
        Contracts.V1.TransitionKind.SupportEnded => "hulp gestopt",
        _ => "onbekend",
    };

    /// <summary>What a recipient would get, in words.</summary>
    public static string Outcome(RecipientOutcome outcome) => outcome switch
    {
        RecipientOutcome.Content => "krijgt de inhoud",
        RecipientOutcome.ThinNotice => "krijgt alleen een seintje dat er iets is, zonder inhoud",
        RecipientOutcome.AwaitingConsent => "krijgt het pas als er toestemming is",
        RecipientOutcome.Blocked => "krijgt niets",
        _ => "onbekend",
    };

    public static string Level(PilotLevel level) => level switch
    {
        PilotLevel.All => "Iedereen",
        PilotLevel.Under18 => "Jongeren onder de 18",
        PilotLevel.Adult => "18 jaar en ouder",
        _ => "onbekend",
    };

    /// <summary>A count of the pilot report: the number, or "&lt;5" (the threshold) for a hidden one.</summary>
    public static string Count(PilotCount? count, int threshold) =>
        count is null ? "–" : count.Suppressed ? "<" + threshold.ToString(Culture) : count.Value.ToString("N0", Culture);

    /// <summary>A range of durations, short: "&lt;1u", "4-24u", "1-3d", "7d+" (hours below a day, days from a day).</summary>
    public static string Range(Google.Protobuf.WellKnownTypes.Duration? lower, Google.Protobuf.WellKnownTypes.Duration? upper)
    {
        var from = lower?.ToTimeSpan() ?? TimeSpan.Zero;
        var to = upper?.ToTimeSpan();
        var inDays = (to ?? from) > TimeSpan.FromHours(24);
        string N(TimeSpan t) => (inDays ? t.TotalDays : t.TotalHours).ToString("0.#", Culture);
        var unit = inDays ? "d" : "u";
        return to is null ? N(from) + unit + "+" : from == TimeSpan.Zero ? "<" + N(to.Value) + unit : N(from) + "-" + N(to.Value) + unit;
    }

    /// <summary>A share as a percentage, or "verborgen" for a hidden one.</summary>
    public static string Share(PilotShare? share) =>
        share is null ? "–" : share.Suppressed ? "verborgen" : share.Value.ToString("P0", Culture);

    /// <summary>A duration in days or hours, rounded, or "verborgen".</summary>
    public static string Duration(Google.Protobuf.WellKnownTypes.Duration? duration, bool suppressed)
    {
        if (suppressed)
        {
            return "verborgen";
        }

        if (duration is null)
        {
            return "–";
        }

        var span = duration.ToTimeSpan();
        return span.TotalDays >= 2 ? $"{span.TotalDays.ToString("F0", Culture)} dagen" : $"{span.TotalHours.ToString("F1", Culture)} uur";
    }

    public static string Purposes(IEnumerable<Purpose> purposes) => string.Join(", ", purposes.Select(Purpose));

    public static string ConsentState(ConsentState state) => state switch
    {
        Contracts.V1.ConsentState.Active => "geldt",
        Contracts.V1.ConsentState.NotYetValid => "geldt nog niet",
        Contracts.V1.ConsentState.Expired => "afgelopen",
        Contracts.V1.ConsentState.Withdrawn => "ingetrokken",
        Contracts.V1.ConsentState.AwaitingConfirmation => "wacht op bevestiging",
        Contracts.V1.ConsentState.RepresentationEnded => "vertegenwoordiging gestopt",
        _ => "onbekend",
    };

    public static string Date(Google.Type.Date? date) =>
        date is null ? string.Empty : new DateOnly(date.Year, date.Month, date.Day).ToString("d MMMM yyyy", Culture);

    /// <summary>A moment in <paramref name="zone"/>, with the zone: "ma 8 juni 2026 10:00 CEST" (or "UTC+02:00" for zones without a known abbreviation).</summary>
    public static string Time(Google.Protobuf.WellKnownTypes.Timestamp? time, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        if (time is null)
        {
            return string.Empty;
        }

        var local = TimeZoneInfo.ConvertTime(time.ToDateTimeOffset(), zone);
        return local.ToString("ddd d MMMM yyyy HH:mm", Culture) + " " + ZoneLabel(zone, local);
    }

    /// <summary>The machine-readable form of a moment, for the <c>datetime</c> attribute of <c>time</c>.</summary>
    public static string IsoTime(Google.Protobuf.WellKnownTypes.Timestamp? time) =>
        time is null ? string.Empty : time.ToDateTimeOffset().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    private static string ZoneLabel(TimeZoneInfo zone, DateTimeOffset local)
    {
        if (zone.Id is "Europe/Amsterdam" or "W. Europe Standard Time")
        {
            return zone.IsDaylightSavingTime(local) ? "CEST" : "CET";
        }

        var offset = local.Offset;
        return "UTC" + (offset < TimeSpan.Zero ? "-" : "+") + offset.ToString(@"hh\:mm", CultureInfo.InvariantCulture);
    }

    /// <summary>The age a person born on <paramref name="birthDate"/> is on <paramref name="today"/>.</summary>
    public static int Age(Google.Type.Date birthDate, DateOnly today)
    {
        ArgumentNullException.ThrowIfNull(birthDate);
        var born = new DateOnly(birthDate.Year, birthDate.Month, birthDate.Day);
        var age = today.Year - born.Year;
        return today < born.AddYears(age) ? age - 1 : age;
    }
}

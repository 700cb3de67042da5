using System.Globalization;
using System.Text;
using System.Text.Json;
using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Consent;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Messages;
using Ketenhub.Hub.Parties;
using Ketenhub.Hub.Routing;
using Ketenhub.Hub.Storage;

namespace Ketenhub.Hub.Audit;

/// <summary>One line of an access report: plain Dutch, and the organisation and moment it is about.</summary>
/// <param name="PartyId">The organisation the line is about, if one.</param>
/// <param name="Time">The moment the line is about, if one.</param>
/// <param name="Text">The line in plain Dutch (B1): short sentences, no codes.</param>
public sealed record AccessReportLine(string? PartyId, DateTimeOffset? Time, string Text)
{
    /// <summary>Who sent what the line is about (a party id); null when the hub sent it, or on lines about no message.</summary>
    public string? SenderId { get; init; }
}

/// <summary>
/// A client's access report (AVG article 15): what organisations received about the client, when and why; what
/// was not shared; who looked at the client's data; and the client's consents. <see cref="Text"/> is the whole
/// report in plain Dutch, for the coach to go through with the client.
/// </summary>
public sealed record AccessReport(
    ClientSummary Client,
    DateTimeOffset CreateTime,
    IReadOnlyList<AccessReportLine> Received,
    IReadOnlyList<AccessReportLine> NotShared,
    IReadOnlyList<AccessReportLine> Viewed,
    IReadOnlyList<AccessReportLine> ActiveConsents,
    IReadOnlyList<AccessReportLine> OtherConsents,
    string Text);

/// <summary>
/// Builds access reports. Who may ask: the client's current coach's organisation, a party with a current role
/// and a consent for coaching (the journey's rule), and a privacy officer. Asking is audited like any read.
/// </summary>
public sealed class AccessReports(
    PartyDirectory parties,
    ConsentEvaluator evaluator,
    ClientRepresentatives representatives,
    AuditTrail audit,
    TimeProvider time)
{
    private const int PageSize = 1000;

    public Task<AccessReport> GetAsync(Actor actor, string? clientName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var caller = actor.Party;
        var note = audit.Note(caller, "GetClientAccessReport", AuditAction.Read);
        return audit.ReadAsync(
            note,
            session =>
            {
                var now = time.GetUtcNow();
                var client = ClientContexts.RequireClient(session, clientName, "client");
                note.About(client.Id);
                var context = ClientContexts.Load(session, client, now);
                Authorise(actor, client, context, now, note);
                return Build(session, client, context, now);
            },
            cancellationToken);
    }

    /// <summary>The client's own access report, for the client themselves.</summary>
    public Task<AccessReport> GetForClientAsync(Citizen citizen, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(citizen);
        var note = audit.CitizenNote(citizen, "GetClientAccessReport", AuditAction.Read);
        return audit.ReadAsync(
            note,
            session =>
            {
                var now = time.GetUtcNow();
                var client = session.FindClient(citizen.ClientId) ?? throw HubException.NotFound(ErrorReasons.ClientNotFound, "The client");
                return Build(session, client, ClientContexts.Load(session, client, now), now);
            },
            cancellationToken);
    }

    private void Authorise(Actor actor, ClientRecord client, ClientContext context, DateTimeOffset now, AuditNote note)
    {
        if (actor.HasRole(AuditTrail.PrivacyOfficerRole))
        {
            note.Check(AuditCheckKind.Authorisation, "ROLE:" + AuditTrail.PrivacyOfficerRole);
            return;
        }

        var partyId = actor.Party.Id;
        if (context.Coach?.Coach.PartyId == partyId)
        {
            note.Relationship(context, partyId, now).For(AuditChecks.Code(Purpose.Coaching));
            return;
        }

        if (!ClientContexts.HasCurrentRole(context, partyId, now))
        {
            throw HubException.Denied(ErrorReasons.AccessReportNotAllowed, "Only the coach's organisation, a party with a current role and a consent for coaching, or a privacy officer may read a client's access report.");
        }

        var evaluation = evaluator.Evaluate(context.Consents, client, new ConsentRequirement(actor.Party, Purpose.Coaching, []), now);
        if (evaluation.Verdict != ConsentVerdict.Covered)
        {
            throw HubException.Denied(ErrorReasons.AccessReportNotAllowed, "Only the coach's organisation, a party with a current role and a consent for coaching, or a privacy officer may read a client's access report.");
        }

        note.Relationship(context, partyId, now).Check(AuditCheckKind.Consent, evaluation.Consent!.Name).For(AuditChecks.Code(Purpose.Coaching));
    }

    private AccessReport Build(IHubSession session, ClientRecord client, ClientContext context, DateTimeOffset now)
    {
        var consents = context.Consents.ToDictionary(c => c.Id, StringComparer.Ordinal);
        var messages = new Dictionary<string, object?>(StringComparer.Ordinal);
        var received = new List<AccessReportLine>();
        var notShared = new List<AccessReportLine>();
        foreach (var delivery in AllDeliveries(session, client.Id))
        {
            var what = Dutch.What(DeliveryQueue.LoadPayload(session, delivery, messages), parties);
            var who = PartyName(delivery.Recipient);
            var sent = delivery.Status == DeliveryStatus.Acknowledged || delivery.AttemptCount > 0;
            if (sent)
            {
                var when = delivery.AckTime ?? delivery.UpdateTime;
                received.Add(new AccessReportLine(delivery.Recipient, when, $"Op {Dutch.Date(when)} kreeg {who} {what}. {Dutch.Why(delivery.Decision, consents)}") { SenderId = SenderOf(delivery) });
            }
            else if (delivery.Status is DeliveryStatus.Withheld or DeliveryStatus.Expired or DeliveryStatus.AwaitingConsent)
            {
                notShared.Add(new AccessReportLine(delivery.Recipient, delivery.CreateTime, $"Op {Dutch.Date(delivery.CreateTime)} was er {what} voor {who}. {Dutch.WhyNot(delivery)}") { SenderId = SenderOf(delivery) });
            }
        }

        var viewed = Viewed(session, client.Id);
        var active = new List<AccessReportLine>();
        var other = new List<AccessReportLine>();
        foreach (var consent in context.Consents.OrderBy(c => c.Start))
        {
            var state = evaluator.StateOf(consent, client, now);
            var recipient = consent.RecipientParty is { } party ? PartyName(party) : Dutch.Kind(consent.RecipientKind);
            // A representative's consent names the representative, so the client sees who decided for them.
            var representative = client.Representations.FirstOrDefault(r => r.Id == consent.RepresentationId) is { } representation
                ? representatives.Open(client.Id, representation)
                : null;
            var line = new AccessReportLine(consent.RecipientParty, consent.Start, Dutch.Consent(consent, state, recipient, representative));
            (state == ConsentState.Active ? active : other).Add(line);
        }

        var report = new AccessReport(ClientSummary.From(client, now), now, received, notShared, viewed, active, other, string.Empty);
        return report with { Text = Dutch.Text(report) };
    }

    /// <summary>Reads of the client's data by organisations, from the audit trail: how often each looked, and when last.</summary>
    private static string? SenderOf(DeliveryRecord delivery) => delivery.Sender == AuditTrail.HubParty ? null : delivery.Sender;

    private List<AccessReportLine> Viewed(IHubSession session, string clientId)
    {
        var pseudonym = audit.PseudonymOf(clientId);
        var looks = new Dictionary<string, (int Count, DateTimeOffset Last)>(StringComparer.Ordinal);
        long after = 0;
        while (true)
        {
            var page = session.ListAuditRecords(new AuditQuery(after, PageSize, ClientPseudonym: pseudonym));
            foreach (var record in page)
            {
                var auditEvent = AuditChain.Open(record).Event;
                after = record.Sequence;

                // Deliveries are in the report already; a party listing its own deliveries looks at nothing new.
                if (auditEvent.Action != AuditAction.Read || auditEvent.Outcome != AuditOutcome.Success
                    || auditEvent.ActorParty == AuditTrail.HubParty || auditEvent.ActorParty.StartsWith(AuditTrail.CitizenPartyPrefix, StringComparison.Ordinal)
                    || auditEvent.EventType is AuditTrail.DeliverContent or "ListDeliveries")
                {
                    continue;
                }

                looks[auditEvent.ActorParty] = looks.TryGetValue(auditEvent.ActorParty, out var seen)
                    ? (seen.Count + 1, auditEvent.Time > seen.Last ? auditEvent.Time : seen.Last)
                    : (1, auditEvent.Time);
            }

            if (page.Count < PageSize)
            {
                break;
            }
        }

        return [.. looks.OrderBy(l => l.Value.Last).Select(l => new AccessReportLine(
            l.Key,
            l.Value.Last,
            $"{PartyName(l.Key)} heeft {l.Value.Count} keer gegevens over jou bekeken. De laatste keer was op {Dutch.Date(l.Value.Last)}."))];
    }

    private static IEnumerable<DeliveryRecord> AllDeliveries(IHubSession session, string clientId)
    {
        long after = 0;
        while (true)
        {
            var page = session.ListDeliveries(new DeliveryQuery(ClientId: clientId, AfterSequence: after, Limit: PageSize));
            foreach (var delivery in page)
            {
                yield return delivery;
            }

            if (page.Count < PageSize)
            {
                yield break;
            }

            after = page[^1].Sequence;
        }
    }

    private string PartyName(string partyId) => parties.Find(partyId)?.DisplayName ?? "een organisatie";

    /// <summary>The report's words. Short sentences, everyday words, no codes (B1).</summary>
    private static class Dutch
    {
        private static readonly string[] Months =
            ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"];

        public static string Date(DateTimeOffset instant)
        {
            var date = DutchTime.DateOf(instant);
            return $"{date.Day} {Months[date.Month - 1]} {date.Year}";
        }

        public static string What(object? payload, PartyDirectory parties) => payload switch
        {
            ReferralRecord r => "een aanvraag voor " + Service(r.Service),
            TransitionRecord t => Transition(t.Kind),
            SignalRecord s => "een melding over zorgen over " + Domain(s.Domain),
            ThinNoticePayload n => $"een kort bericht zonder details: {parties.Find(n.ContactParty)?.DisplayName ?? "een organisatie"} wil contact over {Domain(n.Domain)}",
            CoachTaskPayload { Kind: TaskKind.ConfirmConsents } => "een taak voor je coach: samen met jou je toestemmingen bespreken",
            CoachTaskPayload { Kind: TaskKind.CheckClientFacts } => "een taak: nakijken of je geboortedatum en gemeente kloppen",
            CoachTaskPayload { Kind: TaskKind.RetourOverdue } => "een taak: navragen waarom een zorgaanbieder of gemeente niet antwoordde op je aanvraag",
            CoachTaskPayload => "een taak voor je vorige coach: jou overdragen aan je nieuwe coach",
            ReferralUpdatePayload u => "nieuws over je aanvraag voor " + Service(u.Service),
            _ => "informatie over jou",
        };

        public static string Why(Decision decision, Dictionary<string, ConsentRecord> consents)
        {
            if (decision.ConsentId is { } id && consents.TryGetValue(id, out var consent))
            {
                return $"Dat mocht, omdat {Grantor(consent.Grantor)} toestemming gaf op {Date(consent.Start)}.";
            }

            if (decision.LegalBasisRuleId is not null)
            {
                return "Dat mag volgens de wet, ook zonder toestemming.";
            }

            if (decision.Outcome == RecipientOutcome.ThinNotice)
            {
                return "Daar is geen toestemming voor nodig, want er stond niets over jou in.";
            }

            return decision.Reason == DecisionReasons.HubTask
                ? "Dat hoort bij het werk van je coach."
                : "Dat mocht volgens de afspraken van de organisaties.";
        }

        public static string WhyNot(DeliveryRecord delivery) => delivery.Status switch
        {
            DeliveryStatus.AwaitingConsent when delivery.Decision.Reason == DecisionReasons.ParentConsentUnconfirmed =>
                "Het is nog niet gestuurd. Het wacht tot jij de toestemming van je ouder bevestigt.",
            DeliveryStatus.AwaitingConsent => "Het is nog niet gestuurd. Het wacht op jouw toestemming.",
            DeliveryStatus.Expired => "Het is niet gestuurd. Er kwam geen toestemming, dus het is vervallen.",
            _ when delivery.Decision.Reason == DecisionReasons.ConsentWithdrawn => "Het is niet gestuurd, omdat de toestemming is gestopt.",
            _ => "Het is niet gestuurd, omdat er geen toestemming was.",
        };

        public static string Consent(ConsentRecord consent, ConsentState state, string recipient, string? representative)
        {
            var text = new StringBuilder();
            text.Append(Capital(Grantor(consent.Grantor)));
            if (representative is not null)
            {
                text.Append(' ').Append(representative);
            }

            text.Append(" gaf ").Append(recipient).Append(" toestemming op ").Append(Date(consent.Start)).Append(". ");
            text.Append("Zij mogen dit weten: ").Append(string.Join(", ", consent.Categories.Select(Category))).Append(". ");
            text.Append("Dit is ").Append(string.Join(" en ", consent.Purposes.Select(PurposeText))).Append(". ");
            text.Append(state switch
            {
                ConsentState.Active when consent.End is { } end => $"Deze toestemming geldt nu, tot {Date(end)}.",
                ConsentState.Active => "Deze toestemming geldt nu.",
                ConsentState.AwaitingConfirmation => "Deze toestemming telt niet meer, omdat je 18 bent. Je kunt hem zelf bevestigen met je coach.",
                ConsentState.RepresentationEnded => "Deze toestemming telt niet meer, omdat deze persoon niet meer voor jou mag beslissen.",
                ConsentState.Withdrawn => $"Deze toestemming is gestopt op {Date(consent.WithdrawTime!.Value)}.",
                ConsentState.Expired => $"Deze toestemming is afgelopen op {Date(consent.End!.Value)}.",
                ConsentState.NotYetValid => $"Deze toestemming begint op {Date(consent.Start)}.",
                _ => string.Empty,
            });
            if (consent.ConfirmTime is { } confirmed)
            {
                text.Append(" Je hebt hem zelf bevestigd op ").Append(Date(confirmed)).Append('.');
            }

            return text.ToString().TrimEnd();
        }

        public static string Kind(PartyKind kind) => kind switch
        {
            PartyKind.School => "alle scholen",
            PartyKind.SocialService => "de sociale dienst",
            PartyKind.Municipality => "de gemeente",
            PartyKind.CareProvider => "alle organisaties die hulp geven",
            PartyKind.Wijkteam => "het wijkteam",
            _ => "organisaties",
        };

        public static string Text(AccessReport report)
        {
            var text = new StringBuilder();
            text.AppendLine("Wie weet wat over jou?");
            text.AppendLine(CultureInfo.InvariantCulture, $"Overzicht van {Date(report.CreateTime)}.");
            text.AppendLine();
            text.AppendLine("Dit overzicht laat zien welke organisaties iets over jou kregen. Je ziet ook waarom dat mocht. En je ziet welke toestemming je hebt gegeven.");
            Section(text, "Wat kregen organisaties over jou?", report.Received, "Er is nog niets over jou gedeeld.");
            if (report.NotShared.Count > 0)
            {
                Section(text, "Wat is niet gedeeld?", report.NotShared, string.Empty);
            }

            Section(text, "Wie keek naar je gegevens?", report.Viewed, "Niemand heeft je gegevens bekeken.");
            Section(text, "Welke toestemming geldt nu?", report.ActiveConsents, "Er geldt nu geen toestemming.");
            if (report.OtherConsents.Count > 0)
            {
                Section(text, "Toestemming die nu niet geldt", report.OtherConsents, string.Empty);
            }

            text.AppendLine();
            text.AppendLine("Heb je vragen? Praat erover met je coach.");
            text.AppendLine("Je mag een toestemming altijd stoppen. Je mag ook vragen om iets te verbeteren.");
            return text.ToString();
        }

        private static void Section(StringBuilder text, string title, IReadOnlyList<AccessReportLine> lines, string empty)
        {
            text.AppendLine();
            text.AppendLine(title);
            if (lines.Count == 0)
            {
                text.AppendLine(empty);
                return;
            }

            foreach (var line in lines)
            {
                text.Append("- ").AppendLine(line.Text);
            }
        }

        private static string Grantor(GrantorRole grantor) => grantor switch
        {
            GrantorRole.Client => "jij",
            GrantorRole.Parent => "je ouder",
            GrantorRole.Mentor => "je mentor",
            GrantorRole.Curator => "je curator",
            GrantorRole.Guardian => "je voogd",
            GrantorRole.Administrator => "je bewindvoerder",
            _ => "iemand",
        };

        private static string Capital(string text) => char.ToUpperInvariant(text[0]) + text[1..];

        private static string Service(ServiceKind service) => service switch
        {
            ServiceKind.WaakvlamSupport => "steun van een vaste coach",
            ServiceKind.IndividualGuidance => "begeleiding",
            ServiceKind.DayActivities => "dagbesteding",
            ServiceKind.ShelteredHousing => "beschermd wonen",
            ServiceKind.HouseholdHelp => "hulp in het huishouden",
            ServiceKind.DebtCounselling => "hulp bij schulden",
            ServiceKind.ParticipationWork => "hulp bij werk",
            ServiceKind.YouthCare => "jeugdhulp",
            _ => "hulp",
        };

        private static string Transition(TransitionKind kind) => kind switch
        {
            TransitionKind.SchoolLeaver18 => "informatie over je overstap na school",
            TransitionKind.ScaleUp => "informatie over meer hulp voor jou",
            TransitionKind.ScaleDown => "informatie over minder hulp voor jou",
            TransitionKind.ProviderChange => "informatie over je overstap naar een andere organisatie",
            TransitionKind.Relocation => "informatie over je verhuizing",
            TransitionKind.SupportEnded => "informatie over het stoppen van je hulp",
            _ => "informatie over een verandering",
        };

        private static string Domain(LifeDomain domain) => domain switch
        {
            LifeDomain.Care => "je gezondheid",
            LifeDomain.Housing => "wonen",
            LifeDomain.Finances => "geld",
            LifeDomain.Safety => "veiligheid",
            LifeDomain.Parenting => "opvoeden",
            LifeDomain.Work => "werk",
            LifeDomain.Education => "school",
            _ => "hoe het met je gaat",
        };

        private static string Category(DataCategory category) => category switch
        {
            DataCategory.ContactDetails => "hoe ze je kunnen bereiken",
            DataCategory.SupportPlan => "je plan voor hulp",
            DataCategory.Finances => "geld",
            DataCategory.Housing => "wonen",
            DataCategory.Health => "gezondheid",
            DataCategory.Education => "school",
            DataCategory.Work => "werk",
            DataCategory.Safety => "veiligheid",
            DataCategory.Family => "je gezin",
            _ => "andere gegevens",
        };

        private static string PurposeText(Purpose purpose) => purpose switch
        {
            Common.Purpose.Coaching => "voor steun van je coach",
            Common.Purpose.CareDelivery => "om je hulp te geven",
            Common.Purpose.Transition => "voor je overstap",
            Common.Purpose.SignalFollowUp => "om te helpen als er zorgen zijn",
            Common.Purpose.IncomeAndParticipation => "voor inkomen en werk",
            _ => "voor je hulp",
        };
    }
}

using System.Text.Json;
using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Integration;

/// <summary>Explain before send: the decisions a submit would make, why, and nothing stored.</summary>
public sealed class ExplainTests : IDisposable
{
    private readonly HubFactory _hub = new();
    private readonly PartyClient _sdd;
    private readonly PartyClient _waakvlam;
    private readonly PartyClient _plus;
    private readonly PartyClient _brug;
    private readonly PartyClient _school;

    public ExplainTests()
    {
        _sdd = _hub.As("sdd");
        _waakvlam = _hub.As("waakvlam-zorg");
        _plus = _hub.As("begeleiding-plus");
        _brug = _hub.As("dagbesteding-de-brug");
        _school = _hub.As("hans-petrischool");
    }

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task ExplainingDrafts_StoresNothing_AndGivesTheDecisionsTheSubmitThenGives()
    {
        var client = await Kit.ClientWithCoachAsync(_waakvlam);
        await _waakvlam.GrantAsync(client.Name, GrantorRole.Client, "waakvlam-zorg", [Purpose.Coaching, Purpose.SignalFollowUp], [DataCategory.SupportPlan, DataCategory.ContactDetails, DataCategory.Finances]);
        await _waakvlam.GrantAsync(client.Name, GrantorRole.Client, "begeleiding-plus", [Purpose.Transition], [DataCategory.SupportPlan, DataCategory.ContactDetails]);
        var signal = Kit.Signal(client.Name, severity: SignalSeverity.Crisis);
        var referral = Kit.CareReferral(client.Name, "begeleiding-plus");
        var transition = new Transition
        {
            Client = client.Name,
            Kind = TransitionKind.ScaleUp,
            FromParty = "parties/waakvlam-zorg",
            ToParty = "parties/begeleiding-plus",
            EffectiveDate = Date(2026, 2, 1),
            HandoverSummary = "Good at keeping appointments.",
        };

        var journeyBefore = await Kit.JourneyAsync(_waakvlam, client.Name);
        var explainedSignal = await _sdd.Explain.ExplainMessageAsync(new ExplainMessageRequest { Signal = signal.Signal });
        var explainedReferral = await _sdd.Explain.ExplainMessageAsync(new ExplainMessageRequest { Referral = referral });
        var explainedTransition = await _sdd.Explain.ExplainMessageAsync(new ExplainMessageRequest { Transition = transition });

        // Nothing stored: the journey is the same and nobody has a delivery.
        Assert.Equal(journeyBefore, await Kit.JourneyAsync(_waakvlam, client.Name));
        foreach (var party in new[] { _sdd, _waakvlam, _plus, _brug, _hub.As("wijkteam-zwijndrecht") })
        {
            Assert.Empty(await Kit.DeliveriesAsync(party));
        }

        Assert.All(explainedSignal.Decisions.Concat(explainedReferral.Decisions).Concat(explainedTransition.Decisions), d => Assert.Equal(string.Empty, d.Delivery));
        Assert.Equal((MessageType.Signal, MessageType.Referral, MessageType.Transition), (explainedSignal.MessageType, explainedReferral.MessageType, explainedTransition.MessageType));

        // The submits decide exactly the same, and each decision now names its delivery.
        var raised = await _sdd.Signals.CreateSignalAsync(signal);
        Assert.Equal(explainedSignal.Decisions, raised.Decisions.Select(Kit.WithoutDelivery));
        Assert.All(raised.Decisions, d => Assert.StartsWith("deliveries/", d.Delivery, StringComparison.Ordinal));

        var created = await _sdd.Referrals.CreateReferralAsync(new CreateReferralRequest { RequestId = NewRequestId(), Referral = referral });
        Assert.Equal(explainedReferral.Decisions, created.Decisions.Select(Kit.WithoutDelivery));

        var announced = await _sdd.Transitions.CreateTransitionAsync(new CreateTransitionRequest { RequestId = NewRequestId(), Transition = transition });
        Assert.Equal(explainedTransition.Decisions, announced.Decisions.Select(Kit.WithoutDelivery));

        // The explanation covers every kind of outcome here: content by consent, a legal basis, waiting.
        Assert.Contains(explainedSignal.Decisions, d => d.Reason == "CONSENT_ACTIVE");
        Assert.Contains(explainedReferral.Decisions, d => d.Reason == "LEGAL_BASIS");
        Assert.Contains(explainedTransition.Decisions, d => d.Outcome == RecipientOutcome.Content);
    }

    [Fact]
    public async Task ExplainingATransitionThatChangesTheCoach_NamesTheNewCoach_AsTheSubmitDoes()
    {
        var client = await Kit.ClientWithCoachAsync(_waakvlam);
        await _waakvlam.GrantAsync(client.Name, GrantorRole.Client, "begeleiding-plus", [Purpose.Coaching, Purpose.Transition], [DataCategory.SupportPlan, DataCategory.ContactDetails]);
        var transition = new Transition
        {
            Client = client.Name,
            Kind = TransitionKind.ScaleUp,
            FromParty = "parties/waakvlam-zorg",
            ToParty = "parties/dagbesteding-de-brug",
            EffectiveDate = Date(2026, 2, 1),
            CoachAfter = Kit.Coach("begeleiding-plus", "piet", "Piet"),
        };

        var explained = await _sdd.Explain.ExplainMessageAsync(new ExplainMessageRequest { Transition = transition });
        var announced = await _sdd.Transitions.CreateTransitionAsync(new CreateTransitionRequest { RequestId = NewRequestId(), Transition = transition });

        Assert.Equal("piet", announced.Transition.Coach.CoachId);
        var toNewCoach = Assert.Single(announced.Decisions, d => d.Recipient == "parties/begeleiding-plus");
        Assert.Contains("coach-continuity", toNewCoach.RuleIds);
        Assert.Equal(explained.Decisions, announced.Decisions.Select(Kit.WithoutDelivery));
    }

    [Fact]
    public async Task ExplainingATransitionThatTakesEffectToday_SeesTheRolesAsTheSubmitDoes()
    {
        // Begeleiding Plus delivers care today; the client moves to De Brug as of today.
        var client = await Kit.ClientWithCoachAsync(_waakvlam);
        await StartCareAsync(client.Name, "begeleiding-plus", _plus);
        var transition = new Transition
        {
            Client = client.Name,
            Kind = TransitionKind.ProviderChange,
            FromParty = "parties/begeleiding-plus",
            ToParty = "parties/dagbesteding-de-brug",
            EffectiveDate = Date(2026, 1, 5),
        };

        var explained = await _waakvlam.Explain.ExplainMessageAsync(new ExplainMessageRequest { Transition = transition });
        var announced = await _waakvlam.Transitions.CreateTransitionAsync(new CreateTransitionRequest { RequestId = NewRequestId(), Transition = transition });

        Assert.Equal(explained.Decisions, announced.Decisions.Select(Kit.WithoutDelivery));
    }

    [Fact]
    public async Task WithoutConsent_TheExplanationSaysSo_NamingTheParty()
    {
        // A student of the Hans Petrischool turning 18; nobody has consented to anything yet.
        var client = await _school.RegisterAsync(Kit.NewBsn(), Date(2008, 3, 1), "0505", "parties/hans-petrischool");
        await _waakvlam.AssignCoachAsync(client.Name, "lisa", "Lisa");
        await StartCareAsync(client.Name, "begeleiding-plus", _plus);
        var transition = new Transition
        {
            Client = client.Name,
            Kind = TransitionKind.SchoolLeaver18,
            FromParty = "parties/hans-petrischool",
            ToParty = "parties/sdd",
            EffectiveDate = Date(2026, 7, 1),
        };

        var explained = await _school.Explain.ExplainMessageAsync(new ExplainMessageRequest { Transition = transition });

        Assert.Equal(
            ["school-leaver-to-social-service", "transition-to-receiving-party", "transition-to-current-providers"],
            explained.MatchedRules.Select(r => r.RuleId));
        var toSdd = Assert.Single(explained.Decisions, d => d.Recipient == "parties/sdd");
        Assert.Equal((RecipientOutcome.AwaitingConsent, "NO_CONSENT"), (toSdd.Outcome, toSdd.Reason));
        Assert.Equal(["school-leaver-to-social-service", "transition-to-receiving-party"], toSdd.RuleIds);
        Assert.Contains("parties/sdd", toSdd.Explanation, StringComparison.Ordinal);
        Assert.Contains("waits for consent", toSdd.Explanation, StringComparison.Ordinal);
        Assert.Equal(string.Empty, toSdd.Consent);

        var toProvider = Assert.Single(explained.Decisions, d => d.Recipient == "parties/begeleiding-plus");
        Assert.Equal((RecipientOutcome.Blocked, "NO_CONSENT"), (toProvider.Outcome, toProvider.Reason));
        Assert.Contains("parties/begeleiding-plus", toProvider.Explanation, StringComparison.Ordinal);
        Assert.Contains("nothing is sent", toProvider.Explanation, StringComparison.Ordinal);

        var toCoach = Assert.Single(explained.Decisions, d => d.Recipient == "parties/waakvlam-zorg");
        Assert.Equal((RecipientOutcome.Blocked, "NO_CONSENT", Purpose.Coaching), (toCoach.Outcome, toCoach.Reason, toCoach.Purpose));
        Assert.Equal(["coach-continuity"], toCoach.RuleIds);
        Assert.Contains("parties/waakvlam-zorg", toCoach.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACareReferral_ReachesItsPerformer_OnALegalBasis()
    {
        var client = await Kit.ClientWithCoachAsync(_waakvlam);

        var explained = await _sdd.Explain.ExplainMessageAsync(new ExplainMessageRequest { Referral = Kit.CareReferral(client.Name, "begeleiding-plus") });

        Assert.Equal(["referral-care-to-performers"], explained.MatchedRules.Select(r => r.RuleId));
        var toPerformer = Assert.Single(explained.Decisions, d => d.Recipient == "parties/begeleiding-plus");
        Assert.Equal((RecipientOutcome.Content, "LEGAL_BASIS"), (toPerformer.Outcome, toPerformer.Reason));
        Assert.Equal("referral-care-to-performers", toPerformer.LegalBasisRuleId);
        Assert.Equal(Purpose.CareDelivery, toPerformer.Purpose);
        Assert.Equal(string.Empty, toPerformer.Consent);
        Assert.Contains("parties/begeleiding-plus", toPerformer.Explanation, StringComparison.Ordinal);
        Assert.Contains("legal basis", toPerformer.Explanation, StringComparison.Ordinal);
        Assert.Equal([DataCategory.SupportPlan, DataCategory.ContactDetails, DataCategory.Finances], toPerformer.DataCategories);

        // A referral for participation has no legal basis: it waits for the client's consent.
        var participation = await _sdd.Explain.ExplainMessageAsync(new ExplainMessageRequest { Referral = Kit.CareReferral(client.Name, "sdd", ServiceKind.ParticipationWork) });
        Assert.Equal(["referral-participation-to-performers"], participation.MatchedRules.Select(r => r.RuleId));
        Assert.DoesNotContain(participation.Decisions, d => d.Recipient == "parties/sdd"); // the sender is never its own recipient
    }

    [Fact]
    public async Task ASignalToACoachWithoutConsent_IsAThinNotice_ByRule()
    {
        var client = await Kit.ClientWithCoachAsync(_waakvlam);

        var explained = await _sdd.Explain.ExplainMessageAsync(new ExplainMessageRequest { Signal = Kit.Signal(client.Name, severity: SignalSeverity.Crisis).Signal });

        Assert.Equal(["signal-to-coach", "signal-to-current-providers", "crisis-escalation"], explained.MatchedRules.Select(r => r.RuleId));
        var toCoach = Assert.Single(explained.Decisions);
        Assert.Equal("parties/waakvlam-zorg", toCoach.Recipient);
        Assert.Equal((RecipientOutcome.ThinNotice, "THIN_NOTICE_RULE"), (toCoach.Outcome, toCoach.Reason));
        Assert.Equal(["signal-to-coach", "crisis-escalation", "coach-continuity"], toCoach.RuleIds);
        Assert.Empty(toCoach.DataCategories);
        Assert.Contains("parties/waakvlam-zorg", toCoach.Explanation, StringComparison.Ordinal);
        Assert.Contains("content-free notice", toCoach.Explanation, StringComparison.Ordinal);

        // The crisis rule's deadline and escalation target are part of the explanation.
        Assert.Equal(_hub.Clock.GetUtcNow().AddHours(4), toCoach.AcknowledgeDeadlineTime.ToDateTimeOffset());
        Assert.Equal("parties/wijkteam-zwijndrecht", toCoach.EscalationTarget);
    }

    [Fact]
    public async Task MatchedRules_AreTheRulesOfTheRoutingFile_WithTheirDescriptions()
    {
        var rules = RoutingFileRules();
        var client = await Kit.ClientWithCoachAsync(_waakvlam);
        var drafts = new List<ExplainMessageRequest>
        {
            new() { Signal = Kit.Signal(client.Name, severity: SignalSeverity.Crisis).Signal },
            new() { Referral = Kit.CareReferral(client.Name, "begeleiding-plus") },
            new() { Referral = Kit.CareReferral(client.Name, "begeleiding-plus", ServiceKind.DebtCounselling) },
            new() { Transition = new Transition { Client = client.Name, Kind = TransitionKind.Relocation, EffectiveDate = Date(2026, 3, 1), NewMunicipalityCode = "0512" } },
        };

        var seen = new HashSet<string>();
        foreach (var draft in drafts)
        {
            var explained = await _sdd.Explain.ExplainMessageAsync(draft);
            Assert.NotEmpty(explained.MatchedRules);
            foreach (var rule in explained.MatchedRules)
            {
                Assert.True(rules.TryGetValue(rule.RuleId, out var description), $"Rule '{rule.RuleId}' is not in config/routing.json.");
                Assert.Equal(description, rule.Description);
                seen.Add(rule.RuleId);
            }

            // Every rule a decision cites matched, or is the built-in coach rule.
            foreach (var id in explained.Decisions.SelectMany(d => d.RuleIds))
            {
                Assert.True(id == "coach-continuity" || explained.MatchedRules.Any(r => r.RuleId == id), id);
            }
        }

        Assert.Equal(9, seen.Count);
    }

    [Fact]
    public async Task ExplainingABadDraft_GivesTheSameCodedErrorsAsASubmit()
    {
        var client = await Kit.ClientWithCoachAsync(_waakvlam);

        var error = await Errors.Of(() => _sdd.Explain.ExplainMessageAsync(new ExplainMessageRequest { Signal = Kit.Signal(client.Name, kind: (SignalKind)99).Signal }).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "UNKNOWN_ENUM_VALUE"), (error.Code, error.Reason));
        Assert.Equal(["signal.kind"], error.Fields);

        error = await Errors.Of(() => _sdd.Explain.ExplainMessageAsync(new ExplainMessageRequest { Referral = Kit.CareReferral(client.Name, "nope") }).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "UNKNOWN_PARTY"), (error.Code, error.Reason));
        Assert.Equal(["referral.performers[0].party"], error.Fields);

        error = await Errors.Of(() => _sdd.Explain.ExplainMessageAsync(new ExplainMessageRequest()).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "FIELD_REQUIRED"), (error.Code, error.Reason));
        Assert.Equal(["draft"], error.Fields);

        await Errors.Expect(StatusCode.NotFound, "CLIENT_NOT_FOUND", () => _sdd.Explain.ExplainMessageAsync(new ExplainMessageRequest { Signal = Kit.Signal("clients/cli_nobody").Signal }).ResponseAsync);
    }

    private async Task StartCareAsync(string client, string performer, PartyClient performerClient)
    {
        var referral = await _sdd.Referrals.CreateReferralAsync(new CreateReferralRequest { RequestId = NewRequestId(), Referral = Kit.CareReferral(client, performer) });
        await performerClient.Referrals.AcceptReferralAsync(new AcceptReferralRequest { RequestId = NewRequestId(), Name = referral.Referral.Name });
        await performerClient.Referrals.StartReferralAsync(new StartReferralRequest { RequestId = NewRequestId(), Name = referral.Referral.Name, StartDate = Date(2026, 1, 5) });
    }

    /// <summary>The rule ids and descriptions of the routing file the hub runs with.</summary>
    private static Dictionary<string, string> RoutingFileRules()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "config", "routing.json");
        using var document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        return document.RootElement.GetProperty("rules").EnumerateArray()
            .ToDictionary(r => r.GetProperty("id").GetString()!, r => r.GetProperty("description").GetString()!);
    }
}

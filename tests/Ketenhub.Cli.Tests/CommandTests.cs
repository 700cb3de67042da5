using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Health.V1;
using Ketenhub.Cli.Tests.Infrastructure;
using Ketenhub.Contracts;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Cli.Tests;

/// <summary>What each command sends and prints, against a stand-in for the hub.</summary>
public sealed class CommandTests
{
    private const string ClientName = "clients/cli_0001";
    private readonly FakeHub _hub = new();
    private readonly Dictionary<string, string> _environment = [];

    [Fact]
    public async Task ClientRegister_SendsTheClient_AndPrintsOnlyItsName()
    {
        _hub.On<RegisterClientRequest, RegisterClientResponse>(_ => new() { Client = new Client { Name = ClientName } });

        var result = await Run("client", "register", "--as", "hans-petrischool", "--bsn", "111222333", "--birth-date", "2008-03-14", "--municipality", "0642", "--school", "hans-petrischool");

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Equal(ClientName + Environment.NewLine, result.Output);
        var call = Assert.Single(_hub.Calls);
        var request = (RegisterClientRequest)call.Request;
        Assert.Equal("111222333", request.Bsn);
        Assert.Equal(new Google.Type.Date { Year = 2008, Month = 3, Day = 14 }, request.BirthDate);
        Assert.Equal("0642", request.MunicipalityCode);
        Assert.Equal("parties/hans-petrischool", request.School);
        Assert.Equal("hans-petrischool", call.Headers.GetValue(DevelopmentHeaders.Party));
        Assert.NotNull(call.Deadline);
    }

    [Fact]
    public async Task ClientRegister_ForAKnownBsn_SaysSoOnStandardError()
    {
        _hub.On<RegisterClientRequest, RegisterClientResponse>(_ => new() { Client = new Client { Name = ClientName }, AlreadyRegistered = true });

        var result = await Run("client", "register", "--as", "hans-petrischool", "--bsn", "111222333", "--birth-date", "2008-03-14", "--municipality", "0642");

        Assert.Equal(ClientName + Environment.NewLine, result.Output);
        Assert.Contains("Already registered", result.Error);
        Assert.Equal(string.Empty, _hub.Requests<RegisterClientRequest>()[0].School);
    }

    [Fact]
    public async Task EveryMutatingCall_GetsAGeneratedRequestId_UnlessOneIsGiven()
    {
        _hub.On<WithdrawConsentRequest, WithdrawConsentResponse>(r => new() { Consent = new Consent { Name = r.Name, State = ConsentState.Withdrawn } });

        await Run("consent", "withdraw", "--as", "sdd", "--name", "cns_1");
        await Run("consent", "withdraw", "--as", "sdd", "--name", "cns_1");
        await Run("consent", "withdraw", "--as", "sdd", "--name", "consents/cns_1", "--request-id", "retry-42");

        var ids = _hub.Requests<WithdrawConsentRequest>().Select(r => r.RequestId).ToList();
        Assert.StartsWith("cli-", ids[0], StringComparison.Ordinal);
        Assert.NotEqual(ids[0], ids[1]);
        Assert.Equal("retry-42", ids[2]);
        Assert.All(_hub.Requests<WithdrawConsentRequest>(), r => Assert.Equal("consents/cns_1", r.Name));
    }

    [Theory]
    [InlineData("--purpose", "transition", "income_and_participation")]
    [InlineData("--purpose", "transition,income_and_participation")]
    [InlineData("--purpose", "TRANSITION", "--purpose", "Income_And_Participation")]
    public async Task ConsentGrant_TakesListsInEveryForm(params string[] purposeArgs)
    {
        _hub.On<GrantConsentRequest, GrantConsentResponse>(r => new() { Consent = new Consent { Name = "consents/cns_9", State = ConsentState.Active }, ReleasedDeliveries = 2 });

        var result = await Run(["consent", "grant", "--as", "sdd", "--client", "cli_0001", "--grantor", "client", "--to", "sdd", .. purposeArgs, "--category", "support_plan", "contact_details", "work"]);

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Equal("consents/cns_9" + Environment.NewLine, result.Output);
        Assert.Contains("State ACTIVE; 2 waiting deliveries released.", result.Error);
        var consent = Assert.Single(_hub.Requests<GrantConsentRequest>()).Consent;
        Assert.Equal(ClientName, consent.Client);
        Assert.Equal(GrantorRole.Client, consent.GrantorRole);
        Assert.Equal("parties/sdd", consent.RecipientParty);
        Assert.Equal([Purpose.Transition, Purpose.IncomeAndParticipation], consent.Purposes);
        Assert.Equal([DataCategory.SupportPlan, DataCategory.ContactDetails, DataCategory.Work], consent.DataCategories);
        Assert.Null(consent.StartTime);
        Assert.Null(consent.EndTime);
    }

    [Fact]
    public async Task ConsentGrant_StartAndEnd_AreTheStartOfTheDayInDutchTime()
    {
        _hub.On<GrantConsentRequest, GrantConsentResponse>(r => new() { Consent = new Consent { Name = "consents/cns_9" } });

        await Run("consent", "grant", "--as", "waakvlam-zorg", "--client", ClientName, "--grantor", "parent", "--to", "waakvlam-zorg", "--purpose", "coaching", "--category", "support_plan", "--start", "2025-09-01", "--end", "2026-01-15");

        var consent = Assert.Single(_hub.Requests<GrantConsentRequest>()).Consent;
        Assert.Equal(Timestamp.FromDateTimeOffset(new DateTimeOffset(2025, 8, 31, 22, 0, 0, TimeSpan.Zero)), consent.StartTime); // CEST
        Assert.Equal(Timestamp.FromDateTimeOffset(new DateTimeOffset(2026, 1, 14, 23, 0, 0, TimeSpan.Zero)), consent.EndTime); // CET
        Assert.Equal(GrantorRole.Parent, consent.GrantorRole);
    }

    [Fact]
    public async Task ConsentList_PrintsEachConsentWithItsState()
    {
        _hub.On<ListConsentsRequest, ListConsentsResponse>(_ => new()
        {
            Consents =
            {
                new Consent
                {
                    Name = "consents/cns_1", GrantorRole = GrantorRole.Parent, RecipientParty = "parties/waakvlam-zorg", State = ConsentState.AwaitingConfirmation,
                    Purposes = { Purpose.Coaching }, DataCategories = { DataCategory.SupportPlan, DataCategory.ContactDetails },
                    StartTime = Timestamp.FromDateTimeOffset(new DateTimeOffset(2025, 8, 31, 22, 0, 0, TimeSpan.Zero)),
                },
            },
        });

        var result = await Run("consent", "list", "--as", "waakvlam-zorg", "--client", "cli_0001");

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        result.LineWith("consents/cns_1", "AWAITING_CONFIRMATION");
        result.LineWith("granted by PARENT to waakvlam-zorg, from 2025-09-01");
        result.LineWith("purposes:", "COACHING");
        result.LineWith("categories:", "SUPPORT_PLAN, CONTACT_DETAILS");
        Assert.Equal(ClientName, _hub.Requests<ListConsentsRequest>()[0].Client);
    }

    [Fact]
    public async Task CoachAssign_MakesTheCallingPartyTheCoachsEmployer()
    {
        _hub.On<AssignCoachRequest, AssignCoachResponse>(r => new() { CareTeam = new CareTeam { Client = r.Client, Coach = r.Coach, Parties = { "parties/hans-petrischool" } } });

        var result = await Run("coach", "assign", "--as", "waakvlam-zorg", "--client", "cli_0001", "--coach-id", "ahmed", "--name", "Ahmed", "--phone", "078-1234567", "--email", "ahmed@waakvlam.example");

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Contains("Coach Ahmed (waakvlam-zorg, ahmed) is the coach of clients/cli_0001.", result.Output);
        var coach = Assert.Single(_hub.Requests<AssignCoachRequest>()).Coach;
        Assert.Equal(new Coach { Party = "parties/waakvlam-zorg", CoachId = "ahmed", DisplayName = "Ahmed", Phone = "078-1234567", Email = "ahmed@waakvlam.example" }, coach);
    }

    [Fact]
    public async Task TransitionSend_BuildsTheTransitionAndReferral_AndPrintsTheDecisions()
    {
        _hub.On<CreateTransitionRequest, CreateTransitionResponse>(r => new()
        {
            Transition = new Transition { Name = "transitions/trn_1", Coach = new Coach { DisplayName = "Ahmed", Party = "parties/waakvlam-zorg" } },
            Decisions =
            {
                new RecipientDecision { Recipient = "parties/sdd", Outcome = RecipientOutcome.AwaitingConsent, Reason = "NO_CONSENT", Explanation = "No active consent covers parties/sdd." },
                new RecipientDecision { Recipient = "parties/waakvlam-zorg", Outcome = RecipientOutcome.Content, Reason = "CONSENT_ACTIVE", Explanation = "Consent covers it." },
            },
            ReferralDecisions = { new ReferralDecisions { Referral = "referrals/ref_1", Decisions = { new RecipientDecision { Recipient = "parties/sdd", Outcome = RecipientOutcome.AwaitingConsent, Reason = "NO_CONSENT" } } } },
        });

        var result = await Run(
            "transition", "send", "--as", "hans-petrischool", "--client", "cli_0001", "--kind", "school_leaver_18", "--from", "hans-petrischool", "--to", "sdd",
            "--effective", "2026-07-01", "--summary", "Works well with her hands.", "--referral-service", "participation_work", "--referral-performer", "sdd", "--referral-domain", "work");

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Contains("Transition transitions/trn_1 announced. Coach after the transition: Ahmed (waakvlam-zorg).", result.Output);
        result.LineWith("sdd", "AWAITING_CONSENT", "NO_CONSENT", "No active consent covers parties/sdd.");
        result.LineWith("waakvlam-zorg", "CONTENT", "CONSENT_ACTIVE");
        Assert.Contains("Referral referrals/ref_1:", result.Output);

        var request = Assert.Single(_hub.Requests<CreateTransitionRequest>());
        Assert.False(string.IsNullOrEmpty(request.RequestId));
        var transition = request.Transition;
        Assert.Equal(ClientName, transition.Client);
        Assert.Equal(TransitionKind.SchoolLeaver18, transition.Kind);
        Assert.Equal("parties/hans-petrischool", transition.FromParty);
        Assert.Equal("parties/sdd", transition.ToParty);
        Assert.Equal(new Google.Type.Date { Year = 2026, Month = 7, Day = 1 }, transition.EffectiveDate);
        Assert.Equal("Works well with her hands.", transition.HandoverSummary);
        var referral = Assert.Single(transition.Referrals);
        Assert.Equal(ServiceKind.ParticipationWork, referral.Service);
        Assert.Equal([LifeDomain.Work], referral.LifeDomains);
        Assert.Equal("parties/sdd", Assert.Single(referral.Performers).Party);
    }

    [Fact]
    public async Task TransitionFromFile_IsTheDraft_AndOptionsOverrideItsFields()
    {
        var draft = new Transition
        {
            Client = "clients/from-file",
            Kind = TransitionKind.SchoolLeaver18,
            FromParty = "parties/hans-petrischool",
            ToParty = "parties/sdd",
            EffectiveDate = new Google.Type.Date { Year = 2026, Month = 7, Day = 1 },
            HandoverSummary = "From the file.",
        };
        var path = Path.Combine(Path.GetTempPath(), "ketenhub-cli-" + Guid.NewGuid().ToString("N") + ".json");
        await File.WriteAllTextAsync(path, JsonFormatter.Default.Format(draft));
        _hub.On<CreateTransitionRequest, CreateTransitionResponse>(r => new() { Transition = new Transition { Name = "transitions/trn_2" } });
        try
        {
            var result = await Run("transition", "send", "--as", "hans-petrischool", "--file", path, "--client", "cli_0001");

            Assert.Equal(ExitCodes.Ok, result.ExitCode);
            Assert.Contains("The client has no coach.", result.Output);
            var expected = draft.Clone();
            expected.Client = ClientName;
            Assert.Equal(expected, Assert.Single(_hub.Requests<CreateTransitionRequest>()).Transition);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task ExplainTransition_ExplainsTheTransition_AndEachReferralOnItsOwn()
    {
        _hub.On<ExplainMessageRequest, ExplainMessageResponse>(r => r.DraftCase == ExplainMessageRequest.DraftOneofCase.Transition
            ? new()
            {
                MessageType = MessageType.Transition,
                MatchedRules = { new MatchedRule { RuleId = "school-leaver-to-social-service", Description = "A school leaver turning 18 is announced." } },
                Decisions = { new RecipientDecision { Recipient = "parties/sdd", Outcome = RecipientOutcome.AwaitingConsent, Reason = "NO_CONSENT", Explanation = "No active consent covers parties/sdd for purpose TRANSITION." } },
            }
            : new()
            {
                MessageType = MessageType.Referral,
                MatchedRules = { new MatchedRule { RuleId = "referral-participation-to-performers", Description = "To its performers." } },
            });

        var result = await Run("explain", "transition", "--as", "hans-petrischool", "--client", "cli_0001", "--kind", "school_leaver_18", "--to", "sdd", "--effective", "2026-07-01", "--referral-service", "participation_work", "--referral-performer", "sdd");

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        result.LineWith("school-leaver-to-social-service", "A school leaver turning 18 is announced.");
        result.LineWith("sdd", "AWAITING_CONSENT", "NO_CONSENT", "No active consent covers parties/sdd for purpose TRANSITION.");
        Assert.Contains("Referral for PARTICIPATION_WORK to sdd: matched rules", result.Output);
        result.LineWith("referral-participation-to-performers");
        var requests = _hub.Requests<ExplainMessageRequest>();
        Assert.Equal(2, requests.Count);
        Assert.Equal(ClientName, requests[1].Referral.Client);
        Assert.Equal(ServiceKind.ParticipationWork, requests[1].Referral.Service);
        Assert.DoesNotContain(_hub.Calls, c => c.Request is CreateTransitionRequest);
    }

    [Fact]
    public async Task Explain_ForAClientTheHubDoesNotKnowYet_SendsItsFactsInsteadOfAClient()
    {
        _hub.On<ExplainMessageRequest, ExplainMessageResponse>(_ => new()
        {
            MessageType = MessageType.Transition,
            Decisions = { new RecipientDecision { Recipient = "parties/sdd", Outcome = RecipientOutcome.AwaitingConsent, Reason = "NO_CONSENT" } },
        });

        var result = await Run("explain", "transition", "--as", "hans-petrischool", "--birth-date", "2008-03-01", "--municipality", "0505", "--school", "hans-petrischool", "--kind", "school_leaver_18", "--from", "hans-petrischool", "--to", "sdd", "--effective", "2026-07-01", "--referral-service", "participation_work", "--referral-performer", "sdd");
        var signal = await Run("explain", "signal", "--as", "sdd", "--birth-date", "2008-03-01", "--municipality", "0642", "--kind", "payment_arrears", "--domain", "finances", "--severity", "urgent");

        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
        Assert.True(signal.ExitCode == ExitCodes.Ok, signal.ToString());
        result.LineWith("sdd", "AWAITING_CONSENT", "NO_CONSENT");
        var requests = _hub.Requests<ExplainMessageRequest>();
        Assert.Equal(3, requests.Count);
        var expected = new ProspectiveClient { BirthDate = new Google.Type.Date { Year = 2008, Month = 3, Day = 1 }, MunicipalityCode = "0505", School = "parties/hans-petrischool" };
        Assert.Equal((string.Empty, expected), (requests[0].Transition.Client, requests[0].ProspectiveClient));
        Assert.Equal((string.Empty, expected), (requests[1].Referral.Client, requests[1].ProspectiveClient));
        Assert.Equal((string.Empty, "0642", string.Empty), (requests[2].Signal.Client, requests[2].ProspectiveClient.MunicipalityCode, requests[2].ProspectiveClient.School));
    }

    [Theory]
    [InlineData("--client cli_0001 --birth-date 2008-03-01 --municipality 0505", "leave out --client")]
    [InlineData("--birth-date 2008-03-01", "needs both --birth-date and --municipality")]
    [InlineData("--municipality 0505 --school hans-petrischool", "needs both --birth-date and --municipality")]
    [InlineData("", "Name the client with --client, or describe a client the hub does not know yet")]
    public async Task Explain_WithBothOrNeitherClientAndProspectiveClient_IsAUsageError(string who, string message)
    {
        string[] args = ["explain", "transition", "--as", "hans-petrischool", .. who.Split(' ', StringSplitOptions.RemoveEmptyEntries), "--kind", "school_leaver_18", "--effective", "2026-07-01"];

        var result = await Run(args);

        Assert.True(result.ExitCode == ExitCodes.Usage, result.ToString());
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
        Assert.Empty(_hub.Requests<ExplainMessageRequest>());
    }

    [Fact]
    public async Task SignalSend_BuildsTheSignal()
    {
        _hub.On<CreateSignalRequest, CreateSignalResponse>(r => new()
        {
            Signal = new Signal { Name = "signals/sig_1" },
            Decisions = { new RecipientDecision { Recipient = "parties/waakvlam-zorg", Outcome = RecipientOutcome.ThinNotice, Reason = "THIN_NOTICE_RULE" } },
        });

        var result = await Run("signal", "send", "--as", "sdd", "--client", "cli_0001", "--kind", "payment_arrears", "--domain", "finances", "--severity", "urgent", "--description", "Three months behind.");

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Contains("Signal signals/sig_1 raised.", result.Output);
        result.LineWith("waakvlam-zorg", "THIN_NOTICE", "THIN_NOTICE_RULE");
        var signal = Assert.Single(_hub.Requests<CreateSignalRequest>()).Signal;
        Assert.Equal(new Signal { Client = ClientName, Kind = SignalKind.PaymentArrears, LifeDomain = LifeDomain.Finances, Severity = SignalSeverity.Urgent, Description = "Three months behind." }, signal);
    }

    [Fact]
    public async Task Journey_ReadsEveryPage()
    {
        _hub.On<ListJourneyEventsRequest, ListJourneyEventsResponse>(r => r.PageToken.Length == 0
            ? new() { Events = { new JourneyEvent { Sequence = 1, Type = JourneyEventType.ClientRegistered, Party = "parties/hans-petrischool" } }, NextPageToken = "next" }
            : new() { Events = { new JourneyEvent { Sequence = 2, Type = JourneyEventType.TransitionAnnounced, Party = "parties/hans-petrischool", Detail = "SCHOOL_LEAVER_18" } } });

        var result = await Run("journey", "--as", "waakvlam-zorg", "--client", "cli_0001");

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        result.LineWith("CLIENT_REGISTERED", "hans-petrischool");
        result.LineWith("TRANSITION_ANNOUNCED", "SCHOOL_LEAVER_18");
        Assert.Equal(["", "next"], _hub.Requests<ListJourneyEventsRequest>().Select(r => r.PageToken));
    }

    [Fact]
    public async Task Journey_ShowsDutchLocalTimeWithItsOffset()
    {
        _hub.On<ListJourneyEventsRequest, ListJourneyEventsResponse>(_ => new()
        {
            Events =
            {
                new JourneyEvent { Sequence = 1, Type = JourneyEventType.ClientRegistered, Party = "parties/hans-petrischool", EventTime = Timestamp.FromDateTimeOffset(new DateTimeOffset(2026, 7, 1, 8, 5, 0, TimeSpan.Zero)) },
                new JourneyEvent { Sequence = 2, Type = JourneyEventType.ConsentGranted, Party = "parties/sdd", EventTime = Timestamp.FromDateTimeOffset(new DateTimeOffset(2026, 11, 23, 16, 31, 0, TimeSpan.Zero)) },
            },
        });

        var result = await Run("journey", "--as", "waakvlam-zorg", "--client", "cli_0001");

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        result.LineWith("2026-07-01 10:05 +02:00", "CLIENT_REGISTERED");
        result.LineWith("2026-11-23 17:31 +01:00", "CONSENT_GRANTED");
    }

    [Fact]
    public async Task Json_PrintsTheResponseAsProtobufJson()
    {
        _hub.On<RegisterClientRequest, RegisterClientResponse>(_ => new() { Client = new Client { Name = ClientName, MunicipalityCode = "0642" }, AlreadyRegistered = true });

        var result = await Run("client", "register", "--json", "--as", "hans-petrischool", "--bsn", "111222333", "--birth-date", "2008-03-14", "--municipality", "0642");

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        var response = JsonParser.Default.Parse<RegisterClientResponse>(result.Output);
        Assert.Equal(ClientName, response.Client.Name);
        Assert.True(response.AlreadyRegistered);
        Assert.Equal(string.Empty, result.Error);
    }

    [Fact]
    public async Task HubAndParty_ComeFromTheEnvironment_AndOptionsWin()
    {
        _hub.On<ListConsentsRequest, ListConsentsResponse>(_ => new());
        _environment[CliHost.HubVariable] = "http://hub.test:6000";
        _environment[CliHost.PartyVariable] = "sdd";

        var fromEnvironment = await Run("consent", "list", "--client", "cli_0001");
        var fromOptions = await Run("consent", "list", "--client", "cli_0001", "--hub", "http://127.0.0.1:7000", "--as", "waakvlam-zorg");

        Assert.Equal(ExitCodes.Ok, fromEnvironment.ExitCode);
        Assert.Equal(ExitCodes.Ok, fromOptions.ExitCode);
        Assert.Equal([new Uri("http://hub.test:6000"), new Uri("http://127.0.0.1:7000")], _hub.Addresses);
        Assert.Equal(["sdd", "waakvlam-zorg"], _hub.Calls.Select(c => c.Headers.GetValue(DevelopmentHeaders.Party)));
    }

    [Fact]
    public async Task WithoutAnything_TheHubIsTheLocalDefault()
    {
        _hub.On<HealthCheckRequest, HealthCheckResponse>(_ => new() { Status = HealthCheckResponse.Types.ServingStatus.Serving });

        await Run("health");

        Assert.Equal(new Uri(GlobalOptions.DefaultHub), Assert.Single(_hub.Addresses));
    }

    [Fact]
    public async Task Health_NeedsNoParty_AndExitsZeroOnlyWhenServing()
    {
        _hub.On<HealthCheckRequest, HealthCheckResponse>(_ => new() { Status = HealthCheckResponse.Types.ServingStatus.Serving });
        var serving = await Run("health");
        _hub.On<HealthCheckRequest, HealthCheckResponse>(_ => new() { Status = HealthCheckResponse.Types.ServingStatus.NotServing });
        var notServing = await Run("health", "--json");

        Assert.Equal(ExitCodes.Ok, serving.ExitCode);
        Assert.Equal("SERVING", serving.Output.Trim());
        Assert.Null(_hub.Calls[0].Headers.GetValue(DevelopmentHeaders.Party));
        Assert.Equal(ExitCodes.Unreachable, notServing.ExitCode);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, JsonParser.Default.Parse<HealthCheckResponse>(notServing.Output).Status);
    }

    private Task<CliResult> Run(params string[] args) => Tool.RunAsync(_environment, _hub.Connect, args);
}

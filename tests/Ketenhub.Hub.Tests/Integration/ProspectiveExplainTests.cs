using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using Microsoft.Data.Sqlite;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Integration;

/// <summary>
/// Explain for a client the hub does not know yet (a prospective client: birth date, municipality, school):
/// the decisions a registration with those facts followed by the submit would give, with nothing stored.
/// </summary>
public sealed class ProspectiveExplainTests : IDisposable
{
    private readonly HubFactory _hub = new();
    private readonly PartyClient _school;
    private readonly PartyClient _sdd;

    public ProspectiveExplainTests()
    {
        _school = _hub.As("hans-petrischool");
        _sdd = _hub.As("sdd");
    }

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task ANewStudentLeavingSchool_IsExplained_WithoutStoringAnything_AsRegistrationAndTransitionThenDecide()
    {
        var prospective = new ProspectiveClient { BirthDate = Date(2008, 3, 1), MunicipalityCode = "0505", School = "parties/hans-petrischool" };
        var transition = SchoolLeaver(string.Empty);
        transition.Referrals.Add(Kit.CareReferral(string.Empty, "sdd", ServiceKind.ParticipationWork));
        var auditBefore = await AuditEventsAsync();

        var explained = await _school.Explain.ExplainMessageAsync(new ExplainMessageRequest { Transition = transition, ProspectiveClient = prospective });

        // The social service of the student's municipality gets the transition once consent is given.
        Assert.Equal(["school-leaver-to-social-service", "transition-to-receiving-party", "transition-to-current-providers"], explained.MatchedRules.Select(r => r.RuleId));
        var toSdd = Assert.Single(explained.Decisions);
        Assert.Equal(("parties/sdd", RecipientOutcome.AwaitingConsent, "NO_CONSENT"), (toSdd.Recipient, toSdd.Outcome, toSdd.Reason));
        Assert.Equal(string.Empty, toSdd.Delivery);

        // Nothing stored: no client, no role, no delivery; one audited read that concerns no client.
        Assert.Equal((0L, 0L, 0L, 0L), (Count("clients"), Count("roles"), Count("transitions"), Count("deliveries")));
        Assert.Empty(await Kit.DeliveriesAsync(_sdd));
        var read = Assert.Single(NewEvents(auditBefore, await AuditEventsAsync()));
        Assert.Equal(("ExplainMessage", AuditAction.Read, "parties/hans-petrischool", string.Empty, AuditOutcome.Success), (read.EventType, read.Action, read.Party, read.ClientPseudonym, read.Outcome));

        // Registering the student with those facts and announcing the same transition decides exactly the same.
        var client = await _school.RegisterAsync(Kit.NewBsn(), prospective.BirthDate, prospective.MunicipalityCode, prospective.School);
        transition.Client = client.Name;
        var announced = await _school.Transitions.CreateTransitionAsync(new CreateTransitionRequest { RequestId = NewRequestId(), Transition = transition });
        Assert.Equal(explained.Decisions, announced.Decisions.Select(Kit.WithoutDelivery));
        Assert.Equal(
            explained.ReferralDecisions.Select(r => r.Decisions.ToList()),
            announced.ReferralDecisions.Select(r => r.Decisions.Select(Kit.WithoutDelivery).ToList()));
        Assert.Equal(1L, Count("clients"));
    }

    public static TheoryData<string> Drafts() => ["school-leaver-outside-the-region", "school-leaver-without-school", "adult-relocation", "care-referral", "crisis-signal"];

    [Theory]
    [MemberData(nameof(Drafts))]
    public async Task ForEachKindOfDraft_TheProspectiveExplanation_IsWhatRegistrationAndSubmitGive(string draft)
    {
        var (sender, prospective, request) = draft switch
        {
            "school-leaver-outside-the-region" => (_school, Prospective(Date(2008, 3, 1), "0363", "parties/hans-petrischool"), new ExplainMessageRequest { Transition = SchoolLeaver(string.Empty) }),
            "school-leaver-without-school" => (_sdd, Prospective(Date(2008, 3, 1), "0642", null), new ExplainMessageRequest { Transition = SchoolLeaver(string.Empty) }),
            "adult-relocation" => (_sdd, Prospective(Date(1990, 5, 17), "0505", null), new ExplainMessageRequest { Transition = new Transition { Kind = TransitionKind.Relocation, ToParty = "parties/wijkteam-zwijndrecht", EffectiveDate = Date(2026, 3, 1), NewMunicipalityCode = "0642" } }),
            "care-referral" => (_sdd, Prospective(Date(2007, 9, 9), "0642", null), new ExplainMessageRequest { Referral = Kit.CareReferral(string.Empty, "begeleiding-plus") }),
            _ => (_sdd, Prospective(Date(2007, 9, 9), "0642", "parties/de-sprong"), new ExplainMessageRequest { Signal = Kit.Signal(string.Empty, severity: SignalSeverity.Crisis).Signal }),
        };
        request.ProspectiveClient = prospective;

        var explained = await sender.Explain.ExplainMessageAsync(request);
        Assert.Equal(0L, Count("clients"));

        // Only a school makes itself a school of record: the prospective client's school registers it.
        var registrar = string.IsNullOrEmpty(prospective.School) ? sender : _hub.As(prospective.School["parties/".Length..]);
        var client = await registrar.RegisterAsync(Kit.NewBsn(), prospective.BirthDate, prospective.MunicipalityCode, prospective.School);
        IEnumerable<RecipientDecision> submitted = request.DraftCase switch
        {
            ExplainMessageRequest.DraftOneofCase.Transition => (await sender.Transitions.CreateTransitionAsync(new CreateTransitionRequest { RequestId = NewRequestId(), Transition = WithClient(request.Transition, client.Name) })).Decisions,
            ExplainMessageRequest.DraftOneofCase.Referral => (await sender.Referrals.CreateReferralAsync(new CreateReferralRequest { RequestId = NewRequestId(), Referral = WithClient(request.Referral, client.Name) })).Decisions,
            _ => (await sender.Signals.CreateSignalAsync(new CreateSignalRequest { RequestId = NewRequestId(), Signal = WithClient(request.Signal, client.Name) })).Decisions,
        };

        Assert.Equal(explained.Decisions, submitted.Select(Kit.WithoutDelivery));

        // The same draft for the registered client explains the same again.
        var again = request.Clone();
        again.ProspectiveClient = null;
        switch (again.DraftCase)
        {
            case ExplainMessageRequest.DraftOneofCase.Transition:
                again.Transition.Client = client.Name;

                // The move is recorded now: the same move again would be refused; another municipality matches the same rules.
                again.Transition.NewMunicipalityCode = again.Transition.Kind == TransitionKind.Relocation ? "0590" : again.Transition.NewMunicipalityCode;
                break;
            case ExplainMessageRequest.DraftOneofCase.Referral: again.Referral.Client = client.Name; break;
            default: again.Signal.Client = client.Name; break;
        }

        var matched = (await sender.Explain.ExplainMessageAsync(again)).MatchedRules;
        Assert.Equal(matched, explained.MatchedRules);
    }

    [Fact]
    public async Task TheMunicipality_DecidesTheSocialService_AndTheAge_DecidesTheRules()
    {
        var inRegion = await _school.Explain.ExplainMessageAsync(new ExplainMessageRequest { Transition = SchoolLeaver(string.Empty), ProspectiveClient = Prospective(Date(2008, 3, 1), "0642", null) });
        var outside = await _school.Explain.ExplainMessageAsync(new ExplainMessageRequest { Transition = SchoolLeaver(string.Empty), ProspectiveClient = Prospective(Date(2008, 3, 1), "0363", null) });

        Assert.Contains("school-leaver-to-social-service", inRegion.MatchedRules.Select(r => r.RuleId));
        Assert.DoesNotContain("school-leaver-to-social-service", outside.MatchedRules.Select(r => r.RuleId));
        Assert.Equal(["school-leaver-to-social-service", "transition-to-receiving-party"], Assert.Single(inRegion.Decisions).RuleIds);
        Assert.Equal(["transition-to-receiving-party"], Assert.Single(outside.Decisions).RuleIds);
    }

    [Fact]
    public async Task AProspectiveClient_WithAClientOrWithWrongFacts_IsACodedError_NamingNoValue()
    {
        var registered = await _school.RegisterAsync(Kit.NewBsn(), Date(2008, 3, 1), "0505", "parties/hans-petrischool");
        var good = Prospective(Date(2008, 3, 1), "0505", "parties/hans-petrischool");

        async Task<string> Explain(string client, ProspectiveClient? prospective)
        {
            var (code, reason, fields) = await Errors.Of(() => _school.Explain.ExplainMessageAsync(new ExplainMessageRequest { Transition = SchoolLeaver(client), ProspectiveClient = prospective }).ResponseAsync);
            return $"{code} {reason} {string.Join(",", fields)}";
        }

        Assert.Equal("InvalidArgument INVALID_REQUEST prospective_client", await Explain(registered.Name, good));
        Assert.Equal("InvalidArgument FIELD_REQUIRED transition.client", await Explain(string.Empty, null));
        Assert.Equal("InvalidArgument INVALID_MUNICIPALITY_CODE prospective_client.municipality_code", await Explain(string.Empty, Prospective(Date(2008, 3, 1), "505", null)));
        Assert.Equal("InvalidArgument INVALID_BIRTH_DATE prospective_client.birth_date", await Explain(string.Empty, Prospective(Date(2008, 2, 30), "0505", null)));
        Assert.Equal("InvalidArgument INVALID_BIRTH_DATE prospective_client.birth_date", await Explain(string.Empty, Prospective(Date(2027, 1, 1), "0505", null)));
        Assert.Equal("InvalidArgument UNKNOWN_PARTY prospective_client.school", await Explain(string.Empty, Prospective(Date(2008, 3, 1), "0505", "parties/sdd")));
        // Both missing: the code they share (docs/errors.md), each violation carrying it too.
        Assert.Equal("InvalidArgument FIELD_REQUIRED prospective_client.birth_date,prospective_client.municipality_code", await Explain(string.Empty, new ProspectiveClient()));

        var error = await Assert.ThrowsAsync<RpcException>(() => _school.Explain.ExplainMessageAsync(new ExplainMessageRequest { Transition = SchoolLeaver(string.Empty), ProspectiveClient = Prospective(Date(2008, 3, 1), "12345", null) }).ResponseAsync);
        Assert.DoesNotContain("12345", error.Status.Detail, StringComparison.Ordinal);
    }

    private static ProspectiveClient Prospective(Google.Type.Date birthDate, string municipality, string? school) =>
        new() { BirthDate = birthDate, MunicipalityCode = municipality, School = school ?? string.Empty };

    private static Transition SchoolLeaver(string client) => new()
    {
        Client = client,
        Kind = TransitionKind.SchoolLeaver18,
        FromParty = "parties/hans-petrischool",
        ToParty = "parties/sdd",
        EffectiveDate = Date(2026, 7, 1),
    };

    private static T WithClient<T>(T draft, string client)
        where T : Google.Protobuf.IMessage<T>
    {
        var copy = draft.Clone();
        switch (copy)
        {
            case Transition t: t.Client = client; break;
            case Referral r: r.Client = client; break;
            case Signal s: s.Client = client; break;
        }

        return copy;
    }

    private long Count(string table)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(_hub.DataDirectory, "ketenhub.db"), Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM {table}";
        return (long)command.ExecuteScalar()!;
    }

    private async Task<List<AuditEvent>> AuditEventsAsync()
    {
        var auditor = _hub.As("sdd", "fg-officer-1", ["privacy-officer"]).Audit;
        var response = await auditor.ListAuditEventsAsync(new ListAuditEventsRequest { PageSize = 1000 });
        return [.. response.AuditEvents];
    }

    /// <summary>The events after <paramref name="before"/>, without the audit exports themselves.</summary>
    private static IEnumerable<AuditEvent> NewEvents(List<AuditEvent> before, List<AuditEvent> after) =>
        after.Where(e => e.Sequence > (before.Count == 0 ? 0 : before.Max(b => b.Sequence)) && e.EventType != "ExportAuditTrail");
}

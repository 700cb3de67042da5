using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Integration;

/// <summary>
/// The coach's caseload (<c>ListCaseloadEntries</c>): whose clients a person's token and an organisation's token list,
/// and what needs attention for each — open signals with their deadline, open tasks, consents that end soon, the next
/// birthday that changes the rules — and that each goes away once it is dealt with.
/// </summary>
public sealed class CaseloadTests : IDisposable
{
    // Monday 2026-06-08, 10:00 in Dordrecht.
    private readonly HubFactory _hub = new(new DateTimeOffset(2026, 6, 8, 8, 0, 0, TimeSpan.Zero));

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task APersonsToken_ListsTheClientsThatPersonCoaches_AnOrganisationsToken_AllOfItsCoaches()
    {
        var waakvlam = _hub.As("waakvlam-zorg");
        var ahmeds = await waakvlam.RegisterAsync(Kit.NewBsn(), Date(2001, 1, 21), "0610");
        var beas = await waakvlam.RegisterAsync(Kit.NewBsn(), Date(2002, 5, 2), "0505");
        await waakvlam.AssignCoachAsync(ahmeds.Name, "ahmed", "Ahmed");
        await waakvlam.AssignCoachAsync(beas.Name, "bea", "Bea");

        var ahmed = await _hub.As("waakvlam-zorg", "ahmed", []).Caseload.ListCaseloadEntriesAsync(new ListCaseloadEntriesRequest());
        var entry = Assert.Single(ahmed.Entries);
        Assert.Equal(ahmeds.Name, entry.Client.Name);
        Assert.Equal("ahmed", entry.Coach.CoachId);
        Assert.Equal(_hub.Clock.GetUtcNow(), entry.CoachSinceTime.ToDateTimeOffset());

        var organisation = await waakvlam.Caseload.ListCaseloadEntriesAsync(new ListCaseloadEntriesRequest());
        Assert.Equal(new[] { ahmeds.Name, beas.Name }.Order(StringComparer.Ordinal), organisation.Entries.Select(e => e.Client.Name).Order(StringComparer.Ordinal));

        // A person of the same id at another party, and another party's own token, coach nobody here.
        Assert.Empty((await _hub.As("sdd", "ahmed", []).Caseload.ListCaseloadEntriesAsync(new ListCaseloadEntriesRequest())).Entries);
        Assert.Empty((await _hub.As("sdd").Caseload.ListCaseloadEntriesAsync(new ListCaseloadEntriesRequest())).Entries);

        // After a change of coach the client is on the new coach's list only.
        await waakvlam.AssignCoachAsync(ahmeds.Name, "bea", "Bea", by: "waakvlam-zorg");
        Assert.Empty((await _hub.As("waakvlam-zorg", "ahmed", []).Caseload.ListCaseloadEntriesAsync(new ListCaseloadEntriesRequest())).Entries);
        Assert.Equal(2, (await _hub.As("waakvlam-zorg", "bea", []).Caseload.ListCaseloadEntriesAsync(new ListCaseloadEntriesRequest())).Entries.Count);
    }

    [Fact]
    public async Task TheCaseloadSpeaksOfClientsByTheCallersOwnNames()
    {
        var waakvlam = _hub.As("waakvlam-zorg");
        var client = await waakvlam.RegisterAsync(Kit.NewBsn(), Date(2001, 1, 21), "0610");
        await waakvlam.AssignCoachAsync(client.Name, "ahmed", "Ahmed");

        var seen = await _hub.AsSeenBy("waakvlam-zorg").Caseload.ListCaseloadEntriesAsync(new ListCaseloadEntriesRequest());

        Assert.Equal(_hub.NameAt("waakvlam-zorg", client.Name), Assert.Single(seen.Entries).Client.Name);
    }

    [Fact]
    public async Task AnUnacknowledgedSignal_IsOpenWithItsDeadline_UntilTheCoachAcknowledgesIt()
    {
        var waakvlam = _hub.As("waakvlam-zorg");
        var sdd = _hub.As("sdd");
        var client = await waakvlam.RegisterAsync(Kit.NewBsn(), Date(2001, 1, 21), "0610");
        await waakvlam.AssignCoachAsync(client.Name, "ahmed", "Ahmed");
        await waakvlam.GrantAsync(client.Name, GrantorRole.Client, "waakvlam-zorg", [Purpose.SignalFollowUp, Purpose.Coaching], [DataCategory.Housing]);
        var raised = await sdd.Signals.CreateSignalAsync(new CreateSignalRequest
        {
            RequestId = NewRequestId(),
            Signal = new Signal { Client = client.Name, Kind = SignalKind.EvictionRisk, LifeDomain = LifeDomain.Housing, Severity = SignalSeverity.Crisis, Description = "Eviction notice served." },
        });
        // The coach's system takes the delivery (a technical receipt); no person has acknowledged the signal yet.
        Assert.Single(await waakvlam.DrainAsync(acknowledge: true));

        var open = Assert.Single(Assert.Single((await waakvlam.Caseload.ListCaseloadEntriesAsync(new ListCaseloadEntriesRequest())).Entries).OpenSignals);
        Assert.Equal(raised.Signal.Name, open.Signal);
        Assert.Equal(SignalSeverity.Crisis, open.Severity);
        Assert.Equal(LifeDomain.Housing, open.Domain);
        Assert.Equal(_hub.Clock.GetUtcNow().AddHours(4), open.AcknowledgeDeadline.ToDateTimeOffset());

        await waakvlam.Signals.AcknowledgeSignalAsync(new AcknowledgeSignalRequest { RequestId = NewRequestId(), Name = raised.Signal.Name });

        Assert.Empty(Assert.Single((await waakvlam.Caseload.ListCaseloadEntriesAsync(new ListCaseloadEntriesRequest())).Entries).OpenSignals);
    }

    [Fact]
    public async Task AnOpenTask_IsListedUntilItsDeliveryIsAcknowledged_AndAConsentThatEndsSoonIsListed()
    {
        var school = _hub.As("hans-petrischool");
        var waakvlam = _hub.As("waakvlam-zorg");
        var client = await school.RegisterAsync(Kit.NewBsn(), Date(2008, 3, 14), "0642", "parties/hans-petrischool");
        await waakvlam.AssignCoachAsync(client.Name, "ahmed", "Ahmed", by: "hans-petrischool");

        // A parent's consent from before the 18th birthday waits for Sanne's confirmation: the coach gets a task.
        await waakvlam.EnsureRepresentativeAsync(client.Name, GrantorRole.Parent, new DateOnly(2025, 9, 1));
        var parents = (await waakvlam.Consents.GrantConsentAsync(new GrantConsentRequest
        {
            RequestId = NewRequestId(),
            Consent = new Consent
            {
                Client = client.Name,
                GrantorRole = GrantorRole.Parent,
                RecipientParty = "parties/waakvlam-zorg",
                StartTime = Timestamp.FromDateTimeOffset(new DateTimeOffset(2025, 9, 1, 0, 0, 0, TimeSpan.FromHours(2))),
                Purposes = { Purpose.Coaching },
                DataCategories = { DataCategory.SupportPlan },
            },
        })).Consent;
        // Sanne's own consent for the school ends in twenty days; another one in sixty does not count yet.
        var soon = await GrantEndingAsync(waakvlam, client.Name, TimeSpan.FromDays(20));
        await GrantEndingAsync(waakvlam, client.Name, TimeSpan.FromDays(60));

        var entry = Assert.Single((await waakvlam.Caseload.ListCaseloadEntriesAsync(new ListCaseloadEntriesRequest())).Entries);
        var task = Assert.Single(entry.OpenTasks);
        Assert.Equal(TaskKind.ConfirmConsents, task.Kind);
        var ending = Assert.Single(entry.EndingConsents);
        Assert.Equal(soon.Name, ending.Consent);
        Assert.Equal(soon.EndTime, ending.EndTime);
        Assert.Equal([Purpose.Coaching], ending.Purposes);
        Assert.NotEqual(parents.Name, ending.Consent);

        // Marking the task done is acknowledging its delivery.
        var delivered = Assert.Single(await waakvlam.DrainAsync());
        Assert.Equal(task.Delivery, delivered.Name);
        await waakvlam.AcknowledgeAsync(delivered);
        Assert.Empty(Assert.Single((await waakvlam.Caseload.ListCaseloadEntriesAsync(new ListCaseloadEntriesRequest())).Entries).OpenTasks);
    }

    [Fact]
    public async Task TheNextBirthdayThatChangesTheRules_IsThe18thForAMinor_AndAbsentWhenNoRuleChangesLater()
    {
        var waakvlam = _hub.As("waakvlam-zorg");
        var minor = await waakvlam.RegisterAsync(Kit.NewBsn(), Date(2009, 9, 30), "0642");
        var adult = await waakvlam.RegisterAsync(Kit.NewBsn(), Date(1990, 1, 1), "0642");
        await waakvlam.AssignCoachAsync(minor.Name, "ahmed", "Ahmed");
        await waakvlam.AssignCoachAsync(adult.Name, "ahmed", "Ahmed");

        var entries = (await waakvlam.Caseload.ListCaseloadEntriesAsync(new ListCaseloadEntriesRequest())).Entries;

        var young = Assert.Single(entries, e => e.Client.Name == minor.Name);
        Assert.Equal(18, young.NextRuleAge);
        Assert.Equal(Date(2027, 9, 30), young.NextRuleBirthday);
        var old = Assert.Single(entries, e => e.Client.Name == adult.Name);
        Assert.Equal(0, old.NextRuleAge);
        Assert.Null(old.NextRuleBirthday);
    }

    [Fact]
    public async Task Pages_AreWholeAndInOrder_AndATokenIsBoundToItsCaller()
    {
        var waakvlam = _hub.As("waakvlam-zorg");
        var names = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var client = await waakvlam.RegisterAsync(Kit.NewBsn(), Date(2001, 1, 21 + i), "0610");
            await waakvlam.AssignCoachAsync(client.Name, "ahmed", "Ahmed");
            names.Add(client.Name);
        }

        var ahmed = _hub.As("waakvlam-zorg", "ahmed", []);
        var seen = new List<string>();
        var token = string.Empty;
        var pages = 0;
        do
        {
            var page = await ahmed.Caseload.ListCaseloadEntriesAsync(new ListCaseloadEntriesRequest { PageSize = 2, PageToken = token });
            seen.AddRange(page.Entries.Select(e => e.Client.Name));
            token = page.NextPageToken;
            pages++;
        }
        while (token.Length > 0);

        Assert.Equal(2, pages);
        Assert.Equal(names.Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));
        Assert.Equal(seen.Distinct().Count(), seen.Count);

        var first = await ahmed.Caseload.ListCaseloadEntriesAsync(new ListCaseloadEntriesRequest { PageSize = 2 });
        var bea = _hub.As("waakvlam-zorg", "bea", []);
        await Errors.Expect(StatusCode.InvalidArgument, "INVALID_REQUEST", () => bea.Caseload.ListCaseloadEntriesAsync(new ListCaseloadEntriesRequest { PageToken = first.NextPageToken }).ResponseAsync);
        await Errors.Expect(StatusCode.InvalidArgument, "INVALID_REQUEST", () => ahmed.Caseload.ListCaseloadEntriesAsync(new ListCaseloadEntriesRequest { PageSize = -1 }).ResponseAsync);
    }

    private async Task<Consent> GrantEndingAsync(PartyClient recorder, string client, TimeSpan after)
    {
        var consent = new Consent
        {
            Client = client,
            GrantorRole = GrantorRole.Client,
            RecipientParty = "parties/hans-petrischool",
            Purposes = { Purpose.Coaching },
            DataCategories = { DataCategory.SupportPlan },
            EndTime = Timestamp.FromDateTimeOffset(_hub.Clock.GetUtcNow() + after),
        };
        return (await recorder.Consents.GrantConsentAsync(new GrantConsentRequest { RequestId = NewRequestId(), Consent = consent })).Consent;
    }
}

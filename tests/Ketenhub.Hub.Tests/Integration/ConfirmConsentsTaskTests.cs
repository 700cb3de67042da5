using Google.Protobuf.WellKnownTypes;
using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Integration;

/// <summary>
/// The coach's CONFIRM_CONSENTS task for a client who was already 18 when the hub first heard of them: a parent's
/// consent from before the birthday awaits the client's confirmation, and the coach is asked once to go through it
/// with the client, whichever comes first, the consent or the coach.
/// </summary>
public sealed class ConfirmConsentsTaskTests : IDisposable
{
    // 2026-11-23, Sanne (born 2008-03-14) has been 18 for months.
    private readonly HubFactory _hub = new(new DateTimeOffset(2026, 11, 23, 16, 0, 0, TimeSpan.Zero));

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task ParentsConsentRecordedForAnAdultWithACoach_GivesTheCoachOneTask()
    {
        var school = _hub.As("hans-petrischool");
        var waakvlam = _hub.As("waakvlam-zorg");
        var client = await school.RegisterAsync(Kit.NewBsn(), Date(2008, 3, 14), "0642", "parties/hans-petrischool");
        await waakvlam.AssignCoachAsync(client.Name, "ahmed", "Ahmed", by: "hans-petrischool");
        Assert.Empty(await waakvlam.DrainAsync());

        var mothers = await GrantParentsAsync(waakvlam, client.Name);
        Assert.Equal(ConsentState.AwaitingConfirmation, mothers.State);

        var task = Assert.Single(await waakvlam.DrainAsync(acknowledge: true));
        Assert.Equal(TaskKind.ConfirmConsents, task.Task.Kind);
        Assert.Equal("ahmed", task.Task.Coach.CoachId);
        Assert.Equal(new[] { mothers.Name }, task.Task.Resources);

        // The client's own consent asks nothing; the scheduled work does not ask again (the coming of age was before the hub knew her).
        await waakvlam.GrantAsync(client.Name, GrantorRole.Client, "waakvlam-zorg", [Purpose.Coaching], [DataCategory.SupportPlan]);
        _hub.Clock.Advance(TimeSpan.FromDays(1));
        await _hub.RunScheduledWorkAsync();
        Assert.Empty(await waakvlam.DrainAsync());
    }

    [Fact]
    public async Task FirstCoachForAnAdultWhileAParentsConsentWaits_GetsOneTask_AndAnotherParentsConsentGetsItsOwn()
    {
        var school = _hub.As("hans-petrischool");
        var waakvlam = _hub.As("waakvlam-zorg");
        var client = await school.RegisterAsync(Kit.NewBsn(), Date(2008, 3, 14), "0642", "parties/hans-petrischool");

        // The school records the mother's consent before any coach is named: nobody to ask yet.
        var mothers = await GrantParentsAsync(school, client.Name);
        Assert.Equal(ConsentState.AwaitingConfirmation, mothers.State);

        await waakvlam.AssignCoachAsync(client.Name, "ahmed", "Ahmed", by: "hans-petrischool");
        var task = Assert.Single(await waakvlam.DrainAsync(acknowledge: true));
        Assert.Equal(TaskKind.ConfirmConsents, task.Task.Kind);
        Assert.Equal(new[] { mothers.Name }, task.Task.Resources);

        // Naming the same coach again changes nothing and asks nothing.
        await waakvlam.AssignCoachAsync(client.Name, "ahmed", "Ahmed", by: "hans-petrischool");
        Assert.Empty(await waakvlam.DrainAsync());

        // A second parent's consent is put to the coach on its own.
        var fathers = await GrantParentsAsync(waakvlam, client.Name);
        var second = Assert.Single(await waakvlam.DrainAsync(acknowledge: true));
        Assert.Equal(new[] { fathers.Name }, second.Task.Resources);

        // Once confirmed, nothing is asked again.
        await waakvlam.Consents.ConfirmConsentAsync(new ConfirmConsentRequest { RequestId = NewRequestId(), Name = mothers.Name });
        Assert.Empty(await waakvlam.DrainAsync());
    }

    [Fact]
    public async Task ClientWhoTurns18WhileKnown_IsAskedByTheScheduledWorkOnly()
    {
        var school = _hub.As("hans-petrischool");
        var waakvlam = _hub.As("waakvlam-zorg");
        // Turns 18 on 2026-11-25, two days from now.
        var client = await school.RegisterAsync(Kit.NewBsn(), Date(2008, 11, 25), "0642", "parties/hans-petrischool");
        await waakvlam.AssignCoachAsync(client.Name, "ahmed", "Ahmed", by: "hans-petrischool");
        var mothers = await GrantParentsAsync(waakvlam, client.Name);
        Assert.Equal(ConsentState.Active, mothers.State);
        Assert.Empty(await waakvlam.DrainAsync());

        // (The hosted scheduled work may have run already when the clock moved; running it again changes nothing.)
        _hub.Clock.Advance(TimeSpan.FromDays(2));
        await _hub.RunScheduledWorkAsync();
        var task = Assert.Single(await waakvlam.DrainAsync(acknowledge: true));
        Assert.Equal(new[] { mothers.Name }, task.Task.Resources);

        _hub.Clock.Advance(TimeSpan.FromDays(1));
        await _hub.RunScheduledWorkAsync();
        Assert.Empty(await waakvlam.DrainAsync());
    }

    /// <summary>A parent's consent for coaching that started on 2025-09-01, before the 18th birthday.</summary>
    private static async Task<Consent> GrantParentsAsync(PartyClient recorder, string client)
    {
        // The parent's authority, recorded as it stood when the consent was given.
        await recorder.EnsureRepresentativeAsync(client, GrantorRole.Parent, new DateOnly(2025, 9, 1));

        var consent = new Consent
        {
            Client = client,
            GrantorRole = GrantorRole.Parent,
            RecipientParty = "parties/waakvlam-zorg",
            StartTime = Timestamp.FromDateTimeOffset(new DateTimeOffset(2025, 9, 1, 0, 0, 0, TimeSpan.FromHours(2))),
            Purposes = { Purpose.Coaching },
            DataCategories = { DataCategory.SupportPlan, DataCategory.ContactDetails },
        };
        var response = await recorder.Consents.GrantConsentAsync(new GrantConsentRequest { RequestId = NewRequestId(), Consent = consent });
        return response.Consent;
    }
}

using Grpc.Core;
using Ketenhub.Client;
using Ketenhub.ClientTests.Infrastructure;
using Ketenhub.Contracts.V1;

namespace Ketenhub.ClientTests;

/// <summary>Explain through the SDK, for a registered client and for one the hub does not know yet.</summary>
public sealed class ExplainTests : IDisposable
{
    private readonly SdkHub _hub = new();

    public void Dispose() => _hub.Dispose();

    private static Transition SchoolLeaver(string client) => new()
    {
        Client = client,
        Kind = TransitionKind.SchoolLeaver18,
        FromParty = "parties/hans-petrischool",
        ToParty = "parties/sdd",
        EffectiveDate = new Google.Type.Date { Year = 2026, Month = 7, Day = 1 },
    };

    [Fact]
    public async Task AProspectiveStudent_IsExplainedAsTheRegisteredStudentThenIs()
    {
        var school = _hub.As("hans-petrischool");
        var prospective = new ProspectiveClient { BirthDate = new Google.Type.Date { Year = 2008, Month = 3, Day = 1 }, MunicipalityCode = "0505", School = "parties/hans-petrischool" };

        var before = await school.Explain.TransitionForProspectiveClientAsync(SchoolLeaver(string.Empty), prospective);
        var registered = await school.Clients.RegisterAsync("111222333", new DateOnly(2008, 3, 1), "0505", "parties/hans-petrischool");
        var after = await school.Explain.TransitionAsync(SchoolLeaver(registered.Client.Name));

        var toSdd = Assert.Single(before.Decisions);
        Assert.Equal(("parties/sdd", RecipientOutcome.AwaitingConsent), (toSdd.Recipient, toSdd.Outcome));
        Assert.Equal(after.Decisions, before.Decisions);
        Assert.Equal(after.MatchedRules, before.MatchedRules);
    }

    [Fact]
    public async Task AProspectiveClientForADraftThatNamesAClient_IsRefused_NamingTheField()
    {
        var school = _hub.As("hans-petrischool");
        var prospective = new ProspectiveClient { BirthDate = new Google.Type.Date { Year = 2008, Month = 3, Day = 1 }, MunicipalityCode = "0505" };

        var error = await Assert.ThrowsAsync<KetenhubException>(() => school.Explain.TransitionForProspectiveClientAsync(SchoolLeaver("clients/someone"), prospective));

        Assert.Equal((StatusCode.InvalidArgument, "INVALID_REQUEST"), (error.StatusCode, error.Reason));
        var violation = Assert.Single(error.FieldViolations);
        Assert.Equal(("prospective_client", "INVALID_REQUEST"), (violation.Field, violation.Reason));
        Assert.Equal("prospective_client", error.Metadata["field"]);
        await Assert.ThrowsAsync<ArgumentNullException>(() => school.Explain.SignalForProspectiveClientAsync(new Signal(), null!));
    }
}

using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Integration;

/// <summary>
/// The care team's etag: a conditional coach change goes through only while the coach is still the one the caller read;
/// after someone else's change it is ABORTED with ETAG_MISMATCH and changes nothing; without an etag it is unconditional.
/// </summary>
public sealed class CoachEtagTests : IDisposable
{
    private readonly HubFactory _hub = new(new DateTimeOffset(2026, 6, 8, 8, 0, 0, TimeSpan.Zero));

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task AConditionalChange_HoldsOnlyWhileTheCoachIsUnchanged()
    {
        var waakvlam = _hub.As("waakvlam-zorg");
        var client = await waakvlam.RegisterAsync(Kit.NewBsn(), Date(2001, 1, 21), "0610");
        await waakvlam.AssignCoachAsync(client.Name, "ahmed", "Ahmed");
        var read = (await waakvlam.Clients.GetCareTeamAsync(new GetCareTeamRequest { Client = client.Name })).CareTeam;
        Assert.NotEmpty(read.Etag);

        // Someone else changes the coach first.
        var other = await Assign(waakvlam, client.Name, "bea", etag: read.Etag);
        Assert.Equal("bea", other.CareTeam.Coach.CoachId);
        Assert.NotEqual(read.Etag, other.CareTeam.Etag);

        // The change made on the old reading is refused and changes nothing.
        await Errors.Expect(StatusCode.Aborted, "ETAG_MISMATCH", () => Assign(waakvlam, client.Name, "carla", etag: read.Etag));
        var now = (await waakvlam.Clients.GetCareTeamAsync(new GetCareTeamRequest { Client = client.Name })).CareTeam;
        Assert.Equal("bea", now.Coach.CoachId);
        Assert.Equal(other.CareTeam.Etag, now.Etag);

        // With the new etag it goes through; without one it is unconditional.
        Assert.Equal("carla", (await Assign(waakvlam, client.Name, "carla", etag: now.Etag)).CareTeam.Coach.CoachId);
        Assert.Equal("dirk", (await Assign(waakvlam, client.Name, "dirk", etag: string.Empty)).CareTeam.Coach.CoachId);
    }

    private static async Task<AssignCoachResponse> Assign(PartyClient party, string client, string coachId, string etag) =>
        await party.Clients.AssignCoachAsync(new AssignCoachRequest
        {
            RequestId = NewRequestId(),
            Client = client,
            Etag = etag,
            Coach = new Coach { Party = party.PartyName, CoachId = coachId, DisplayName = coachId, Phone = "078-0000000", Email = coachId + "@example.org" },
        });
}

using System.Security.Cryptography;
using Ketenhub.Contracts.V1;
using Ketenhub.Hub.Clients;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using Ketenhub.HubTests.Integration;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Privacy;

/// <summary>
/// Key rotation through the real host and a real database file: BSNs stored under an old key are rewritten
/// under the new active key, after which the old key can go and deliveries still carry the right BSN.
/// </summary>
public sealed class BsnKeyRotationTests : IDisposable
{
    private static readonly string OldKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private static readonly string NewKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private readonly string _data = Path.Combine(Path.GetTempPath(), "ketenhub-tests", "rotation-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task Reencryption_MovesEveryBsnToTheActiveKey_ThenTheOldKeyCanGo()
    {
        var bsn = Kit.NewBsn();
        string clientName;
        using (var before = Hub(active: "old", ("old", OldKey)))
        {
            var waakvlam = before.As("waakvlam-zorg");
            var client = await waakvlam.RegisterAsync(bsn, Date(1990, 1, 1), "0505");
            clientName = client.Name;
            await waakvlam.AssignCoachAsync(client.Name, "lisa", "Lisa");
            await waakvlam.GrantAsync(client.Name, GrantorRole.Client, "waakvlam-zorg", [Purpose.SignalFollowUp], [DataCategory.Finances]);
            await waakvlam.RegisterAsync(Kit.NewBsn(), Date(2001, 2, 3), "0505");
            await waakvlam.RegisterAsync(Kit.NewBsn(), Date(2002, 2, 3), "0642");
        }

        Assert.All(StoredBsns(), stored => Assert.StartsWith("v1:old:", stored, StringComparison.Ordinal));

        using (var during = Hub(active: "new", ("old", OldKey), ("new", NewKey)))
        {
            var rotation = during.Services.GetRequiredService<BsnKeyRotation>();
            Assert.Equal(new BsnReencryption(3, 3), await rotation.ReencryptAllAsync(CancellationToken.None));
            Assert.Equal(new BsnReencryption(3, 0), await rotation.ReencryptAllAsync(CancellationToken.None));
        }

        Assert.All(StoredBsns(), stored => Assert.StartsWith("v1:new:", stored, StringComparison.Ordinal));
        Assert.Equal(3, StoredBsns().Count);

        // Only the new key is left: the client is still found by BSN, and a delivery still carries the BSN.
        using var after = Hub(active: "new", ("new", NewKey));
        var provider = after.As("waakvlam-zorg");
        var again = await provider.Clients.RegisterClientAsync(new RegisterClientRequest { RequestId = NewRequestId(), Bsn = bsn, BirthDate = Date(1990, 1, 1), MunicipalityCode = "0505" });
        Assert.True(again.AlreadyRegistered);
        Assert.Equal(bsn, await DeliveredBsnAsync(after, clientName));
    }

    [Fact]
    public async Task AKeyRemovedBeforeReencryption_IsReportedAsBsnKeyUnavailable_NotAsData()
    {
        using (var before = Hub(active: "old", ("old", OldKey)))
        {
            await before.As("waakvlam-zorg").RegisterAsync(Kit.NewBsn(), Date(2001, 2, 3), "0505");
        }

        using var after = Hub(active: "new", ("new", NewKey));
        var error = await Assert.ThrowsAsync<Ketenhub.Hub.Common.HubException>(() => after.Services.GetRequiredService<BsnKeyRotation>().ReencryptAllAsync(CancellationToken.None));
        Assert.Equal("BSN_KEY_UNAVAILABLE", error.Reason);
        Assert.All(StoredBsns(), stored => Assert.StartsWith("v1:old:", stored, StringComparison.Ordinal));
    }

    private HubFactory Hub(string active, params (string Id, string Key)[] keys)
    {
        var hub = new HubFactory();
        hub.With("Storage:DataDirectory", _data).With("Hub:BsnEncryption:ActiveKeyId", active);
        foreach (var (id, key) in keys)
        {
            hub.With("Hub:BsnEncryption:Keys:" + id, key);
        }

        return hub;
    }

    /// <summary>The BSN in a signal delivery to the coach's provider (which has a legal need), after a signal from SDD.</summary>
    private static async Task<string> DeliveredBsnAsync(HubFactory hub, string client)
    {
        await hub.As("sdd").Signals.CreateSignalAsync(Kit.Signal(client));
        using var stream = hub.As("waakvlam-zorg").Tail();
        var delivery = await Kit.NextOfKind(stream, Delivery.PayloadOneofCase.Signal);
        return delivery.ClientDetails.Bsn;
    }

    /// <summary>The stored (encrypted) BSN of every client, read from the database file.</summary>
    private List<string> StoredBsns()
    {
        var file = Directory.GetFiles(_data, "*.db").Single();
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT json_extract(json, '$.protectedBsn') FROM clients;";
        using var reader = command.ExecuteReader();
        var result = new List<string>();
        while (reader.Read())
        {
            result.Add(reader.GetString(0));
        }

        return result;
    }
}

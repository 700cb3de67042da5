using System.Security.Cryptography;
using System.Text;
using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using Ketenhub.HubTests.Integration;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Privacy;

/// <summary>
/// Free text about a client (a signal's description, a referral's reason and strengths, a transition's handover
/// summary, and the stored answers that repeat them) is sealed at rest like the BSN: it is nowhere in the database
/// file or its WAL, recipients still read it, and a key rotation rewrites it so the old key can go.
/// </summary>
public sealed class FreeTextAtRestTests : IDisposable
{
    private static readonly string OldKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private static readonly string NewKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private readonly string _data = Path.Combine(Path.GetTempPath(), "ketenhub-tests", "free-text-" + Guid.NewGuid().ToString("N"));

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
    public async Task FreeText_IsNotInTheDatabaseOrItsWal_RecipientsReadIt_AndRotationMovesItToTheNewKey()
    {
        var marker = "Marker" + Guid.NewGuid().ToString("N");
        var bsnInText = Kit.NewBsn();
        string client;
        string signal;
        string description = $"{marker} signal; the client said her BSN is {bsnInText}.";
        using (var before = Hub(active: "old", ("old", OldKey)))
        {
            var sdd = before.As("sdd");
            var coach = before.As("waakvlam-zorg");
            var registered = await coach.RegisterAsync(Kit.NewBsn(), Date(1994, 11, 2), "0505");
            client = registered.Name;
            await coach.AssignCoachAsync(client, "lisa", "Lisa");
            await coach.GrantAsync(client, GrantorRole.Client, "waakvlam-zorg", [Purpose.SignalFollowUp, Purpose.CareDelivery, Purpose.Transition], [DataCategory.Finances, DataCategory.SupportPlan, DataCategory.ContactDetails]);
            signal = (await sdd.Signals.CreateSignalAsync(Kit.Signal(client, description))).Signal.Name;
            var referral = Kit.CareReferral(client, "waakvlam-zorg");
            referral.Reason = marker + " reason";
            referral.Strengths = marker + " strengths";
            await sdd.Referrals.CreateReferralAsync(new CreateReferralRequest { RequestId = NewRequestId(), Referral = referral });
            await coach.Transitions.CreateTransitionAsync(new CreateTransitionRequest
            {
                RequestId = NewRequestId(),
                Transition = new Transition { Client = client, Kind = TransitionKind.ScaleDown, EffectiveDate = Date(2026, 2, 1), HandoverSummary = marker + " summary" },
            });

            // The recipient reads the text as it was sent.
            var received = await coach.DrainAsync(acknowledge: true);
            Assert.Contains(received, d => d.Signal?.Description == description);
            Assert.Contains(received, d => d.Referral?.Strengths == marker + " strengths");

            // While the hub runs, with its WAL in use.
            Assert.Contains(Directory.GetFiles(_data), f => f.EndsWith("-wal", StringComparison.Ordinal));
            Assert.Empty(RawFindings(marker, bsnInText));
        }

        Assert.Empty(RawFindings(marker, bsnInText));
        var sealedRows = StoredDocuments();
        Assert.True(sealedRows.Count >= 4, $"expected the signal, referral, transition and stored answers, found {sealedRows.Count}");
        Assert.All(sealedRows, r => Assert.StartsWith("t1:old:", r.Stored, StringComparison.Ordinal));

        using (var during = Hub(active: "new", ("old", OldKey), ("new", NewKey)))
        {
            var store = during.Services.GetRequiredService<Ketenhub.Hub.Storage.IHubStore>();
            var first = await store.ResealDocumentsAsync();
            Assert.True(first.Rewritten > 0 && first.Rewritten == first.Examined, $"rewrote {first.Rewritten} of {first.Examined}");
            var second = await store.ResealDocumentsAsync();
            Assert.Equal((first.Examined, 0), (second.Examined, second.Rewritten));
        }

        Assert.All(StoredDocuments(), r => Assert.StartsWith("t1:new:", r.Stored, StringComparison.Ordinal));

        // Only the new key is left: the stored signal still reads, word for word.
        using var after = Hub(active: "new", ("new", NewKey));
        var read = await after.As("sdd").Signals.GetSignalAsync(new GetSignalRequest { Name = signal });
        Assert.Equal(description, read.Signal.Description);
        Assert.Empty(RawFindings(marker, bsnInText));
    }

    [Fact]
    public async Task ADocumentMovedToAnotherRow_DoesNotOpen()
    {
        CreateSignalResponse first;
        CreateSignalResponse second;
        using (var hub = Hub(active: "old", ("old", OldKey)))
        {
            var sdd = hub.As("sdd");
            var registered = await sdd.RegisterAsync(Kit.NewBsn(), Date(1994, 11, 2), "0505");
            first = await sdd.Signals.CreateSignalAsync(Kit.Signal(registered.Name, "first"));
            second = await sdd.Signals.CreateSignalAsync(Kit.Signal(registered.Name, "second"));
        }

        // Copy the first signal's sealed document onto the second's row: it is bound to its own id and does not open.
        var file = Directory.GetFiles(_data, "*.db").Single();
        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Pooling = false }.ToString()))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE signals SET json = (SELECT json FROM signals WHERE id = $first) WHERE id = $second;";
            command.Parameters.AddWithValue("$first", first.Signal.Name["signals/".Length..]);
            command.Parameters.AddWithValue("$second", second.Signal.Name["signals/".Length..]);
            Assert.Equal(1, command.ExecuteNonQuery());
        }

        using var again = Hub(active: "old", ("old", OldKey));
        var read = await Errors.Of(() => again.As("sdd").Signals.GetSignalAsync(new GetSignalRequest { Name = second.Signal.Name }).ResponseAsync);
        Assert.Equal("BSN_KEY_UNAVAILABLE", read.Reason);
        var intact = await again.As("sdd").Signals.GetSignalAsync(new GetSignalRequest { Name = first.Signal.Name });
        Assert.Equal("first", intact.Signal.Description);
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

    /// <summary>Where the marker or the BSN typed into the text occurs in the raw bytes of the data folder's files.</summary>
    private List<string> RawFindings(params string[] needles)
    {
        var findings = new List<string>();
        foreach (var file in Directory.GetFiles(_data, "*", SearchOption.AllDirectories))
        {
            byte[] bytes;
            try
            {
                using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                bytes = new byte[stream.Length];
                stream.ReadExactly(bytes);
            }
            catch (FileNotFoundException)
            {
                continue; // the -shm or -wal of a hub that has just closed
            }

            var text = Encoding.Latin1.GetString(bytes);
            findings.AddRange(needles.Where(n => text.Contains(n, StringComparison.Ordinal)).Select(n => $"{Path.GetFileName(file)} holds {(n.StartsWith("Marker", StringComparison.Ordinal) ? "the free text" : "the BSN typed into it")}"));
        }

        return findings;
    }

    /// <summary>The stored form of every sealed document (signals, referrals, transitions, stored answers), from the database file.</summary>
    private List<(string Table, string Stored)> StoredDocuments()
    {
        var file = Directory.GetFiles(_data, "*.db").Single();
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT 'signals', json FROM signals UNION ALL SELECT 'referrals', json FROM referrals UNION ALL SELECT 'transitions', json FROM transitions UNION ALL SELECT 'requests', result_json FROM requests;";
        using var reader = command.ExecuteReader();
        var rows = new List<(string, string)>();
        while (reader.Read())
        {
            rows.Add((reader.GetString(0), reader.GetString(1)));
        }

        return rows;
    }
}

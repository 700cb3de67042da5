using System.Text;
using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.Hub.Audit;
using AuditAction = Ketenhub.Hub.Audit.AuditAction;
using AuditCheck = Ketenhub.Hub.Audit.AuditCheck;
using AuditCheckKind = Ketenhub.Hub.Audit.AuditCheckKind;
using AuditOutcome = Ketenhub.Hub.Audit.AuditOutcome;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.HubTests.Integration;
using Ketenhub.Testing.InProcess;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Privacy;

/// <summary>
/// Erasure at a privacy officer's request (<c>ClientService.EraseClient</c>, docs/privacy.md) on the hub with a real
/// SQLite file: only the privacy-officer role may; refused with a coded reason while a message is on its way or a legal
/// hold applies; afterwards the client's BSN (encrypted and hashed), birth date and message content are nowhere in the
/// database file, the client's name answers <c>CLIENT_ERASED</c>, another client is untouched, the erasure is audited
/// with its ground and the audit chain still verifies.
/// </summary>
public sealed class ErasureTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "ketenhub-tests", "erasure-" + Guid.NewGuid().ToString("N"));

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
    public async Task ThePrivacyOfficer_ErasesAClient_NothingOfItIsLeftInTheFile_OthersAreUntouched_AndTheChainVerifies()
    {
        string erasedSignal;
        string otherSignal;
        string erasedClient;
        string otherClient;
        Needles erasedNeedles;
        Needles otherNeedles;
        using (var hub = Hub())
        {
            var sdd = hub.As("sdd");
            (erasedClient, erasedSignal) = await ClientWithSignalAsync(hub, Date(1994, 11, 2), "erase me");
            (otherClient, otherSignal) = await ClientWithSignalAsync(hub, Date(1996, 3, 4), "keep me");
            erasedNeedles = StoredNeedles(erasedClient, erasedSignal, "1994-11-02");
            otherNeedles = StoredNeedles(otherClient, otherSignal, "1996-03-04");
            Assert.NotEmpty(Found(erasedNeedles));

            // Not for an administrator: only the privacy officer. The refusal is audited.
            var denied = await Errors.Detail(() => Erase(hub.As("sdd", "ops-1", ["admin"]), erasedClient));
            Assert.Equal((StatusCode.PermissionDenied, "PRIVACY_OFFICER_ROLE_REQUIRED"), (denied.Code, denied.Reason));

            // A message still on its way keeps the data; nothing changes.
            var pending = (await sdd.Signals.CreateSignalAsync(Kit.Signal(erasedClient, "still on its way"))).Signal.Name;
            var retained = await Errors.Detail(() => Erase(Officer(hub), erasedClient));
            Assert.Equal((StatusCode.FailedPrecondition, "LEGAL_RETENTION_APPLIES", "OPEN_DELIVERY"), (retained.Code, retained.Reason, retained.Metadata["retention"]));
            Assert.Equal(erasedClient, (await hub.As("waakvlam-zorg").Clients.GetClientAsync(new GetClientRequest { Name = erasedClient })).Client.Name);
            await DrainAllAsync(hub, pending);

            var erased = await Erase(Officer(hub), erasedClient);
            Assert.Equal(erasedClient, erased.Name);
            Assert.False(erased.AlreadyErased);
            Assert.Equal(2, erased.ErasedMessages);
            Assert.True(erased.RemovedRecords >= 3, $"removed {erased.RemovedRecords} related records");

            // The name resolves to "erased"; the messages keep their state without content.
            var gone = await Errors.Detail(() => hub.As("waakvlam-zorg").Clients.GetClientAsync(new GetClientRequest { Name = erasedClient }).ResponseAsync);
            Assert.Equal((StatusCode.NotFound, "CLIENT_ERASED"), (gone.Code, gone.Reason));
            var signal = (await sdd.Signals.GetSignalAsync(new GetSignalRequest { Name = erasedSignal })).Signal;
            Assert.Equal(string.Empty, signal.Description);
            Assert.NotNull(signal.ContentEraseTime);
            var refusedAfter = await Errors.Detail(() => sdd.Signals.CreateSignalAsync(Kit.Signal(erasedClient)).ResponseAsync);
            Assert.Equal("CLIENT_ERASED", refusedAfter.Reason);

            // Another client is untouched.
            Assert.Equal("keep me", (await sdd.Signals.GetSignalAsync(new GetSignalRequest { Name = otherSignal })).Signal.Description);
            Assert.Equal(otherClient, (await hub.As("waakvlam-zorg").Clients.GetClientAsync(new GetClientRequest { Name = otherClient })).Client.Name);

            // Erasing again changes nothing and says so.
            Assert.True((await Erase(Officer(hub), erasedClient)).AlreadyErased);

            // Audited with the officer and the ground, the client by pseudonym only; the chain verifies.
            var audit = hub.Services.GetRequiredService<AuditTrail>();
            var events = await hub.Services.GetRequiredService<Ketenhub.Hub.Storage.IHubStore>().ReadAsync(s => s.ListAuditRecords(new Ketenhub.Hub.Storage.AuditQuery(Limit: 100_000)));
            var erasures = events.Select(r => AuditChain.Open(r).Event).Where(e => e.EventType == "EraseClient").ToList();
            Assert.Equal(
                [(AuditOutcome.Refused, "PRIVACY_OFFICER_ROLE_REQUIRED"), (AuditOutcome.Refused, "LEGAL_RETENTION_APPLIES"), (AuditOutcome.Success, null), (AuditOutcome.Success, null)],
                erasures.Select(e => (e.Outcome, e.Reason)));
            var done = erasures[2];
            Assert.Equal((AuditAction.Delete, "po-1", audit.PseudonymOf(erasedClient["clients/".Length..])), (done.Action, done.ActorUser, done.Client));
            Assert.Contains(new AuditCheck(AuditCheckKind.LegalBasis, "ERASURE:DATA_SUBJECT_REQUEST"), done.Checks);
            var verified = await Officer(hub).Audit.VerifyAuditTrailAsync(new VerifyAuditTrailRequest());
            Assert.True(verified.Intact, verified.Description);
        }

        // The hub is closed (its WAL folded into the file): the erased client's data is nowhere in the folder's files,
        // the other client's is still there.
        Assert.Empty(Found(erasedNeedles));
        Assert.Equal(otherNeedles.All.Count, Found(otherNeedles).Count(f => f.EndsWith("ketenhub.db", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task AClientUnderALegalHold_IsNotErased()
    {
        string client;
        using (var first = Hub())
        {
            (client, _) = await ClientWithSignalAsync(first, Date(1994, 11, 2), "held");
        }

        using var hub = Hub();
        hub.With("Hub:Retention:LegalHolds:0", client["clients/".Length..]);
        var held = await Errors.Detail(() => Erase(Officer(hub), client));
        Assert.Equal(("LEGAL_RETENTION_APPLIES", "LEGAL_HOLD"), (held.Reason, held.Metadata["retention"]));
        Assert.Equal(client, (await hub.As("waakvlam-zorg").Clients.GetClientAsync(new GetClientRequest { Name = client })).Client.Name);
    }

    private HubFactory Hub()
    {
        var hub = new HubFactory();
        hub.With("Storage:DataDirectory", _data);
        return hub;
    }

    private static PartyClient Officer(HubFactory hub) => hub.As("sdd", "po-1", ["privacy-officer"]);

    private static Task<EraseClientResponse> Erase(PartyClient officer, string client) =>
        officer.Clients.EraseClientAsync(new EraseClientRequest { RequestId = NewRequestId(), Name = client, Ground = ErasureGround.DataSubjectRequest }).ResponseAsync;

    private static async Task<(string Client, string Signal)> ClientWithSignalAsync(HubFactory hub, Google.Type.Date birthDate, string description)
    {
        var coach = hub.As("waakvlam-zorg");
        var client = (await coach.RegisterAsync(Kit.NewBsn(), birthDate, "0505")).Name;
        await coach.AssignCoachAsync(client, "lisa", "Lisa");
        await coach.GrantAsync(client, GrantorRole.Client, "waakvlam-zorg", [Purpose.SignalFollowUp], [DataCategory.Finances]);
        var signal = (await hub.As("sdd").Signals.CreateSignalAsync(Kit.Signal(client, description))).Signal.Name;
        await DrainAllAsync(hub, signal);
        return (client, signal);
    }

    private static async Task DrainAllAsync(HubFactory hub, string signal)
    {
        var store = hub.Services.GetRequiredService<Ketenhub.Hub.Storage.IHubStore>();
        var recipients = await store.ReadAsync(s => s.GetDeliveriesForMessage(signal["signals/".Length..]).Select(d => d.Recipient).Distinct().ToList());
        foreach (var recipient in recipients)
        {
            await hub.As(recipient).DrainAsync(acknowledge: true);
        }
    }

    /// <summary>What the database file holds of a client: its BSN hash, its encrypted BSN, its birth date, its signal's sealed document.</summary>
    private sealed record Needles(IReadOnlyList<string> All);

    private Needles StoredNeedles(string client, string signal, string birthDate)
    {
        var file = Directory.GetFiles(_data, "*.db").Single();
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Pooling = false, Mode = SqliteOpenMode.ReadOnly }.ToString());
        connection.Open();
        string Scalar(string sql, string id)
        {
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            command.Parameters.AddWithValue("$id", id);
            return (string)command.ExecuteScalar()!;
        }

        var id = client["clients/".Length..];
        var json = System.Text.Json.JsonDocument.Parse(Scalar("SELECT json FROM clients WHERE id = $id;", id));
        return new Needles(
        [
            Scalar("SELECT bsn_hash FROM clients WHERE id = $id;", id),
            json.RootElement.GetProperty("protectedBsn").GetString()!,
            "\"birthDate\":\"" + birthDate + "\"",
            Scalar("SELECT birth_date FROM clients WHERE id = $id;", id) == birthDate ? birthDate : throw new InvalidOperationException("birth date column"),
            Scalar("SELECT json FROM signals WHERE id = $id;", signal["signals/".Length..]),
        ]);
    }

    /// <summary>Which needle was found in which of the data folder's files (database, WAL), by the needle's place in the list.</summary>
    private List<string> Found(Needles needles)
    {
        var files = Directory.GetFiles(_data).Where(f => f.Contains(".db", StringComparison.Ordinal)).Select(f => (Path.GetFileName(f), File.ReadAllBytes(f))).ToList();
        return
        [
            .. needles.All.Distinct().Select((n, i) => (Needle: n, Index: i))
                .SelectMany(n => files.Where(f => f.Item2.AsSpan().IndexOf(Encoding.UTF8.GetBytes(n.Needle)) >= 0).Select(f => $"needle {n.Index} in {f.Item1}")),
        ];
    }
}

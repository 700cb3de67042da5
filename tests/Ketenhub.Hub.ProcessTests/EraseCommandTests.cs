using System.Text;
using Ketenhub.Testing;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;
using static Ketenhub.Testing.HubProcessClient;

namespace Ketenhub.ProcessTests;

/// <summary>
/// <c>Ketenhub.Hub erase</c> as a privacy officer runs it on the hub's host: the hub's own executable, the same
/// settings, a real SQLite database written by a serving hub. Afterwards the client's BSN (hashed and encrypted) and
/// birth date are nowhere in the database file, the other client's are, and <c>audit verify</c> still passes; a client
/// under a legal hold is refused with exit code 1 and left as it was.
/// </summary>
public sealed class EraseCommandTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Erase_RemovesTheClientFromTheFile_KeepsTheOther_AndTheAuditTrailStillVerifies()
    {
        using var hub = new HubProcess();
        string erasedName;
        using (var start = new CancellationTokenSource(Timeout))
        {
            await hub.StartAsync(start.Token);
            var waakvlam = hub.As("waakvlam-zorg");
            erasedName = (await waakvlam.RegisterAsync("111222333", Date(1994, 11, 2), "0505", start.Token)).Name;
            await waakvlam.RegisterAsync("123456782", Date(1996, 3, 4), "0505", start.Token);
            hub.Kill();
        }

        var erased = Needles(hub, "1994-11-02");
        var other = Needles(hub, "1996-03-04");
        Assert.Equal(erased.Count, Found(hub, erased).Count);

        // Without a ground the command says what it needs and changes nothing.
        Assert.Equal(2, await RunAsync(hub, "erase", "--client", erasedName, "--party", "waakvlam-zorg", "--officer", "po-1"));
        Assert.Equal(erased.Count, Found(hub, erased).Count);

        // The party's own name for the client, with --party, finds it.
        Assert.Equal(0, await RunAsync(hub, "erase", "--client", erasedName, "--party", "waakvlam-zorg", "--ground", "DATA_SUBJECT_REQUEST", "--officer", "po-1"));
        Assert.Contains("Erased client cli_", hub.OutputOfRun(hub.Runs), StringComparison.Ordinal);
        Assert.Empty(Found(hub, erased));
        Assert.Equal(other.Count, Found(hub, other).Count);

        Assert.Equal(0, await RunAsync(hub, "audit", "verify"));
        Assert.Contains("intact", hub.OutputOfRun(hub.Runs), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task AClientUnderALegalHold_IsRefused_WithExitCode1_AndLeftAsItWas()
    {
        using var hub = new HubProcess();
        using (var start = new CancellationTokenSource(Timeout))
        {
            await hub.StartAsync(start.Token);
            await hub.As("waakvlam-zorg").RegisterAsync("987654329", Date(1994, 11, 2), "0505", start.Token);
            hub.Kill();
        }

        var id = ClientId(hub, "1994-11-02");
        var needles = Needles(hub, "1994-11-02");
        hub.Set("Hub:Retention:LegalHolds:0", id);
        Assert.Equal(1, await RunAsync(hub, "erase", "--client", "clients/" + id, "--ground", "LEGAL_OBLIGATION", "--officer", "po-1"));
        Assert.Contains("Erasure refused (LEGAL_RETENTION_APPLIES)", hub.OutputOfRun(hub.Runs), StringComparison.Ordinal);
        Assert.Contains("retention=LEGAL_HOLD", hub.OutputOfRun(hub.Runs), StringComparison.Ordinal);
        Assert.Equal(needles.Count, Found(hub, needles).Count);
    }

    private async Task<int> RunAsync(HubProcess hub, params string[] arguments)
    {
        hub.Start(arguments);
        var code = await hub.WaitForExitAsync(Timeout);
        output.WriteLine(hub.OutputOfRun(hub.Runs));
        return code;
    }

    private static string Database(HubProcess hub) => Path.Combine(hub.DataDirectory, "ketenhub.db");

    private static string ClientId(HubProcess hub, string birthDate) => (string)Scalar(hub, "SELECT id FROM clients WHERE birth_date = $value;", birthDate);

    /// <summary>What the file holds of the client with this birth date: its BSN hash, its encrypted BSN and its birth date.</summary>
    private static List<string> Needles(HubProcess hub, string birthDate)
    {
        var json = System.Text.Json.JsonDocument.Parse((string)Scalar(hub, "SELECT json FROM clients WHERE birth_date = $value;", birthDate));
        return
        [
            (string)Scalar(hub, "SELECT bsn_hash FROM clients WHERE birth_date = $value;", birthDate),
            json.RootElement.GetProperty("protectedBsn").GetString()!,
            "\"birthDate\":\"" + birthDate + "\"",
        ];
    }

    private static object Scalar(HubProcess hub, string sql, string value)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Database(hub), Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$value", value);
        return command.ExecuteScalar() ?? throw new InvalidOperationException("No client with that birth date.");
    }

    /// <summary>The needles found in the raw bytes of the database file and its WAL, if any.</summary>
    private static List<string> Found(HubProcess hub, List<string> needles)
    {
        var files = Directory.GetFiles(hub.DataDirectory).Where(f => f.Contains("ketenhub.db", StringComparison.Ordinal)).Select(File.ReadAllBytes).ToList();
        return [.. needles.Where(n => files.Exists(bytes => bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(n)) >= 0))];
    }
}

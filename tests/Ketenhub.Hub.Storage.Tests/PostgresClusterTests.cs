using Ketenhub.Testing.Postgres;

namespace Ketenhub.Hub.Storage.Tests;

/// <summary>How the test server's binaries are found, and that their absence fails the tests instead of skipping them.</summary>
public sealed class PostgresClusterTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "ketenhub-pg-bin-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private string Binaries(string relative)
    {
        var folder = Path.Combine(_root, relative);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "initdb"), "");
        File.WriteAllText(Path.Combine(folder, "pg_ctl"), "");
        return folder;
    }

    [Fact]
    public void WithoutServerBinaries_FindingThemFails_SayingHowToInstallThem()
    {
        Directory.CreateDirectory(Path.Combine(_root, "empty"));

        var error = Assert.Throws<InvalidOperationException>(() =>
            PostgresCluster.FindBinaries(Path.Combine(_root, "none"), Path.Combine(_root, "empty"), Path.Combine(_root, "no-debian")));

        Assert.Contains("apt-get install -y postgresql", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheConfiguredFolder_ThenPath_ThenTheNewestDebianVersion()
    {
        var configured = Binaries("configured");
        var onPath = Binaries("on-path");
        Binaries("debian/9.6/bin");
        Binaries("debian/13/bin");
        var newest = Binaries("debian/15/bin");
        var emptyPath = Path.Combine(_root, "nothing-here");

        Assert.Equal(configured, PostgresCluster.FindBinaries(configured, onPath, Path.Combine(_root, "debian")));
        Assert.Equal(onPath, PostgresCluster.FindBinaries(null, emptyPath + Path.PathSeparator + onPath, Path.Combine(_root, "debian")));
        Assert.Equal(newest, PostgresCluster.FindBinaries(null, emptyPath, Path.Combine(_root, "debian")));
    }

    [Fact]
    public async Task TheSharedServer_RunsAsANonRootUser_OnTheLoopbackAddress()
    {
        var connectionString = await PostgresCluster.Shared.CreateDatabaseAsync();
        try
        {
            await using var connection = new Npgsql.NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand("SELECT current_setting('listen_addresses'), pg_postmaster_start_time() IS NOT NULL;", connection);
            await using var rows = await command.ExecuteReaderAsync();
            Assert.True(await rows.ReadAsync());
            Assert.Equal("127.0.0.1", rows.GetString(0));
            Assert.True(rows.GetBoolean(1));
        }
        finally
        {
            await PostgresCluster.Shared.DropDatabaseAsync(connectionString);
        }

        if (!OperatingSystem.IsWindows())
        {
            // initdb made the data folder for its user alone, and that user is not root (initdb refuses root).
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(PostgresCluster.Shared.DataFolder));
            var stat = new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%u", PostgresCluster.Shared.DataFolder]) { RedirectStandardOutput = true };
            using var process = System.Diagnostics.Process.Start(stat)!;
            var owner = (await process.StandardOutput.ReadToEndAsync()).Trim();
            await process.WaitForExitAsync();
            Assert.NotEqual("0", owner);
        }
    }
}

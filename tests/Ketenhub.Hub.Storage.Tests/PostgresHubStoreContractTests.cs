using System.Collections.Concurrent;
using Ketenhub.Hub.Storage.Postgres;
using Ketenhub.Testing.Postgres;

namespace Ketenhub.Hub.Storage.Tests;

/// <summary>
/// The storage contract against the PostgreSQL store, on the test process's throwaway cluster
/// (<see cref="PostgresCluster.Shared"/>): each test gets a database of its own, and every store opened on the test's
/// directory connects to that database, so "reopen and see what was committed" holds as it does for SQLite. Without
/// the PostgreSQL binaries these tests fail; CI installs them.
/// </summary>
public sealed class PostgresHubStoreContractTests : HubStoreContractTests
{
    private readonly ConcurrentDictionary<string, string> _databases = new(StringComparer.Ordinal);

    protected override IHubStore CreateStore(string directory) =>
        new PostgresHubStore(new PostgresStoreOptions { ConnectionString = DatabaseFor(directory) });

    /// <summary>The connection string of the database that stands for <paramref name="directory"/>, made on first use.</summary>
    internal string DatabaseFor(string directory) =>
        _databases.GetOrAdd(directory, _ => PostgresCluster.Shared.CreateDatabaseAsync().GetAwaiter().GetResult());

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        foreach (var connectionString in _databases.Values)
        {
            await PostgresCluster.Shared.DropDatabaseAsync(connectionString);
        }
    }
}

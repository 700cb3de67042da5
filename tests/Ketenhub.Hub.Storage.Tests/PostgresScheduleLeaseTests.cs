using Ketenhub.Hub.Storage.Postgres;
using Ketenhub.Testing.Postgres;
using Npgsql;

namespace Ketenhub.Hub.Storage.Tests;

/// <summary>Scheduled work once across instances: one lease holder at a time, and a lease that outlives no dead holder.</summary>
public sealed class PostgresScheduleLeaseTests : IAsyncLifetime
{
    private string _database = ""; // the connection string of a database of this test

    public async Task InitializeAsync() => _database = await PostgresCluster.Shared.CreateDatabaseAsync();

    public async Task DisposeAsync() => await PostgresCluster.Shared.DropDatabaseAsync(_database);

    [Fact]
    public async Task OneInstanceHoldsTheLease_AndTheNextTakesItWhenGivenBack()
    {
        var a = new PostgresScheduleLease(_database);
        var b = new PostgresScheduleLease(_database);

        var held = await a.TryAcquireAsync("scheduled-work", CancellationToken.None);
        Assert.NotNull(held);
        Assert.Null(await b.TryAcquireAsync("scheduled-work", CancellationToken.None));

        // Another piece of work has a lease of its own.
        await using (var other = await b.TryAcquireAsync("person-facts", CancellationToken.None))
        {
            Assert.NotNull(other);
        }

        await held!.DisposeAsync();
        await using var taken = await b.TryAcquireAsync("scheduled-work", CancellationToken.None);
        Assert.NotNull(taken);
    }

    [Fact]
    public async Task TheLeaseOfAnInstanceThatDies_IsTakenOverByTheNext()
    {
        var a = new PostgresScheduleLease(_database);
        var b = new PostgresScheduleLease(_database);
        var held = await a.TryAcquireAsync("scheduled-work", CancellationToken.None);
        Assert.NotNull(held);
        Assert.Null(await b.TryAcquireAsync("scheduled-work", CancellationToken.None));

        // The holder's connection dies with its instance: the server ends its session.
        await using (var admin = new NpgsqlConnection(_database))
        {
            await admin.OpenAsync();
            await using var kill = new NpgsqlCommand(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 AND granted;", admin);
            kill.Parameters.Add(new NpgsqlParameter { Value = (long)(uint)PostgresScheduleLease.KeyOf("scheduled-work") });
            Assert.Equal(true, await kill.ExecuteScalarAsync());
        }

        var deadline = DateTime.UtcNow.AddSeconds(10);
        IAsyncDisposable? taken = null;
        while (taken is null && DateTime.UtcNow < deadline)
        {
            taken = await b.TryAcquireAsync("scheduled-work", CancellationToken.None);
            if (taken is null)
            {
                await Task.Delay(100);
            }
        }

        Assert.NotNull(taken);
        await taken!.DisposeAsync();
        await held!.DisposeAsync();
    }
}

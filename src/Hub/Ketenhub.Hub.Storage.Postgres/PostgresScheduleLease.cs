using System.Security.Cryptography;
using System.Text;
using Ketenhub.Hub.Delivery;
using Npgsql;

namespace Ketenhub.Hub.Storage.Postgres;

/// <summary>
/// Scheduled work once across instances (<see cref="IScheduleLease"/>): a session advisory lock per piece of work,
/// taken with <c>pg_try_advisory_lock</c> on a connection of its own and held while the work runs. When the holding
/// instance dies its connection ends and PostgreSQL releases the lock, so the next instance's tick takes it over.
/// </summary>
public sealed class PostgresScheduleLease(string connectionString) : IScheduleLease
{
    // The key space of the hub's advisory locks ("KHUB"); migrations and writes use 1 and 2, leases from 0x100 up.
    private const long LeaseBase = 0x4B48_5542_0100;

    // An instance's name (Hub:InstanceId) is held in a key space of its own, apart from the work leases above.
    private const long InstanceBase = 0x4B48_5549_0000_0000;

    public Task<IAsyncDisposable?> TryAcquireAsync(string work, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(work);
        return TryLockAsync(KeyOf(work), cancellationToken);
    }

    /// <summary>
    /// Holds the instance name <paramref name="instanceId"/> while the instance runs; null when another running instance
    /// holds it. Released when disposed or when the holder's connection ends (the process died).
    /// </summary>
    public Task<IAsyncDisposable?> TryHoldInstanceAsync(string instanceId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        return TryLockAsync(InstanceKeyOf(instanceId), cancellationToken);
    }

    /// <summary>A stable lock key for an instance name.</summary>
    public static long InstanceKeyOf(string instanceId) =>
        InstanceBase + BitConverter.ToUInt32(SHA256.HashData(Encoding.UTF8.GetBytes(instanceId)), 0);

    private async Task<IAsyncDisposable?> TryLockAsync(long key, CancellationToken cancellationToken)
    {
        NpgsqlConnection? connection = new(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock($1);", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = key });
            if (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not true)
            {
                return null;
            }

            // The held lease owns the connection from here on.
            var held = new Held(connection, key);
            connection = null;
            return held;
        }
        finally
        {
            connection?.Dispose();
        }
    }

    /// <summary>A stable lock key for a piece of work.</summary>
    public static long KeyOf(string work) =>
        LeaseBase + (BitConverter.ToUInt16(SHA256.HashData(Encoding.UTF8.GetBytes(work)), 0) & 0xFFF);

    private sealed class Held(NpgsqlConnection connection, long key) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await using var command = new NpgsqlCommand("SELECT pg_advisory_unlock($1);", connection);
                command.Parameters.Add(new NpgsqlParameter { Value = key });
                await command.ExecuteScalarAsync().ConfigureAwait(false);
            }
            catch (NpgsqlException)
            {
                // The connection is gone: PostgreSQL released the lock with it.
            }
            finally
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}

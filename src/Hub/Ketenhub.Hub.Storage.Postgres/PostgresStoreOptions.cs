using Npgsql;

namespace Ketenhub.Hub.Storage.Postgres;

/// <summary>Where the PostgreSQL store keeps its data and how it writes.</summary>
public sealed record PostgresStoreOptions
{
    /// <summary>
    /// The Npgsql connection string (host, port, database, user, password or a password file, pool sizes). The
    /// database must exist; the store creates and migrates its tables in it.
    /// </summary>
    public string ConnectionString { get; init; } = "";

    /// <summary>The most writes that share one transaction and one commit.</summary>
    public int MaxBatchSize { get; init; } = 256;

    /// <summary>
    /// Seals the documents that carry free text about a client (referrals, transitions, signals, stored answers of
    /// writes) before they are written, and opens them when read, as the SQLite store does. Null stores them as plain
    /// JSON (tests of the store itself); the hub always sets it.
    /// </summary>
    public IDocumentProtector? DocumentProtector { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> when a setting is unusable.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            throw new ArgumentException("The PostgreSQL store needs a connection string.", nameof(ConnectionString));
        }

        try
        {
            var builder = new NpgsqlConnectionStringBuilder(ConnectionString);
            if (string.IsNullOrWhiteSpace(builder.Host))
            {
                throw new ArgumentException("The PostgreSQL store's connection string names no host.", nameof(ConnectionString));
            }
        }
        catch (ArgumentException error) when (error.ParamName != nameof(ConnectionString))
        {
            // The builder's message may quote the connection string (and so a password): say only that it is wrong.
            throw new ArgumentException("The PostgreSQL store's connection string cannot be read.", nameof(ConnectionString));
        }

        if (MaxBatchSize < 1)
        {
            throw new ArgumentException("The PostgreSQL store's maximum batch size must be at least 1.", nameof(MaxBatchSize));
        }
    }
}

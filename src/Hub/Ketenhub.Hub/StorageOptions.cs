using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Ketenhub.Hub.Host;

/// <summary>Storage settings (section <c>Storage</c>).</summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary>
    /// The store: <c>Sqlite</c> (embedded, the default) or <c>Postgres</c> (a PostgreSQL database that several hub
    /// instances may share). <value>The default value is Sqlite.</value>
    /// </summary>
    [Required]
    [RegularExpression("^(Sqlite|Postgres)$", ErrorMessage = "Storage:Provider must be 'Sqlite' or 'Postgres'.")]
    public string Provider { get; set; } = "Sqlite";

    /// <summary>Folder of the SQLite database file, relative to the working directory. <value>The default value is <c>data</c>.</value></summary>
    [Required]
    public string DataDirectory { get; set; } = "data";

    /// <summary>How many writes may share one commit. <value>The default value is 256.</value></summary>
    [Range(1, 10_000)]
    public int MaxBatchSize { get; set; } = 256;

    /// <summary>
    /// The Npgsql connection string of the PostgreSQL database, for <c>Provider = Postgres</c> (required there,
    /// unused otherwise). <value>The default value is empty.</value>
    /// </summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>Whether <see cref="Provider"/> is PostgreSQL.</summary>
    public bool IsPostgres => string.Equals(Provider, "Postgres", StringComparison.Ordinal);
}

/// <summary>Checks the settings that depend on the provider. Messages never quote the connection string.</summary>
public sealed class StorageOptionsValidator : IValidateOptions<StorageOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.IsPostgres)
        {
            return ValidateOptionsResult.Success;
        }

        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            return ValidateOptionsResult.Fail($"{StorageOptions.Section}:ConnectionString is required when {StorageOptions.Section}:Provider is 'Postgres'.");
        }

        try
        {
            new Ketenhub.Hub.Storage.Postgres.PostgresStoreOptions { ConnectionString = options.ConnectionString, MaxBatchSize = options.MaxBatchSize }.Validate();
        }
        catch (ArgumentException error)
        {
            return ValidateOptionsResult.Fail($"{StorageOptions.Section}:ConnectionString: {error.Message}");
        }

        return ValidateOptionsResult.Success;
    }
}

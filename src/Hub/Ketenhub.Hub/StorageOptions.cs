using System.ComponentModel.DataAnnotations;

namespace Ketenhub.Hub.Host;

/// <summary>Storage settings (section <c>Storage</c>).</summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary>The store: <c>Sqlite</c> (embedded, the default). <value>The default value is Sqlite.</value></summary>
    [Required]
    [RegularExpression("^Sqlite$", ErrorMessage = "Storage:Provider must be 'Sqlite'.")]
    public string Provider { get; set; } = "Sqlite";

    /// <summary>Folder of the SQLite database file, relative to the working directory. <value>The default value is <c>data</c>.</value></summary>
    [Required]
    public string DataDirectory { get; set; } = "data";

    /// <summary>How many writes may share one commit. <value>The default value is 256.</value></summary>
    [Range(1, 10_000)]
    public int MaxBatchSize { get; set; } = 256;
}

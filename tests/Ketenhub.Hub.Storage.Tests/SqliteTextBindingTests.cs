using Ketenhub.Hub.Storage.Sqlite;

namespace Ketenhub.Hub.Storage.Tests;

/// <summary>
/// Text values are bound through one reused buffer per connection. Every value must still arrive exactly: the
/// empty string as an empty string (not NULL), several values of one statement each with its own bytes, a long
/// value after a short one and a short one after a long one, non-ASCII text, and an embedded NUL character.
/// </summary>
public sealed class SqliteTextBindingTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "ketenhub-binding-tests", Guid.NewGuid().ToString("N"));

    public SqliteTextBindingTests() => Directory.CreateDirectory(_directory);

    [Fact]
    public void EveryBoundText_IsStoredExactly()
    {
        using var db = ConnectionContext.Open(Path.Combine(_directory, "binding.db"), ConnectionRole.Writer);
        db.Execute("CREATE TABLE t (n INTEGER PRIMARY KEY, a TEXT, b TEXT, c TEXT)");
        var longText = string.Concat(Enumerable.Repeat("Dordrecht ✓ é 😀 ", 500));
        var rows = new (string? A, string? B, string? C)[]
        {
            ("", "x", null),
            (longText, "short", ""),
            ("a", longText, "b"),
            ("nul\0inside", "ĳsselmonde", "end"),
            ("", "", ""),
        };
        for (var i = 0; i < rows.Length; i++)
        {
            db.Execute("INSERT INTO t (n, a, b, c) VALUES (?, ?, ?, ?)", i, rows[i].A, rows[i].B, rows[i].C);
        }

        for (var i = 0; i < rows.Length; i++)
        {
            using var read = db.Query("SELECT a IS NULL, a, b IS NULL, b, c IS NULL, c FROM t WHERE n = ?", i);
            Assert.True(read.Next());
            Assert.Equal(rows[i].A, Value(read, 0));
            Assert.Equal(rows[i].B, Value(read, 2));
            Assert.Equal(rows[i].C, Value(read, 4));
        }

        static string? Value(ConnectionContext.Rows read, int column) =>
            read.Int64(column) == 1 ? null : read.Text(column + 1);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

using System.Security.Cryptography;

namespace Ketenhub.Cli.Import;

/// <summary>
/// The key the import derives a row's request ids with: 32 random bytes in a file (hex), created on first
/// use, readable by its owner only. Keep it with the school's import set-up; with another key the same
/// rows get other registration ids, which the hub still answers without registering anyone twice (a known
/// BSN gives the existing client), and the same transition ids (they derive from the hub's client names).
/// </summary>
public static class ImportKey
{
    /// <summary>The default key file: <c>~/.ketenhub/import-id.key</c>.</summary>
    public static string DefaultFile => Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".ketenhub", "import-id.key");

    public static byte[] LoadOrCreate(string path)
    {
        if (File.Exists(path))
        {
            try
            {
                var key = Convert.FromHexString(File.ReadAllText(path).Trim());
                if (key.Length >= 32)
                {
                    return key;
                }
            }
            catch (FormatException)
            {
            }

            throw new CliUsageException($"--id-key-file: '{path}' does not hold an import key (64 hex digits).");
        }

        var created = RandomNumberGenerator.GetBytes(32);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            using var writer = new StreamWriter(path, options);
            writer.WriteLine(Convert.ToHexStringLower(created));
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another import created it at the same moment: use theirs.
            return LoadOrCreate(path);
        }

        return created;
    }
}

namespace Ketenhub.Hub.Storage.Sqlite;

/// <summary>
/// Creates the store's folder and database file readable by the hub's own user only (on Unix: 0700 for a folder
/// the store creates, 0600 for the database file). SQLite gives the <c>-wal</c> and <c>-shm</c> files the
/// database file's permissions when it creates them, so they are the owner's only as well. Existing folders and
/// files are left as they are: their permissions are the operator's choice.
/// </summary>
internal static class PrivateFiles
{
    /// <summary>Read, write and search by the owner only.</summary>
    public const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Read and write by the owner only.</summary>
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Creates the folder (and any missing parent) when it does not exist.</summary>
    public static void CreateFolder(string path)
    {
        if (Directory.Exists(path))
        {
            return;
        }

        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, FolderMode);
        }
    }

    /// <summary>Creates an empty database file when none exists; SQLite treats an empty file as a new database.</summary>
    public static void CreateDatabaseFile(string path)
    {
        if (File.Exists(path))
        {
            return;
        }

        var options = new FileStreamOptions { Mode = System.IO.FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.ReadWrite };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = FileMode;
        }

        try
        {
            using var created = new FileStream(path, options);
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another opener created it first; its mode is its own.
        }
    }
}

namespace Ketenhub.Cli;

/// <summary>The tool's exit codes.</summary>
public static class ExitCodes
{
    /// <summary>The command did what was asked.</summary>
    public const int Ok = 0;

    /// <summary>The command line was wrong: an unknown command or option, a missing or malformed value.</summary>
    public const int Usage = 1;

    /// <summary>The hub answered with an error (a coded <c>google.rpc.Status</c>).</summary>
    public const int Refused = 2;

    /// <summary><c>import</c>: some rows failed (checked locally or refused by the hub); the others were imported. The same code as <see cref="Refused"/>.</summary>
    public const int RowsFailed = Refused;

    /// <summary>The hub could not be reached, or (for <c>health</c>) it is not serving.</summary>
    public const int Unreachable = 3;
}

/// <summary>A usage error found after parsing, for example a missing <c>--as</c> or an unreadable draft file.</summary>
public sealed class CliUsageException(string message) : Exception(message);

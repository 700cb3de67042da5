namespace Ketenhub.Hub.Routing;

/// <summary>
/// A configuration file failed validation. Every error names the file, the rule or entry, and the field,
/// so the operator can fix it without guessing. The hub refuses to start with it.
/// </summary>
public sealed class ConfigFileException(string file, IReadOnlyList<string> errors)
    : Exception($"{file} is invalid:{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", errors))
{
    public string File { get; } = file;

    public IReadOnlyList<string> Errors { get; } = errors;
}

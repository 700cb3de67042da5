namespace Ketenhub.Hub.Parties;

/// <summary>CBS municipality codes (gemeentecodes): four digits, for example 0642 Zwijndrecht.</summary>
public static class Municipality
{
    public static bool IsValidCode(string? code) =>
        code is { Length: 4 } && code.All(char.IsAsciiDigit) && code != "0000";
}

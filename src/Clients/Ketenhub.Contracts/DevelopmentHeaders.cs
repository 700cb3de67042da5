namespace Ketenhub.Contracts;

/// <summary>
/// The metadata header of the development identity, part of the wire contract like the messages: the hub reads
/// it (only in Development, with <c>Identity:DevelopmentHeader</c> on), the command-line tool and the C# client
/// send it. Defined here, in the one project all of them reference.
/// </summary>
public static class DevelopmentHeaders
{
    /// <summary>Names the calling party: <c>ketenhub-party: &lt;party id&gt;</c>.</summary>
    public const string Party = "ketenhub-party";
}

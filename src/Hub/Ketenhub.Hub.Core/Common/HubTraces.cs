using System.Diagnostics;

namespace Ketenhub.Hub.Common;

/// <summary>
/// The hub's own spans (activity source <c>Ketenhub.Hub</c>; docs/operations.md, "Traces"). A push of a delivery continues
/// the trace of the call that created the delivery (its stored W3C <c>traceparent</c>), so the partner's request carries
/// that trace id. Tags are codes only: never a client, a party's name for a client, a BSN or free text.
/// </summary>
public static class HubTraces
{
    public const string SourceName = "Ketenhub.Hub";

    private static readonly ActivitySource Source = new(SourceName);

    /// <summary>A span for one push attempt, child of <paramref name="traceParent"/> when it is a valid W3C traceparent.</summary>
    public static Activity? StartPush(string? traceParent, DeliveryChannel channel, int attempt)
    {
        var parent = ActivityContext.TryParse(traceParent, null, out var context) ? context : default;
        var activity = Source.StartActivity("push " + channel.ToString().ToLowerInvariant(), ActivityKind.Producer, parent);
        activity?.SetTag("ketenhub.channel", channel.ToString().ToLowerInvariant());
        activity?.SetTag("ketenhub.attempt", attempt);
        return activity;
    }

    /// <summary>The most callers a commit span links to; a batch can hold hundreds of writes.</summary>
    public const int MaxCommitLinks = 64;

    /// <summary>
    /// A span for one store commit (<c>store commit</c>, tags <c>ketenhub.store</c> and <c>ketenhub.writes</c>): a root of
    /// its own, since one commit makes many calls' writes durable at once, linked to the trace of each call it commits (at
    /// most <see cref="MaxCommitLinks"/>). Null when nobody listens.
    /// </summary>
    public static Activity? StartCommit(string store, IEnumerable<ActivityContext> callers, int writes)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var links = callers.Where(c => c != default).Distinct().Take(MaxCommitLinks).Select(c => new ActivityLink(c)).ToList();
        var activity = Source.StartActivity("store commit", ActivityKind.Internal, parentContext: default, tags: null, links: links);
        activity?.SetTag("ketenhub.store", store);
        activity?.SetTag("ketenhub.writes", writes);
        return activity;
    }
}

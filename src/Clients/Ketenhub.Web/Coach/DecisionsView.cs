using Ketenhub.Contracts.V1;

namespace Ketenhub.Web.Coach;

/// <summary>What the hub did or would do with a message, per recipient, for the pages to show in words.</summary>
public sealed record DecisionsView(IReadOnlyList<RecipientDecision> Decisions, IReadOnlyDictionary<string, string> PartyNames, TimeZoneInfo Zone)
{
    public string PartyName(string name) => PartyNames.TryGetValue(name, out var display) ? display : name;
}

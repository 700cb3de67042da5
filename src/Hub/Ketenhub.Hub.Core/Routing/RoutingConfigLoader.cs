using System.Text.Json;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Parties;

namespace Ketenhub.Hub.Routing;

/// <summary>
/// Loads the routing rules from a JSON file and validates them against the configured parties. Errors name
/// the file, the rule (by id and position) and the field. A top-level <c>"demo": true</c> marks the file as demo
/// configuration (<see cref="RoutingRuleSet.IsDemo"/>).
/// </summary>
public static class RoutingConfigLoader
{
    private static readonly string[] RuleFields = ["id", "description", "match", "targets", "acknowledgeWithin", "escalateTo"];
    private static readonly string[] MatchFields = ["messageTypes", "transitionKinds", "signalKinds", "severities", "lifeDomains", "services", "municipalities", "minAge", "maxAge"];
    private static readonly string[] TargetFields = ["target", "party", "purpose", "legalBasis", "thinNotice", "awaitConsent", "noticeOnly"];

    public static RoutingRuleSet LoadFile(string path, PartyDirectory parties)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ConfigFileException(path, [$"{path}: cannot be read ({ex.GetType().Name})"]);
        }

        return Parse(text, path, parties);
    }

    public static RoutingRuleSet Parse(string json, string file, PartyDirectory parties)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            throw new ConfigFileException(file, [$"{file}: not valid JSON at line {ex.LineNumber + 1}, position {ex.BytePositionInLine + 1}"]);
        }

        using (document)
        {
            var reader = new JsonConfigReader(file);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("rules", out var rulesElement) || rulesElement.ValueKind != JsonValueKind.Array)
            {
                throw new ConfigFileException(file, [$"{file}: field 'rules': is required and must be a list"]);
            }

            var demo = reader.Bool(root, "(file)", "demo");
            var rules = new List<RoutingRule>();
            var seen = new HashSet<string>(StringComparer.Ordinal) { RoutingRuleSet.CoachContinuityRuleId };
            var index = 0;
            foreach (var element in rulesElement.EnumerateArray())
            {
                var rule = ParseRule(element, index, reader, parties);
                if (rule is not null && !seen.Add(rule.Id))
                {
                    reader.Error($"rule '{rule.Id}' (rules[{index}])", "id", "is used by another rule (or is reserved)");
                }

                if (rule is not null)
                {
                    rules.Add(rule);
                }

                index++;
            }

            reader.ThrowIfAny();
            return new RoutingRuleSet(rules) { IsDemo = demo };
        }
    }

    private static RoutingRule? ParseRule(JsonElement element, int index, JsonConfigReader reader, PartyDirectory parties)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            reader.Error($"rules[{index}]", "(rule)", "must be an object");
            return null;
        }

        var idText = element.TryGetProperty("id", out var idElement) && idElement.ValueKind == JsonValueKind.String ? idElement.GetString() : null;
        var where = idText is { Length: > 0 } ? $"rule '{idText}' (rules[{index}])" : $"rules[{index}]";
        reader.RejectUnknown(element, where, RuleFields);

        var id = reader.String(element, where, "id", required: true);
        if (id is not null && !IsSlug(id))
        {
            reader.Error(where, "id", "must be lower-case letters, digits and dashes");
        }

        var description = reader.String(element, where, "description", required: true) ?? string.Empty;
        var before = reader.Errors.Count;

        RuleMatch? match = null;
        if (!element.TryGetProperty("match", out var matchElement) || matchElement.ValueKind != JsonValueKind.Object)
        {
            reader.Error(where, "match", "is required and must be an object");
        }
        else
        {
            reader.FieldPrefix = "match.";
            match = ParseMatch(matchElement, where, reader);
            reader.FieldPrefix = string.Empty;
        }

        var targets = new List<RuleTarget>();
        if (!element.TryGetProperty("targets", out var targetsElement) || targetsElement.ValueKind != JsonValueKind.Array || targetsElement.GetArrayLength() == 0)
        {
            reader.Error(where, "targets", "is required and must be a non-empty list");
        }
        else
        {
            var t = 0;
            foreach (var targetElement in targetsElement.EnumerateArray())
            {
                reader.FieldPrefix = $"targets[{t}].";
                if (ParseTarget(targetElement, where, reader, parties) is { } target)
                {
                    targets.Add(target);
                }

                reader.FieldPrefix = string.Empty;

                t++;
            }
        }

        var acknowledgeWithin = reader.Duration(element, where, "acknowledgeWithin");
        EscalationTarget? escalateTo = null;
        if (element.TryGetProperty("escalateTo", out var escalation) && escalation.ValueKind != JsonValueKind.Null)
        {
            if (escalation.ValueKind != JsonValueKind.Object)
            {
                reader.Error(where, "escalateTo", "must be an object with 'target' and optionally 'party'");
            }
            else
            {
                reader.FieldPrefix = "escalateTo.";
                reader.RejectUnknown(escalation, where, "target", "party");
                var kind = reader.Enum<TargetKind>(escalation, where, "target", required: true);
                var party = reader.String(escalation, where, "party", required: false);
                if (kind is not null and not (TargetKind.Party or TargetKind.Coach))
                {
                    reader.Error(where, "target", "must be PARTY or COACH");
                }
                else if (kind == TargetKind.Party && (party is null || parties.Find(party) is null))
                {
                    reader.Error(where, "party", party is null ? "is required for target PARTY" : $"unknown party '{party}'");
                }
                else if (kind is not null)
                {
                    escalateTo = new EscalationTarget(kind.Value, kind == TargetKind.Party ? party : null);
                }

                reader.FieldPrefix = string.Empty;
            }
        }

        if ((acknowledgeWithin is null) != (escalateTo is null) && reader.Errors.Count == before)
        {
            reader.Error(where, acknowledgeWithin is null ? "acknowledgeWithin" : "escalateTo", "acknowledgeWithin and escalateTo go together");
        }

        if (reader.Errors.Count != before || id is null || match is null)
        {
            return null;
        }

        return new RoutingRule(id, description, match, targets, acknowledgeWithin, escalateTo);
    }

    private static RuleMatch ParseMatch(JsonElement element, string where, JsonConfigReader reader)
    {
        reader.RejectUnknown(element, where, MatchFields);
        var municipalities = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (code, i) in reader.Strings(element, where, "municipalities"))
        {
            if (!Municipality.IsValidCode(code))
            {
                reader.Error(where, $"municipalities[{i}]", "must be a four-digit CBS municipality code");
            }

            municipalities.Add(code);
        }

        var minAge = reader.Int(element, where, "minAge", 0, 130);
        var maxAge = reader.Int(element, where, "maxAge", 0, 130);
        if (minAge > maxAge)
        {
            reader.Error(where, "maxAge", "must not be below minAge");
        }

        return new RuleMatch(
            reader.EnumSet<MessageType>(element, where, "messageTypes"),
            reader.EnumSet<TransitionKind>(element, where, "transitionKinds"),
            reader.EnumSet<SignalKind>(element, where, "signalKinds"),
            reader.EnumSet<SignalSeverity>(element, where, "severities"),
            reader.EnumSet<LifeDomain>(element, where, "lifeDomains"),
            reader.EnumSet<ServiceKind>(element, where, "services"),
            municipalities,
            minAge,
            maxAge);
    }

    private static RuleTarget? ParseTarget(JsonElement element, string where, JsonConfigReader reader, PartyDirectory parties)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            reader.Error(where, "(target)", "must be an object");
            return null;
        }

        var before = reader.Errors.Count;
        reader.RejectUnknown(element, where, TargetFields);
        var kind = reader.Enum<TargetKind>(element, where, "target", required: true);
        var party = reader.String(element, where, "party", required: false);
        if (kind == TargetKind.Party)
        {
            if (party is null)
            {
                reader.Error(where, "party", "is required for target PARTY");
            }
            else if (parties.Find(party) is null)
            {
                reader.Error(where, "party", $"unknown party '{party}'");
            }
        }
        else if (party is not null && kind is not null)
        {
            reader.Error(where, "party", "is only allowed for target PARTY");
        }

        var purpose = reader.Enum<Purpose>(element, where, "purpose", required: true);
        var legalBasis = reader.String(element, where, "legalBasis", required: false);
        var thin = reader.Bool(element, where, "thinNotice");
        var awaitConsent = reader.Duration(element, where, "awaitConsent");
        var noticeOnly = reader.Bool(element, where, "noticeOnly");
        if (legalBasis is not null && (thin || awaitConsent is not null))
        {
            reader.Error(where, "legalBasis", "a target with a legal basis always gets content; drop thinNotice and awaitConsent");
        }

        if (noticeOnly && (legalBasis is not null || thin || awaitConsent is not null))
        {
            reader.Error(where, "noticeOnly", "a notice-only target never gets content; drop legalBasis, thinNotice and awaitConsent");
        }

        if (kind is TargetKind.PreviousSocialService or TargetKind.PreviousWijkteam && !noticeOnly)
        {
            reader.Error(where, "target", "PREVIOUS_SOCIAL_SERVICE and PREVIOUS_WIJKTEAM serve a municipality the client leaves: set noticeOnly");
        }

        if (reader.Errors.Count != before || kind is null || purpose is null)
        {
            return null;
        }

        return new RuleTarget(kind.Value, party, purpose.Value, legalBasis, thin, awaitConsent) { NoticeOnly = noticeOnly };
    }

    private static bool IsSlug(string id) =>
        id.Length is > 0 and <= 64 && id.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-');
}

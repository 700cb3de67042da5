using System.Text.Json;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Routing;

namespace Ketenhub.Hub.Parties;

/// <summary>
/// Loads the parties from a JSON file and validates their Dutch identifiers: BRIN for schools, AGB for
/// care providers, OIN for government parties, CBS codes for the municipalities a party serves. A top-level
/// <c>"demo": true</c> marks the file as demo configuration (<see cref="PartyDirectory.IsDemo"/>).
/// </summary>
public static class PartyConfigLoader
{
    /// <summary>The fields a party may have (docs/routing.md, "The parties file").</summary>
    public static IReadOnlyList<string> PartyFields => Fields;

    private static readonly string[] Fields = ["id", "kind", "displayName", "deliveryChannel", "municipalityCodes", "brin", "agb", "oin", "kvk", "ura", "receivesBsn", "bsnLegalBasis", "endpoint"];

    public static PartyDirectory LoadFile(string path)
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

        return Parse(text, path);
    }

    public static PartyDirectory Parse(string json, string file)
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
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("parties", out var list) || list.ValueKind != JsonValueKind.Array)
            {
                throw new ConfigFileException(file, [$"{file}: field 'parties': is required and must be a list"]);
            }

            var reader = new JsonConfigReader(file);
            var demo = reader.Bool(root, "(file)", "demo");
            var parties = new List<Party>();
            var ids = new HashSet<string>(StringComparer.Ordinal);
            var index = 0;
            foreach (var element in list.EnumerateArray())
            {
                var where = $"parties[{index}]";
                index++;
                if (element.ValueKind != JsonValueKind.Object)
                {
                    reader.Error(where, "(party)", "must be an object");
                    continue;
                }

                if (element.TryGetProperty("id", out var idElement) && idElement.ValueKind == JsonValueKind.String)
                {
                    where = $"party '{idElement.GetString()}' ({where})";
                }

                var before = reader.Errors.Count;
                reader.RejectUnknown(element, where, Fields);
                var id = reader.String(element, where, "id", required: true);
                if (id is not null && (Ids.Parse("parties/" + id, "parties") is null || id.Any(char.IsUpper)))
                {
                    reader.Error(where, "id", "must be lower-case letters, digits, '-' or '_'");
                }
                else if (id is not null && !ids.Add(id))
                {
                    reader.Error(where, "id", "is used by another party");
                }

                var kind = reader.Enum<PartyKind>(element, where, "kind", required: true);
                var name = reader.String(element, where, "displayName", required: true);
                var channel = reader.Enum<DeliveryChannel>(element, where, "deliveryChannel", required: false) ?? DeliveryChannel.Stream;
                var codes = new List<string>();
                foreach (var (code, i) in reader.Strings(element, where, "municipalityCodes"))
                {
                    if (!Municipality.IsValidCode(code))
                    {
                        reader.Error(where, $"municipalityCodes[{i}]", "must be a four-digit CBS municipality code");
                    }

                    codes.Add(code);
                }

                var brin = Identifier(reader, element, where, "brin", IsBrin, "must be a BRIN code: two digits and two letters or digits");
                var agb = Identifier(reader, element, where, "agb", v => v.Length == 8 && v.All(char.IsAsciiDigit), "must be an AGB code of eight digits");
                var oin = Identifier(reader, element, where, "oin", v => v.Length == 20 && v.All(char.IsAsciiDigit), "must be an OIN of twenty digits");
                var kvk = Identifier(reader, element, where, "kvk", v => v.Length == 8 && v.All(char.IsAsciiDigit), "must be a KvK number of eight digits");
                var ura = Identifier(reader, element, where, "ura", v => v.Length == 8 && v.All(char.IsAsciiDigit), "must be a URA (UZI-register abonneenummer) of eight digits");
                var receivesBsn = reader.Bool(element, where, "receivesBsn");
                var legalBasis = reader.String(element, where, "bsnLegalBasis", required: false);
                if (receivesBsn && string.IsNullOrWhiteSpace(legalBasis))
                {
                    reader.Error(where, "bsnLegalBasis", "is required when receivesBsn is true: name the law that gives the party a need for the BSN");
                }
                else if (legalBasis is not null && !receivesBsn)
                {
                    reader.Error(where, "bsnLegalBasis", "is only allowed with \"receivesBsn\": true");
                }
                else if (legalBasis is not null && (legalBasis.Length > 200 || legalBasis.Any(char.IsControl)))
                {
                    reader.Error(where, "bsnLegalBasis", "must be at most 200 characters without control characters");
                    legalBasis = null;
                }

                var endpoint = Endpoint(reader, element, where, channel);
                switch (kind)
                {
                    case PartyKind.School when brin is null:
                        reader.Error(where, "brin", "is required for a school");
                        break;
                    case PartyKind.CareProvider when agb is null:
                        reader.Error(where, "agb", "is required for a care provider");
                        break;
                    case PartyKind.SocialService or PartyKind.Municipality or PartyKind.Wijkteam when oin is null:
                        reader.Error(where, "oin", "is required for a government party");
                        break;
                    case PartyKind.SocialService or PartyKind.Municipality when codes.Count == 0:
                        reader.Error(where, "municipalityCodes", "must name the municipalities served");
                        break;
                }

                if (reader.Errors.Count == before && id is not null && kind is not null && name is not null)
                {
                    parties.Add(new Party(id, kind.Value, name, channel, codes, brin, agb, oin, kvk, receivesBsn ? legalBasis : null, endpoint, ura));
                }
            }

            var firstCoachKinds = root.TryGetProperty("firstCoachNamedBy", out _)
                ? reader.EnumSet<PartyKind>(root, "(file)", "firstCoachNamedBy")
                : null;
            reader.ThrowIfAny();
            return new PartyDirectory(parties, firstCoachKinds) { IsDemo = demo };
        }
    }

    /// <summary>
    /// The address the hub pushes to: required for a party whose channel is not STREAM, absolute, https (plain http
    /// only to a loopback address, for a partner on the same machine), without credentials in it.
    /// </summary>
    private static Uri? Endpoint(JsonConfigReader reader, JsonElement element, string where, DeliveryChannel channel)
    {
        var value = reader.String(element, where, "endpoint", required: false);
        if (value is null)
        {
            if (channel != DeliveryChannel.Stream)
            {
                reader.Error(where, "endpoint", $"is required for deliveryChannel {ChannelName(channel)}: the address the hub pushes deliveries to");
            }

            return null;
        }

        if (channel == DeliveryChannel.Stream)
        {
            reader.Error(where, "endpoint", "is only used with deliveryChannel FHIR, IWMO or WEBHOOK; a STREAM party opens the delivery stream itself");
            return null;
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri)
            || !(uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback))
            || !string.IsNullOrEmpty(uri.UserInfo) || !string.IsNullOrEmpty(uri.Fragment))
        {
            reader.Error(where, "endpoint", "must be an absolute https URL without user name or fragment (plain http only to a loopback address)");
            return null;
        }

        return uri;
    }

    private static string ChannelName(DeliveryChannel channel) => channel switch
    {
        DeliveryChannel.Fhir => "FHIR",
        DeliveryChannel.Iwmo => "IWMO",
        DeliveryChannel.Webhook => "WEBHOOK",
        _ => channel.ToString().ToUpperInvariant(),
    };

    private static string? Identifier(JsonConfigReader reader, JsonElement element, string where, string field, Func<string, bool> valid, string message)
    {
        var value = reader.String(element, where, field, required: false);
        if (value is not null && !valid(value))
        {
            reader.Error(where, field, message);
            return null;
        }

        return value;
    }

    private static bool IsBrin(string value) =>
        value.Length == 4 && char.IsAsciiDigit(value[0]) && char.IsAsciiDigit(value[1])
        && char.IsAsciiLetterOrDigit(value[2]) && char.IsAsciiLetterOrDigit(value[3]);
}

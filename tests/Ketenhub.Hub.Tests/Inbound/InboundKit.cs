using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;

namespace Ketenhub.HubTests.Inbound;

/// <summary>
/// A hub whose demo parties partly speak FHIR or iWmo: begeleiding-plus and waakvlam-zorg on FHIR,
/// dagbesteding-de-brug, zorgboerderij-de-hoeve and sdd on iWmo, the rest on the gRPC stream. Partners call the inbound endpoints over
/// the test server's real HTTP pipeline with the same bearer tokens a gRPC caller uses.
/// </summary>
internal static class InboundKit
{
    public static readonly IReadOnlyDictionary<string, string> Channels = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["begeleiding-plus"] = "FHIR",
        ["waakvlam-zorg"] = "FHIR",
        ["dagbesteding-de-brug"] = "IWMO",
        ["zorgboerderij-de-hoeve"] = "IWMO",
        ["sdd"] = "IWMO",
    };

    public static HubFactory Hub(DateTimeOffset? start = null)
    {
        var hub = new HubFactory(start);
        var demo = Path.Combine(AppContext.BaseDirectory, "config", "parties.json");
        var root = JsonNode.Parse(File.ReadAllText(demo), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip })!;
        foreach (var party in root["parties"]!.AsArray())
        {
            if (Channels.TryGetValue(party!["id"]!.GetValue<string>(), out var channel))
            {
                party["deliveryChannel"] = channel;

                // A party on a push channel needs an endpoint; these tests read its deliveries from the stream, so
                // pushing is off (Hub:Push:Enabled) and nothing listens there.
                party["endpoint"] = "http://127.0.0.1:9/" + party["id"]!.GetValue<string>();
            }
        }

        Directory.CreateDirectory(hub.DataDirectory);
        var file = Path.Combine(hub.DataDirectory, "parties.json");
        File.WriteAllText(file, root.ToJsonString());
        hub.With("Hub:PartiesFile", file).With("Hub:Push:PublicBaseUrl", "https://ketenhub.test/").With("Hub:Push:Enabled", "false");
        return hub;
    }

    /// <summary>An HTTP client of the hub calling as <paramref name="partyId"/> (null: no identity at all).</summary>
    public static HttpClient Http(this HubFactory hub, string? partyId)
    {
        var http = hub.CreateClient();
        if (partyId is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", hub.Token(partyId));
        }

        return http;
    }

    public static async Task<(int Status, string ContentType, string Body)> SendAsync(this HttpClient http, HttpMethod method, string path, string body, string contentType)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        using var response = await http.SendAsync(request);
        return ((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType ?? string.Empty, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The error reason codes in a FHIR OperationOutcome (first issue's coding) and the issues' expressions.</summary>
    public static (string Reason, IReadOnlyList<string> Expressions) OutcomeOf(string json)
    {
        var outcome = JsonNode.Parse(json)!;
        Assert.Equal("OperationOutcome", outcome["resourceType"]!.GetValue<string>());
        var issues = outcome["issue"]!.AsArray();
        var reason = issues[0]!["details"]!["coding"]![0]!["code"]!.GetValue<string>();
        var expressions = issues.SelectMany(i => i!["expression"]?.AsArray().Select(e => e!.GetValue<string>()) ?? []).ToList();
        return (reason, expressions);
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Ketenhub.Adapters.Fhir;
using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Integration;
using Ketenhub.Testing.InProcess;
using static Ketenhub.Testing.InProcess.PartyClient;
using Task = System.Threading.Tasks.Task;

namespace Ketenhub.HubTests.Inbound;

#pragma warning disable CA2000 // The client owns its handler and is disposed with the test.

/// <summary>
/// The FHIR endpoint's conformance resources and its validation, on real sockets with a partner that speaks HTTP/1.1
/// only: every profile, code system and value set the hub publishes can be read by id and found by its canonical URL
/// without identifying, the CapabilityStatement names them, and a message invalid in one element is refused with an
/// OperationOutcome naming that element, with nothing stored.
/// </summary>
public sealed class FhirConformanceTests : IDisposable
{
    private const string Fhir = "application/fhir+json";
    private readonly HubFactory _hub = InboundKit.Hub().OnSockets().With("Hub:Inbound:PublicBaseUrl", "http://localhost/");
    private readonly HttpClient _http;

    public FhirConformanceTests()
    {
        _hub.StartServer();
        _http = new HttpClient(new SocketsHttpHandler(), disposeHandler: true) { BaseAddress = _hub.PartnerAddress, DefaultRequestVersion = HttpVersion.Version11, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
    }

    public void Dispose()
    {
        _http.Dispose();
        _hub.Dispose();
    }

    [Fact]
    public async Task Every_conformance_resource_is_read_by_id_over_http11_without_identifying()
    {
        var package = FhirConformance.Package.Resources;
        Assert.True(package.Count > 20);

        foreach (var published in package)
        {
            var (version, status, contentType, body) = await GetAsync($"/fhir/r4/{published.TypeName}/{published.Id}");

            Assert.Equal((HttpVersion.Version11, 200, Fhir), (version, status, contentType));
            var read = FhirFormat.Parse(Encoding.UTF8.GetBytes(body));
            Assert.Equal(published.TypeName, read.TypeName);
            Assert.Equal(((IVersionableConformanceResource)published).Url, ((IVersionableConformanceResource)read).Url);
            Assert.True(read.IsExactly(published), published.TypeName + "/" + published.Id + " is not served as published.");
        }
    }

    [Fact]
    public async Task A_search_by_canonical_url_finds_the_resource_and_only_it()
    {
        var (version, status, contentType, body) = await GetAsync("/fhir/r4/StructureDefinition?url=" + Uri.EscapeDataString(FhirVocabulary.MunicipalityExtension));
        var (_, withVersionStatus, _, withVersion) = await GetAsync("/fhir/r4/StructureDefinition?url=" + Uri.EscapeDataString(FhirVocabulary.MunicipalityExtension + "|1.0.0"));
        var (_, _, _, otherVersion) = await GetAsync("/fhir/r4/StructureDefinition?url=" + Uri.EscapeDataString(FhirVocabulary.MunicipalityExtension + "|9.9.9"));
        var (_, _, _, wrongType) = await GetAsync("/fhir/r4/ValueSet?url=" + Uri.EscapeDataString(FhirVocabulary.MunicipalityExtension));
        var (_, _, _, allValueSets) = await GetAsync("/fhir/r4/ValueSet");

        Assert.Equal((HttpVersion.Version11, 200, Fhir), (version, status, contentType));
        var found = Assert.IsType<Bundle>(FhirFormat.Parse(Encoding.UTF8.GetBytes(body)));
        Assert.Equal((Bundle.BundleType.Searchset, 1), (found.Type, found.Total));
        var entry = Assert.Single(found.Entry);
        Assert.Equal("http://localhost/fhir/r4/StructureDefinition/municipality-code", entry.FullUrl);
        Assert.Equal(FhirVocabulary.MunicipalityExtension, Assert.IsType<StructureDefinition>(entry.Resource).Url);
        Assert.Equal(Bundle.SearchEntryMode.Match, entry.Search!.Mode);
        Assert.Equal(200, withVersionStatus);
        Assert.Equal(1, ((Bundle)FhirFormat.Parse(Encoding.UTF8.GetBytes(withVersion))).Total);
        Assert.Equal(0, ((Bundle)FhirFormat.Parse(Encoding.UTF8.GetBytes(otherVersion))).Total);
        Assert.Equal(0, ((Bundle)FhirFormat.Parse(Encoding.UTF8.GetBytes(wrongType))).Total);
        var valueSets = (Bundle)FhirFormat.Parse(Encoding.UTF8.GetBytes(allValueSets));
        Assert.Equal(FhirConformance.Package.Resources.Count(r => r is ValueSet), valueSets.Total);
        Assert.All(valueSets.Entry, e => Assert.IsType<ValueSet>(e.Resource));
    }

    [Fact]
    public async Task An_id_the_hub_does_not_publish_is_a_coded_404()
    {
        var (version, status, contentType, body) = await GetAsync("/fhir/r4/StructureDefinition/no-such-profile");

        Assert.Equal((HttpVersion.Version11, 404, Fhir), (version, status, contentType));
        Assert.Equal("CONFORMANCE_RESOURCE_NOT_FOUND", InboundKit.OutcomeOf(body).Reason);
    }

    [Fact]
    public async Task The_capability_statement_names_the_conformance_resources_and_the_referral_profile_which_resolve()
    {
        var (_, status, _, body) = await GetAsync("/fhir/r4/metadata");

        Assert.Equal(200, status);
        var rest = Assert.Single(Assert.IsType<CapabilityStatement>(FhirFormat.Parse(Encoding.UTF8.GetBytes(body))).Rest);
        foreach (var type in new[] { "StructureDefinition", "CodeSystem", "ValueSet" })
        {
            var resource = rest.Resource.Single(r => r.Type == type);
            Assert.Equal([CapabilityStatement.TypeRestfulInteraction.Read, CapabilityStatement.TypeRestfulInteraction.SearchType], resource.Interaction.Select(i => i.Code!.Value));
            Assert.Equal("url", Assert.Single(resource.SearchParam).Name);
        }

        var profile = Assert.Single(rest.Resource.Single(r => r.Type == "ServiceRequest").SupportedProfile);
        var (_, found, _, search) = await GetAsync("/fhir/r4/StructureDefinition?url=" + Uri.EscapeDataString(profile!));
        Assert.Equal(200, found);
        Assert.Equal("ServiceRequest", Assert.IsType<StructureDefinition>(Assert.Single(((Bundle)FhirFormat.Parse(Encoding.UTF8.GetBytes(search))).Entry).Resource).Type);
    }

    public static TheoryData<string, string> InvalidInOneElement() => new()
    {
        { "service-request-without-intent", "Bundle.entry[2].resource.intent" },
        { "second-identifier-without-system", "Bundle.entry[2].resource.identifier[1].system" },
        { "municipality-code-not-four-digits", "Bundle.entry[0].resource.address[0].extension[0].value" },
        { "gender-not-a-gender", "Bundle.entry[0].resource.gender" },
    };

    [Theory]
    [MemberData(nameof(InvalidInOneElement))]
    public async Task A_referral_invalid_in_one_element_is_refused_naming_that_element_and_nothing_is_stored(string kind, string path)
    {
        var waakvlam = _hub.As("waakvlam-zorg");
        var client = (await Kit.ClientWithCoachAsync(waakvlam)).Name;
        await waakvlam.GrantAsync(client, GrantorRole.Client, "waakvlam-zorg", [Purpose.Coaching], [DataCategory.SupportPlan, DataCategory.ContactDetails]);
        var bundle = JsonNode.Parse(FhirInboundTests.ReferralBundle(client, "V-2026-501", performerAgb: "98000002"))!;
        var patient = bundle["entry"]![0]!["resource"]!;
        var serviceRequest = bundle["entry"]![2]!["resource"]!;
        switch (kind)
        {
            case "service-request-without-intent":
                serviceRequest.AsObject().Remove("intent");
                break;
            case "second-identifier-without-system":
                serviceRequest["identifier"]!.AsArray().Add(new JsonObject { ["value"] = "J. Jansen" });
                break;
            case "municipality-code-not-four-digits":
                patient["address"] = new JsonArray(new JsonObject
                {
                    ["extension"] = new JsonArray(new JsonObject { ["url"] = FhirVocabulary.MunicipalityExtension, ["valueCode"] = "J5a" }),
                });
                break;
            default:
                patient["gender"] = "J5a";
                break;
        }

        var (version, status, contentType, body) = await PostAsync("/fhir/r4", bundle.ToJsonString(), _hub.Token("waakvlam-zorg"));

        Assert.Equal((HttpVersion.Version11, 400, Fhir), (version, status, contentType));
        var (reason, expressions) = InboundKit.OutcomeOf(body);
        Assert.Equal(("INVALID_REQUEST", path), (reason, Assert.Single(expressions)));
        Assert.DoesNotContain("Jansen", body, StringComparison.Ordinal);
        Assert.DoesNotContain("J5a", body, StringComparison.Ordinal);
        var performer = _hub.As("begeleiding-plus");
        Assert.DoesNotContain(await performer.DrainAsync(), d => d.PayloadCase == Delivery.PayloadOneofCase.Referral);
        Assert.Empty(await Kit.DeliveriesAsync(performer, client: client));
        Assert.DoesNotContain(await Kit.JourneyAsync(waakvlam, client), e => e.Type == JourneyEventType.ReferralRequested);
    }

    [Fact]
    public async Task A_task_invalid_in_one_element_is_refused_naming_that_element_and_the_referral_does_not_move()
    {
        var sdd = _hub.As("sdd");
        var waakvlam = _hub.As("waakvlam-zorg");
        var client = (await Kit.ClientWithCoachAsync(waakvlam)).Name;
        await waakvlam.GrantAsync(client, GrantorRole.Client, "waakvlam-zorg", [Purpose.Coaching], [DataCategory.SupportPlan, DataCategory.ContactDetails]);
        var referral = (await sdd.Referrals.CreateReferralAsync(new CreateReferralRequest { RequestId = NewRequestId(), Referral = Kit.CareReferral(client, "begeleiding-plus") })).Referral.Name;
        var task = JsonNode.Parse(FhirInboundTests.TaskJson(referral, "accepted"))!;
        task.AsObject().Remove("intent");

        var (version, status, _, body) = await PutAsync("/fhir/r4/Task/t-1", task.ToJsonString(), _hub.Token("begeleiding-plus"));

        Assert.Equal((HttpVersion.Version11, 400), (version, status));
        Assert.Equal(("INVALID_REQUEST", "Task.intent"), (InboundKit.OutcomeOf(body).Reason, Assert.Single(InboundKit.OutcomeOf(body).Expressions)));
        Assert.Equal(PerformerStatus.Requested, (await sdd.Referrals.GetReferralAsync(new GetReferralRequest { Name = referral })).Referral.Performers.Single().Status);
    }

    private async Task<(Version Version, int Status, string ContentType, string Body)> GetAsync(string path)
    {
        using var response = await _http.GetAsync(new Uri(path, UriKind.Relative));
        return (response.Version, (int)response.StatusCode, response.Content.Headers.ContentType?.MediaType ?? string.Empty, await response.Content.ReadAsStringAsync());
    }

    private Task<(Version Version, int Status, string ContentType, string Body)> PostAsync(string path, string body, string token) => SendAsync(HttpMethod.Post, path, body, token);

    private Task<(Version Version, int Status, string ContentType, string Body)> PutAsync(string path, string body, string token) => SendAsync(HttpMethod.Put, path, body, token);

    private async Task<(Version Version, int Status, string ContentType, string Body)> SendAsync(HttpMethod method, string path, string body, string token)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(Fhir);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await _http.SendAsync(request);
        return (response.Version, (int)response.StatusCode, response.Content.Headers.ContentType?.MediaType ?? string.Empty, await response.Content.ReadAsStringAsync());
    }
}

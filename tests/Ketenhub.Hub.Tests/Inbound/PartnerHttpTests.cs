using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Grpc.Core;
using Grpc.Net.Client;
using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Integration;
using Ketenhub.Testing;
using Ketenhub.Testing.InProcess;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Inbound;

#pragma warning disable CA2000 // Hubs and certificates go to Own, which disposes them with the test; a client owns its handler.

/// <summary>
/// The partner HTTP endpoint on real sockets: partner software that speaks only HTTP/1.1 posts FHIR and iWmo to the hub,
/// in plain HTTP and over TLS with a client certificate; FHIR and iWmo are not served on the gRPC endpoint, gRPC not on
/// the partner endpoint.
/// </summary>
public sealed class PartnerHttpTests : IDisposable
{
    private const string Fhir = "application/fhir+json";
    private const string Xml = "application/xml";
    private readonly List<IDisposable> _owned = [];
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "ketenhub-tests", Guid.NewGuid().ToString("N") + "-tls");

    public void Dispose()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            owned.Dispose();
        }

        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public async Task An_http11_only_client_updates_a_fhir_task_on_the_partner_endpoint()
    {
        var hub = Own(InboundKit.Hub().OnSockets().With("Hub:Inbound:PublicBaseUrl", "http://localhost/"));
        var sdd = hub.As("sdd");
        var client = await FhirClientAsync(hub);
        var referral = (await sdd.Referrals.CreateReferralAsync(new CreateReferralRequest { RequestId = NewRequestId(), Referral = Kit.CareReferral(client, "begeleiding-plus") })).Referral.Name;
        using var http = Http11(hub.PartnerAddress);

        var answer = await SendAsync(http, HttpMethod.Put, "/fhir/r4/Task/t-1", FhirInboundTests.TaskJson(referral, "accepted"), Fhir, hub.Token("begeleiding-plus"));

        Assert.Equal((HttpVersion.Version11, 200), (answer.Version, answer.Status));
        Assert.Equal(PerformerStatus.Accepted, (await sdd.Referrals.GetReferralAsync(new GetReferralRequest { Name = referral })).Referral.Performers.Single().Status);
    }

    [Fact]
    public async Task An_http11_only_client_posts_an_iwmo_start_on_the_partner_endpoint()
    {
        var hub = Own(InboundKit.Hub().OnSockets());
        var sdd = hub.As("sdd");
        var brug = hub.As("dagbesteding-de-brug");
        var waakvlam = hub.As("waakvlam-zorg");
        var bsn = Kit.NewBsn();
        var client = await waakvlam.RegisterAsync(bsn, Date(1994, 11, 2), "0505");
        await waakvlam.AssignCoachAsync(client.Name, "lisa", "Lisa");
        await waakvlam.GrantAsync(client.Name, GrantorRole.Client, "waakvlam-zorg", [Purpose.Coaching], [DataCategory.SupportPlan, DataCategory.ContactDetails]);
        using var tail = brug.Tail();
        var referral = (await sdd.Referrals.CreateReferralAsync(new CreateReferralRequest { RequestId = NewRequestId(), Referral = Kit.CareReferral(client.Name, "dagbesteding-de-brug", ServiceKind.DayActivities) })).Referral.Name;
        var delivery = await Kit.NextOfKind(tail, Delivery.PayloadOneofCase.Referral);
        await brug.Referrals.AcceptReferralAsync(new AcceptReferralRequest { RequestId = NewRequestId(), Name = referral });
        using var http = Http11(hub.PartnerAddress);

        var answer = await SendAsync(http, HttpMethod.Post, "/iwmo/WMO305", IWmoInboundTests.Text(IWmoInboundTests.Start(delivery.Sequence, new DateOnly(2026, 1, 5), bsn)), Xml, hub.Token("dagbesteding-de-brug"));

        Assert.Equal((HttpVersion.Version11, 200), (answer.Version, answer.Status));
        Assert.Equal(["0200"], IWmoInboundTests.RetourCodes(answer.Body, "StartProduct"));
        Assert.Equal(PerformerStatus.Started, (await sdd.Referrals.GetReferralAsync(new GetReferralRequest { Name = referral })).Referral.Performers.Single().Status);
    }

    [Fact]
    public async Task Partner_routes_are_not_served_on_the_grpc_endpoint_and_grpc_not_on_the_partner_endpoint()
    {
        var hub = Own(InboundKit.Hub().OnSockets());
        hub.StartServer();
        var token = hub.Token("begeleiding-plus");

        // FHIR over h2c on the gRPC endpoint: not found there.
        using var h2c = new HttpClient { BaseAddress = hub.GrpcAddress };
        using var onGrpc = new HttpRequestMessage(HttpMethod.Post, "/fhir/r4/Task/t-1")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new StringContent("{}", Encoding.UTF8, Fhir),
        };
        onGrpc.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var notThere = await h2c.SendAsync(onGrpc);
        Assert.Equal(HttpStatusCode.NotFound, notThere.StatusCode);

        // gRPC on the partner endpoint (which speaks HTTP/2 too): not found there.
        using var channel = GrpcChannel.ForAddress(hub.PartnerAddress);
        var parties = new PartyService.PartyServiceClient(channel);
        var refused = await Assert.ThrowsAsync<RpcException>(() => parties.ListPartiesAsync(new ListPartiesRequest(), new Metadata { { "authorization", "Bearer " + token } }).ResponseAsync);
        Assert.NotEqual(StatusCode.OK, refused.StatusCode);

        // While gRPC still answers on its own endpoint, and the partner endpoint knows nothing else.
        Assert.NotEmpty((await hub.As("sdd").Parties.ListPartiesAsync(new ListPartiesRequest())).Parties);
        using var http = Http11(hub.PartnerAddress);
        Assert.Equal(404, (await SendAsync(http, HttpMethod.Post, "/somewhere", "{}", Fhir, token)).Status);
    }

    [Fact]
    public async Task Over_tls_a_client_certificate_identifies_the_partner_and_a_connection_without_one_is_refused()
    {
        Directory.CreateDirectory(_folder);
        var authority = Own(TestCertificates.Authority("CN=Partner Test CA"));
        var server = Own(TestCertificates.Issue(authority, "CN=localhost", serverAuth: true));
        var plus = Own(TestCertificates.Issue(authority, "CN=begeleiding-plus.example, O=Begeleiding Plus", serverAuth: false));
        var authorityFile = Path.Combine(_folder, "ca.pem");
        File.WriteAllText(authorityFile, authority.ExportCertificatePem());
        var serverFile = Path.Combine(_folder, "server.pfx");
        File.WriteAllBytes(serverFile, server.Export(X509ContentType.Pfx, "server-password"));
        // The hub checks certificates at its own clock: now, as the certificates were made.
        var hub = Own(InboundKit.Hub(DateTimeOffset.UtcNow).OnSockets(https: true)
            .With("Hub:Inbound:PublicBaseUrl", "http://localhost/")
            .With("Hub:PartnerHttp:CertificatePath", serverFile)
            .With("Hub:PartnerHttp:CertificatePassword", "server-password")
            .With("Hub:PartnerHttp:ClientCertificates", "Require")
            .With("Identity:Certificates:TrustedCaFiles:0", authorityFile)
            .With("Identity:Certificates:RevocationMode", "NoCheck")
            .With("Identity:Certificates:Parties:0:Party", "begeleiding-plus")
            .With("Identity:Certificates:Parties:0:Thumbprint", plus.GetCertHashString(HashAlgorithmName.SHA256)));
        var sdd = hub.As("sdd");
        var client = await FhirClientAsync(hub);
        var referral = (await sdd.Referrals.CreateReferralAsync(new CreateReferralRequest { RequestId = NewRequestId(), Referral = Kit.CareReferral(client, "begeleiding-plus") })).Referral.Name;
        using var withCertificate = Http11(hub.PartnerAddress, authority, plus);
        using var without = Http11(hub.PartnerAddress, authority, null);

        // No token: the certificate is the identity.
        var answer = await SendAsync(withCertificate, HttpMethod.Put, "/fhir/r4/Task/t-1", FhirInboundTests.TaskJson(referral, "accepted"), Fhir, token: null);
        await Assert.ThrowsAsync<HttpRequestException>(() => SendAsync(without, HttpMethod.Put, "/fhir/r4/Task/t-1", FhirInboundTests.TaskJson(referral, "accepted"), Fhir, hub.Token("begeleiding-plus")));

        Assert.Equal((HttpVersion.Version11, 200), (answer.Version, answer.Status));
        Assert.Equal(PerformerStatus.Accepted, (await sdd.Referrals.GetReferralAsync(new GetReferralRequest { Name = referral })).Referral.Performers.Single().Status);

        // Over TLS the endpoint speaks HTTP/2 too, yet serves no gRPC: the same certificate gets no contract method here.
        using var handler = new SocketsHttpHandler();
        handler.SslOptions.ClientCertificates = [plus];
        handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => plus;
        handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null && presented.GetCertHashString() == server.GetCertHashString();
        using var channel = GrpcChannel.ForAddress(hub.PartnerAddress, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
        var grpc = await Assert.ThrowsAsync<RpcException>(() => new PartyService.PartyServiceClient(channel).ListPartiesAsync(new ListPartiesRequest()).ResponseAsync);
        Assert.Equal(StatusCode.Unimplemented, grpc.StatusCode);
    }

    [Fact]
    public async Task An_http11_client_reads_the_openapi_document_without_identifying_and_it_is_valid_openapi_of_this_version()
    {
        var hub = Own(InboundKit.Hub().OnSockets());
        hub.StartServer();
        using var http = Http11(hub.PartnerAddress);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/openapi.json") { Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionExact };

        using var response = await http.SendAsync(request);

        Assert.Equal((HttpVersion.Version11, HttpStatusCode.OK), (response.Version, response.StatusCode));
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(Ketenhub.Hub.Host.Inbound.PartnerHttp.ApiVersion, Assert.Single(response.Headers.GetValues("API-Version")));
        var document = new Microsoft.OpenApi.Readers.OpenApiStringReader().Read(await response.Content.ReadAsStringAsync(), out var diagnostic);
        Assert.Empty(diagnostic.Errors.Select(e => e.Pointer + ": " + e.Message));
        Assert.Equal(Microsoft.OpenApi.OpenApiSpecVersion.OpenApi3_0, diagnostic.SpecificationVersion);
        Assert.Equal(Ketenhub.Hub.Host.Inbound.PartnerHttp.ApiVersion, document.Info.Version);
        // Every response of every operation declares the API-Version header, as every answer carries it.
        Assert.All(document.Paths.Values.SelectMany(p => p.Operations.Values).SelectMany(o => o.Responses.Values), r => Assert.Contains("API-Version", r.Headers.Keys));
    }

    [Fact]
    public void The_openapi_document_describes_exactly_the_partner_routes_that_are_not_fhir()
    {
        using var hub = InboundKit.Hub();
        using var stream = typeof(Ketenhub.Hub.Host.Inbound.InboundEndpoints).Assembly.GetManifestResourceStream("Ketenhub.Hub.Inbound.openapi.json")!;
        var document = new Microsoft.OpenApi.Readers.OpenApiStreamReader().Read(stream, out _);
        var described = document.Paths.SelectMany(p => p.Value.Operations.Keys.Select(m => m.ToString().ToUpperInvariant() + " " + p.Key));

        var routes = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Microsoft.AspNetCore.Routing.EndpointDataSource>(hub.Services).Endpoints
            .OfType<Microsoft.AspNetCore.Routing.RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<Ketenhub.Hub.Host.Inbound.PartnerRoute>() is not null)
            .Where(e => !e.RoutePattern.RawText!.StartsWith("/fhir/", StringComparison.Ordinal) && e.RoutePattern.RawText != Ketenhub.Hub.Host.Inbound.InboundEndpoints.OpenApiRoute)
            .SelectMany(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()!.HttpMethods.Select(m => m + " " + e.RoutePattern.RawText!.Replace("{**", "{", StringComparison.Ordinal)));

        Assert.Equal(routes.Order(StringComparer.Ordinal), described.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task An_http11_client_reads_the_capability_statement_without_identifying()
    {
        var hub = Own(InboundKit.Hub().OnSockets());
        hub.StartServer();
        using var http = Http11(hub.PartnerAddress);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/fhir/r4/metadata") { Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionExact };

        using var response = await http.SendAsync(request);

        Assert.Equal((HttpVersion.Version11, HttpStatusCode.OK), (response.Version, response.StatusCode));
        Assert.Equal("application/fhir+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(Ketenhub.Hub.Host.Inbound.PartnerHttp.ApiVersion, Assert.Single(response.Headers.GetValues("API-Version")));
        var statement = Assert.IsType<Hl7.Fhir.Model.CapabilityStatement>(Ketenhub.Adapters.Fhir.FhirFormat.Parse(await response.Content.ReadAsByteArrayAsync()));
        Assert.Equal(["ServiceRequest", "Task", "StructureDefinition", "CodeSystem", "ValueSet"], statement.Rest.Single().Resource.Select(r => r.Type));
        Assert.Equal(hub.PartnerAddress + "fhir/r4", statement.Implementation!.Url);
    }

    [Theory]
    [InlineData("ftp://127.0.0.1:5081", null, "None", "Hub:PartnerHttp:Url must be an http:// or https:// address")]
    [InlineData("http://127.0.0.1", null, "None", "Hub:PartnerHttp:Url must be")]
    [InlineData("https://127.0.0.1:5081", null, "None", "Hub:PartnerHttp:CertificatePath is missing")]
    [InlineData("https://127.0.0.1:5081", "/nonexistent/server.pfx", "None", "Hub:PartnerHttp:CertificatePath cannot be read")]
    [InlineData("http://127.0.0.1:5081", null, "Require", "Hub:PartnerHttp:ClientCertificates needs an https:// address")]
    public void A_partner_endpoint_that_cannot_work_is_refused_at_start_up_with_the_setting_named(string url, string? certificate, string clientCertificates, string problem)
    {
        var options = new Ketenhub.Hub.Host.Inbound.PartnerHttpOptions
        {
            Url = url,
            CertificatePath = certificate,
            ClientCertificates = Enum.Parse<Ketenhub.Hub.Host.Inbound.PartnerClientCertificates>(clientCertificates),
        };
        var validator = new Ketenhub.Hub.Host.Inbound.PartnerHttpOptionsValidator(Microsoft.Extensions.Options.Options.Create(new Ketenhub.Hub.Host.Identity.IdentityOptions()));

        var result = validator.Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(result.Failures, f => f.Contains(problem, StringComparison.Ordinal));
    }

    private static async Task<string> FhirClientAsync(HubFactory hub)
    {
        var waakvlam = hub.As("waakvlam-zorg");
        var client = (await Kit.ClientWithCoachAsync(waakvlam)).Name;
        await waakvlam.GrantAsync(client, GrantorRole.Client, "waakvlam-zorg", [Purpose.Coaching], [DataCategory.SupportPlan, DataCategory.ContactDetails]);
        return client;
    }

    private T Own<T>(T disposable)
        where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    /// <summary>A client that speaks HTTP/1.1 and nothing else, trusting <paramref name="authority"/> for TLS and presenting <paramref name="certificate"/>.</summary>
    private static HttpClient Http11(Uri address, X509Certificate2? authority = null, X509Certificate2? certificate = null)
    {
        var handler = new SocketsHttpHandler();
        if (authority is not null)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, _, _) =>
            {
                if (presented is null)
                {
                    return false;
                }

                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(authority);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                using var copy = X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
                return chain.Build(copy);
            };
        }

        if (certificate is not null)
        {
            handler.SslOptions.ClientCertificates = [certificate];
            handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate;
        }

        return new HttpClient(handler) { BaseAddress = address, DefaultRequestVersion = HttpVersion.Version11, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
    }

    [Fact]
    public async Task Every_answer_of_a_partner_route_refusals_included_carries_the_api_version()
    {
        using var hub = InboundKit.Hub();
        using var http = hub.CreateClient();
        using var anonymous = new HttpRequestMessage(HttpMethod.Post, "/iwmo") { Content = new StringContent("<x/>", Encoding.UTF8, Xml) };
        using var invalid = new HttpRequestMessage(HttpMethod.Post, "/iwmo") { Content = new StringContent("<x/>", Encoding.UTF8, Xml) };
        invalid.Headers.Authorization = new AuthenticationHeaderValue("Bearer", hub.Token("dagbesteding-de-brug"));

        using var refused = await http.SendAsync(anonymous);
        using var notTaken = await http.SendAsync(invalid);

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, notTaken.StatusCode);
        Assert.All(new[] { refused, notTaken }, r => Assert.Equal("1.1.0", Assert.Single(r.Headers.GetValues("API-Version"))));
    }

    private static async Task<(Version Version, int Status, string Body)> SendAsync(HttpClient http, HttpMethod method, string path, string body, string contentType, string? token)
    {
        using var request = new HttpRequestMessage(method, path)
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new StringContent(body, Encoding.UTF8),
        };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await http.SendAsync(request);
        return (response.Version, (int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}

using System.Net.Http.Headers;
using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf.Reflection;
using Google.Rpc;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Ketenhub.Contracts;
using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Ketenhub.HubTests.Identity;

/// <summary>
/// Closed by default: every endpoint the hub maps, found in its endpoint data source rather than listed by hand, refuses
/// a caller that proves no configured party (no identity at all, or a valid token for a party the hub does not know)
/// with the coded error: CALLER_UNKNOWN as UNAUTHENTICATED on gRPC, HTTP 401 on the HTTP endpoints. The only exceptions
/// are the endpoints marked AllowAnonymous, which this test names one by one; a new endpoint is closed until someone
/// adds it here on purpose.
/// </summary>
public sealed class ClosedByDefaultTests(ITestOutputHelper output) : IDisposable
{
    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(b => b, b => b);

    /// <summary>
    /// The only endpoints open to a caller without a party, by route: gRPC health and reflection (which describes the
    /// public contract), with the catch-alls that answer an unknown method of those services, and the FHIR endpoint's
    /// CapabilityStatement (what the endpoint does, no data), which FHIR client software reads before it identifies, and
    /// the hub's conformance resources (profiles, code systems, value sets: no data), which a partner's validator resolves, and
    /// the OpenAPI document of the partner routes that are not FHIR (no data).
    /// </summary>
    private static readonly string[] OpenByRoute =
    [
        "/fhir/r4/CodeSystem",
        "/fhir/r4/CodeSystem/{id}",
        "/fhir/r4/StructureDefinition",
        "/fhir/r4/StructureDefinition/{id}",
        "/fhir/r4/ValueSet",
        "/fhir/r4/ValueSet/{id}",
        "/fhir/r4/metadata",
        "/grpc.health.v1.Health/Check",
        "/openapi.json",
        "/grpc.health.v1.Health/Watch",
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
        "grpc.health.v1.Health/{unimplementedMethod:grpcunimplemented}",
        "grpc.reflection.v1.ServerReflection/{unimplementedMethod:grpcunimplemented}",
        "grpc.reflection.v1alpha.ServerReflection/{unimplementedMethod:grpcunimplemented}",
    ];

    // Many unknown callers from one test client: the per-connection allowance is not what this test is about.
    private readonly HubFactory _hub = new HubFactory().With("Hub:Limits:UnknownCallers:Burst", "1000000");

    public void Dispose() => _hub.Dispose();

    [Fact]
    public void OnlyTheEndpointsNamedOpen_AllowAnonymousCallers_AndEveryContractMethodHasAnEndpoint()
    {
        var endpoints = Endpoints();
        output.WriteLine(string.Join(Environment.NewLine, endpoints.Select(e => $"{e.RoutePattern.RawText} ({e.DisplayName}){(IsOpen(e) ? " open" : string.Empty)}")));

        Assert.Equal(OpenByRoute.Order(StringComparer.Ordinal), endpoints.Where(IsOpen).Select(e => e.RoutePattern.RawText!).Order(StringComparer.Ordinal));

        // Every method of the contract is among the endpoints, so none escapes the tests below.
        var methods = endpoints.Select(e => e.Metadata.GetMetadata<GrpcMethodMetadata>()?.Method.FullName).OfType<string>();
        Assert.Empty(ContractMethods().Except(methods, StringComparer.Ordinal));
    }

    [Fact]
    public async Task EveryGrpcEndpoint_RefusesAnUnknownCaller_WithCallerUnknown()
    {
        var refused = 0;
        foreach (var endpoint in Endpoints().Where(e => IsGrpc(e) && !IsOpen(e)))
        {
            // A method of the contract as it is; a catch-all for unknown methods with a method it does not know.
            var method = endpoint.Metadata.GetMetadata<GrpcMethodMetadata>()?.Method
                ?? new Method<byte[], byte[]>(MethodType.Unary, ServiceOf(endpoint), "NoSuchMethod", Bytes, Bytes);
            foreach (var (who, headers) in UnknownCallers())
            {
                var error = await Assert.ThrowsAsync<RpcException>(() => CallAsync(method, headers));
                var reason = error.GetRpcStatus()?.GetDetail<ErrorInfo>()?.Reason;
                Assert.True(
                    (error.StatusCode, reason) == (StatusCode.Unauthenticated, "CALLER_UNKNOWN"),
                    $"{endpoint.DisplayName}, {method.FullName} with {who}: {error.StatusCode} {reason}");
                refused++;
            }
        }

        Assert.True(refused >= 3 * 35, $"Only {refused} refusals: the enumeration found too few methods.");
    }

    [Fact]
    public async Task EveryHttpEndpoint_RefusesAnUnknownCaller_With401AndCallerUnknown()
    {
        var tried = 0;
        foreach (var endpoint in Endpoints().Where(e => !IsGrpc(e) && !OpenByRoute.Contains(e.RoutePattern.RawText, StringComparer.Ordinal)))
        {
            Assert.False(IsOpen(endpoint), endpoint.DisplayName);
            var path = "/" + string.Join('/', endpoint.RoutePattern.PathSegments.Select(s => string.Concat(s.Parts.Select(p => p switch
            {
                RoutePatternLiteralPart literal => literal.Content,
                RoutePatternSeparatorPart separator => separator.Content,
                _ => "x",
            }))));
            foreach (var verb in endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET", "POST"])
            {
                foreach (var (who, headers) in UnknownCallers())
                {
                    using var client = _hub.CreateClient();
                    using var request = new HttpRequestMessage(new HttpMethod(verb), path) { Content = new StringContent("{}", Encoding.UTF8) };
                    request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(path.StartsWith("/fhir", StringComparison.Ordinal) ? "application/fhir+json" : "application/xml");
                    foreach (var (name, value) in headers)
                    {
                        request.Headers.TryAddWithoutValidation(name, value);
                    }

                    using var response = await client.SendAsync(request);
                    var body = await response.Content.ReadAsStringAsync();
                    output.WriteLine($"{verb} {path} ({endpoint.DisplayName}) with {who}: {(int)response.StatusCode} {body.Trim()}");
                    Assert.Equal(401, (int)response.StatusCode);
                    Assert.Equal("CALLER_UNKNOWN", ReasonIn(body));
                    Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
                    tried++;
                }
            }
        }

        // The FHIR and iWmo inbound endpoints at least (POST and PUT on FHIR's).
        Assert.True(tried >= 3 * 5, $"Only {tried} requests: the enumeration found too few endpoints.");
    }

    [Fact]
    public async Task ARequestThatMatchesNoEndpoint_IsRefusedToAnUnknownCaller_AndNotFoundForAKnownOne()
    {
        using var client = _hub.CreateClient();
        using var anonymous = await client.GetAsync(new Uri("/no/such/thing", UriKind.Relative));
        Assert.Equal(401, (int)anonymous.StatusCode);
        Assert.Equal("CALLER_UNKNOWN", ReasonIn(await anonymous.Content.ReadAsStringAsync()));

        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _hub.Token("sdd"));
        using var known = await client.GetAsync(new Uri("/no/such/thing", UriKind.Relative));
        Assert.Equal(404, (int)known.StatusCode);
    }

    [Fact]
    public async Task TheOpenEndpoints_ServeACallerWithoutAParty()
    {
        var health = new Grpc.Health.V1.Health.HealthClient(_hub.AnonymousChannel());
        Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest())).Status);

        var reflection = new Grpc.Reflection.V1Alpha.ServerReflection.ServerReflectionClient(_hub.AnonymousChannel());
        using var call = reflection.ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new Grpc.Reflection.V1Alpha.ServerReflectionRequest { ListServices = string.Empty });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Contains(call.ResponseStream.Current.ListServicesResponse.Service, s => s.Name == "ketenhub.v1.ClientService");
    }

    private List<RouteEndpoint> Endpoints() =>
        _hub.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();

    private static bool IsOpen(Endpoint endpoint) => endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null;

    // A gRPC method, or one of the catch-alls gRPC maps for an unknown service or method of a known one.
    private static bool IsGrpc(Endpoint endpoint) =>
        endpoint.Metadata.GetMetadata<GrpcMethodMetadata>() is not null || endpoint.DisplayName?.StartsWith("gRPC", StringComparison.Ordinal) == true;

    // The service of a catch-all for unknown methods ("ketenhub.v1.ClientService/{unimplementedMethod}"), or one the hub does not have.
    private static string ServiceOf(RouteEndpoint endpoint) =>
        endpoint.RoutePattern.PathSegments[0].Parts is [RoutePatternLiteralPart literal] ? literal.Content : "no.such.Service";

    // No identity at all; a valid token for a party the hub does not know; the development header naming none.
    private IEnumerable<(string Who, Dictionary<string, string> Headers)> UnknownCallers() =>
    [
        ("no identity", []),
        ("a token for an unknown party", new Dictionary<string, string> { ["authorization"] = "Bearer " + _hub.Token("no-such-party") }),
        ("the development header for an unknown party", new Dictionary<string, string> { [DevelopmentHeaders.Party] = "no-such-party" }),
    ];

    private async Task CallAsync(IMethod described, Dictionary<string, string> headers)
    {
        var method = new Method<byte[], byte[]>(described.Type, described.ServiceName, described.Name, Bytes, Bytes);
        var metadata = new Metadata();
        foreach (var (key, value) in headers)
        {
            metadata.Add(key, value);
        }

        var invoker = _hub.AnonymousChannel().CreateCallInvoker();
        var options = new CallOptions(metadata, DateTime.UtcNow.AddSeconds(30));
        switch (method.Type)
        {
            case MethodType.Unary:
                await invoker.AsyncUnaryCall(method, null, options, []).ResponseAsync;
                break;
            case MethodType.ServerStreaming:
                using (var call = invoker.AsyncServerStreamingCall(method, null, options, []))
                {
                    await call.ResponseStream.MoveNext(CancellationToken.None);
                }

                break;
            default:
                using (var call = invoker.AsyncDuplexStreamingCall(method, null, options))
                {
                    await call.RequestStream.CompleteAsync();
                    await call.ResponseStream.MoveNext(CancellationToken.None);
                }

                break;
        }
    }

    private static string ContentTypeFor(string path) => path.StartsWith("/fhir", StringComparison.Ordinal) ? "application/fhir+json" : "application/xml";

    // The reason of a refusal in the body: a FHIR OperationOutcome's first coding, problem details' code, or plain text
    // "REASON: message".
    private static string ReasonIn(string body)
    {
        if (body.TrimStart().StartsWith('{'))
        {
            var json = JsonNode.Parse(body)!;
            return json["code"] is { } code
                ? code.GetValue<string>()
                : json["issue"]![0]!["details"]!["coding"]![0]!["code"]!.GetValue<string>();
        }

        return body.Split(':')[0];
    }

    private static IEnumerable<string> ContractMethods() => typeof(ClientService).Assembly.GetTypes()
        .Where(t => t.Namespace == typeof(ClientService).Namespace && t.Name.EndsWith("Reflection", StringComparison.Ordinal))
        .Select(t => (FileDescriptor)t.GetProperty("Descriptor", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!)
        .SelectMany(f => f.Services)
        .SelectMany(s => s.Methods)
        .Select(m => "/" + m.Service.FullName + "/" + m.Name);
}

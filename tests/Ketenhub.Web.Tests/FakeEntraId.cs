using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Ketenhub.Identity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Ketenhub.WebTests;

/// <summary>
/// Microsoft Entra ID as the web app and its libraries meet it, for the tests: the v2.0 endpoints of one tenant at
/// <c>https://login.microsoftonline.com/</c> (discovery, signing keys, authorize with <c>form_post</c>, the token
/// endpoint for the code flow with PKCE and a client secret), served on a loopback port. The app's back channels and the
/// browser reach it through <see cref="Rewrite"/>: requests for <c>login.microsoftonline.com</c> go to this server
/// instead, so the app runs with Entra's own host names, issuers and the library's Entra issuer validation unchanged; a
/// browser reaches it over HTTPS (<see cref="HttpsPort"/>, a certificate for Entra's host made here) through a host rule.
/// Tokens are shaped as Entra issues them (RS256, <c>tid</c>, <c>oid</c>, <c>ver</c> 2.0, <c>client_info</c>, app roles
/// in <c>roles</c>, the delegated scope in <c>scp</c>).
/// </summary>
public sealed class FakeEntraId : IAsyncDisposable
{
    public const string Host = "login.microsoftonline.com";
    public const string TenantId = "7d1c2a4e-5b6f-4c3d-9e8f-0a1b2c3d4e5f";
    public const string AppClientId = "3f2e1d0c-9b8a-4765-8432-10fedcba9876";
    public const string AppClientSecret = "entra-test-secret";

    /// <summary>The hub's application (its id is the audience of the access tokens) and the scope the app asks for.</summary>
    public const string HubAppId = "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d";
    public const string HubScope = "api://ketenhub/hub.access";

    private readonly RSA _key = RSA.Create(2048);
    private readonly ConcurrentDictionary<string, Grant> _codes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Person> _people = new(StringComparer.Ordinal);
    private WebApplication? _app;
    private int _tokensIssued;

    /// <summary>Where the server really listens for the app's back channels (loopback, plain HTTP).</summary>
    public Uri Address { get; private set; } = new("http://127.0.0.1/");

    /// <summary>The loopback port of the HTTPS listener for browsers, whose certificate names Entra's host.</summary>
    public int HttpsPort { get; private set; }

    public static string Issuer => $"https://{Host}/{TenantId}/v2.0";

    /// <summary>The person who signs in next at the authorize endpoint.</summary>
    public Person? Next { get; set; }

    /// <summary>When set, ID tokens are signed with this key instead of the tenant's (a forgery the app must refuse).</summary>
    public RSA? ForgeWith { get; set; }

    /// <summary>How many times the token endpoint gave tokens.</summary>
    public int TokensIssued => Volatile.Read(ref _tokensIssued);

    /// <summary>The tenant's public signing key (PEM), for a hub that trusts the tenant's tokens with <c>Identity:Jwt</c>.</summary>
    public string PublicKeyPem => _key.ExportSubjectPublicKeyInfoPem();

    /// <summary>Maps an Entra address to the address this server answers it on; other addresses stay as they are.</summary>
    public Uri Rewrite(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        return string.Equals(uri.Host, Host, StringComparison.OrdinalIgnoreCase)
            ? new UriBuilder(uri) { Scheme = Address.Scheme, Host = Address.Host, Port = Address.Port }.Uri
            : uri;
    }

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();

        // Only its own endpoints (the test's output folder holds an app's appsettings.json with Kestrel endpoints).
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kestrel:Endpoints:Http:Url"] = "http://127.0.0.1:0",
            ["Kestrel:Endpoints:Https:Url"] = "https://127.0.0.1:0",
        });
        var certificate = HostCertificate();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureHttpsDefaults(https => https.ServerCertificate = certificate));
        _app = builder.Build();
        _app.MapGet("/{tenant}/v2.0/.well-known/openid-configuration", (string tenant) => Results.Json(Discovery(tenant)));
        _app.MapGet("/{tenant}/discovery/v2.0/keys", () =>
        {
            var parameters = _key.ExportParameters(includePrivateParameters: false);
            return Results.Json(new
            {
                keys = new[]
                {
                    new { kty = "RSA", use = "sig", kid = LocalTokens.KeyId(_key), n = Base64UrlEncoder.Encode(parameters.Modulus), e = Base64UrlEncoder.Encode(parameters.Exponent), issuer = Issuer },
                },
            });
        });
        _app.MapGet("/common/discovery/instance", (HttpContext http) =>
        {
            // MSAL's instance discovery: the cloud's host names and the tenant's discovery document.
            var authorize = new Uri(http.Request.Query["authorization_endpoint"].ToString());
            var tenant = authorize.Segments.Length > 1 ? authorize.Segments[1].TrimEnd('/') : "common";
            return Results.Json(new Dictionary<string, object>
            {
                ["tenant_discovery_endpoint"] = $"https://{Host}/{tenant}/v2.0/.well-known/openid-configuration",
                ["api-version"] = "1.1",
                ["metadata"] = new[] { new { preferred_network = Host, preferred_cache = "login.windows.net", aliases = new[] { Host, "login.windows.net", "login.microsoft.com", "sts.windows.net" } } },
            });
        });
        _app.MapGet("/{tenant}/oauth2/v2.0/authorize", (string tenant, HttpContext http) => Authorize(tenant, http));
        _app.MapPost("/{tenant}/oauth2/v2.0/token", (string tenant, HttpContext http) => TokenAsync(tenant, http));
        await _app.StartAsync();
        var addresses = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a)).ToList();
        Address = addresses.Single(a => a.Scheme == Uri.UriSchemeHttp);
        HttpsPort = addresses.Single(a => a.Scheme == Uri.UriSchemeHttps).Port;
    }

    private static X509Certificate2 HostCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={Host}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(Host);
        request.CertificateExtensions.Add(names.Build());
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), password: null);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        _key.Dispose();
    }

    private static Dictionary<string, object> Discovery(string tenant)
    {
        // The multi-tenant documents (common, organizations) carry Entra's issuer template; a tenant's its own issuer.
        var issuerTenant = tenant is "common" or "organizations" ? "{tenantid}" : tenant;
        return new Dictionary<string, object>
        {
            ["issuer"] = $"https://{Host}/{issuerTenant}/v2.0",
            ["authorization_endpoint"] = $"https://{Host}/{tenant}/oauth2/v2.0/authorize",
            ["token_endpoint"] = $"https://{Host}/{tenant}/oauth2/v2.0/token",
            ["jwks_uri"] = $"https://{Host}/{tenant}/discovery/v2.0/keys",
            ["response_types_supported"] = new[] { "code", "id_token", "code id_token" },
            ["response_modes_supported"] = new[] { "query", "fragment", "form_post" },
            ["subject_types_supported"] = new[] { "pairwise" },
            ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
            ["scopes_supported"] = new[] { "openid", "profile", "email", "offline_access" },
            ["token_endpoint_auth_methods_supported"] = new[] { "client_secret_post", "private_key_jwt", "client_secret_basic" },
            ["tenant_region_scope"] = "EU",
        };
    }

    private IResult Authorize(string tenant, HttpContext http)
    {
        var query = http.Request.Query;
        var person = Next;
        var redirectUri = query["redirect_uri"].ToString();
        if (tenant != TenantId || person is null || query["client_id"] != AppClientId || query["response_type"] != "code"
            || !query["scope"].ToString().Split(' ').Contains("openid", StringComparer.Ordinal) || string.IsNullOrEmpty(redirectUri))
        {
            return Results.BadRequest(new { error = "invalid_request" });
        }

        var code = Guid.NewGuid().ToString("N");
        _codes[code] = new Grant(person, query["nonce"].ToString(), query["code_challenge"].ToString(), redirectUri, query["scope"].ToString());
        var fields = new Dictionary<string, string>
        {
            ["code"] = code,
            ["client_info"] = ClientInfo(person),
            ["state"] = query["state"].ToString(),
            ["session_state"] = Guid.NewGuid().ToString(),
        };
        if (query["response_mode"] == "form_post")
        {
            // Entra's form_post: a page that posts the answer to the app's redirect address.
            var html = new StringBuilder("<!DOCTYPE html><html lang=\"en\"><head><title>Working...</title></head><body onload=\"document.forms[0].submit()\">");
            html.Append(CultureInvariant($"<form method=\"post\" action=\"{HtmlEncoder.Default.Encode(redirectUri)}\">"));
            foreach (var (name, value) in fields)
            {
                html.Append(CultureInvariant($"<input type=\"hidden\" name=\"{name}\" value=\"{HtmlEncoder.Default.Encode(value)}\" />"));
            }

            html.Append("<noscript><button type=\"submit\">Continue</button></noscript></form></body></html>");
            return Results.Content(html.ToString(), "text/html; charset=utf-8");
        }

        return Results.Redirect(redirectUri + "?" + string.Join('&', fields.Select(f => f.Key + "=" + Uri.EscapeDataString(f.Value))));
    }

    private async Task<IResult> TokenAsync(string tenant, HttpContext http)
    {
        var form = await http.Request.ReadFormAsync();
        if (tenant != TenantId || form["grant_type"] != "authorization_code" || form["client_id"] != AppClientId || form["client_secret"] != AppClientSecret
            || !_codes.TryRemove(form["code"].ToString(), out var grant) || grant.RedirectUri != form["redirect_uri"])
        {
            return Results.BadRequest(new { error = "invalid_grant" });
        }

        if (!string.IsNullOrEmpty(grant.CodeChallenge)
            && Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(form["code_verifier"].ToString()))) != grant.CodeChallenge)
        {
            return Results.BadRequest(new { error = "invalid_grant", error_description = "PKCE verification failed." });
        }

        var person = grant.Person;
        var now = DateTimeOffset.UtcNow;
        var common = new Dictionary<string, object>
        {
            ["tid"] = TenantId,
            ["oid"] = person.ObjectId,
            ["ver"] = "2.0",
            ["iat"] = now.ToUnixTimeSeconds(),
        };
        var idClaims = new Dictionary<string, object>(common)
        {
            ["sub"] = "sub-" + person.ObjectId,
            ["nonce"] = grant.Nonce,
            ["name"] = person.Name,
            ["preferred_username"] = person.UserName,
        };
        if (person.AppRoles.Count > 0)
        {
            idClaims["roles"] = person.AppRoles.ToArray();
        }

        var scopes = grant.Scope.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        string? accessToken = null;
        if (scopes.Contains(HubScope, StringComparer.Ordinal))
        {
            var accessClaims = new Dictionary<string, object>(common)
            {
                ["sub"] = "hub-sub-" + person.ObjectId,
                ["azp"] = AppClientId,
                ["azpacr"] = "1",
                ["scp"] = "hub.access",
            };
            if (person.HubRoles.Count > 0)
            {
                accessClaims["roles"] = person.HubRoles.ToArray();
            }

            accessToken = Sign(_key, HubAppId, accessClaims, now);
        }

        Interlocked.Increment(ref _tokensIssued);
        var answer = new Dictionary<string, object>
        {
            ["token_type"] = "Bearer",
            ["scope"] = string.Join(' ', scopes.Where(s => s.StartsWith("api://", StringComparison.Ordinal))),
            ["expires_in"] = 3600,
            ["ext_expires_in"] = 3600,
            ["id_token"] = Sign(ForgeWith ?? _key, AppClientId, idClaims, now),
            ["refresh_token"] = "refresh-" + Guid.NewGuid().ToString("N"),
            ["client_info"] = ClientInfo(person),
        };
        if (accessToken is not null)
        {
            answer["access_token"] = accessToken;
        }

        return Results.Json(answer);
    }

    private static string Sign(RSA key, string audience, Dictionary<string, object> claims, DateTimeOffset now) =>
        new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = audience,
            Claims = claims,
            NotBefore = now.AddMinutes(-1).UtcDateTime,
            Expires = now.AddHours(1).UtcDateTime,
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(key) { KeyId = LocalTokens.KeyId(key) }, SecurityAlgorithms.RsaSha256),
        });

    private static string ClientInfo(Person person) =>
        Base64UrlEncoder.Encode(JsonSerializer.Serialize(new { uid = person.ObjectId, utid = TenantId }));

    private static string CultureInvariant(FormattableString text) => FormattableString.Invariant(text);

    /// <summary>A person in the tenant: app roles on the web app (<c>monitor</c>) and on the hub (<c>party.{id}</c>).</summary>
    public sealed record Person(string ObjectId, string Name, string UserName, IReadOnlyList<string> AppRoles, IReadOnlyList<string> HubRoles);

    private sealed record Grant(Person Person, string Nonce, string CodeChallenge, string RedirectUri, string Scope);
}

/// <summary>Sends requests for Entra's host to <see cref="FakeEntraId"/>; everything else passes as it is.</summary>
public sealed class EntraRedirectHandler(FakeEntraId entra) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.RequestUri is { } uri)
        {
            request.RequestUri = entra.Rewrite(uri);
        }

        return base.SendAsync(request, cancellationToken);
    }
}

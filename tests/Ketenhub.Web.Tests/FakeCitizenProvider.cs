using System.Collections.Concurrent;
using System.Security.Cryptography;
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
/// A citizens' OpenID Connect provider for the tests, standing in for a DigiD broker: discovery, JWKS, an authorize
/// endpoint that signs in the person it was told to (the BSN in <see cref="NextBsn"/>) at once, and a token endpoint that
/// checks the code and the PKCE verifier and answers an ID token for the app and an access token for the hub (its BSN in
/// the <c>bsn</c> claim). Over plain HTTP on a loopback port.
/// </summary>
public sealed class FakeCitizenProvider : IAsyncDisposable
{
    public const string ClientId = "ketenhub-web-test";
    public const string ClientSecret = "test-secret";
    public const string HubAudience = "api://ketenhub-citizens-test";

    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ConcurrentDictionary<string, Grant> _codes = new(StringComparer.Ordinal);
    private WebApplication? _app;

    public Uri Authority { get; private set; } = new("http://127.0.0.1/");

    public string Issuer => Authority.ToString().TrimEnd('/');

    /// <summary>The BSN of the person who signs in next.</summary>
    public string NextBsn { get; set; } = string.Empty;

    /// <summary>How many times the token endpoint gave tokens.</summary>
    public int TokensIssued { get; private set; }

    /// <summary>The provider's public key (PEM), for the hub's <c>Identity:Citizens:SigningKeyFile</c>.</summary>
    public string PublicKeyPem => _key.ExportSubjectPublicKeyInfoPem();

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();

        // Only its own endpoint: the test's output folder holds an appsettings.json of one of the apps under test, whose
        // Kestrel endpoints must not be opened here too.
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Kestrel:Endpoints:Http:Url"] = "http://127.0.0.1:0" });
        _app = builder.Build();
        _app.MapGet("/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = Issuer,
            ["authorization_endpoint"] = Issuer + "/authorize",
            ["token_endpoint"] = Issuer + "/token",
            ["jwks_uri"] = Issuer + "/jwks",
            ["response_types_supported"] = new[] { "code" },
            ["subject_types_supported"] = new[] { "pairwise" },
            ["id_token_signing_alg_values_supported"] = new[] { "ES256" },
            ["code_challenge_methods_supported"] = new[] { "S256" },
        }));
        _app.MapGet("/jwks", () =>
        {
            var parameters = _key.ExportParameters(includePrivateParameters: false);
            return Results.Json(new { keys = new[] { new { kty = "EC", crv = "P-256", use = "sig", alg = "ES256", kid = LocalTokens.KeyId(_key), x = Base64UrlEncoder.Encode(parameters.Q.X), y = Base64UrlEncoder.Encode(parameters.Q.Y) } } });
        });
        _app.MapGet("/authorize", (HttpContext http) =>
        {
            var query = http.Request.Query;
            if (query["client_id"] != ClientId || query["response_type"] != "code" || string.IsNullOrEmpty(query["code_challenge"]))
            {
                return Results.BadRequest();
            }

            var code = Guid.NewGuid().ToString("N");
            _codes[code] = new Grant(NextBsn, query["nonce"].ToString(), query["code_challenge"].ToString(), query["redirect_uri"].ToString());
            return Results.Redirect($"{query["redirect_uri"]}?code={code}&state={Uri.EscapeDataString(query["state"].ToString())}");
        });
        _app.MapPost("/token", async (HttpContext http) =>
        {
            var form = await http.Request.ReadFormAsync();
            if (form["grant_type"] != "authorization_code" || form["client_id"] != ClientId || form["client_secret"] != ClientSecret
                || !_codes.TryRemove(form["code"].ToString(), out var grant) || grant.RedirectUri != form["redirect_uri"]
                || Base64UrlEncoder.Encode(SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(form["code_verifier"].ToString()))) != grant.CodeChallenge)
            {
                return Results.BadRequest(new { error = "invalid_grant" });
            }

            var now = DateTimeOffset.UtcNow;
            var subject = Base64UrlEncoder.Encode(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("citizen/" + grant.Bsn)).AsSpan(0, 16).ToArray());
            var idToken = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
            {
                Issuer = Issuer,
                Audience = ClientId,
                Claims = new Dictionary<string, object> { ["sub"] = subject, ["nonce"] = grant.Nonce },
                NotBefore = now.AddMinutes(-1).UtcDateTime,
                IssuedAt = now.UtcDateTime,
                Expires = now.AddMinutes(5).UtcDateTime,
                SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(_key) { KeyId = LocalTokens.KeyId(_key) }, SecurityAlgorithms.EcdsaSha256),
            });
            var accessToken = LocalTokens.MintCitizen(_key, Issuer, HubAudience, grant.Bsn, now.AddMinutes(-1), now.AddMinutes(5));
            TokensIssued++;
            return Results.Json(new Dictionary<string, object> { ["access_token"] = accessToken, ["id_token"] = idToken, ["token_type"] = "Bearer", ["expires_in"] = 300 });
        });
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        Authority = new Uri(address);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        _key.Dispose();
    }

    private sealed record Grant(string Bsn, string Nonce, string CodeChallenge, string RedirectUri);
}

using System.Security.Cryptography;
using Grpc.Core;
using Ketenhub.Identity;

namespace Ketenhub.Testing;

/// <summary>
/// A signing key generated for one test, the hub settings that make a hub trust it (<c>Identity:Jwt</c>), and tokens
/// signed with it. The public key is written to a temporary file that disposing removes.
/// </summary>
public sealed class TestTokens : IDisposable
{
    public const string Issuer = "https://issuer.ketenhub.test";
    public const string Audience = "api://ketenhub-test";

    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public TestTokens()
    {
        KeyFile = Path.Combine(Path.GetTempPath(), $"ketenhub-test-key-{Guid.NewGuid():N}.pem");
        File.WriteAllText(KeyFile, _key.ExportSubjectPublicKeyInfoPem());
    }

    public string KeyFile { get; }

    /// <summary>The settings that make a hub accept this key's tokens.</summary>
    public IReadOnlyDictionary<string, string?> HubSettings => new Dictionary<string, string?>
    {
        ["Identity:Jwt:Issuer"] = Issuer,
        ["Identity:Jwt:Audience"] = Audience,
        ["Identity:Jwt:SigningKeyFile"] = KeyFile,
    };

    /// <summary>The keys a hub needs outside Development besides its identity (BSN lookup, pseudonyms, BSN encryption), freshly generated.</summary>
    public static Dictionary<string, string?> ProductionKeys() => new()
    {
        ["Hub:BsnLookupKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        ["Hub:PseudonymKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        ["Hub:BsnEncryption:ActiveKeyId"] = "prod-1",
        ["Hub:BsnEncryption:Keys:prod-1"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
    };

    /// <summary>Call metadata with a bearer token for the party, valid for an hour.</summary>
    public Metadata For(string partyId, string? userId = null, params string[] roles) =>
        new() { { "authorization", "Bearer " + Token(partyId, userId, roles) } };

    /// <summary>A bearer token (without the <c>Bearer</c> prefix) for the party, valid for an hour.</summary>
    public string Token(string partyId, string? userId = null, params string[] roles)
    {
        var now = DateTimeOffset.UtcNow;
        return LocalTokens.Mint(_key, Issuer, Audience, partyId, userId, roles, now.AddMinutes(-5), now.AddHours(1));
    }

    public void Dispose()
    {
        _key.Dispose();
        File.Delete(KeyFile);
    }
}

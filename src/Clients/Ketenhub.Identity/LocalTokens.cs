using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Ketenhub.Identity;

/// <summary>
/// Bearer tokens signed with a local key (ES256, an ECDSA P-256 key in a PEM file): the hub's development issuer,
/// the <c>ketenhub token</c> command, the tests and the benchmark harness. The hub validates such tokens like any
/// other: signature, issuer, audience and lifetime. The hub, the CLI, the test helpers and the benchmark harness all
/// reference this one assembly, so that all of them mint and read the same tokens.
/// </summary>
public static class LocalTokens
{
    /// <summary>Issuer of the development issuer's tokens.</summary>
    public const string DevelopmentIssuer = "https://ketenhub.localhost/development-issuer";

    /// <summary>Audience of the development issuer's tokens.</summary>
    public const string DevelopmentAudience = "api://ketenhub-development";

    /// <summary>Audience of the development issuer's citizens' tokens (the person the data is about), never a party token's.</summary>
    public const string DevelopmentCitizenAudience = "api://ketenhub-citizens-development";

    /// <summary>The claim a citizen's token names the person's BSN in, unless the hub is configured otherwise.</summary>
    public const string BsnClaim = "bsn";

    /// <summary>A role value <c>party.{id}</c> names the calling party.</summary>
    public const string PartyRolePrefix = "party.";

    /// <summary>The scope a token for a person carries (a delegated token); its <c>oid</c> names the person.</summary>
    public const string PersonScope = "hub.access";

    /// <summary>Where the development issuer keeps its key unless configured otherwise: the user's local application data.</summary>
    public static string DefaultDevelopmentKeyFile =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "ketenhub", "development-issuer-key.pem");

    /// <summary>Reads the ECDSA private key in <paramref name="path"/>, or creates the file with a new key (readable by the owner only).</summary>
    public static ECDsa LoadOrCreateKey(string path)
    {
        for (var attempt = 0; ; attempt++)
        {
            if (File.Exists(path))
            {
                var key = ECDsa.Create();
                key.ImportFromPem(File.ReadAllText(path));
                return key;
            }

            try
            {
                return CreateKeyFile(path);
            }
            catch (IOException) when (attempt < 3 && File.Exists(path))
            {
                // Another process created it first: read theirs.
            }
        }
    }

    /// <summary>Creates <paramref name="path"/> with a new P-256 private key; fails if the file exists.</summary>
    public static ECDsa CreateKeyFile(string path)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(path, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(key.ExportPkcs8PrivateKeyPem());
        }

        return key;
    }

    /// <summary>A key id derived from the public key, the same wherever it is computed.</summary>
    public static string KeyId(AsymmetricAlgorithm key) =>
        Base64UrlEncoder.Encode(SHA256.HashData(key.ExportSubjectPublicKeyInfo()).AsSpan(0, 12).ToArray());

    /// <summary>
    /// A signed token for a citizen, the person the data is about, as a citizens' identity provider issues one: the
    /// BSN in <see cref="BsnClaim"/>, a pairwise subject, no party and no roles.
    /// </summary>
    public static string MintCitizen(ECDsa key, string issuer, string audience, string bsn, DateTimeOffset notBefore, DateTimeOffset expires)
    {
        ArgumentNullException.ThrowIfNull(key);
        var claims = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            [BsnClaim] = bsn,
            ["sub"] = Base64UrlEncoder.Encode(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("citizen/" + bsn)).AsSpan(0, 16).ToArray()),
        };
        return Sign(key, issuer, audience, claims, notBefore, expires);
    }

    /// <summary>
    /// A signed token for <paramref name="party"/>: its roles claim holds <c>party.{party}</c> and <paramref name="roles"/>;
    /// with a <paramref name="user"/> it is a person's token (scope <see cref="PersonScope"/>, <c>oid</c> = the user).
    /// </summary>
    public static string Mint(ECDsa key, string issuer, string audience, string party, string? user, IEnumerable<string> roles, DateTimeOffset notBefore, DateTimeOffset expires)
    {
        var claims = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["roles"] = new[] { PartyRolePrefix + party }.Concat(roles).Distinct(StringComparer.Ordinal).ToArray(),
            ["azp"] = "ketenhub-local-" + party,
        };
        if (!string.IsNullOrEmpty(user))
        {
            claims["scp"] = PersonScope;
            claims["oid"] = user;
            claims["sub"] = user;
        }
        else
        {
            claims["sub"] = PartyRolePrefix + party;
            claims["idtyp"] = "app";
        }

        return Sign(key, issuer, audience, claims, notBefore, expires);
    }

    /// <summary>Signs <paramref name="claims"/> with ES256 as a token of <paramref name="issuer"/> for <paramref name="audience"/>.</summary>
    public static string Sign(ECDsa key, string issuer, string audience, IDictionary<string, object> claims, DateTimeOffset notBefore, DateTimeOffset expires)
    {
        ArgumentNullException.ThrowIfNull(key);
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            Claims = claims,
            NotBefore = notBefore.UtcDateTime,
            IssuedAt = notBefore.UtcDateTime,
            Expires = expires.UtcDateTime,
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(key) { KeyId = KeyId(key) }, SecurityAlgorithms.EcdsaSha256),
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }
}

using System.Security.Cryptography;
using Grpc.Core;
using Ketenhub.Contracts;
using Ketenhub.Contracts.V1;
using Ketenhub.Hub.Host.Identity;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using Ketenhub.HubTests.Integration;
using Ketenhub.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace Ketenhub.HubTests.Identity;

/// <summary>
/// Who is calling, through the real host: bearer tokens checked for signature, issuer, audience and lifetime; the
/// party from the token's roles; a person's user claim; the development header only where it is switched on, never
/// as a fallback for a bad token and never against another identity.
/// </summary>
public sealed class CallerIdentityTests : IDisposable
{
    private readonly HubFactory _hub = new();

    public void Dispose() => _hub.Dispose();

    private static Metadata Bearer(string token) => new() { { "authorization", "Bearer " + token } };

    private static Task List(PartyClient caller) => caller.Parties.ListPartiesAsync(new ListPartiesRequest()).ResponseAsync;

    [Fact]
    public async Task ATokenSignedWithTheConfiguredKey_IsServed_AsItsParty()
    {
        var sdd = _hub.As("sdd");
        var client = await sdd.RegisterAsync(Kit.NewBsn(), PartyClient.Date(1990, 1, 1), "0505");

        // The signal's sender is the token's party: the identity, not the request, says who submits.
        var signal = await sdd.Signals.CreateSignalAsync(Kit.Signal(client.Name));
        Assert.Equal("parties/sdd", signal.Signal.Sender);
    }

    [Fact]
    public async Task ATokenSignedWithAnotherKey_IsRefused_TokenInvalid()
    {
        using var stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var forged = _hub.WithMetadata("sdd", Bearer(_hub.Token("sdd", key: stranger)));

        await Errors.Expect(StatusCode.Unauthenticated, "TOKEN_INVALID", () => List(forged));
    }

    [Theory]
    [InlineData("https://other-issuer.example", HubFactory.TestAudience)]
    [InlineData(HubFactory.TestIssuer, "api://another-api")]
    public async Task ATokenForAnotherIssuerOrAudience_IsRefused_TokenInvalid(string issuer, string audience)
    {
        var wrong = _hub.WithMetadata("sdd", Bearer(_hub.Token("sdd", issuer: issuer, audience: audience)));

        await Errors.Expect(StatusCode.Unauthenticated, "TOKEN_INVALID", () => List(wrong));
    }

    [Fact]
    public async Task AnExpiredToken_IsRefused_TokenInvalid()
    {
        var real = TimeProvider.System.GetUtcNow();
        var fake = _hub.Clock.GetUtcNow();
        var expires = (real < fake ? real : fake).AddHours(-1);
        var expired = _hub.WithMetadata("sdd", Bearer(_hub.Token("sdd", notBefore: expires.AddHours(-2), expires: expires)));

        await Errors.Expect(StatusCode.Unauthenticated, "TOKEN_INVALID", () => List(expired));
    }

    [Fact]
    public async Task AMalformedToken_IsRefused_TokenInvalid_EvenWithAValidDevelopmentHeader()
    {
        var headers = Bearer("not-a-token");
        headers.Add(DevelopmentHeaders.Party, "sdd");

        await Errors.Expect(StatusCode.Unauthenticated, "TOKEN_INVALID", () => List(_hub.WithMetadata("sdd", headers)));
    }

    [Fact]
    public async Task AValidTokenForAPartyTheHubDoesNotKnow_IsCallerUnknown()
    {
        await Errors.Expect(StatusCode.Unauthenticated, "CALLER_UNKNOWN", () => List(_hub.As("no-such-party")));
    }

    [Fact]
    public async Task NoIdentityAtAll_IsCallerUnknown()
    {
        await Errors.Expect(StatusCode.Unauthenticated, "CALLER_UNKNOWN", () => List(_hub.WithMetadata("sdd", [])));
    }

    [Fact]
    public async Task InDevelopment_TheHeaderIdentifiesACaller_ButNotAgainstATokenOfAnotherParty()
    {
        await List(_hub.WithMetadata("sdd", new Metadata { { DevelopmentHeaders.Party, "sdd" } }));

        var headers = Bearer(_hub.Token("sdd"));
        headers.Add(DevelopmentHeaders.Party, "waakvlam-zorg");
        await Errors.Expect(StatusCode.PermissionDenied, "CALLER_MISMATCH", () => List(_hub.WithMetadata("sdd", headers)));

        var agreeing = Bearer(_hub.Token("sdd"));
        agreeing.Add(DevelopmentHeaders.Party, "sdd");
        await List(_hub.WithMetadata("sdd", agreeing));
    }

    [Fact]
    public async Task WithTheHeaderSwitchedOff_TheHeaderIsNoIdentity_AndCannotChangeWhoSubmits()
    {
        _hub.With("Identity:DevelopmentHeader", "false");

        await Errors.Expect(StatusCode.Unauthenticated, "CALLER_UNKNOWN", () => List(_hub.WithMetadata("sdd", new Metadata { { DevelopmentHeaders.Party, "sdd" } })));

        // A token for sdd with a header naming another party: the header is ignored, sdd submits.
        var headers = Bearer(_hub.Token("sdd"));
        headers.Add(DevelopmentHeaders.Party, "waakvlam-zorg");
        var sdd = _hub.WithMetadata("sdd", headers);
        var client = await sdd.RegisterAsync(Kit.NewBsn(), PartyClient.Date(1990, 1, 1), "0505");
        var signal = await sdd.Signals.CreateSignalAsync(Kit.Signal(client.Name));
        Assert.Equal("parties/sdd", signal.Signal.Sender);
    }

    [Fact]
    public async Task APersonsToken_IsServed_AndNamesThePerson_AndOneWithoutAPersonIsRefused()
    {
        var coach = _hub.As("waakvlam-zorg", "coach-lisa", []);
        await List(coach);
        var tokens = _hub.Services.GetRequiredService<BearerTokens>();
        var principal = new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity(
        [
            new System.Security.Claims.Claim("roles", "party.waakvlam-zorg"),
            new System.Security.Claims.Claim("roles", "admin"),
            new System.Security.Claims.Claim("scp", LocalTokens.PersonScope),
            new System.Security.Claims.Claim("oid", "coach-lisa"),
        ], "test"));
        var actor = tokens.Resolve(principal, out _);
        Assert.NotNull(actor);
        Assert.Equal(("waakvlam-zorg", "coach-lisa"), (actor!.Party.Id, actor.UserId));
        Assert.True(actor.HasRole("ADMIN"));

        // A delegated token (scp) that names no person cannot be recorded in the audit trail: refused.
        var nobody = new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity(
            [new System.Security.Claims.Claim("roles", "party.waakvlam-zorg"), new System.Security.Claims.Claim("scp", LocalTokens.PersonScope)], "test"));
        Assert.Null(tokens.Resolve(nobody, out var problem));
        Assert.Contains("person", problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ATokenNamingTwoParties_IsCallerUnknown()
    {
        var both = _hub.As("sdd", null, ["party.waakvlam-zorg"]);

        await Errors.Expect(StatusCode.Unauthenticated, "CALLER_UNKNOWN", () => List(both));
    }

    [Fact]
    public async Task AValidatedToken_IsRemembered_SoRepeatedCallsDoNotValidateItAgain()
    {
        var sdd = _hub.As("sdd");
        await List(sdd);
        var tokens = _hub.Services.GetRequiredService<BearerTokens>();
        var before = tokens.Count;
        for (var i = 0; i < 5; i++)
        {
            await List(sdd);
        }

        Assert.Equal(1, before);
        Assert.Equal(1, tokens.Count);
        await List(_hub.As("waakvlam-zorg"));
        Assert.Equal(2, tokens.Count);
    }

    [Fact]
    public async Task TheDevelopmentIssuer_SignsWithAKeyFile_ThatTheCliCanReadToo()
    {
        var keyFile = Path.Combine(Path.GetTempPath(), "ketenhub-tests", Guid.NewGuid().ToString("N") + "-dev-key.pem");
        try
        {
            _hub.With("Identity:Jwt:Issuer", null).With("Identity:Jwt:Audience", null).With("Identity:Jwt:SigningKeyFile", null)
                .With("Identity:DevelopmentIssuer:Enabled", "true").With("Identity:DevelopmentIssuer:KeyFile", keyFile);
            _ = _hub.Server;
            using var key = LocalTokens.LoadOrCreateKey(keyFile);
            var now = TimeProvider.System.GetUtcNow();
            var token = LocalTokens.Mint(key, LocalTokens.DevelopmentIssuer, LocalTokens.DevelopmentAudience, "sdd", null, [], now.AddYears(-2), now.AddYears(2));

            await List(_hub.WithMetadata("sdd", Bearer(token)));
            await Errors.Expect(StatusCode.Unauthenticated, "TOKEN_INVALID", () => List(_hub.As("sdd")));
        }
        finally
        {
            File.Delete(keyFile);
        }
    }
}

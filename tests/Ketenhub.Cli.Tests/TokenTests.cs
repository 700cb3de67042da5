using System.Security.Cryptography;
using Ketenhub.Cli.Tests.Infrastructure;
using Ketenhub.Contracts;
using Ketenhub.Contracts.V1;
using Ketenhub.Identity;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Ketenhub.Cli.Tests;

/// <summary>The development issuer's <c>token</c> command, and calling with <c>--token</c>.</summary>
public sealed class TokenTests : IDisposable
{
    private readonly FakeHub _hub = new();
    private readonly Dictionary<string, string> _environment = [];
    private readonly string _keyFile = Path.Combine(Path.GetTempPath(), $"ketenhub-cli-key-{Guid.NewGuid():N}.pem");

    public void Dispose() => File.Delete(_keyFile);

    [Fact]
    public async Task Token_MintsASignedTokenForTheParty_PersonAndRoles_WithTheKeyFileItCreates()
    {
        var result = await Tool.RunAsync(_environment, _hub.Connect, ["token", "--party", "parties/sdd", "--user", "lisa", "--role", "admin", "--key-file", _keyFile, "--hours", "2"]);

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.True(File.Exists(_keyFile));
        using var key = LocalTokens.LoadOrCreateKey(_keyFile);
        var validation = await new JsonWebTokenHandler().ValidateTokenAsync(result.Output.Trim(), new TokenValidationParameters
        {
            ValidIssuer = LocalTokens.DevelopmentIssuer,
            ValidAudience = LocalTokens.DevelopmentAudience,
            IssuerSigningKey = new ECDsaSecurityKey(key),
        });
        Assert.True(validation.IsValid, validation.Exception?.Message);
        var token = (JsonWebToken)validation.SecurityToken;
        Assert.Equal(["party.sdd", "admin"], token.Claims.Where(c => c.Type == "roles").Select(c => c.Value));
        Assert.Equal("lisa", token.GetClaim("oid").Value);
        Assert.InRange(token.ValidTo - token.ValidFrom, TimeSpan.FromHours(2), TimeSpan.FromHours(2.2));

        // Another key does not validate it.
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var forged = await new JsonWebTokenHandler().ValidateTokenAsync(result.Output.Trim(), new TokenValidationParameters
        {
            ValidIssuer = LocalTokens.DevelopmentIssuer,
            ValidAudience = LocalTokens.DevelopmentAudience,
            IssuerSigningKey = new ECDsaSecurityKey(other),
        });
        Assert.False(forged.IsValid);
    }

    [Fact]
    public async Task AnyCommand_WithToken_SendsItAsABearerToken_AndNeedsNoParty()
    {
        _hub.On<ListPartiesRequest, ListPartiesResponse>(_ => new());
        _hub.On<Grpc.Health.V1.HealthCheckRequest, Grpc.Health.V1.HealthCheckResponse>(_ => new() { Status = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving });
        _environment[CliHost.TokenVariable] = "abc.def.ghi";

        var result = await Tool.RunAsync(_environment, _hub.Connect, ["health"]);

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        var call = Assert.Single(_hub.Calls);
        Assert.Equal("Bearer abc.def.ghi", call.Headers.GetValue("authorization"));
        Assert.Null(call.Headers.GetValue(DevelopmentHeaders.Party));
    }
}

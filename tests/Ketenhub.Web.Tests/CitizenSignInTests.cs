using Ketenhub.Contracts.V1;
using Ketenhub.Testing;
using Ketenhub.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Ketenhub.Testing.HubProcessClient;

namespace Ketenhub.WebTests;

/// <summary>
/// The client's real sign-in path, end to end: the web app with the production sign-in (not the development one) sends
/// the client to a citizens' OpenID Connect provider (a stand-in for a DigiD broker, <see cref="FakeCitizenProvider"/>),
/// gets an access token back with the code flow and PKCE, and passes it to a hub that trusts that provider
/// (<c>Identity:Citizens</c>) and maps the token's BSN to the client.
/// </summary>
[Collection(WebCollection.Name)]
public sealed class CitizenSignInTests(WebFixture web)
{
    [Fact]
    public async Task AClientSignsInAtTheCitizensProvider_AndTheHubAcceptsItsToken_AnUnknownPersonSeesNothing()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var ct = timeout.Token;
        await using var provider = new FakeCitizenProvider();
        await provider.StartAsync();
        var keyFile = Path.Combine(Path.GetTempPath(), $"ketenhub-citizen-provider-{Guid.NewGuid():N}.pem");
        await File.WriteAllTextAsync(keyFile, provider.PublicKeyPem, ct);
        using var hub = new HubProcess(settings: new Dictionary<string, string?>
        {
            ["Identity:Citizens:Issuer"] = provider.Issuer,
            ["Identity:Citizens:Audience"] = FakeCitizenProvider.HubAudience,
            ["Identity:Citizens:SigningKeyFile"] = keyFile,
        });
        await hub.StartAsync(ct);
        var sdd = hub.As("sdd");
        var bsn = Bsns.Next();
        var client = (await sdd.RegisterAsync(bsn, Date(2004, 10, 2), "0505", ct)).Name;
        await sdd.GrantAsync(client, GrantorRole.Client, "sdd", Purpose.IncomeAndParticipation, DataCategory.Finances, ct);

        var root = HubProcess.RepositoryRoot()!;
        await using var app = WebApp.Build(
            ["--environment", "Development"],
            builder => builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Kestrel:Endpoints:Http:Url"] = "http://127.0.0.1:0",
                ["Web:HubAddress"] = hub.Url,
                ["Web:SignIn"] = "EntraId",
                ["Web:HubScope"] = "api://ketenhub/hub.access",
                ["AzureAd:TenantId"] = "00000000-0000-0000-0000-000000000001",
                ["AzureAd:ClientId"] = "00000000-0000-0000-0000-000000000002",
                ["AzureAd:ClientSecret"] = "not-used-here",
                ["Web:Citizens:Authority"] = provider.Authority.ToString(),
                ["Web:Citizens:ClientId"] = FakeCitizenProvider.ClientId,
                ["Web:Citizens:ClientSecret"] = FakeCitizenProvider.ClientSecret,
                ["Web:Citizens:RequireHttpsMetadata"] = "false",
            }),
            Path.Combine(root, "src", "Clients", "Ketenhub.Web"));
        await app.StartAsync(ct);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();

        try
        {
            var context = await web.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = address });
            var page = await context.NewPageAsync();
            provider.NextBsn = bsn;
            await page.GotoAsync("/inloggen");
            await BrowserKit.AssertAccessibleAsync(page, "sign-in-production");
            await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Inloggen met DigiD" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new PageGetByRoleOptions { Level = 1 })).ToHaveTextAsync("Wie weet wat over mij");
            await page.GotoAsync("/mij/toestemmingen");
            await Assertions.Expect(page.Locator("li.card")).ToContainTextAsync("Sociale Dienst Drechtsteden mag je helpen met geld en werk.");
            Assert.Equal(1, provider.TokensIssued);
            await context.CloseAsync();

            // A person the hub holds nothing about signs in fine at the provider, and the hub shows them nothing.
            var stranger = await web.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = address });
            var strangerPage = await stranger.NewPageAsync();
            provider.NextBsn = Bsns.Next();
            await strangerPage.GotoAsync("/inloggen");
            await strangerPage.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Inloggen met DigiD" }).ClickAsync();
            await Assertions.Expect(strangerPage.GetByRole(AriaRole.Heading, new PageGetByRoleOptions { Level = 1 })).ToHaveTextAsync("Niet gevonden");
            await stranger.CloseAsync();
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
            File.Delete(keyFile);
        }
    }
}

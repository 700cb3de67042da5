using Ketenhub.Testing;
using Ketenhub.Web;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Identity.Web;
using Microsoft.Playwright;
using static Ketenhub.Testing.HubProcessClient;

namespace Ketenhub.WebTests;

/// <summary>
/// The coach's real sign-in path, end to end: the web app with the production sign-in sends the coach to Microsoft
/// Entra ID (<see cref="FakeEntraId"/>, reached under Entra's own host name), Microsoft.Identity.Web redeems the code
/// with MSAL, validates the ID token with its Entra issuer validation, and asks MSAL for the coach's delegated token for
/// the hub's scope, which the app passes to a hub that trusts the tenant's signing key. The coach sees their caseload
/// as the hub gives it to that person; a forged ID token signs nobody in.
/// </summary>
[Collection(WebCollection.Name)]
public sealed class EntraSignInTests(WebFixture web)
{
    [Fact]
    public async Task ACoachSignsInWithEntraId_AndSeesTheCaseloadTheHubGivesThatPerson_AForgedIdTokenSignsNobodyIn()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var ct = timeout.Token;
        await using var entra = new FakeEntraId();
        await entra.StartAsync();
        await using var citizens = new FakeCitizenProvider();
        await citizens.StartAsync();
        var keyFile = Path.Combine(Path.GetTempPath(), $"ketenhub-entra-{Guid.NewGuid():N}.pem");
        await File.WriteAllTextAsync(keyFile, entra.PublicKeyPem, ct);
        using var hub = new HubProcess(settings: new Dictionary<string, string?>
        {
            // The hub trusts the tenant's tokens as a self-hosted issuer (its own Entra validation reads Entra's
            // metadata over the internet, which the hub process here cannot reach).
            ["Identity:Jwt:Issuer"] = FakeEntraId.Issuer,
            ["Identity:Jwt:Audience"] = FakeEntraId.HubAppId,
            ["Identity:Jwt:SigningKeyFile"] = keyFile,
        });
        await hub.StartAsync(ct);

        // Two clients of the social service with a Waakvlam Zorg coach: one with the signed-in coach (the coach id is the
        // person's Entra object id), one with another coach of the same organisation.
        var coach = new FakeEntraId.Person(Guid.NewGuid().ToString(), "Sam de Coach", "sam@waakvlam.example", [], ["party.waakvlam-zorg"]);
        var sdd = hub.As("sdd");
        var mine = (await sdd.RegisterAsync(Bsns.Next(), Date(2009, 3, 14), "0642", ct)).Name;
        await sdd.AssignCoachAsync(mine, coach.ObjectId, "Sam", ct, coachParty: "waakvlam-zorg");
        var notMine = (await sdd.RegisterAsync(Bsns.Next(), Date(2008, 11, 2), "0642", ct)).Name;
        await sdd.AssignCoachAsync(notMine, Guid.NewGuid().ToString(), "Bea", ct, coachParty: "waakvlam-zorg");

        var root = HubProcess.RepositoryRoot()!;
        await using var app = WebApp.Build(
            ["--environment", "Development"],
            builder =>
            {
                builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
                {
                    ["Kestrel:Endpoints:Http:Url"] = "http://127.0.0.1:0",
                    ["Web:HubAddress"] = hub.Url,
                    ["Web:SignIn"] = "EntraId",
                    ["Web:HubScope"] = FakeEntraId.HubScope,

                    // As an operator writes it: no Instance, so Microsoft.Identity.Web uses Entra's public cloud.
                    ["AzureAd:TenantId"] = FakeEntraId.TenantId,
                    ["AzureAd:ClientId"] = FakeEntraId.AppClientId,
                    ["AzureAd:ClientSecret"] = FakeEntraId.AppClientSecret,

                    // With a citizens' provider as well, the sign-in page offers both: the coach's button posts a form
                    // that the app answers with a redirect to Entra ID, which the pages' form-action must allow.
                    ["Web:Citizens:Authority"] = citizens.Authority.ToString(),
                    ["Web:Citizens:ClientId"] = FakeCitizenProvider.ClientId,
                    ["Web:Citizens:ClientSecret"] = FakeCitizenProvider.ClientSecret,
                    ["Web:Citizens:RequireHttpsMetadata"] = "false",
                });

                // Only the way out changes: the app's HTTP clients (MSAL's, the issuer validation's) and the sign-in's
                // back channel reach login.microsoftonline.com at the stand-in.
                builder.Services.ConfigureHttpClientDefaults(client => client.AddHttpMessageHandler(() => new EntraRedirectHandler(entra)));
                builder.Services.AddHttpClient(nameof(FakeEntraId));
                builder.Services.Configure<AadIssuerValidatorOptions>(options => options.HttpClientName = nameof(FakeEntraId));
                builder.Services.Configure<MicrosoftIdentityOptions>(OpenIdConnectDefaults.AuthenticationScheme, oidc =>
                    oidc.BackchannelHttpHandler = new EntraRedirectHandler(entra) { InnerHandler = new SocketsHttpHandler() });
            },
            Path.Combine(root, "src", "Clients", "Ketenhub.Web"));
        await app.StartAsync(ct);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();

        // A browser that finds Entra's host at the stand-in, as a hosts entry would, and accepts its certificate.
        var browser = await web.LaunchBrowserAsync([$"--host-resolver-rules=MAP {FakeEntraId.Host} 127.0.0.1:{entra.HttpsPort}"]);
        try
        {
            var context = await NewContextAsync(browser, address);
            var page = await context.NewPageAsync();
            entra.Next = coach;
            await page.GotoAsync("/coach");
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new PageGetByRoleOptions { Level = 1 })).ToHaveTextAsync("Inloggen");
            await BrowserKit.AssertAccessibleAsync(page, "sign-in-entra");
            await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Inloggen als coach" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new PageGetByRoleOptions { Level = 1 })).ToHaveTextAsync("Mijn cliënten");
            await BrowserKit.AssertAccessibleAsync(page, "coach-caseload-entra");
            await Assertions.Expect(page.Locator(".card").Filter(new LocatorFilterOptions { HasText = "14 maart 2009" })).ToHaveCountAsync(1);
            await Assertions.Expect(page.Locator(".card").Filter(new LocatorFilterOptions { HasText = "2 november 2008" })).ToHaveCountAsync(0);
            Assert.Equal(1, entra.TokensIssued);

            // A second page needs no new sign-in and no new token: MSAL's cache holds the hub token for the session.
            await page.GotoAsync("/coach");
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new PageGetByRoleOptions { Level = 1 })).ToHaveTextAsync("Mijn cliënten");
            Assert.Equal(1, entra.TokensIssued);
            await context.CloseAsync();

            // An ID token signed with another key: the app refuses the sign-in and shows its own error page.
            using var forger = System.Security.Cryptography.RSA.Create(2048);
            entra.ForgeWith = forger;
            var forged = await NewContextAsync(browser, address);
            var forgedPage = await forged.NewPageAsync();
            await forgedPage.GotoAsync("/coach");
            await forgedPage.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Inloggen als coach" }).ClickAsync();
            await Assertions.Expect(forgedPage.GetByRole(AriaRole.Heading, new PageGetByRoleOptions { Level = 1 })).ToHaveTextAsync("Er ging iets mis");
            Assert.Equal(2, entra.TokensIssued);
            Assert.DoesNotContain(await forged.CookiesAsync(), c => c.Name.StartsWith("ketenhub-web", StringComparison.Ordinal));
            await forged.CloseAsync();
        }
        finally
        {
            await browser.CloseAsync();
            await app.StopAsync(CancellationToken.None);
            File.Delete(keyFile);
        }
    }

    private static Task<IBrowserContext> NewContextAsync(IBrowser browser, string address) =>
        browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = address, Locale = "nl-NL", TimezoneId = "Europe/Amsterdam", IgnoreHTTPSErrors = true });
}

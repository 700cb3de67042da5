using Ketenhub.Web;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using Microsoft.Playwright;

namespace Ketenhub.WebTests;

/// <summary>
/// The web app's logs (docs/operations.md, "Logs"): JSON outside Development, plain in Development unless asked for; every
/// record of a request carries who is signed in by kind, a coach's party and the page's route pattern, the exception
/// handler's record of a failed hub call too; no BSN or client name in any record.
/// </summary>
[Collection(WebCollection.Name)]
public sealed class WebLogsTests(WebFixture web)
{
    [Fact]
    public async Task ARequestsRecords_CarryKindPartyAndPage_AFailedHubCallToo_AndNoPersonalData()
    {
        var page = await BrowserKit.NewPageAsync(web);
        await BrowserKit.SignInAsync(page, "Bea (Waakvlam Zorg)");
        var response = await page.GotoAsync("/coach/clienten/onbekend/inzage");
        Assert.Equal(404, response!.Status);

        var records = web.Logs.Records;
        Assert.Contains(records, r => r.ScopeValue("Page") == "/coach" && r.ScopeValue("SignedIn") == "coach" && r.ScopeValue("Party") == "waakvlam-zorg");
        var failure = Assert.Single(records, r => r.Level == LogLevel.Error && r.ScopeValue("Page") == "/coach/clienten/{id}/inzage" && r.Category.Contains("ExceptionHandler", StringComparison.Ordinal));
        Assert.Equal(("coach", "waakvlam-zorg"), (failure.ScopeValue("SignedIn"), failure.ScopeValue("Party")));
        Assert.Contains(records, r => r.ScopeValue("Page") == "/inloggen" && r.ScopeValue("SignedIn") == "none" && r.ScopeValue("Party") is null);

        // The demo clients' BSNs and names appear in no record (their sign-in page lists them by name).
        foreach (var personal in new[] { web.PriyaBsn, web.SanneBsn, "Priya", "Sanne" })
        {
            Assert.DoesNotContain(records, r => r.Text.Contains(personal, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task AClientsRecords_NameNoParty()
    {
        var page = await BrowserKit.NewPageAsync(web);
        await page.GotoAsync("/inloggen");
        await page.GetByLabel("Priya", new PageGetByLabelOptions { Exact = true }).CheckAsync();
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Inloggen" }).ClickAsync();
        await page.GotoAsync("/mij");

        var own = web.Logs.Records.Where(r => r.ScopeValue("SignedIn") == "client").ToList();
        Assert.NotEmpty(own);
        Assert.All(own, r => Assert.Null(r.ScopeValue("Party")));
    }

    [Theory]
    [InlineData("Production", null, "json")]
    [InlineData("Production", "simple", "simple")]
    [InlineData("Development", null, null)]
    [InlineData("Development", "json", "json")]
    public void TheConsoleFormat_IsJsonOutsideDevelopment_UnlessConfigurationNamesOne(string environment, string? asked, string? expected)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Web:HubAddress"] = "https://hub.example.org",
            ["Web:HubScope"] = "api://ketenhub/hub.access",
            ["AzureAd:TenantId"] = "00000000-0000-0000-0000-000000000001",
            ["AzureAd:ClientId"] = "00000000-0000-0000-0000-000000000002",
            ["AzureAd:ClientSecret"] = "secret",
            ["Logging:Console:FormatterName"] = asked,
        };
        var app = WebApp.Build(
            ["--environment", environment],
            builder => builder.Configuration.AddInMemoryCollection(settings),
            Path.Combine(Ketenhub.Testing.HubProcess.RepositoryRoot()!, "src", "Clients", "Ketenhub.Web"));
        try
        {
            var format = app.Services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue.FormatterName;
            Assert.Equal(expected, string.IsNullOrEmpty(format) ? null : format);
            if (expected == "json" && asked is null)
            {
                var json = app.Services.GetRequiredService<IOptionsMonitor<JsonConsoleFormatterOptions>>().CurrentValue;
                Assert.True(json.IncludeScopes);
                Assert.True(json.UseUtcTimestamp);
                Assert.Equal("yyyy-MM-ddTHH:mm:ss.fffZ", json.TimestampFormat);
            }
        }
        finally
        {
            ((IDisposable)app).Dispose();
        }
    }
}

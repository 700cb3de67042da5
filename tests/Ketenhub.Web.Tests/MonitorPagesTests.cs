using Microsoft.Playwright;

namespace Ketenhub.WebTests;

/// <summary>
/// The pilot monitor's page in a real browser against a real hub: the report's figures as a table and as charts drawn
/// as SVG on the server, axe-clean at both widths; only for the monitor, and the monitor sees no client page.
/// </summary>
[Collection(WebCollection.Name)]
public sealed class MonitorPagesTests(WebFixture web)
{
    private const string Monitor = "Monitor (Sociale Dienst Drechtsteden)";

    [Fact]
    public async Task TheMonitor_SeesThePilotReport_AsTablesAndServerDrawnCharts()
    {
        // Six clients with a money signal each: enough for the figure to be shown, not hidden as "<5".
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var sdd = web.Hub.As("sdd");
        for (var i = 0; i < 6; i++)
        {
            var client = (await sdd.RegisterAsync(Ketenhub.Testing.Bsns.Next(), Ketenhub.Testing.HubProcessClient.Date(1995, 1, 1 + i), "0505", timeout.Token)).Name;
            await sdd.Signals.CreateSignalAsync(
                new Ketenhub.Contracts.V1.CreateSignalRequest
                {
                    RequestId = Ketenhub.Testing.HubProcessClient.NewRequestId(),
                    Signal = new Ketenhub.Contracts.V1.Signal { Client = client, Kind = Ketenhub.Contracts.V1.SignalKind.PaymentArrears, LifeDomain = Ketenhub.Contracts.V1.LifeDomain.Finances, Severity = Ketenhub.Contracts.V1.SignalSeverity.Concern, Description = "Arrears." },
                },
                deadline: Ketenhub.Testing.HubProcessClient.Deadline(),
                cancellationToken: timeout.Token);
        }

        var page = await BrowserKit.NewPageAsync(web);
        await BrowserKit.SignInAsync(page, Monitor, "Pilotmonitor");

        await Assertions.Expect(page.GetByRole(AriaRole.Table, new PageGetByRoleOptions { Name = "Kerncijfers per groep" })).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("svg[role=img]")).ToHaveCountAsync(7);
        await Assertions.Expect(page.GetByRole(AriaRole.Img, new PageGetByRoleOptions { Name = "Signalen per leefgebied Aantal signalen in de periode per leefgebied, voor iedereen." })).ToHaveCountAsync(1);
        Assert.Equal(0, await page.Locator("script").CountAsync());
        var money = page.Locator("#signalen-leefgebied-title").Locator("xpath=..");
        Assert.True(await money.Locator("rect").CountAsync() >= 1, "The chart of signals per life domain draws no bar.");

        // Over time: a series per life domain and one for what is hidden, in Dutch; the month of the six money signals
        // draws a column (in the colour of "geld", or in grey when other tests' signals hide that domain's cell).
        var overTime = page.Locator("#signalen-tijd-title").Locator("xpath=..");
        Assert.Equal(["zorg", "wonen", "geld", "veiligheid", "opvoeding", "werk", "school", "verborgen"], await overTime.Locator("g[data-series]").EvaluateAllAsync<string[]>("gs => gs.map(g => g.getAttribute('data-series'))"));
        Assert.True(await overTime.Locator("g[data-series] rect").CountAsync() >= 1, "The chart over time draws no column: today's signals are not in the period up to and including today.");
        await Assertions.Expect(page.GetByRole(AriaRole.Img, new PageGetByRoleOptions { Name = "Tijd tot een signaal gezien is", Exact = false })).ToHaveCountAsync(1);
        Assert.Equal(0, await page.GetByRole(AriaRole.Alert).CountAsync());

        // The cost view: three ranges or thresholds, each with what it assumes or why it is not shown; no "saved" figure.
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new PageGetByRoleOptions { Name = "Kosten: schattingen, geen metingen" })).ToHaveCountAsync(1);
        Assert.Equal(["Wat de waakvlam kostte", "Eerder afschalen", "Wanneer de pilot zich terugverdient"], await page.Locator("dl dt").AllInnerTextsAsync());
        var costs = await page.Locator("dl dd").AllInnerTextsAsync();
        Assert.Matches("^(Niet getoond: minder dan 5 cliënten hadden een coach\\.|€ [0-9.]+ tot € [0-9.]+\\. Dat is .* keer € 700 tot € 2\\.600 per cliënt per jaar\\.)$", costs[0]);
        Assert.Matches("(Dit zijn drempels, geen resultaten\\.|Niet getoond, omdat de kosten niet getoond worden\\.)$", costs[2]);
        Assert.DoesNotContain("bespaard", await page.ContentAsync(), StringComparison.OrdinalIgnoreCase);
        await BrowserKit.AssertAccessibleAsync(page, "monitor");

        // The monitor's role opens no client's page; and a coach does not get the monitor's.
        Assert.Equal(403, (await page.GotoAsync("/coach"))!.Status);
        var coach = await BrowserKit.NewPageAsync(web);
        await BrowserKit.SignInAsync(coach, "Bea (Waakvlam Zorg)");
        Assert.Equal(403, (await coach.GotoAsync("/monitor"))!.Status);
    }

    [Fact]
    public async Task AMalformedMunicipality_IsSaidInWords_AndNothingIsAsked()
    {
        var page = await BrowserKit.NewPageAsync(web);
        await BrowserKit.SignInAsync(page, Monitor, "Pilotmonitor");

        await page.GotoAsync("/monitor?Gemeente=12");

        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Een gemeentecode heeft vier cijfers.");
        await Assertions.Expect(page.Locator("svg[role=img]")).ToHaveCountAsync(0);
    }
}

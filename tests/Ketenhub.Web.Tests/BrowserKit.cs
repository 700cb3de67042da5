using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace Ketenhub.WebTests;

/// <summary>What every browser test does: sign in, check a page with axe-core, keep screenshots at 1280 and 320 px.</summary>
public static class BrowserKit
{
    public const int Wide = 1280;
    public const int Narrow = 320;

    public static async Task<IPage> NewPageAsync(WebFixture web)
    {
        var context = await web.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = web.Address.ToString(),
            ViewportSize = new ViewportSize { Width = Wide, Height = 900 },
            Locale = "nl-NL",
            TimezoneId = "Europe/Amsterdam",
        });
        return await context.NewPageAsync();
    }

    /// <summary>Signs in with the development sign-in as the coach or client shown as <paramref name="displayName"/>.</summary>
    public static async Task SignInAsync(IPage page, string displayName, string landing = "Mijn cliënten")
    {
        await page.GotoAsync("/inloggen");
        await page.GetByLabel(displayName, new PageGetByLabelOptions { Exact = true }).CheckAsync();
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Inloggen" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new PageGetByRoleOptions { Level = 1 })).ToHaveTextAsync(landing);
    }

    /// <summary>
    /// Presses Tab until the focused element is the one named <paramref name="name"/> (its text, label or value), at most
    /// 60 times, and fails if it never gets focus: what a keyboard user does.
    /// </summary>
    public static Task TabToAsync(IPage page, string name) => MoveToAsync(page, name, "Tab");

    /// <summary>Within a radio group (one tab stop), presses the down arrow until the option named <paramref name="name"/> is focused and chosen.</summary>
    public static Task ArrowToAsync(IPage page, string name) => MoveToAsync(page, name, "ArrowDown");

    private static async Task MoveToAsync(IPage page, string name, string key)
    {
        for (var i = 0; i < 60; i++)
        {
            await page.Keyboard.PressAsync(key);
            var focused = await page.EvaluateAsync<string>(
                "() => { const e = document.activeElement; if (!e) return ''; const l = e.labels && e.labels.length ? e.labels[0].innerText : ''; return (l || e.innerText || e.value || '').trim(); }");
            if (focused == name)
            {
                return;
            }
        }

        Assert.Fail($"{key} never reached '{name}' on {page.Url}.");
    }

    /// <summary>
    /// axe-core finds no violation of WCAG 2.0/2.1 A and AA on the page, at both widths, and at 320 px the page does
    /// not scroll sideways (WCAG 1.4.10, reflow).
    /// </summary>
    public static async Task AssertAccessibleAsync(IPage page, string screenshotName)
    {
        foreach (var width in new[] { Wide, Narrow })
        {
            await page.SetViewportSizeAsync(width, 900);
            var result = await page.RunAxe(new AxeRunOptions
            {
                RunOnly = new RunOnlyOptions { Type = "tag", Values = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
            });
            Assert.True(
                result.Violations.Length == 0,
                $"axe-core at {width} px on {page.Url}: " + string.Join("; ", result.Violations.Select(v => $"{v.Id} ({v.Nodes.Length}): {v.Help}")));
            if (width == Narrow)
            {
                var scrollWidth = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth");
                Assert.True(scrollWidth <= Narrow, $"{page.Url} is {scrollWidth} px wide at {Narrow} px.");
            }

            Directory.CreateDirectory(WebFixture.ScreenshotDirectory);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(WebFixture.ScreenshotDirectory, $"{screenshotName}-{width}.png"), FullPage = true });
        }

        await page.SetViewportSizeAsync(Wide, 900);
        Assert.Equal("nl", await page.GetAttributeAsync("html", "lang"));
    }
}

using System.Diagnostics;
using System.Net.Sockets;
using Ketenhub.Testing;
using Microsoft.Playwright;

namespace Ketenhub.WebTests;

/// <summary>
/// The README's run command, <c>bash scripts/run-demo.sh</c>, starts the hub and the pages together: a coach can sign in
/// and sees "Mijn cliënten", served by a hub the script started; stopping the script stops both.
/// </summary>
[Collection(WebCollection.Name)]
public sealed class DemoScriptTests(WebFixture web)
{
    [Fact]
    public async Task TheDemoScript_StartsTheHubAndThePagesTogether_AndStopsBoth()
    {
        var root = HubProcess.RepositoryRoot() ?? throw new InvalidOperationException("The tests run inside the repository.");
        var ports = Enumerable.Range(0, 4).Select(_ => HubProcess.FreeLoopbackPort()).ToArray();
        var data = Path.Combine(Path.GetTempPath(), "ketenhub-demo-" + Guid.NewGuid().ToString("N"));
        var start = new ProcessStartInfo("bash", [Path.Combine(root, "scripts", "run-demo.sh")])
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["KETENHUB_CONFIGURATION"] = HubProcess.BuildConfiguration;
        start.Environment["KETENHUB_DEMO_NO_BUILD"] = "1";
        start.Environment["KETENHUB_DEMO_PORTS"] = string.Join(' ', ports);
        start.Environment["KETENHUB_DEMO_DATA"] = data;
        start.Environment.Remove("ASPNETCORE_ENVIRONMENT");
        start.Environment.Remove("DOTNET_ENVIRONMENT");
        using var script = Process.Start(start)!;
        var output = new System.Text.StringBuilder();
        script.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        script.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        script.BeginOutputReadLine();
        script.BeginErrorReadLine();
        try
        {
            var pages = new Uri($"http://127.0.0.1:{ports[3]}/");
            using (var http = new HttpClient())
            {
                var deadline = DateTimeOffset.UtcNow.AddSeconds(90);
                while (true)
                {
                    try
                    {
                        // Both up: the pages, and the hub ready behind them (its operations endpoint), since either may start first.
                        if ((await http.GetAsync(new Uri(pages, "/inloggen"))).IsSuccessStatusCode
                            && (await http.GetAsync(new Uri($"http://127.0.0.1:{ports[2]}/readyz"))).IsSuccessStatusCode)
                        {
                            break;
                        }
                    }
                    catch (HttpRequestException)
                    {
                    }

                    Assert.False(script.HasExited, "The script stopped:\n" + output);
                    Assert.True(DateTimeOffset.UtcNow < deadline, "The pages did not come up:\n" + output);
                    await Task.Delay(500);
                }
            }

            var context = await web.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = pages.ToString() });
            var page = await context.NewPageAsync();
            await BrowserKit.SignInAsync(page, "Ahmed (Waakvlam Zorg)");
            await Assertions.Expect(page.Locator("main")).ToContainTextAsync("Je hebt nu geen cliënten.");
            await context.CloseAsync();
        }
        finally
        {
            if (!script.HasExited)
            {
                // As Ctrl+C does, the script's trap stops both apps. TERM, which the script traps alike, rather than INT: a
                // test runner may start the script with SIGINT ignored (as a non-interactive parent does for background
                // work), and a shell cannot trap a signal that was ignored when it started, so INT would go unheard.
                using var kill = Process.Start("kill", ["-TERM", script.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
                await kill!.WaitForExitAsync();
            }

            Assert.True(script.WaitForExit(TimeSpan.FromSeconds(30)), "The script did not stop:\n" + output);
        }

        foreach (var port in new[] { ports[0], ports[3] })
        {
            using var client = new TcpClient();
            await Assert.ThrowsAnyAsync<SocketException>(() => client.ConnectAsync("127.0.0.1", port));
        }

        Directory.Delete(data, recursive: true);
    }
}

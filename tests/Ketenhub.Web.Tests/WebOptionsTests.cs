using Ketenhub.Web;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Ketenhub.WebTests;

/// <summary>The web app's settings are checked at start-up: every problem at once, and the development sign-in only in Development.</summary>
public sealed class WebOptionsTests
{
    [Fact]
    public void OutsideDevelopment_TheDevelopmentSignIn_IsRefused()
    {
        var problems = Problems("Production", new()
        {
            ["Web:HubAddress"] = "https://hub.example.org",
            ["Web:SignIn"] = "Development",
            ["Web:Development:Coaches:0:Party"] = "waakvlam-zorg",
            ["Web:Development:Coaches:0:CoachId"] = "ahmed",
            ["Web:Development:Coaches:0:DisplayName"] = "Ahmed",
        });

        Assert.Contains(problems, p => p.Contains("Web:SignIn Development is allowed only in the Development environment.", StringComparison.Ordinal));
    }

    [Fact]
    public void WithEntraId_EveryMissingSetting_IsReportedAtOnce()
    {
        var problems = Problems("Production", new()
        {
            ["Web:HubAddress"] = "not an address",
            ["Web:Citizens:ClientId"] = "ketenhub-web",
        });

        Assert.Contains(problems, p => p.Contains("Web:HubAddress", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("AzureAd:TenantId", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("AzureAd:ClientId", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Web:HubScope", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Web:Citizens needs Authority and ClientId", StringComparison.Ordinal));
    }

    [Fact]
    public void OutsideDevelopment_TheCitizensProviderMustServeItsMetadataOverHttps()
    {
        var problems = Problems("Production", new()
        {
            ["Web:HubAddress"] = "https://hub.example.org",
            ["Web:HubScope"] = "api://ketenhub/hub.access",
            ["AzureAd:TenantId"] = "00000000-0000-0000-0000-000000000001",
            ["AzureAd:ClientId"] = "00000000-0000-0000-0000-000000000002",
            ["Web:Citizens:Authority"] = "http://digid-broker.example.org",
            ["Web:Citizens:ClientId"] = "ketenhub-web",
            ["Web:Citizens:RequireHttpsMetadata"] = "false",
        });

        Assert.Equal(["Web:Citizens:RequireHttpsMetadata may be false only in the Development environment."], problems);
    }

    [Fact]
    public void AComplete_ProductionConfiguration_Passes()
    {
        var problems = Problems("Production", new()
        {
            ["Web:HubAddress"] = "https://hub.example.org",
            ["Web:HubScope"] = "api://ketenhub/hub.access",
            ["AzureAd:TenantId"] = "00000000-0000-0000-0000-000000000001",
            ["AzureAd:ClientId"] = "00000000-0000-0000-0000-000000000002",
            ["AzureAd:ClientSecret"] = "secret",
            ["Web:Citizens:Authority"] = "https://digid-broker.example.org",
            ["Web:Citizens:ClientId"] = "ketenhub-web",
        });

        Assert.Empty(problems);
    }

    private static IReadOnlyList<string> Problems(string environment, Dictionary<string, string?> settings)
    {
        var app = WebApp.Build(
            ["--environment", environment],
            builder => builder.Configuration.AddInMemoryCollection(settings),
            Path.Combine(Ketenhub.Testing.HubProcess.RepositoryRoot()!, "src", "Clients", "Ketenhub.Web"));
        try
        {
            _ = app.Services.GetRequiredService<IOptions<Ketenhub.Web.Configuration.WebOptions>>().Value;
            return [];
        }
        catch (OptionsValidationException e)
        {
            return e.Failures.ToList();
        }
        finally
        {
            ((IDisposable)app).Dispose();
        }
    }
}

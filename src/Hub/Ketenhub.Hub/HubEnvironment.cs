using Microsoft.Extensions.Configuration;

namespace Ketenhub.Hub.Host;

/// <summary>
/// Which environment the hub runs in. An environment that is asked for explicitly always wins: the command line's
/// <c>--environment</c>, then <c>ASPNETCORE_ENVIRONMENT</c>, then <c>DOTNET_ENVIRONMENT</c>, as in any ASP.NET Core
/// host. Only when none of them is set does <see cref="DefaultVariable"/> name the environment; the launch profile
/// sets it to Development, so <c>dotnet run</c> on its own starts the demo hub while
/// <c>ASPNETCORE_ENVIRONMENT=Production dotnet run</c> starts a production hub. A deployed binary has no launch
/// profile and runs in Production unless told otherwise.
/// </summary>
public static class HubEnvironment
{
    /// <summary>The variable the launch profile sets: the environment to use when no other setting names one.</summary>
    public const string DefaultVariable = "KETENHUB_DEFAULT_ENVIRONMENT";

    /// <summary>The host options for <paramref name="args"/>: settings and the demo files next to the binary, and the environment.</summary>
    public static WebApplicationOptions Options(string[] args) => new()
    {
        Args = args,
        ContentRootPath = AppContext.BaseDirectory,
        EnvironmentName = DefaultFor(args, Environment.GetEnvironmentVariable),
    };

    /// <summary>
    /// The environment to give the host when nothing explicit names one (the value of <see cref="DefaultVariable"/>),
    /// or null to leave the choice to the host's own rules.
    /// </summary>
    public static string? DefaultFor(string[] args, Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(variable);
        if (!string.IsNullOrWhiteSpace(variable("ASPNETCORE_ENVIRONMENT")) || !string.IsNullOrWhiteSpace(variable("DOTNET_ENVIRONMENT")))
        {
            return null;
        }

        // The host reads --environment (or /environment) from the command line the same way.
        var commandLine = new ConfigurationBuilder().AddCommandLine(args).Build();
        if (!string.IsNullOrWhiteSpace(commandLine[HostDefaults.EnvironmentKey]))
        {
            return null;
        }

        var fallback = variable(DefaultVariable);
        return string.IsNullOrWhiteSpace(fallback) ? null : fallback.Trim();
    }
}

using Ketenhub.Hub.Configuration;
using Ketenhub.Hub.Parties;
using Ketenhub.Hub.Routing;
using Microsoft.Extensions.Options;

namespace Ketenhub.Hub.Host;

/// <summary>
/// Finds every configuration problem before the hub serves, so that one start reports them all, each as one
/// sentence that names the setting or file, without a stack trace: values the binder cannot convert, each
/// options section's validation, the parties and routing files, and demo configuration outside Development.
/// </summary>
public static class StartupProblems
{
    /// <summary>The problems of the hub's configuration, in the order found; empty when the hub may start.</summary>
    public static IReadOnlyList<string> Find(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var configuration = services.GetRequiredService<IConfiguration>();
        var problems = new ProblemList();
        var sections = services.GetServices<BoundSection>().ToList();

        // First the types: a value the binder cannot convert makes binding its whole section throw.
        var mistyped = new HashSet<Type>();
        foreach (var section in sections)
        {
            var found = SettingTypes.Problems(configuration, section.Path, section.OptionsType);
            if (found.Count > 0)
            {
                mistyped.Add(section.OptionsType);
                problems.AddRange(found);
            }
        }

        // Then each section's own checks (some read the parties file: its problems are reported once). A check that
        // needs a section with a value of the wrong type cannot run; that value is reported above.
        problems.SkipBindingFailures = mistyped.Count > 0;
        foreach (var section in sections.Where(s => !mistyped.Contains(s.OptionsType)))
        {
            problems.Collect(() => section.Resolve(services));
        }

        // The configuration files, and demo files outside Development.
        PartyDirectory? parties = null;
        RoutingRuleSet? rules = null;
        if (problems.Collect(() => parties = services.GetRequiredService<PartyDirectory>()))
        {
            problems.Collect(() => rules = services.GetRequiredService<RoutingRuleSet>());
        }

        problems.AddRange(DemoConfiguration.Problems(services.GetRequiredService<IHostEnvironment>(), configuration, parties, rules));
        return problems.All;
    }

    /// <summary>Problems in the order found, each once.</summary>
    private sealed class ProblemList
    {
        private readonly List<string> _all = [];
        private readonly HashSet<string> _seen = new(StringComparer.Ordinal);

        public IReadOnlyList<string> All => _all;

        /// <summary>Whether a check that fails because a section cannot be bound counts as failed without a problem of its own.</summary>
        public bool SkipBindingFailures { get; set; }

        public void AddRange(IEnumerable<string> problems)
        {
            foreach (var problem in problems)
            {
                if (_seen.Add(problem))
                {
                    _all.Add(problem);
                }
            }
        }

        /// <summary>Runs <paramref name="check"/>; records the configuration problems it throws. False when it threw one.</summary>
        public bool Collect(Action check)
        {
            try
            {
                check();
                return true;
            }
            catch (OptionsValidationException ex)
            {
                AddRange(ex.Failures);
            }
            catch (ConfigFileException ex)
            {
                AddRange(ex.Errors);
            }
            catch (StartupProblemsException ex)
            {
                AddRange(ex.Problems);
            }
            catch (InvalidOperationException) when (SkipBindingFailures)
            {
                // Depends on a section whose value of the wrong type is reported already.
            }
            catch (AggregateException ex) when (ex.InnerExceptions.All(e => e is OptionsValidationException or ConfigFileException))
            {
                foreach (var inner in ex.InnerExceptions)
                {
                    AddRange(inner is OptionsValidationException options ? options.Failures : ((ConfigFileException)inner).Errors);
                }
            }

            return false;
        }
    }
}

/// <summary>The hub cannot start: one sentence per problem.</summary>
public sealed class StartupProblemsException(IReadOnlyList<string> problems)
    : Exception(string.Join(Environment.NewLine, problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}

/// <summary>
/// The demo parties and routing rules (marked <c>"demo": true</c>) run only in Development: elsewhere a hub that
/// would route real clients' data by made-up parties and rules refuses to start.
/// </summary>
public static class DemoConfiguration
{
    /// <summary>One problem per demo file in use outside Development.</summary>
    public static IReadOnlyList<string> Problems(IHostEnvironment environment, IConfiguration configuration, PartyDirectory? parties, RoutingRuleSet? rules)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(configuration);
        if (environment.IsDevelopment())
        {
            return [];
        }

        var problems = new List<string>();
        if (parties is { IsDemo: true })
        {
            problems.Add(Refusal(HubCoreRegistration.PartiesFile(configuration), $"{HubOptions.Section}:{nameof(HubOptions.PartiesFile)}", "a parties file", environment.EnvironmentName));
        }

        if (rules is { IsDemo: true })
        {
            problems.Add(Refusal(HubCoreRegistration.RoutingFile(configuration), $"{HubOptions.Section}:{nameof(HubOptions.RoutingFile)}", "a routing rules file", environment.EnvironmentName));
        }

        return problems;
    }

    private static string Refusal(string file, string setting, string what, string environment) =>
        $"{HubCoreRegistration.Resolve(file)} is demo configuration (\"demo\": true), which the hub uses only in Development (the environment is {environment}). "
        + $"Set {setting} to {what} of your own, without \"demo\" (see docs/security.md, section Environments).";
}

using Ketenhub.Testing;

namespace Ketenhub.Cli.Tests.Infrastructure;

/// <summary>
/// The hub for the import tests. They send thousands of rows as one school, much faster than the default call rate
/// allows (docs/security.md), so the school's rate is raised here; the rate limit itself is tested at the hub.
/// </summary>
public sealed class ImportHubProcess() : HubProcessFixture(new Dictionary<string, string?>
{
    ["Hub:Limits:Parties:hans-petrischool:PermitsPerSecond"] = "1000000",
    ["Hub:Limits:Parties:hans-petrischool:Burst"] = "1000000",
});

using Ketenhub.Hub.Host.Push;

namespace Ketenhub.HubTests.Push;

/// <summary>docs/errors.md lists the reasons push delivery writes into <c>Delivery.status_reason</c>.</summary>
public sealed class StatusReasonCatalogueTests
{
    [Fact]
    public void TheSetAsideReasonsOfPushDelivery_AreInTheErrorCatalogue()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Hub.sln")))
        {
            dir = dir.Parent;
        }

        Assert.NotNull(dir);
        var catalogue = File.ReadAllText(Path.Combine(dir.FullName, "docs", "errors.md"));
        var section = catalogue[catalogue.IndexOf("## Delivery status reasons", StringComparison.Ordinal)..];

        Assert.Contains($"`{PushDispatcher.MaxAttempts}`", section, StringComparison.Ordinal);
        Assert.Contains($"`{PushDispatcher.RejectedPrefix}<code>`", section, StringComparison.Ordinal);
        Assert.Contains($"`{PushDispatcher.UntranslatablePrefix}<reason>`", section, StringComparison.Ordinal);
        Assert.Contains("`REPLAYED`", section, StringComparison.Ordinal);
    }
}

using Ketenhub.Hub.Monitoring;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Ketenhub.Hub.Core.Tests;

/// <summary>The minimum cell size is a setting, checked at start-up.</summary>
public sealed class MonitorOptionsTests
{
    private static ServiceProvider Services(string? minimumCellSize)
    {
        var settings = new Dictionary<string, string?>();
        if (minimumCellSize is not null)
        {
            settings["Hub:Monitor:MinimumCellSize"] = minimumCellSize;
        }

        var services = new ServiceCollection();
        services.AddKetenhubCore(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        return services.BuildServiceProvider();
    }

    [Fact]
    public void MinimumCellSize_IsFiveByDefault_AndConfigurable()
    {
        using var byDefault = Services(null);
        Assert.Equal(5, byDefault.GetRequiredService<IOptions<MonitorOptions>>().Value.MinimumCellSize);
        using var configured = Services("10");
        Assert.Equal(10, configured.GetRequiredService<IOptions<MonitorOptions>>().Value.MinimumCellSize);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("2")]
    [InlineData("1001")]
    public void MinimumCellSize_OutsideItsRange_IsRefused(string value)
    {
        using var services = Services(value);
        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<MonitorOptions>>().Value);
        Assert.Contains(nameof(MonitorOptions.MinimumCellSize), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CostAssumptions_AreTheEvaluationsByDefault_Configurable_AndCheckedAtStart()
    {
        using var byDefault = Services(null);
        var defaults = byDefault.GetRequiredService<IOptions<CostAssumptions>>().Value;
        Assert.Equal((700, 2600, 300, 900, 16_000, 15_000, 1, 2), (defaults.WaakvlamPerClientYearLow, defaults.WaakvlamPerClientYearHigh, defaults.StepDownSavingPerMonth, defaults.DebtCrisisAvoidedLow, defaults.DebtCrisisAvoidedHigh, defaults.ShelteredHousingPerYear, defaults.BreakEvenCrisesPerTenClientsLow, defaults.BreakEvenCrisesPerTenClientsHigh));

        using var configured = Configured(new() { ["Hub:Monitor:Costs:ReferenceMonthsToStepDown"] = "18" });
        Assert.Equal(18, configured.GetRequiredService<IOptions<CostAssumptions>>().Value.ReferenceMonthsToStepDown);

        using var inverted = Configured(new() { ["Hub:Monitor:Costs:WaakvlamPerClientYearLow"] = "5000" });
        var error = Assert.Throws<OptionsValidationException>(() => inverted.GetRequiredService<IOptions<CostAssumptions>>().Value);
        Assert.Contains(nameof(CostAssumptions.WaakvlamPerClientYearHigh), error.Message, StringComparison.Ordinal);

        static ServiceProvider Configured(Dictionary<string, string?> settings)
        {
            var services = new ServiceCollection();
            services.AddKetenhubCore(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
            return services.BuildServiceProvider();
        }
    }
}

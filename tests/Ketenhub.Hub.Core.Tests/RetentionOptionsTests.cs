using Ketenhub.Hub.Retention;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Ketenhub.Hub.Core.Tests;

/// <summary>The retention terms (<c>Hub:Retention</c>) are settings checked at start-up.</summary>
public sealed class RetentionOptionsTests
{
    private static ServiceProvider Services(params (string Key, string Value)[] values)
    {
        var settings = values.ToDictionary(v => RetentionOptions.Section + ":" + v.Key, v => (string?)v.Value);
        var services = new ServiceCollection();
        services.AddKetenhubCore(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        return services.BuildServiceProvider();
    }

    [Fact]
    public void TheDefaults_AreThirtyDaysOfContent_SevenDaysOfRequestAnswers_TwoYearsOfJourney_OneYearOfRecords_FiveYearsOfAudit()
    {
        using var services = Services();
        var options = services.GetRequiredService<IOptions<RetentionOptions>>().Value;
        Assert.True(options.Enabled);
        Assert.Equal(
            (TimeSpan.FromDays(30), TimeSpan.FromDays(7), TimeSpan.FromDays(730), TimeSpan.FromMinutes(10), 100),
            (options.MessageContent, options.IdempotencyRecords, options.JourneyEvents, options.Interval, options.BatchSize));
        Assert.Equal((TimeSpan.FromDays(365), TimeSpan.FromDays(1827)), (options.MessageRecords, options.AuditEvents));
    }

    [Theory]
    [InlineData("MessageContent", "00:00:30")]
    [InlineData("IdempotencyRecords", "00:00:30")]
    [InlineData("JourneyEvents", "00:00:30")]
    [InlineData("MessageRecords", "00:00:30")]
    [InlineData("MessageRecords", "3651.00:00:00")]
    [InlineData("AuditEvents", "00:00:30")]
    [InlineData("AuditEvents", "7306.00:00:00")]
    [InlineData("Interval", "00:00:00")]
    [InlineData("BatchSize", "0")]
    [InlineData("BatchSize", "1001")]
    public void ASettingOutsideItsRange_StopsTheStart(string key, string value)
    {
        using var services = Services((key, value));
        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<RetentionOptions>>().Value);
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RequestAnswers_MayNotOutliveTheContentTheyRepeat()
    {
        using var services = Services(("MessageContent", "1.00:00:00"), ("IdempotencyRecords", "2.00:00:00"));
        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<RetentionOptions>>().Value);
        Assert.Contains("Hub:Retention:IdempotencyRecords", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MessageRecords_MayNotGoBeforeTheirContent()
    {
        using var services = Services(("MessageContent", "2.00:00:00"), ("MessageRecords", "1.00:00:00"));
        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<RetentionOptions>>().Value);
        Assert.Contains("Hub:Retention:MessageRecords must not be shorter than MessageContent", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ShortTerms_ForASoak_AreAccepted()
    {
        using var services = Services(("MessageContent", "00:01:00"), ("IdempotencyRecords", "00:01:00"), ("MessageRecords", "00:01:00"), ("JourneyEvents", "00:01:00"), ("AuditEvents", "00:01:00"));
        var options = services.GetRequiredService<IOptions<RetentionOptions>>().Value;
        Assert.Equal(TimeSpan.FromMinutes(1), options.AuditEvents);
    }
}

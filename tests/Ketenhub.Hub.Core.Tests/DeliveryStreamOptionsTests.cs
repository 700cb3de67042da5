using Ketenhub.Hub.Common;
using Ketenhub.Hub.Delivery;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Ketenhub.Hub.Core.Tests;

/// <summary>The delivery stream's defaults are settings checked at start-up; a stream's own settings are checked against their bounds.</summary>
public sealed class DeliveryStreamOptionsTests
{
    private static ServiceProvider Services(params (string Key, string Value)[] values)
    {
        var settings = values.ToDictionary(v => "Hub:Streams:" + v.Key, v => (string?)v.Value);
        var services = new ServiceCollection();
        services.AddKetenhubCore(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        return services.BuildServiceProvider();
    }

    [Fact]
    public void TheDefaults_AreSixtySecondsAHundredAndOneSecondToAMinute()
    {
        using var services = Services();
        var options = services.GetRequiredService<IOptions<DeliveryStreamOptions>>().Value;
        Assert.Equal((TimeSpan.FromSeconds(60), 100), (options.DefaultAckDeadline, options.DefaultMaxOutstanding));
        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4)], new[] { 1, 2, 3 }.Select(options.BackoffAfter));
        Assert.Equal(TimeSpan.FromMinutes(1), options.BackoffAfter(30));
    }

    [Theory]
    [InlineData("DefaultAckDeadline", "00:00:00")]
    [InlineData("DefaultAckDeadline", "02:00:00")]
    [InlineData("DefaultMaxOutstanding", "0")]
    [InlineData("DefaultMaxOutstanding", "1001")]
    [InlineData("MaxRedeliveryBackoff", "00:00:00.5")]
    public void ASettingOutsideItsRange_StopsTheStart(string key, string value)
    {
        using var services = Services((key, value));
        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<DeliveryStreamOptions>>().Value);
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AStreamsOwnSettings_TakeTheDefaultsWhereUnset_AndAreRefusedOutsideTheirBounds()
    {
        var defaults = new DeliveryStreamOptions();
        Assert.Equal(
            new DeliveryStreamSettings(TimeSpan.FromSeconds(60), 100, StreamSharing.Shared, null),
            DeliveryStreamSettings.Check(null, 0, StreamSharing.Unspecified, null, defaults));

        var error = Assert.Throws<HubException>(() => DeliveryStreamSettings.Check(TimeSpan.Zero, -1, (StreamSharing)7, TimeSpan.FromHours(1), defaults));
        Assert.Equal(ErrorReasons.InvalidRequest, error.Reason);
        Assert.Equal(
            [("ack_deadline", "VALUE_OUT_OF_RANGE"), ("max_outstanding", "VALUE_OUT_OF_RANGE"), ("delivery_mode", "UNKNOWN_ENUM_VALUE"), ("heartbeat_interval", "VALUE_OUT_OF_RANGE")],
            error.Violations.Select(v => (v.Field, v.Reason)));
    }
}

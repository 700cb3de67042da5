using Ketenhub.Hub.Host.Operations;

namespace Ketenhub.HubTests.Integration;

/// <summary>The operations endpoint's address is checked at start-up.</summary>
public sealed class OperationsOptionsTests
{
    [Theory]
    [InlineData("https://127.0.0.1:5082", false)]
    [InlineData("http://127.0.0.1", false)]
    [InlineData("http://127.0.0.1:5082/probes", false)]
    [InlineData("not a url", false)]
    [InlineData("http://127.0.0.1:5082", true)]
    [InlineData("", true)]
    public void TheUrl_MustBeAPlainHttpAddressWithAPort_OrEmpty(string url, bool valid)
    {
        var result = new OperationsOptionsValidator().Validate(null, new OperationsOptions { Url = url });

        Assert.Equal(valid, result.Succeeded);
        if (!valid)
        {
            Assert.Contains("Hub:Operations:Url", result.FailureMessage, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("not a url", false)]
    [InlineData("ftp://collector:4317", false)]
    [InlineData("/relative", false)]
    [InlineData("http://collector:4317", true)]
    [InlineData("https://collector.example:4318", true)]
    [InlineData("", true)]
    [InlineData(null, true)]
    public void TheOtlpEndpoint_MustBeAnAbsoluteHttpAddress_OrEmpty(string? endpoint, bool valid)
    {
        var options = new TelemetryOptions { OtlpEndpoint = endpoint };
        var results = new List<System.ComponentModel.DataAnnotations.ValidationResult>();

        Assert.Equal(valid, System.ComponentModel.DataAnnotations.Validator.TryValidateObject(options, new(options), results, validateAllProperties: true));
        if (!valid)
        {
            Assert.Contains("Hub:Telemetry:OtlpEndpoint", Assert.Single(results).ErrorMessage, StringComparison.Ordinal);
        }
    }
}

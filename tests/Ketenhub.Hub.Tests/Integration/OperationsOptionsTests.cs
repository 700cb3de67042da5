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
}

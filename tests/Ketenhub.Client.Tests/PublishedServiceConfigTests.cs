using System.Globalization;
using System.Reflection;
using System.Text.Json;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Ketenhub.Client;
using Ketenhub.Client.Transport;
using Ketenhub.Contracts.V1;

namespace Ketenhub.ClientTests;

/// <summary>
/// protos/ketenhub/v1/ketenhub_grpc_service_config.json publishes the retry policy of the C# SDK for clients generated
/// from the protos alone (docs/clients.md). It must name every service of the contract and say what the SDK does by default.
/// </summary>
public sealed class PublishedServiceConfigTests
{
    private static JsonElement Published()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Hub.sln")))
        {
            dir = dir.Parent;
        }

        Assert.NotNull(dir);
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.FullName, "protos", "ketenhub", "v1", "ketenhub_grpc_service_config.json")));
        return document.RootElement.Clone();
    }

    private static TimeSpan Duration(JsonElement value)
    {
        var text = value.GetString()!;
        Assert.EndsWith("s", text, StringComparison.Ordinal);
        return TimeSpan.FromSeconds(double.Parse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture));
    }

    [Fact]
    public void TheServiceConfig_NamesEveryServiceOfTheContract()
    {
        var services = typeof(ClientService).Assembly.GetTypes()
            .Where(t => t.Namespace == "Ketenhub.Contracts.V1" && t.Name.EndsWith("Reflection", StringComparison.Ordinal))
            .Select(t => (FileDescriptor)t.GetProperty("Descriptor", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!)
            .SelectMany(f => f.Services)
            .Select(s => s.FullName)
            .Order(StringComparer.Ordinal)
            .ToList();
        var configs = Published().GetProperty("methodConfig").EnumerateArray().ToList();
        var named = configs.SelectMany(c => c.GetProperty("name").EnumerateArray()).Select(n => n.GetProperty("service").GetString()!).Order(StringComparer.Ordinal).ToList();

        Assert.Contains("ketenhub.v1.ClientService", services);
        Assert.Equal(services, named);
    }

    [Fact]
    public void TheServiceConfig_IsTheSdksDefaultRetryPolicy()
    {
        var sdk = HubChannel.ServiceConfigOf(new KetenhubRetryOptions());
        var sdkPolicy = Assert.Single(sdk.MethodConfigs).RetryPolicy!;
        var published = Published();
        var policy = Assert.Single(published.GetProperty("methodConfig").EnumerateArray().ToList()).GetProperty("retryPolicy");
        var throttling = published.GetProperty("retryThrottling");

        Assert.Equal(sdkPolicy.MaxAttempts, policy.GetProperty("maxAttempts").GetInt32());
        Assert.Equal(sdkPolicy.InitialBackoff, Duration(policy.GetProperty("initialBackoff")));
        Assert.Equal(sdkPolicy.MaxBackoff, Duration(policy.GetProperty("maxBackoff")));
        Assert.Equal(sdkPolicy.BackoffMultiplier, policy.GetProperty("backoffMultiplier").GetDouble());
        Assert.Equal(
            sdkPolicy.RetryableStatusCodes.Select(c => c.ToString()).Order(StringComparer.Ordinal),
            policy.GetProperty("retryableStatusCodes").EnumerateArray().Select(c => Enum.Parse<StatusCode>(c.GetString()!.Replace("_", string.Empty, StringComparison.Ordinal), ignoreCase: true).ToString()).Order(StringComparer.Ordinal));
        Assert.Equal(sdk.RetryThrottling!.MaxTokens, throttling.GetProperty("maxTokens").GetInt32());
        Assert.Equal(sdk.RetryThrottling.TokenRatio, throttling.GetProperty("tokenRatio").GetDouble());
    }
}

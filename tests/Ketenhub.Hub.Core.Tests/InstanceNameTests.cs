using Ketenhub.Hub.Delivery;
using Microsoft.Extensions.Options;

namespace Ketenhub.Hub.Core.Tests;

/// <summary>
/// <c>Hub:InstanceId</c>: a restarted instance under the same name knows the stream tokens of its earlier run as its own; a
/// random name (none given) does not; and a name outside the allowed form stops the start.
/// </summary>
public sealed class InstanceNameTests
{
    private static readonly IDeliveryWakeupRelay Shared = new Relay();

    [Fact]
    public void UnderAStableName_ARestartKnowsTheEarlierRunsLeases_AnotherInstanceDoesNot()
    {
        var before = new DeliveryStreams(Shared, Options("hub-a"));
        using var lease = before.Open("waakvlam-zorg", StreamSharing.Shared, TimeSpan.FromMinutes(1));

        Assert.True(new DeliveryStreams(Shared, Options("hub-a")).IsHere(lease.Token));
        Assert.False(new DeliveryStreams(Shared, Options("hub-b")).IsHere(lease.Token));
        Assert.False(new DeliveryStreams(Shared, Options("hub")).IsHere(lease.Token));
        Assert.False(new DeliveryStreams(Shared, Options(null)).IsHere(lease.Token));
    }

    [Fact]
    public void WithoutAName_EveryStartIsANewInstance()
    {
        using var lease = new DeliveryStreams(Shared, Options(null)).Open("waakvlam-zorg", StreamSharing.Shared, TimeSpan.FromMinutes(1));
        Assert.False(new DeliveryStreams(Shared, Options(null)).IsHere(lease.Token));
    }

    [Theory]
    [InlineData("Hub-A")]
    [InlineData("-hub")]
    [InlineData("hub.a")]
    [InlineData("a-name-that-is-much-longer-than-forty-characters")]
    public void ANameOutsideTheForm_IsRefused(string name)
    {
        var options = Valid(name);
        var results = new List<System.ComponentModel.DataAnnotations.ValidationResult>();
        Assert.False(System.ComponentModel.DataAnnotations.Validator.TryValidateObject(options, new(options), results, validateAllProperties: true));
        Assert.Contains(results, r => r.ErrorMessage!.Contains("Hub:InstanceId", StringComparison.Ordinal));
    }

    private static IOptions<HubOptions> Options(string? name) => Microsoft.Extensions.Options.Options.Create(Valid(name));

    private static HubOptions Valid(string? name) => new()
    {
        BsnLookupKey = Convert.ToBase64String(new byte[32]),
        PseudonymKey = Convert.ToBase64String(new byte[32]),
        InstanceId = name,
    };

    private sealed class Relay : IDeliveryWakeupRelay
    {
        public void Attach(DeliveryNotifier notifier)
        {
        }

        public void Publish(IReadOnlyList<string> partyIds, bool released)
        {
        }
    }
}

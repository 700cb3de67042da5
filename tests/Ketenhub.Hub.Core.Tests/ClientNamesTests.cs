using System.Security.Cryptography;
using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Common;

namespace Ketenhub.Hub.Core.Tests;

public sealed class ClientNamesTests : IDisposable
{
    private readonly ClientNames _names = new(RandomNumberGenerator.GetBytes(32));

    public void Dispose() => _names.Dispose();

    [Fact]
    public void EachParty_HasItsOwnNameForAClient_AndItResolvesBackOnlyForThatParty()
    {
        var id = Ids.New("cli", TimeProvider.System);
        var sdd = _names.For("sdd", id);
        var coach = _names.For("waakvlam-zorg", id);

        Assert.NotEqual(sdd, coach);
        Assert.Matches("^clients/cl_[0-9a-f]{32}$", sdd);
        Assert.DoesNotContain(id[4..], sdd, StringComparison.Ordinal);
        Assert.Equal(sdd, _names.For("sdd", id));
        Assert.Equal(id, _names.Resolve("sdd", sdd["clients/".Length..]));
        Assert.Equal(id, _names.Resolve("waakvlam-zorg", coach["clients/".Length..]));
        Assert.NotEqual(id, _names.Resolve("waakvlam-zorg", sdd["clients/".Length..]));
    }

    [Fact]
    public void TheHubsOwnForm_IsStillAccepted_AndOtherNamesPassThroughToBeNotFound()
    {
        var id = Ids.New("cli", TimeProvider.System);
        Assert.Equal(id, _names.Resolve("sdd", id));
        Assert.Equal("doesnotexist", _names.Resolve("sdd", "doesnotexist"));
        Assert.Equal("cl_XYZ", _names.Resolve("sdd", "cl_XYZ"));
        Assert.Equal("clients/prospective", _names.For("sdd", "prospective"));
    }

    [Fact]
    public void AnotherKey_GivesOtherNames()
    {
        using var other = new ClientNames(RandomNumberGenerator.GetBytes(32));
        var id = Ids.New("cli", TimeProvider.System);
        Assert.NotEqual(_names.For("sdd", id), other.For("sdd", id));
    }

    [Theory]
    [InlineData("clients/cl_0123456789abcdef0123456789abcdef", true)]
    [InlineData("clients/cli_0123456789abcdef0123456789abcdef", true)]
    [InlineData("clients/cl_0123456789ABCDEF0123456789abcdef", false)]
    [InlineData("clients/cl_0123", false)]
    [InlineData("referrals/cl_0123456789abcdef0123456789abcdef", false)]
    [InlineData("a clients/cl_0123456789abcdef0123456789abcdef", false)]
    public void IsClientName_RecognisesBothForms(string name, bool expected) => Assert.Equal(expected, ClientNames.IsClientName(name));
}

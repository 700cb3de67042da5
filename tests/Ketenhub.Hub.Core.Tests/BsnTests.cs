using System.Security.Cryptography;
using System.Text;
using Ketenhub.Hub.Clients;

namespace Ketenhub.Hub.Core.Tests;

public class BsnTests
{
    public static TheoryData<string> ValidBsns => ["111222333", "123456782", "987654329", "192837461", "246813507", "135792460"];

    [Theory]
    [MemberData(nameof(ValidBsns))]
    public void ValidBsn_PassesElfproef(string bsn) => Assert.True(Bsn.IsValid(bsn));

    [Theory]
    [MemberData(nameof(ValidBsns))]
    public void ValidBsn_AnyOneDigitChange_Fails(string bsn)
    {
        // The elfproef catches every single-digit error: no weight times a change of 1..9 is a multiple of 11.
        for (var position = 0; position < bsn.Length; position++)
        {
            for (var digit = '0'; digit <= '9'; digit++)
            {
                if (digit == bsn[position])
                {
                    continue;
                }

                var changed = bsn[..position] + digit + bsn[(position + 1)..];
                Assert.False(Bsn.IsValid(changed), $"position {position} set to {digit} should fail");
            }
        }
    }

    [Theory]
    [InlineData("123456782", "123456728")]
    [InlineData("111222333", "111223233")]
    public void ValidBsn_SwappedAdjacentDigits_Fails(string valid, string swapped)
    {
        Assert.True(Bsn.IsValid(valid));
        Assert.False(Bsn.IsValid(swapped));
    }

    [Theory]
    [InlineData("")]
    [InlineData("1234567")]
    [InlineData("1112223330")]
    [InlineData("11122233")] // eight digits whose zero-padded form fails the elfproef
    [InlineData("12345678A")]
    [InlineData("A23456782")]
    [InlineData("123 45678")]
    [InlineData("-12345678")]
    [InlineData("000000000")]
    [InlineData("00000000")]
    [InlineData("١٢٣٤٥٦٧٨٢")] // Arabic-Indic digits are not ASCII digits
    public void MalformedBsn_Fails(string value) => Assert.False(Bsn.IsValid(value));

    [Fact]
    public void NullBsn_Fails() => Assert.False(Bsn.IsValid(null));

    [Fact]
    public void EightDigits_AreReadWithLeadingZero()
    {
        Assert.True(Bsn.IsValid("012345672"));
        Assert.True(Bsn.IsValid("12345672"));
        Assert.False(Bsn.IsValid("12345673"));
        Assert.False(Bsn.IsValid("012345673"));

        // Without the leading zero these eight digits would be weighted 9..2 and fail; with it they pass.
        Assert.True(Bsn.IsValid("10000021"));
        Assert.Equal("010000021", Bsn.Normalize("10000021"));
        Assert.Equal("123456782", Bsn.Normalize("123456782"));
    }

    private static readonly byte[] Key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    [Fact]
    public void BsnHasher_SameKeyAndBsn_IsStable()
    {
        var first = new BsnHasher(Key).Hash("111222333");
        var second = new BsnHasher((byte[])Key.Clone()).Hash("111222333");

        Assert.Equal(first, second);
        Assert.Equal(64, first.Length);
        Assert.DoesNotContain("111222333", first, StringComparison.Ordinal);
        Assert.Equal(Convert.ToHexString(HMACSHA256.HashData(Key, Encoding.ASCII.GetBytes("111222333"))), first);
    }

    [Fact]
    public void BsnHasher_DifferentKey_GivesDifferentHash()
    {
        var otherKey = (byte[])Key.Clone();
        otherKey[0] ^= 0xff;

        Assert.NotEqual(new BsnHasher(Key).Hash("111222333"), new BsnHasher(otherKey).Hash("111222333"));
    }

    [Fact]
    public void BsnHasher_DifferentBsn_GivesDifferentHash()
    {
        var hasher = new BsnHasher(Key);
        Assert.NotEqual(hasher.Hash("111222333"), hasher.Hash("123456782"));
    }

    [Fact]
    public void BsnHasher_EightAndNineDigitForms_HashAlike()
    {
        var hasher = new BsnHasher(Key);
        Assert.Equal(hasher.Hash("012345672"), hasher.Hash("12345672"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(8)]
    [InlineData(15)]
    public void BsnHasher_KeyShorterThan16Bytes_IsRejected(int length)
    {
        var ex = Assert.Throws<ArgumentException>(() => new BsnHasher(new byte[length]));
        Assert.Equal("key", ex.ParamName);
    }

    [Fact]
    public void BsnHasher_Key16Bytes_IsAccepted()
    {
        var hasher = new BsnHasher(new byte[16]);
        Assert.Equal(64, hasher.Hash("111222333").Length);
    }
}

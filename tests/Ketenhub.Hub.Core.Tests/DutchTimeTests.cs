using Ketenhub.Hub.Common;
using Microsoft.Extensions.Time.Testing;

namespace Ketenhub.Hub.Core.Tests;

public class DutchTimeTests
{
    [Fact]
    public void StartOf_WinterDate_IsMidnightCet()
    {
        var start = DutchTime.StartOf(new DateOnly(2025, 1, 15));

        Assert.Equal(new DateTimeOffset(2025, 1, 14, 23, 0, 0, TimeSpan.Zero), start);
        Assert.Equal(TimeSpan.Zero, start.Offset);
    }

    [Fact]
    public void StartOf_SummerDate_IsMidnightCest()
    {
        Assert.Equal(new DateTimeOffset(2025, 7, 14, 22, 0, 0, TimeSpan.Zero), DutchTime.StartOf(new DateOnly(2025, 7, 15)));
    }

    [Fact]
    public void StartOf_DaysOfClockChange_UseTheOffsetAtMidnight()
    {
        // Clocks change at 02:00/03:00, so midnight of the change day still has the old offset.
        Assert.Equal(new DateTimeOffset(2025, 3, 29, 23, 0, 0, TimeSpan.Zero), DutchTime.StartOf(new DateOnly(2025, 3, 30)));
        Assert.Equal(new DateTimeOffset(2025, 3, 30, 22, 0, 0, TimeSpan.Zero), DutchTime.StartOf(new DateOnly(2025, 3, 31)));
        Assert.Equal(new DateTimeOffset(2025, 10, 25, 22, 0, 0, TimeSpan.Zero), DutchTime.StartOf(new DateOnly(2025, 10, 26)));
        Assert.Equal(new DateTimeOffset(2025, 10, 26, 23, 0, 0, TimeSpan.Zero), DutchTime.StartOf(new DateOnly(2025, 10, 27)));
    }

    [Fact]
    public void DateOf_InstantJustAfterDutchMidnight_IsTheNextDutchDate()
    {
        Assert.Equal(new DateOnly(2025, 1, 15), DutchTime.DateOf(new DateTimeOffset(2025, 1, 14, 23, 0, 0, TimeSpan.Zero)));
        Assert.Equal(new DateOnly(2025, 1, 14), DutchTime.DateOf(new DateTimeOffset(2025, 1, 14, 22, 59, 59, TimeSpan.Zero)));
        Assert.Equal(new DateOnly(2025, 7, 15), DutchTime.DateOf(new DateTimeOffset(2025, 7, 14, 22, 0, 0, TimeSpan.Zero)));
        Assert.Equal(new DateOnly(2025, 7, 14), DutchTime.DateOf(new DateTimeOffset(2025, 7, 14, 21, 59, 59, TimeSpan.Zero)));
    }

    [Fact]
    public void Today_UsesTheTimeProviderInAmsterdam()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 7, 14, 22, 30, 0, TimeSpan.Zero));

        Assert.Equal(new DateOnly(2025, 7, 15), DutchTime.Today(time));
    }

    [Theory]
    [InlineData("2008-06-01", "2026-05-31", 17)]
    [InlineData("2008-06-01", "2026-06-01", 18)]
    [InlineData("2008-06-01", "2026-06-02", 18)]
    [InlineData("2008-06-01", "2008-06-01", 0)]
    [InlineData("2008-12-31", "2026-01-01", 17)]
    [InlineData("2008-01-01", "2025-12-31", 17)]
    [InlineData("2008-01-01", "2026-01-01", 18)]
    public void AgeOn_AroundBirthday_CountsWholeYears(string birth, string on, int expected) =>
        Assert.Equal(expected, DutchTime.AgeOn(DateOnly.Parse(birth, System.Globalization.CultureInfo.InvariantCulture), DateOnly.Parse(on, System.Globalization.CultureInfo.InvariantCulture)));

    [Theory]
    [InlineData("2026-02-27", 17)]
    [InlineData("2026-02-28", 18)] // in a common year the hub counts 28 February as the birthday
    [InlineData("2026-03-01", 18)]
    [InlineData("2028-02-28", 19)]
    [InlineData("2028-02-29", 20)]
    public void AgeOn_BornOnLeapDay_TurnsOlderOnTwentyEighthFebruaryInCommonYears(string on, int expected) =>
        Assert.Equal(expected, DutchTime.AgeOn(new DateOnly(2008, 2, 29), DateOnly.Parse(on, System.Globalization.CultureInfo.InvariantCulture)));

    [Theory]
    [InlineData("2008-02-29")]
    [InlineData("2008-06-01")]
    [InlineData("2007-12-31")]
    public void EighteenthBirthday_IsTheFirstDayOfAgeEighteen(string birth)
    {
        var client = TestData.Client(DateOnly.Parse(birth, System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(18, client.AgeOn(client.EighteenthBirthday));
        Assert.Equal(17, client.AgeOn(client.EighteenthBirthday.AddDays(-1)));
    }
}

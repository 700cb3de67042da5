using Ketenhub.Hub.Monitoring;

namespace Ketenhub.Hub.Core.Tests;

/// <summary>The small-cell rule on its own: primary suppression, complements, and what stays shown.</summary>
public sealed class SmallCellsTests
{
    private static SmallCells Row(int minimum, params (string Key, int Count)[] parts)
    {
        var cells = new SmallCells(minimum);
        cells.Declare("total", total: true);
        foreach (var (key, count) in parts)
        {
            cells.Declare(key);
            for (var i = 0; i < count; i++)
            {
                cells.Count(key, key + i);
                cells.Count("total", key + i);
            }
        }

        cells.Sum("total", [.. parts.Select(p => p.Key)]);
        return cells;
    }

    [Fact]
    public void ASmallPart_HidesTheSmallestOtherPart_AndKeepsTheTotal()
    {
        var shown = Row(5, ("a", 2), ("b", 10), ("c", 20)).Protect();

        Assert.Equal(Suppression.SmallCount, shown["a"].Suppression);
        Assert.Equal(Suppression.Complementary, shown["b"].Suppression);
        Assert.Equal(PilotCount.Shown(20), shown["c"]);
        Assert.Equal(PilotCount.Shown(32), shown["total"]);

        // total - c = a + b = 12: the reader knows a + b, not a.
        Assert.Equal(0, shown["a"].Value);
        Assert.Equal(0, shown["b"].Value);
    }

    [Fact]
    public void TwoSmallParts_NeedNoComplement()
    {
        var shown = Row(5, ("a", 2), ("b", 3), ("c", 20)).Protect();
        Assert.Equal(Suppression.SmallCount, shown["a"].Suppression);
        Assert.Equal(Suppression.SmallCount, shown["b"].Suppression);
        Assert.False(shown["c"].Suppressed);
        Assert.False(shown["total"].Suppressed);
    }

    [Fact]
    public void ZerosAreShown_AndHideNothingWhileAnotherCellCan()
    {
        var shown = Row(5, ("a", 0), ("b", 1), ("c", 0), ("d", 9)).Protect();
        Assert.Equal(PilotCount.Shown(0), shown["a"]);
        Assert.Equal(Suppression.SmallCount, shown["b"].Suppression);
        Assert.Equal(Suppression.Complementary, shown["d"].Suppression);
        Assert.False(shown["total"].Suppressed);
    }

    [Fact]
    public void AnUnpublishedSmallRemainder_HidesAPublishedCell()
    {
        // total = shown + remainder; the remainder is never published, but total - shown would give it.
        var cells = new SmallCells(5);
        cells.Declare("total", total: true);
        cells.Declare("acknowledged");
        cells.Declare("not-acknowledged", published: false);
        for (var i = 0; i < 12; i++)
        {
            cells.Count("total", "c" + i);
            cells.Count(i < 10 ? "acknowledged" : "not-acknowledged", "c" + i);
        }

        cells.Sum("total", "acknowledged", "not-acknowledged");
        var shown = cells.Protect();
        Assert.False(shown.ContainsKey("not-acknowledged"));
        Assert.Equal(Suppression.Complementary, shown["acknowledged"].Suppression);
        Assert.False(shown["total"].Suppressed);
    }

    [Fact]
    public void MinimumCellSize_MustBePositive() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new SmallCells(0));
}

using Ketenhub.Hub.Common;
using Microsoft.Extensions.Time.Testing;

namespace Ketenhub.Hub.Core.Tests;

public sealed class IdsTests
{
    [Fact]
    public void New_ids_are_version_7_guids_carrying_the_clocks_milliseconds()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 22, 59, 1, 234, TimeSpan.Zero));

        var id = Ids.New("sig", time);

        Assert.StartsWith("sig_", id, StringComparison.Ordinal);
        var hex = id["sig_".Length..];
        Assert.Equal(32, hex.Length);
        var guid = Guid.ParseExact(hex, "N");
        Assert.Equal(7, guid.Version);
        Assert.Equal(0b10, guid.Variant >> 2);
        Assert.Equal(time.GetUtcNow().ToUnixTimeMilliseconds(), Convert.ToInt64(hex[..12], 16));
        Assert.NotNull(Ids.Parse("signals/" + id, "signals"));
    }

    [Fact]
    public void New_ids_sort_by_time_and_do_not_repeat()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 0, 0, 0, TimeSpan.Zero));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var previous = string.Empty;
        for (var i = 0; i < 5_000; i++)
        {
            // More ids than one block of random bytes gives, so the block is refilled several times.
            var id = Ids.New("dlv", time);
            Assert.True(seen.Add(id));
            if (i % 100 == 0)
            {
                Assert.True(string.CompareOrdinal(previous[..Math.Min(previous.Length, 16)], id[..16]) < 0);
                previous = id;
                time.Advance(TimeSpan.FromMilliseconds(1));
            }
        }
    }

    [Fact]
    public void Ids_made_on_different_threads_differ()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 0, 0, 0, TimeSpan.Zero));
        var ids = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 8, _ =>
        {
            for (var i = 0; i < 500; i++)
            {
                ids.Add(Ids.New("aud", time));
            }
        });

        Assert.Equal(4_000, ids.Distinct(StringComparer.Ordinal).Count());
    }
}

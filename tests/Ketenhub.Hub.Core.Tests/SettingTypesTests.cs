using Ketenhub.Hub.Configuration;
using Microsoft.Extensions.Configuration;

namespace Ketenhub.Hub.Core.Tests;

/// <summary>The start-up check finds every value the configuration binder cannot convert, and only those.</summary>
public sealed class SettingTypesTests
{
    private sealed class Sample
    {
        public TimeSpan Interval { get; set; }

        public TimeSpan? Optional { get; set; }

        public int Count { get; set; }

        public double Rate { get; set; }

        public bool Enabled { get; set; }

        public DayOfWeek Day { get; set; }

        public string Name { get; set; } = "";

        public List<int> Numbers { get; set; } = [];

        public Dictionary<string, Inner> Parties { get; set; } = [];

        public Inner Nested { get; set; } = new();
    }

    private sealed class Inner
    {
        public int Burst { get; set; }
    }

    private static IConfiguration Config(params (string Key, string? Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>("S:" + v.Key, v.Value))).Build();

    [Fact]
    public void ValidValues_HaveNoProblem_AndBind()
    {
        var configuration = Config(
            ("Interval", "00:05:00"), ("Optional", ""), ("Count", "3"), ("Rate", "0.5"), ("Enabled", "True"), ("Day", "monday"),
            ("Name", "anything"), ("Numbers:0", "1"), ("Parties:sdd:Burst", "4"), ("Nested:Burst", "2"), ("Unknown", "x"));

        Assert.Empty(SettingTypes.Problems(configuration, "S", typeof(Sample)));
        Assert.Equal(TimeSpan.FromMinutes(5), configuration.GetSection("S").Get<Sample>()!.Interval);
    }

    [Fact]
    public void EveryMalformedValue_IsNamed_WithoutItsValue()
    {
        var configuration = Config(
            ("Interval", "abc"), ("Optional", "soon"), ("Count", "ten"), ("Rate", "1,5x"), ("Enabled", "yes"), ("Day", "someday"),
            ("Numbers:1", "two"), ("Parties:sdd:Burst", "many"), ("Nested:Burst", "-"));

        var problems = SettingTypes.Problems(configuration, "S", typeof(Sample));

        Assert.Equal(
            [
                "S:Count must be a whole number.",
                "S:Day must be one of Sunday, Monday, Tuesday, Wednesday, Thursday, Friday, Saturday.",
                "S:Enabled must be true or false.",
                "S:Interval must be a time span such as 00:00:30 (hh:mm:ss) or 1.00:00:00 (one day).",
                "S:Nested:Burst must be a whole number.",
                "S:Numbers:1 must be a whole number.",
                "S:Optional must be a time span such as 00:00:30 (hh:mm:ss) or 1.00:00:00 (one day).",
                "S:Parties:sdd:Burst must be a whole number.",
                "S:Rate must be a number (with a decimal point, not a comma).",
            ],
            problems.Order(StringComparer.Ordinal));
        Assert.All(problems, p => Assert.DoesNotContain("abc", p, StringComparison.Ordinal));

        // Each of them is a value the binder refuses.
        foreach (var (key, value) in new[] { ("Interval", "abc"), ("Count", "ten"), ("Enabled", "yes"), ("Day", "someday"), ("Optional", "soon") })
        {
            Assert.Throws<InvalidOperationException>(() => Config((key, value)).GetSection("S").Get<Sample>());
        }
    }
}

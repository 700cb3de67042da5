using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Running;
using Ketenhub.Benchmarks.Fhir;

if (args is ["interleaved", ..])
{
    Interleaved.Run(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 400);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(ReferralToBundle).Assembly).Run(args);

/// <summary>
/// The same comparison as <see cref="ReferralToBundle"/>, alternating the two methods in rounds of 20 calls, so that
/// load from other processes on a shared machine falls on both alike. BenchmarkDotNet runs one method after the
/// other; when the machine's load swings between them its ratio says more about the load than about the code.
/// </summary>
internal static class Interleaved
{
    public static void Run(int rounds)
    {
        var benchmark = new ReferralToBundle();
        benchmark.Setup();
        for (var i = 0; i < 2000; i++)
        {
            benchmark.Adapter();
            benchmark.HandBuilt();
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        benchmark.Adapter();
        var adapterBytes = GC.GetAllocatedBytesForCurrentThread() - before;
        before = GC.GetAllocatedBytesForCurrentThread();
        benchmark.HandBuilt();
        var handBytes = GC.GetAllocatedBytesForCurrentThread() - before;

        var adapter = new List<double>(rounds);
        var hand = new List<double>(rounds);
        var clock = new Stopwatch();
        for (var round = 0; round < rounds; round++)
        {
            clock.Restart();
            for (var i = 0; i < 20; i++)
            {
                benchmark.Adapter();
            }

            adapter.Add(clock.Elapsed.TotalMicroseconds / 20);
            clock.Restart();
            for (var i = 0; i < 20; i++)
            {
                benchmark.HandBuilt();
            }

            hand.Add(clock.Elapsed.TotalMicroseconds / 20);
        }

        adapter.Sort();
        hand.Sort();
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"rounds {rounds} x 20 calls each, alternating\n" +
            $"min     adapter {adapter[0],8:F1} us   hand-built {hand[0],8:F1} us   ratio {adapter[0] / hand[0]:F2}\n" +
            $"median  adapter {adapter[rounds / 2],8:F1} us   hand-built {hand[rounds / 2],8:F1} us   ratio {adapter[rounds / 2] / hand[rounds / 2]:F2}\n" +
            $"alloc   adapter {adapterBytes,8} B    hand-built {handBytes,8} B    ratio {(double)adapterBytes / handBytes:F2}"));
    }
}

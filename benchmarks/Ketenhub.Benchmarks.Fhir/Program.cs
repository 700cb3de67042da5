using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Running;
using Ketenhub.Benchmarks.Fhir;

if (args is ["interleaved", ..])
{
    Interleaved.Run(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 400);
    return;
}

if (args is ["interleaved-inbound", ..])
{
    Interleaved.RunInbound(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200);
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
    /// <summary><see cref="InboundValidation"/> for both messages, alternating the two methods in the same way.</summary>
    public static void RunInbound(int rounds)
    {
        foreach (var message in new[] { "referral", "task" })
        {
            var benchmark = new InboundValidation { Message = message };
            benchmark.Setup();
            Console.WriteLine($"inbound {message}: with validation (adapter) against without (baseline)");
            Compare(rounds, () => benchmark.WithValidation(), () => benchmark.WithoutValidation(), "validated", "plain");
        }
    }

    public static void Run(int rounds)
    {
        var benchmark = new ReferralToBundle();
        benchmark.Setup();
        for (var i = 0; i < 2000; i++)
        {
            benchmark.Adapter();
            benchmark.HandBuilt();
        }

        Compare(rounds, () => benchmark.Adapter(), () => benchmark.HandBuilt(), "adapter", "hand-built");
    }

    private static void Compare(int rounds, Func<object> measured, Func<object> baseline, string measuredName, string baselineName)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        measured();
        var adapterBytes = GC.GetAllocatedBytesForCurrentThread() - before;
        before = GC.GetAllocatedBytesForCurrentThread();
        baseline();
        var handBytes = GC.GetAllocatedBytesForCurrentThread() - before;

        var adapter = new List<double>(rounds);
        var hand = new List<double>(rounds);
        var clock = new Stopwatch();
        for (var round = 0; round < rounds; round++)
        {
            clock.Restart();
            for (var i = 0; i < 20; i++)
            {
                measured();
            }

            adapter.Add(clock.Elapsed.TotalMicroseconds / 20);
            clock.Restart();
            for (var i = 0; i < 20; i++)
            {
                baseline();
            }

            hand.Add(clock.Elapsed.TotalMicroseconds / 20);
        }

        adapter.Sort();
        hand.Sort();
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"rounds {rounds} x 20 calls each, alternating\n" +
            $"min     {measuredName} {adapter[0],8:F1} us   {baselineName} {hand[0],8:F1} us   ratio {adapter[0] / hand[0]:F2}\n" +
            $"median  {measuredName} {adapter[rounds / 2],8:F1} us   {baselineName} {hand[rounds / 2],8:F1} us   ratio {adapter[rounds / 2] / hand[rounds / 2]:F2}\n" +
            $"alloc   {measuredName} {adapterBytes,8} B    {baselineName} {handBytes,8} B    ratio {(double)adapterBytes / handBytes:F2}"));
    }
}

using System.Globalization;

namespace Ketenhub.Benchmarks;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "serve-bare")
        {
            int? port = null, parent = null;
            for (var i = 1; i + 1 < args.Length; i += 2)
            {
                var value = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
                switch (args[i])
                {
                    case "--port":
                        port = value;
                        break;
                    case "--parent-pid":
                        parent = value;
                        break;
                    default:
                        Console.Error.WriteLine($"Unknown option {args[i]}.");
                        return 2;
                }
            }

            if (port is null)
            {
                Console.Error.WriteLine("serve-bare needs --port N.");
                return 2;
            }

            return await BareServer.RunAsync(port.Value, parent);
        }

        if (args.Length > 0 && args[0] == "soak")
        {
            return await Soak.RunAsync(args[1..]);
        }

        var command = args.Length == 0 || args[0].StartsWith("--", StringComparison.Ordinal) ? "all" : args[0];
        if (command is "-h" or "help" || args.Contains("--help"))
        {
            Console.WriteLine(Options.Usage);
            return 0;
        }

        if (command is not ("all" or "throughput" or "latency"))
        {
            Console.Error.WriteLine($"Unknown command '{command}'.");
            Console.Error.WriteLine(Options.Usage);
            return 2;
        }

        Options options;
        try
        {
            options = Options.Parse([.. args.SkipWhile(a => !a.StartsWith("--", StringComparison.Ordinal))]);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(Options.Usage);
            return 2;
        }

        try
        {
            return await Harness.RunAsync(command, options);
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"Benchmark failed: {e}");
            return 1;
        }
        finally
        {
            ServerProcess.StopAll();
        }
    }
}

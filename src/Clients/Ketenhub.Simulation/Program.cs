using System.Globalization;
using Google.Protobuf;

namespace Ketenhub.Simulation;

/// <summary>
/// <c>Ketenhub.Simulation --data &lt;folder&gt; [--seed n] [--scale x] [--from yyyy-MM-dd] [--months n] [--port n] [--serve]</c>:
/// plays the pilot into a fresh hub in that folder, prints what it did and the key figures, writes the report as the
/// hub gave it (<c>pilot-report.json</c>) and a token for the monitor role (<c>monitor.token</c>, valid for a day); with <c>--serve</c> it keeps the hub serving on 127.0.0.1 (the clock stopped the day after the pilot) until
/// Ctrl+C, so <c>ketenhub report pilot --token "$(cat folder/monitor.token)"</c> reads the same report.
/// </summary>
public static class SimulationProgram
{
    public static async Task<int> Main(string[] args)
    {
        SimulationOptions options;
        bool serve;
        try
        {
            (options, serve) = Parse(args);
        }
        catch (FormatException ex)
        {
            await Console.Error.WriteLineAsync("error: " + ex.Message).ConfigureAwait(false);
            await Console.Error.WriteLineAsync("usage: Ketenhub.Simulation --data <folder> [--seed n] [--scale x] [--from yyyy-MM-dd] [--months n] [--port n] [--serve]").ConfigureAwait(false);
            return 2;
        }

        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };

        var (result, hub) = await PilotSimulation.RunAsync(options, stop.Token).ConfigureAwait(false);
        await using (hub.ConfigureAwait(false))
        {
            await File.WriteAllTextAsync(Path.Combine(options.DataDirectory, "pilot-report.json"), JsonFormatter.Default.Format(result.Report) + "\n", stop.Token).ConfigureAwait(false);
            await File.WriteAllTextAsync(Path.Combine(options.DataDirectory, "monitor.token"), hub.Token("sociale-dienst-gorinchem", "monitor-1", ["monitor"], TimeSpan.FromDays(1)) + "\n", stop.Token).ConfigureAwait(false);
            Console.Out.Write(Summary.Of(options, result));
            if (serve)
            {
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"The hub serves on http://127.0.0.1:{hub.Port} (its clock stopped at {hub.Clock.GetUtcNow():yyyy-MM-dd HH:mm} UTC); Ctrl+C stops it. The report, from another terminal:"));
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  dotnet run --project src/Clients/Ketenhub.Cli -- report pilot --hub http://127.0.0.1:{hub.Port} --from {options.From:yyyy-MM-dd} --to {options.To:yyyy-MM-dd} --token \"$(cat {Path.Combine(options.DataDirectory, "monitor.token")})\""));
                await hub.ServeAsync(stop.Token).ConfigureAwait(false);
            }
        }

        return 0;
    }

    internal static (SimulationOptions Options, bool Serve) Parse(string[] args)
    {
        string? data = null;
        var options = new SimulationOptions { DataDirectory = string.Empty };
        var serve = false;
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--data": data = Value(); break;
                case "--seed": options = options with { Seed = int.Parse(Value(), CultureInfo.InvariantCulture) }; break;
                case "--scale": options = options with { Scale = double.Parse(Value(), CultureInfo.InvariantCulture) }; break;
                case "--from": options = options with { From = DateOnly.ParseExact(Value(), "yyyy-MM-dd", CultureInfo.InvariantCulture) }; break;
                case "--months": options = options with { Months = int.Parse(Value(), CultureInfo.InvariantCulture) }; break;
                case "--port": options = options with { Port = int.Parse(Value(), CultureInfo.InvariantCulture) }; break;
                case "--serve": serve = true; break;
                default: throw new FormatException($"Unknown argument '{args[i]}'.");
            }
        }

        if (data is null)
        {
            throw new FormatException("--data names the folder for the simulated hub.");
        }

        if (options.Scale is <= 0 or > 10 || options.Months is < 1 or > 120)
        {
            throw new FormatException("--scale must be above 0 and at most 10, --months from 1 to 120.");
        }

        return (options with { DataDirectory = Path.GetFullPath(data) }, serve);
    }
}

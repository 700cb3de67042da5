using System.Globalization;

namespace Ketenhub.Benchmarks;

/// <summary>Which store the measured hubs run on.</summary>
public enum StoreChoice
{
    /// <summary>One hub on its embedded SQLite database (the default).</summary>
    Sqlite,

    /// <summary>Two hubs on one database of a throwaway PostgreSQL server the harness starts.</summary>
    Postgres,

    /// <summary>Both, measured in the same run, alternating in each throughput round.</summary>
    Both,
}

/// <summary>Command-line options; durations in seconds.</summary>
public sealed record Options
{
    public int Concurrency { get; init; } = 64;
    public int Channels { get; init; } = 4;
    public double InitialWarmup { get; init; } = 8;
    public double Warmup { get; init; } = 2;
    public double Duration { get; init; } = 8;
    public int Rounds { get; init; } = 3;
    public int Clients { get; init; } = 4;
    public double Rate { get; init; } = 2000;
    public double LatencyWarmup { get; init; } = 2;
    public double LatencyDuration { get; init; } = 20;
    public double BareLatencyDuration { get; init; } = 8;
    public int MaxInFlight { get; init; } = 4_000;
    public double AlsoRate { get; init; } = 500;
    public double AlsoDuration { get; init; } = 10;
    public StoreChoice Store { get; init; } = StoreChoice.Sqlite;
    public double CrossRate { get; init; } = 500;
    public double CrossDuration { get; init; } = 20;
    public int PostgresPoolSize { get; init; } = 100;
    public string? HubDll { get; init; }
    public string? DataDir { get; init; }
    public bool KeepData { get; init; }
    public string? Out { get; init; }
    public string? LatencyLog { get; init; }

    public const string Usage = """
        Usage: dotnet run -c Release --project benchmarks/Ketenhub.Benchmarks -- [all|throughput|latency] [options]

          all          (a) throughput hub vs bare, then (b) submit-to-delivery latency (default), and with PostgreSQL
                       (c) submit on one hub instance, delivery stream on another
          throughput   only (a)
          latency      only (b) and (c), with the bare server's unary latency as the baseline
          soak         the database over minutes of load with retention on and off (`soak --help`)

        Options (durations in seconds):
          --concurrency N          calls in flight in (a)                      (64)
          --channels N             GrpcChannels per server, each its own handler (4)
          --initial-warmup S       untimed load on each server before anything is measured (JIT tiering) (8)
          --warmup S               warm-up before each measured round            (2)
          --duration S             measured window per round                     (8)
          --rounds N               rounds, alternating bare/hub; medians reported (3)
          --clients N              hub clients the throughput signals are about  (4)
          --rate N                 open-loop rate of (b), calls/s                (2000)
          --latency-warmup S       (b) warm-up at the same rate, not counted     (2)
          --latency-duration S     (b) measured window for the hub               (20)
          --bare-latency-duration S (b) measured window for the bare baseline; 0 skips it (8)
          --max-in-flight N        (b) stop early when this many calls are open  (4000)
          --also-rate N            (b) also measure the hub at this lower rate; 0 skips it (500)
          --also-duration S        (b) measured window at --also-rate            (10)
          --store S                sqlite, postgres or both: the hub's store. postgres starts a throwaway
                                   PostgreSQL server (initdb, pg_ctl; fsync and synchronous_commit on) and two
                                   hubs on one database; both measures SQLite and PostgreSQL in the same run (sqlite)
          --cross-rate N           (c) submit through one PostgreSQL hub, stream from the other, at this rate,
                                   then at --rate; 0 skips (c)                   (500)
          --cross-duration S       (c) measured window per rate                  (20)
          --pg-pool-size N         the PostgreSQL hubs' Maximum Pool Size (Npgsql's default) (100)
          --hub-dll PATH           the hub to start (default: the build of src/Hub/Ketenhub.Hub in this configuration)
          --data-dir PATH          the hub's data directory (default: a new temp directory, deleted afterwards)
          --keep-data              keep the data directory
          --out PATH               also write the Markdown report to PATH
          --latency-log PATH       (b) write every call of the hub's run at --rate to PATH as CSV: index, scheduled
                                   time (ms from the start), send lag, submit and delivery latency (ms; -1: none)
        """;

    public static Options Parse(IReadOnlyList<string> args)
    {
        var options = new Options();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{name} needs a value.");
            int Int() => int.Parse(Value(), CultureInfo.InvariantCulture);
            double Real() => double.Parse(Value(), CultureInfo.InvariantCulture);
            options = name switch
            {
                "--concurrency" => options with { Concurrency = Int() },
                "--channels" => options with { Channels = Int() },
                "--initial-warmup" => options with { InitialWarmup = Real() },
                "--warmup" => options with { Warmup = Real() },
                "--duration" => options with { Duration = Real() },
                "--rounds" => options with { Rounds = Int() },
                "--clients" => options with { Clients = Int() },
                "--rate" => options with { Rate = Real() },
                "--latency-warmup" => options with { LatencyWarmup = Real() },
                "--latency-duration" => options with { LatencyDuration = Real() },
                "--bare-latency-duration" => options with { BareLatencyDuration = Real() },
                "--max-in-flight" => options with { MaxInFlight = Int() },
                "--also-rate" => options with { AlsoRate = Real() },
                "--also-duration" => options with { AlsoDuration = Real() },
                "--store" => options with { Store = ParseStore(Value()) },
                "--cross-rate" => options with { CrossRate = Real() },
                "--cross-duration" => options with { CrossDuration = Real() },
                "--pg-pool-size" => options with { PostgresPoolSize = Int() },
                "--hub-dll" => options with { HubDll = Value() },
                "--data-dir" => options with { DataDir = Value() },
                "--keep-data" => options with { KeepData = true },
                "--out" => options with { Out = Value() },
                "--latency-log" => options with { LatencyLog = Value() },
                _ => throw new ArgumentException($"Unknown option {name}."),
            };
        }

        if (options.Concurrency < 1 || options.Channels < 1 || options.Rounds < 1 || options.Clients < 1 || options.Rate <= 0 || options.Duration <= 0 || options.LatencyDuration <= 0
            || options.CrossRate < 0 || options.CrossDuration <= 0 || options.PostgresPoolSize < 1)
        {
            throw new ArgumentException("Counts, rate and durations must be positive.");
        }

        return options;
    }

    private static StoreChoice ParseStore(string value) => value switch
    {
        "sqlite" => StoreChoice.Sqlite,
        "postgres" => StoreChoice.Postgres,
        "both" => StoreChoice.Both,
        _ => throw new ArgumentException($"Unknown store '{value}': sqlite, postgres or both."),
    };
}

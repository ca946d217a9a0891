using System.Globalization;
using Privacy.Benchmarks.Scenarios;

namespace Privacy.Benchmarks;

/// <summary>Command-line options of the benchmark harness.</summary>
internal sealed record BenchmarkOptions(
    int Scale,
    int Connections,
    TimeSpan Duration,
    TimeSpan MixedDuration,
    int Replicas,
    bool Scaling,
    int FeedEntries,
    int OutboxMessages,
    int FanOutCustomers,
    long FanOutDisclosures,
    int FanOutRequests,
    int SweepRecords,
    IReadOnlyList<string>? Only,
    string Output)
{
    public const string Usage = """
        Usage: tests/Privacy.Benchmarks/run [--scale N] [--connections N] [--duration S] [--mixed-duration S] [--replicas N]
                                         [--no-scaling] [--feed-entries N] [--outbox-messages N] [--fan-out-customers N]
                                         [--fan-out-disclosures N] [--fan-out-requests N] [--sweep-records N] [--only NAME[,NAME…]] [--output DIR]
          --scale N                subjects with consent histories (default 100000; e.g. 1000000)
          --connections N          concurrent HTTP connections and pgbench clients (default 16)
          --duration S             seconds per measurement (default 15)
          --mixed-duration S       seconds of the mixed frontend scenario (default 60)
          --replicas N             instances of the service the mixed frontend scenario drives, behind a local nginx when
                                   more than one (default 1); it then also measures one instance alone for --duration S
          --no-scaling             skip the 10,000 vs 1,000,000 subjects latency comparison
          --feed-entries N         disclosures to card-provider paged through the partner feed (default 1000000; e.g. 50000)
          --outbox-messages N      outbox messages the relay delivers in each outbox-relay run (default 20000; e.g. 2000)
          --fan-out-customers N    customers of the request-fan-out scenario's large database (default 1000000; e.g. 100000);
                                   its small database has 10000
          --fan-out-disclosures N  disclosures in that large database (default 10000000; e.g. 1000000), as many per customer
                                   in the small one
          --fan-out-requests N     erasure requests measured at each size, each for a fresh customer (default 1000; at most 2800)
          --sweep-records N        expired consent proofs the retention sweep erases in each retention-sweep run (default 1000000;
                                   e.g. 100000)
          --only NAME[,NAME…]      run only these scenarios (e.g. outbox-relay); the scaling probe still runs unless --no-scaling
          --output DIR             where results.json goes (default artifacts/bench)
        """;

    public static BenchmarkOptions Parse(string[] args, string repository)
    {
        var options = new BenchmarkOptions(100_000, 16, TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(60), 1, true, 1_000_000, 20_000,
            RequestFanOutScenario.DefaultCustomers, RequestFanOutScenario.DefaultDisclosures, 1000, RetentionSweepScenario.DefaultRecords, null,
            Path.Combine(repository, "artifacts", "bench"));
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.\n{Usage}");
            options = args[i] switch
            {
                "--scale" => options with { Scale = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--connections" => options with { Connections = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--duration" => options with { Duration = TimeSpan.FromSeconds(int.Parse(Next(), CultureInfo.InvariantCulture)) },
                "--mixed-duration" => options with { MixedDuration = TimeSpan.FromSeconds(int.Parse(Next(), CultureInfo.InvariantCulture)) },
                "--replicas" => options with { Replicas = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--no-scaling" => options with { Scaling = false },
                "--feed-entries" => options with { FeedEntries = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--outbox-messages" => options with { OutboxMessages = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--fan-out-customers" => options with { FanOutCustomers = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--fan-out-disclosures" => options with { FanOutDisclosures = long.Parse(Next(), CultureInfo.InvariantCulture) },
                "--fan-out-requests" => options with { FanOutRequests = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--sweep-records" => options with { SweepRecords = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--only" => options with { Only = Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) },
                "--output" => options with { Output = Path.GetFullPath(Next()) },
                _ => throw new ArgumentException($"Unknown option {args[i]}.\n{Usage}"),
            };
        }

        if (options.Scale < 10_000)
        {
            throw new ArgumentException($"--scale must be at least 10000.\n{Usage}");
        }

        if (options.Replicas is < 1 or > 16)
        {
            throw new ArgumentException($"--replicas must be 1–16.\n{Usage}");
        }

        if (options.FeedEntries < 1)
        {
            throw new ArgumentException($"--feed-entries must be at least 1.\n{Usage}");
        }

        if (options.OutboxMessages < 1)
        {
            throw new ArgumentException($"--outbox-messages must be at least 1.\n{Usage}");
        }

        if (options.FanOutCustomers <= RequestFanOutScenario.SmallCustomers)
        {
            throw new ArgumentException($"--fan-out-customers must be more than {RequestFanOutScenario.SmallCustomers} (the small database).\n{Usage}");
        }

        if (options.FanOutDisclosures < 2L * options.FanOutCustomers)
        {
            throw new ArgumentException($"--fan-out-disclosures must be at least two per customer (one to each recipient).\n{Usage}");
        }

        if (options.FanOutRequests is < 1 or > RequestFanOutScenario.MaxRequests)
        {
            throw new ArgumentException($"--fan-out-requests must be 1–{RequestFanOutScenario.MaxRequests}.\n{Usage}");
        }

        if (options.SweepRecords < RetentionSweepScenario.BatchSize)
        {
            throw new ArgumentException($"--sweep-records must be at least {RetentionSweepScenario.BatchSize} (one batch).\n{Usage}");
        }

        if (options.Only?.FirstOrDefault(name => Harness.Scenarios.All(s => s.Name != name)) is { } unknown)
        {
            throw new ArgumentException($"--only: there is no scenario {unknown} ({string.Join(", ", Harness.Scenarios.Select(s => s.Name))}).\n{Usage}");
        }

        return options;
    }
}

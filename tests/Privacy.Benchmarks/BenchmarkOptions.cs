using System.Globalization;

namespace Privacy.Benchmarks;

/// <summary>Command-line options of the benchmark harness.</summary>
internal sealed record BenchmarkOptions(
    int Scale,
    int Connections,
    TimeSpan Duration,
    TimeSpan MixedDuration,
    bool Scaling,
    string Output)
{
    public const string Usage = """
        Usage: tests/Privacy.Benchmarks/run [--scale N] [--connections N] [--duration S] [--mixed-duration S] [--no-scaling] [--output DIR]
          --scale N            subjects with consent histories (default 100000; e.g. 1000000)
          --connections N      concurrent HTTP connections and pgbench clients (default 16)
          --duration S         seconds per measurement (default 15)
          --mixed-duration S   seconds of the mixed frontend scenario (default 60)
          --no-scaling         skip the 10,000 vs 1,000,000 subjects latency comparison
          --output DIR         where results.json goes (default artifacts/bench)
        """;

    public static BenchmarkOptions Parse(string[] args, string repository)
    {
        var options = new BenchmarkOptions(100_000, 16, TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(60), true,
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
                "--no-scaling" => options with { Scaling = false },
                "--output" => options with { Output = Path.GetFullPath(Next()) },
                _ => throw new ArgumentException($"Unknown option {args[i]}.\n{Usage}"),
            };
        }

        if (options.Scale < 10_000)
        {
            throw new ArgumentException($"--scale must be at least 10000.\n{Usage}");
        }

        return options;
    }
}

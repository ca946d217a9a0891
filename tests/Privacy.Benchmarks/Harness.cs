using System.Globalization;
using System.Text.Json;
using Npgsql;
using Privacy.Api.Platform.LocalPostgres;
using Privacy.Benchmarks.Scenarios;
using Privacy.Benchmarks.Tools;

namespace Privacy.Benchmarks;

/// <summary>
/// Builds the service in Release, starts a dedicated PostgreSQL with fixed settings, loads the data set,
/// starts the service and runs every scenario with its baseline in the same run.
/// </summary>
internal static class Harness
{
    /// <summary>The scenarios, in order. Later features add theirs here.</summary>
    public static readonly IReadOnlyList<IScenario> Scenarios =
    [
        new ConsentStateReadScenario(),
        new ConsentWriteScenario(),
        new RegistryReadScenario(),
        new MixedScenario(),
        new PartnerFeedPagingScenario(),
        new OutboxRelayScenario(),
        new RequestFanOutScenario(),
        new RetentionSweepScenario(),
        new ConsentExportScenario(),
    ];

    /// <summary>Fixed server settings, so runs compare.</summary>
    public static readonly IReadOnlyDictionary<string, string> PostgresSettings = new Dictionary<string, string>
    {
        ["shared_buffers"] = "1GB",
        ["effective_cache_size"] = "4GB",
        ["work_mem"] = "16MB",
        ["max_wal_size"] = "8GB",
        ["checkpoint_timeout"] = "30min",
        ["synchronous_commit"] = "on",
        ["jit"] = "off",
    };

    private const int SmallScale = 10_000;
    private const int LargeScale = 1_000_000;

    public static async Task<int> RunAsync(BenchmarkOptions options, string repository, CancellationToken cancellationToken)
    {
        foreach (var tool in new[] { "wrk", "pgbench" })
        {
            if (!ProcessRunner.Exists(tool))
            {
                Console.Error.WriteLine($"{tool} is not installed (Debian: apt-get install {(tool == "wrk" ? "wrk" : "postgresql-client")}).");
                return 2;
            }
        }

        if (options.Replicas > 1 && !Nginx.Exists())
        {
            Console.Error.WriteLine("--replicas needs nginx in front of the instances (Debian: apt-get install nginx).");
            return 2;
        }

        Directory.CreateDirectory(options.Output);
        var started = DateTimeOffset.UtcNow;
        Console.Error.WriteLine("Publishing the service in Release…");
        var dll = await ServiceUnderTest.PublishAsync(repository, Path.Combine(options.Output, "app"), cancellationToken);

        var clusterRoot = Path.Combine(options.Output, "postgres");
        if (Directory.Exists(clusterRoot))
        {
            LocalPostgresCluster.Start(clusterRoot, "postgres").Stop(immediate: true);
            Directory.Delete(clusterRoot, recursive: true);
        }

        Console.Error.WriteLine("Starting a dedicated PostgreSQL cluster…");
        using var cluster = LocalPostgresCluster.Start(clusterRoot, "privacy_bench", PostgresSettings);
        var connectionString = cluster.ConnectionString("privacy_bench");
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var database = new Database(builder.Port, builder.Username!, builder.Password!, builder.Database!);

        Console.Error.WriteLine("Starting the service (applies migrations and seeds)…");
        await using var service = await ServiceUnderTest.StartAsync(dll, connectionString, cancellationToken);
        await using var raw = await RawHttpServer.StartAsync();
        var context = new BenchContext(options, service, database, raw, dll);
        // The scaling probe measures the database path, so it reads through an instance without the consent-state cache
        // (with it, 10,000 subjects fit in the cache and 1,000,000 do not: that would compare hits with misses).
        await using var uncached = options.Scaling
            ? await ServiceUnderTest.StartAsync(dll, connectionString, cancellationToken,
                // Nor does it run a relay: the outbox-relay scenario measures one relay, the main instance's.
                new Dictionary<string, string> { ["Consent__StateCache"] = "false", ["Notifier__RelayEnabled"] = "false" })
            : null;
        var probe = uncached is null ? null : new BenchContext(options, uncached, database, raw, dll);
        var rows = new List<ResultRow>();

        Measurement? small = null;
        if (options.Scaling)
        {
            Console.Error.WriteLine($"Loading {SmallScale:N0} subjects…");
            await DataSet.LoadAsync(connectionString, 1, SmallScale, cancellationToken);
            context.Subjects = probe!.Subjects = SmallScale;
            small = await ScalingProbe(probe, cancellationToken);
        }

        Console.Error.WriteLine($"Loading up to {options.Scale:N0} subjects…");
        await DataSet.LoadAsync(connectionString, context.Subjects + 1, options.Scale, cancellationToken);
        context.Subjects = options.Scale;

        foreach (var scenario in Scenarios.Where(s => options.Only is null || options.Only.Contains(s.Name)))
        {
            Console.Error.WriteLine($"Scenario {scenario.Name}:");
            rows.AddRange(await scenario.RunAsync(context, cancellationToken));
        }

        if (small is not null)
        {
            if (context.Subjects < LargeScale)
            {
                Console.Error.WriteLine($"Loading up to {LargeScale:N0} subjects…");
                await DataSet.LoadAsync(connectionString, context.Subjects + 1, LargeScale, cancellationToken);
                context.Subjects = LargeScale;
            }

            probe!.Subjects = context.Subjects;
            var large = await ScalingProbe(probe, cancellationToken);
            rows.Add(new ResultRow("scaling", large, small, large.P50Ms / small.P50Ms,
                "p50 at 1M ≤ 1.3× p50 at 10k", large.P50Ms <= 1.3 * small.P50Ms && large.Errors == 0));
        }

        var report = new Report(started, DateTimeOffset.UtcNow, Machine(), await PostgresVersion(connectionString), PostgresSettings,
            options, context.Subjects, service.PeakResidentMiB(), rows);
        Console.WriteLine(report.Table());
        var json = JsonSerializer.Serialize(report, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true });
        var file = Path.Combine(options.Output, "results.json");
        await File.WriteAllTextAsync(file, json, cancellationToken);
        Console.WriteLine($"Results: {file}");
        return 0;
    }

    /// <summary>State-read latency at few connections: the cost of one lookup as the table grows.</summary>
    private static async Task<Measurement> ScalingProbe(BenchContext context, CancellationToken cancellationToken)
    {
        Console.Error.WriteLine($"Scaling probe at {context.Subjects:N0} subjects:");
        return await context.LoadServiceAsync($"GET state at {context.Subjects:N0} subjects (4 conns, no cache)", "state.lua",
            TimeSpan.FromSeconds(Math.Max(10, context.Options.Duration.TotalSeconds)), 4, cancellationToken: cancellationToken);
    }

    private static string Machine()
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        var memory = File.Exists("/proc/meminfo")
            ? File.ReadLines("/proc/meminfo").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]
            : "0";
        return $"{Environment.ProcessorCount} cores, {long.Parse(memory, CultureInfo.InvariantCulture) / 1024 / 1024} GiB, {cpu ?? "unknown CPU"}, " +
               $"{System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}";
    }

    private static async Task<string> PostgresVersion(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        return (string)(await new NpgsqlCommand("SHOW server_version", connection).ExecuteScalarAsync())!;
    }
}

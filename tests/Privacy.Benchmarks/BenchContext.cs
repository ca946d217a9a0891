using Privacy.Benchmarks.Tools;

namespace Privacy.Benchmarks;

/// <summary>Everything a scenario needs: the service, its database, the raw server, the options.</summary>
/// <param name="serviceDll">The published service, for scenarios that start an instance of their own.</param>
internal sealed class BenchContext(BenchmarkOptions options, ServiceUnderTest service, Database database, RawHttpServer raw, string serviceDll)
{
    private int _run;

    /// <summary>Where load goes: the service itself, or a proxy in front of <see cref="_instances"/>.</summary>
    private string _serviceUrl = service.BaseUrl;

    /// <summary>The instances whose CPU time a measurement counts.</summary>
    private IReadOnlyList<ServiceUnderTest> _instances = [service];

    public BenchmarkOptions Options { get; } = options;

    public ServiceUnderTest Service { get; } = service;

    public Database Database { get; } = database;

    public RawHttpServer Raw { get; } = raw;

    /// <summary>Subjects currently in the data set.</summary>
    public int Subjects { get; set; }

    public string FrontendKey => ServiceUnderTest.Keys["bench-frontend"].Key;

    public string OpsKey => ServiceUnderTest.Keys["bench-ops"].Key;

    /// <summary>A partner key bound to the recipient <c>card-provider</c>.</summary>
    public string CardPartnerKey => ServiceUnderTest.Keys["bench-partner-card"].Key;

    /// <summary>
    /// Starts another instance of the published service (the caller disposes it), e.g. on a database of the scenario's own
    /// in the same cluster, with extra <paramref name="settings"/> (configuration keys as environment variables).
    /// </summary>
    public Task<ServiceUnderTest> StartServiceAsync(string connectionString, IReadOnlyDictionary<string, string>? settings,
        CancellationToken cancellationToken) =>
        ServiceUnderTest.StartAsync(serviceDll, connectionString, cancellationToken, settings);

    /// <summary>
    /// The same harness driving another instance of the service (one a scenario started with <see cref="StartServiceAsync"/>),
    /// whose database holds <paramref name="subjects"/> subjects of the consent data set.
    /// </summary>
    public BenchContext For(ServiceUnderTest instance, int subjects) => new(Options, instance, Database, Raw, serviceDll) { Subjects = subjects };

    /// <summary>
    /// The same harness driving <paramref name="instances"/> (the first is <see cref="Service"/> or another of this database's)
    /// through a reverse proxy at <paramref name="proxyUrl"/>; a measurement counts the CPU time of all of them (not the proxy's).
    /// </summary>
    public BenchContext Behind(string proxyUrl, IReadOnlyList<ServiceUnderTest> instances) =>
        new(Options, instances[0], Database, Raw, serviceDll) { Subjects = Subjects, _serviceUrl = proxyUrl, _instances = instances };

    /// <summary>Drives the service with a wrk script and records the service's CPU time per request.</summary>
    public async Task<Measurement> LoadServiceAsync(string name, string script, TimeSpan duration, int connections,
        IDictionary<string, string>? environment = null, CancellationToken cancellationToken = default)
    {
        // Warm-up: JIT tiers, prepared statements and pooled connections settle before anything is counted.
        await Wrk.RunAsync(name, _serviceUrl, script, connections, TimeSpan.FromSeconds(3), Environment(environment), cancellationToken);
        return await MeasureServiceAsync(name, script, duration, connections, environment, cancellationToken);
    }

    /// <summary>As <see cref="LoadServiceAsync"/>, without the warm-up: the measured run starts at once.</summary>
    public async Task<Measurement> MeasureServiceAsync(string name, string script, TimeSpan duration, int connections,
        IDictionary<string, string>? environment = null, CancellationToken cancellationToken = default)
    {
        var cpuBefore = CpuTime();
        var measurement = await Wrk.RunAsync(name, _serviceUrl, script, connections, duration, Environment(environment), cancellationToken);
        var cpu = CpuTime() - cpuBefore;
        Console.Error.WriteLine($"  {Describe(measurement)}");
        return measurement.WithCpu(measurement.Requests == 0 ? null : cpu.TotalMilliseconds / measurement.Requests);
    }

    public async Task<Measurement> LoadRawAsync(string name, TimeSpan duration, int connections, CancellationToken cancellationToken)
    {
        var measurement = await Wrk.RunAsync(name, Raw.BaseUrl, "get.lua", connections, duration,
            Environment(new Dictionary<string, string> { ["BENCH_PATH"] = "/" }), cancellationToken);
        Console.Error.WriteLine($"  {Describe(measurement)}");
        return measurement;
    }

    public async Task<Measurement> PgbenchAsync(string name, string script, TimeSpan duration, int clients, CancellationToken cancellationToken)
    {
        var measurement = await Pgbench.RunAsync(name, Database, script, clients, duration,
            new Dictionary<string, string> { ["subjects"] = Subjects.ToString(System.Globalization.CultureInfo.InvariantCulture) }, cancellationToken);
        Console.Error.WriteLine($"  {Describe(measurement)}");
        return measurement;
    }

    private TimeSpan CpuTime() => _instances.Aggregate(TimeSpan.Zero, (sum, instance) => sum + instance.CpuTime());

    private Dictionary<string, string> Environment(IDictionary<string, string>? extra)
    {
        var environment = new Dictionary<string, string>
        {
            ["BENCH_SCRIPTS"] = Path.Combine(AppContext.BaseDirectory, "Scripts"),
            ["BENCH_SUBJECTS"] = Subjects.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["BENCH_FRONTEND_KEY"] = FrontendKey,
            ["BENCH_RUN"] = (++_run).ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }

        return environment;
    }

    private static string Describe(Measurement m) =>
        $"{m.Name,-44} {m.RequestsPerSecond,10:N0}/s  p50 {m.P50Ms,6:N2} ms  p99 {m.P99Ms,7:N2} ms  errors {m.Errors}";
}

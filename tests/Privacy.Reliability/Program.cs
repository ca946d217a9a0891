using System.Globalization;
using Privacy.Api.Platform.LocalPostgres;
using Privacy.Benchmarks;
using Privacy.Reliability;

// The reliability suite: see docs/reliability.md. Run it with tests/Privacy.Reliability/run [--seconds N] [--kill-every N] …
var repository = FindRepository(AppContext.BaseDirectory);
Options options;
try
{
    options = Options.Parse(args, repository);
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

Directory.CreateDirectory(options.Output);
Console.Error.WriteLine("Publishing the service in Release…");
var dll = await ServiceUnderTest.PublishAsync(repository, Path.Combine(options.Output, "app"), cancel.Token);
var clusterRoot = Path.Combine(options.Output, "postgres");
if (Directory.Exists(clusterRoot))
{
    LocalPostgresCluster.Start(clusterRoot, "postgres").Stop(immediate: true);
    Directory.Delete(clusterRoot, recursive: true);
}

Console.Error.WriteLine("Starting a dedicated PostgreSQL cluster…");
using var cluster = LocalPostgresCluster.Start(clusterRoot, "privacy_reliability");
var connectionString = cluster.ConnectionString("privacy_reliability");

Console.Error.WriteLine($"Scenario sigkill: {options.Instances} instances, one killed every {options.KillEvery} s for {options.Seconds} s…");
var scenario = new KillScenario(options, dll, connectionString);
var (tallies, findings) = await scenario.RunAsync(cancel.Token);
var (duplicatedRequests, duplicatedTasks) = await scenario.DuplicatesAsync(cancel.Token);

var report = new List<string>
{
    "## sigkill: instances killed mid-work, callers retrying with the same Idempotency-Key",
    "",
    "| operation | attempted | acknowledged | found afterwards | delivered | lost |",
    "|---|---:|---:|---:|---:|---:|",
};
report.AddRange(tallies.Select(t => string.Create(CultureInfo.InvariantCulture,
    $"| {t.Operation} | {t.Attempted} | {t.Acknowledged} | {t.Found} | {(t.Delivered is { } d ? d.ToString(CultureInfo.InvariantCulture) : "–")} | {t.Lost} |")));
report.Add("");
report.AddRange(findings.Select(f => "- " + f));
report.Add($"- rights requests duplicated by a retry: {duplicatedRequests}; rights-request tasks created twice: {duplicatedTasks}");
var text = string.Join(Environment.NewLine, report);
Console.WriteLine(text);
await File.WriteAllTextAsync(Path.Combine(options.Output, "results.md"), text + Environment.NewLine);

var failed = tallies.Any(t => t.Lost != 0) || duplicatedRequests != 0 || duplicatedTasks != 0
             || findings.Any(f => f.StartsWith("OUTBOX NOT DRAINED", StringComparison.Ordinal))
             || !findings.Contains("CONCURRENT DUPLICATE deliveries: 0");
Console.Error.WriteLine(failed ? "FAILED: something acknowledged was lost, duplicated or delivered twice at once." : "Passed: nothing lost.");
return failed ? 1 : 0;

static string FindRepository(string start)
{
    for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
    {
        if (File.Exists(Path.Combine(directory.FullName, "Privacy.slnx")))
        {
            return directory.FullName;
        }
    }

    throw new InvalidOperationException("Run the suite from inside the repository.");
}

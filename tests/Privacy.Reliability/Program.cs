using System.Globalization;
using Privacy.Api.Platform.LocalPostgres;
using Privacy.Benchmarks;
using Privacy.Reliability;

// The reliability suite: see docs/reliability.md. Run it with tests/Privacy.Reliability/run [--seconds N] [--kill-every N] …
var repository = Privacy.Benchmarks.Tools.Loopback.Repository(AppContext.BaseDirectory);
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
// The suite checks what survives, not how fast: built in Debug (PRIVACY_RELIABILITY_CONFIGURATION=Debug, as .ci/run does after the
// tests built it), it publishes the service in Debug too and builds nothing twice.
#if DEBUG
const string configuration = "Debug";
#else
const string configuration = "Release";
#endif
Console.Error.WriteLine($"Publishing the service in {configuration}…");
var dll = await ServiceUnderTest.PublishAsync(repository, Path.Combine(options.Output, "app"), cancel.Token, configuration);
var clusterRoot = Path.Combine(options.Output, "postgres");
if (Directory.Exists(clusterRoot))
{
    LocalPostgresCluster.Start(clusterRoot, "postgres").Stop(immediate: true);
    Directory.Delete(clusterRoot, recursive: true);
}

Console.Error.WriteLine("Starting a dedicated PostgreSQL cluster…");
using var cluster = LocalPostgresCluster.Start(clusterRoot, "postgres");

var report = new List<string>();
var failed = false;
string[] failureMarks =
[
    "NOT DRAINED", "WITHOUT A RETRYABLE", "NO ANSWER WITHIN", "STALLED", "BAD SIGNATURES", "PROOFS NOT CHECKING", "PERSONNUMMER NOT MATCHING",
    "NOT UNDER THE CURRENT KEY", "DISAGREE ON THE CURRENT KEYS",
];
foreach (var fault in new Fault[]
         {
             new KillAnInstance(), new RestartPostgres(cluster, TimeSpan.FromSeconds(3)), new PartnerFaults(TimeSpan.FromSeconds(3)), new RotateDataKeys(),
         }.Where(f => options.Only is null || options.Only == f.Name))
{
    // Each scenario on a database of its own, so its counts are its own.
    var database = "privacy_" + fault.Name.Replace('-', '_');
    cluster.EnsureDatabase(database);
    Console.Error.WriteLine($"Scenario {fault.Name}: {options.Instances} instances, every {options.FaultEvery} s {fault.Description}, for {options.Seconds} s…");
    var scenario = new LoadScenario(options, dll, cluster.ConnectionString(database), fault);
    var (tallies, findings) = await scenario.RunAsync(cancel.Token);
    var (duplicatedRequests, duplicatedTasks) = await scenario.DuplicatesAsync(cancel.Token);
    report.AddRange(
    [
        $"## {fault.Name}: {fault.Description}, callers retrying with the same Idempotency-Key",
        "",
        "| operation | attempted | acknowledged | found afterwards | delivered | lost |",
        "|---|---:|---:|---:|---:|---:|",
    ]);
    report.AddRange(tallies.Select(t => string.Create(CultureInfo.InvariantCulture,
        $"| {t.Operation} | {t.Attempted} | {t.Acknowledged} | {t.Found} | {(t.Delivered is { } d ? d.ToString(CultureInfo.InvariantCulture) : "–")} | {t.Lost} |")));
    report.Add("");
    report.AddRange(findings.Select(f => "- " + f));
    report.Add($"- rights requests duplicated by a retry: {duplicatedRequests}; rights-request tasks created twice: {duplicatedTasks}");
    report.Add("");
    // Upper case in a finding marks a failure: lost, duplicated, concurrent, undrained, a 5xx other than a retryable 503, a hang, a
    // delivery whose signature does not verify, a consent proof that no longer checks or a personnummer that no longer matches, a
    // webhook secret left under an old key.
    failed |= tallies.Any(t => t.Lost != 0) || duplicatedRequests != 0 || duplicatedTasks != 0
              || findings.Any(f => failureMarks.Any(mark => f.Contains(mark, StringComparison.Ordinal)))
              || !findings.Contains("CONCURRENT DUPLICATE deliveries: 0");
}

var text = string.Join(Environment.NewLine, report);
Console.WriteLine(text);
await File.WriteAllTextAsync(Path.Combine(options.Output, "results.md"), text + Environment.NewLine);
Console.Error.WriteLine(failed ? "FAILED: something acknowledged was lost or duplicated, delivered twice at once or unverifiably signed, answered 5xx " +
                                 "without a retry or not at all, or a proof or personnummer stopped matching."
    : "Passed: nothing lost.");
return failed ? 1 : 0;

using Privacy.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Privacy.Api.Tests.Logging;

/// <summary>
/// The logs of the whole test suite hold no e-mail address, identity number, IP address or API key, and every request's
/// lines carry its request id and trace id. Runs after every other test (<see cref="ScanLastTestFramework"/>) over what
/// <see cref="SuiteLog"/> captured. Run on its own (a filter that leaves no other test), it scans the newest complete log
/// file of an earlier run in <c>suite-logs/</c> and says so, or fails asking for a whole run when there is none.
/// </summary>
[Collection(RunsLastCollection.Name)]
public sealed class LogScanTests(ITestOutputHelper output)
{
    /// <summary>Below this many records per test that ran, the capture is broken, not the logs clean.</summary>
    private const int MinimumRecordsPerTest = 20;

    [Fact]
    public async Task TheWholeSuitesLogsHoldNoPersonalData()
    {
        Assert.True(SuiteLog.OtherTestCasesRun >= 0, "ScanLastTestFramework did not run this assembly, so nothing says the other tests ran first.");
        string file;
        string source;
        if (SuiteLog.OtherTestCasesRun > 0)
        {
            file = await SuiteLog.CompleteAsync();
            source = $"this run, {SuiteLog.OtherTestCasesRun} other tests";
        }
        else
        {
            file = SuiteLog.LatestCompleteFile()
                ?? throw new Xunit.Sdk.XunitException($"Run on its own and no earlier run's log in {SuiteLog.Directory}: run the whole suite (dotnet test Privacy.slnx).");
            source = "an earlier run: this run had no other tests";
        }

        var records = SuiteLog.Read(file).ToList();
        if (SuiteLog.OtherTestCasesRun > 0)
        {
            Assert.Equal(SuiteLog.Count, records.Count); // the file holds every record captured
        }

        output.WriteLine($"Scanned {records.Count:N0} log records at {SuiteLog.MinimumLevel} and above from {records.Select(r => r.Category).Distinct().Count()} categories; {source}; {file}");
        // An earlier run's file is judged as a whole suite's: a few hundred tests.
        var expected = (SuiteLog.OtherTestCasesRun > 0 ? SuiteLog.OtherTestCasesRun : 250) * MinimumRecordsPerTest;
        Assert.True(records.Count >= expected, $"Only {records.Count} log records captured, expected at least {expected}: the capture is broken.");

        var problems = new List<string>();
        var requests = records.Where(r => r.Category == "Privacy.Api.Requests").ToList();
        if (requests.Count < expected / MinimumRecordsPerTest)
        {
            problems.Add($"Only {requests.Count} request lines captured.");
        }

        var untraced = requests.Count(r => !r.Scopes.Any(s => s.StartsWith("RequestId=", StringComparison.Ordinal))
            || !r.Scopes.Any(s => s.StartsWith("TraceId=", StringComparison.Ordinal)));
        if (untraced > 0)
        {
            problems.Add($"{untraced} request lines lack a RequestId or TraceId scope.");
        }

        // ASP.NET Core's hosting scope carries the request path (customer numbers, visitor ids); the service switches it off.
        var withPath = records.Count(r => r.Scopes.Any(s => s.StartsWith("RequestPath=", StringComparison.Ordinal)));
        if (withPath > 0)
        {
            problems.Add($"{withPath} records carry the request path in a scope (RequestPath).");
        }

        // Secrets do not belong in logs either: the tests' API keys and any webhook signing secret.
        string[] secrets = [.. PrivacyApiFactory.Keys.Values, PrivacyApiFactory.OtherPartnerKey, .. PrivacyApiFactory.SystemKeys.Values, "whsec_"];
        var withSecret = records.Count(r => r.Texts().Any(t => secrets.Any(s => t.Contains(s, StringComparison.Ordinal))));
        if (withSecret > 0)
        {
            problems.Add($"{withSecret} records hold an API key or a webhook secret.");
        }

        var leaks = (
            from r in records
            from text in r.Texts().Distinct()
            let findings = PersonalDataScanner.Scan(text)
            where findings.Count > 0
            select (r.Category, r.Level, Kinds: string.Join(", ", findings.Select(f => f.Kind).Distinct()), Line: PersonalDataScanner.Mask(text, findings))).ToList();
        if (leaks.Count > 0)
        {
            problems.Add($"{leaks.Count} log texts hold personal data:");
            problems.AddRange(leaks
                .GroupBy(l => (l.Category, l.Kinds))
                .Select(g => $"  {g.Key.Category} ({g.Key.Kinds}): {g.Count()} text(s), e.g. [{g.First().Level}] {Shorten(g.First().Line)}"));
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    private static string Shorten(string line) => line.Length <= 600 ? line : line[..600] + "…";
}
